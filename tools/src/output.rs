//! Writing results: to stdout, or to a file that appears only when complete.

use std::io::{self, Write};
use std::path::Path;

/// Writes `text` to `path` through a temporary file in the same directory,
/// renamed into place once complete: a failure never leaves a partial file.
pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
