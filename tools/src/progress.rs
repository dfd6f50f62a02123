//! Progress on a terminal for the commands that run for seconds or
//! minutes: for `rramc paper` and `rramc check` a bar on stderr with the
//! count, the elapsed time, an estimate of what is left and the last item
//! done; for whole networks (`rramc compile -o`, `rramc run`) the step
//! under way and the elapsed time.
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

/// A spinner with the elapsed time and the step under way, for runs whose
/// length is not known ahead (a whole network's compilation and
/// simulation); hidden unless stderr is a terminal, and cleared when
/// dropped, however the run ends.
pub struct Steps(ProgressBar);

pub fn steps() -> Steps {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
    }
    let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    Steps(bar)
}

impl Steps {
    pub fn set_message(&self, step: impl Into<std::borrow::Cow<'static, str>>) {
        self.0.set_message(step);
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
