//! What every tool does at its edges: report command-line errors, and write
//! its result to stdout or to a file (or program directory) that appears
//! only when complete.

use rram_arch::Architecture;
use rram_dialects::Error;
use rram_isa::{is_program_file, write_program, Program};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Prints a command-line error (or `--help` / `--version`, which clap also
/// reports as errors) and returns the exit code: 0 for help and version, 1
/// for a real error.
pub fn report_usage(error: &clap::Error, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    if error.use_stderr() {
        let _ = write!(stderr, "{}", error.render());
        1
    } else {
        let _ = write!(stdout, "{}", error.render());
        0
    }
}

/// Diagnostics with the source lines they point at; other errors as they are.
pub fn render_error(error: &Error, source_name: &str, source: &str) -> String {
    let diagnostics = error.diagnostics();
    if diagnostics.is_empty() {
        return format!("{source_name}: error: {error}");
    }
    let rendered: Vec<String> = diagnostics.iter().map(|d| d.render_with_source(source_name, source)).collect();
    rendered.join("\n")
}

/// Writes a tool's result to `output` (or stdout), or its error to stderr
/// prefixed with the tool's name; returns the exit code.
pub fn finish(
    tool: &str,
    result: Result<String, String>,
    output: Option<&Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let written = result.and_then(|text| match output {
        Some(path) => write_atomically(path, &text),
        None => match stdout.write_all(text.as_bytes()) {
            // The reader has stopped reading (`rram-sim prog | head`): what it
            // wanted is out, nothing to report.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            written => written.map_err(|e| format!("cannot write to stdout: {e}")),
        },
    });
    match written {
        Ok(()) => 0,
        Err(message) => {
            let _ = writeln!(stderr, "{tool}: {message}");
            1
        }
    }
}

/// Writes `text` to `path` through a temporary file in the same directory,
/// renamed into place once complete: a failure never leaves a partial file.
/// The error names `path` and the reason, never the temporary file.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let error = |e: io::Error| format!("cannot write '{}': {e}", path.display());
    let staged = staging_path(path);
    // create_new: never truncate a file that is not ours.
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&staged).map_err(error)?;
    let written = file.write_all(text.as_bytes()).and_then(|()| std::fs::rename(&staged, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    written.map_err(error)
}

/// A hidden name next to `path`, unique to this process and call.
fn staging_path(path: &Path) -> PathBuf {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let name = path.file_name().map_or("output".into(), |name| name.to_string_lossy());
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    directory_of(path).join(format!(".{name}.{}-{call}.tmp", std::process::id()))
}

/// Writes the program directory `dir` as a whole (see [`replace_dir`]).
pub fn write_program_dir(dir: &Path, program: &Program, arch: &Architecture) -> Result<(), String> {
    replace_dir(dir, &is_program_file, |staged| write_program_files(staged, program, arch))
}

/// Writes `program` for `arch` into the directory `dir`.
pub fn write_program_files(dir: &Path, program: &Program, arch: &Architecture) -> Result<(), String> {
    write_program(dir, program, Some(arch)).map_err(|e| e.to_string())
}

/// Writes the directory `dir` as a whole: `fill` writes it into a new
/// directory next to it, renamed into place once complete, so that a
/// failure leaves nothing half-written. An existing directory is replaced
/// (never merged: a stale file would pass for a new one) when every entry
/// in it is `owned` by this kind of output; one holding anything else is
/// left alone, as an error.
pub fn replace_dir(
    dir: &Path,
    owned: &dyn Fn(&str) -> bool,
    fill: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    let shown = dir.display();
    let parent = directory_of(dir);
    let io = |e: std::io::Error| format!("cannot write '{shown}': {e}");
    if dir.exists() {
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let name = entry.map_err(io)?.file_name();
            let name = name.to_string_lossy();
            if !owned(&name) {
                return Err(format!("'{shown}' holds '{name}', which this command does not write: not replacing it"));
            }
        }
    }
    std::fs::create_dir_all(parent).map_err(io)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".rram-out-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o755));
    let staged = builder.tempdir_in(parent).map_err(io)?;
    fill(staged.path())?;
    if dir.exists() {
        // The old directory moves aside, into a temporary directory removed on return.
        let old = tempfile::Builder::new().prefix(".rram-out-old-").tempdir_in(parent).map_err(io)?;
        std::fs::rename(dir, old.path()).map_err(io)?;
        if let Err(e) = std::fs::rename(staged.path(), dir) {
            let _ = std::fs::rename(old.path(), dir);
            return Err(io(e));
        }
    } else {
        std::fs::rename(staged.path(), dir).map_err(io)?;
    }
    // Renamed into place: nothing left for the temporary directory to remove.
    let _ = staged.keep();
    Ok(())
}

/// The directory `path` is in: its parent, or `.` for a bare name.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}
