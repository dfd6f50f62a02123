//! What every tool does at its edges: report command-line errors, and write
//! its result to stdout or to a file that appears only when complete.

use std::io::{self, Write};
use std::path::Path;

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
        Some(path) => write_atomically(path, &text).map_err(|e| format!("cannot write '{}': {e}", path.display())),
        None => stdout.write_all(text.as_bytes()).map_err(|e| format!("cannot write to stdout: {e}")),
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
pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(text.as_bytes())?;
    // A temporary file is private (0600); the result is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
