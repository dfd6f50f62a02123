//! Progress on a terminal for the commands that run for seconds or
//! minutes (`rramc paper`, `rramc check`): a bar on stderr with the count,
//! the elapsed time, an estimate of what is left and the last item done.
//! Drawn only when stderr is a terminal, so that piped and captured output
//! stays clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar of `total` steps, hidden unless stderr is a terminal.
pub fn bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    let style = ProgressStyle::with_template("{pos}/{len} [{elapsed_precise}, {eta} left] {wide_bar} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
