//! The ONNX exports in `models/` that tests import.

use std::path::{Path, PathBuf};

/// The project's `models/` directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// Every `.onnx` file in `models/`, sorted; at least the eleven exports
/// shipped there.
pub fn onnx_files() -> Vec<PathBuf> {
    let files = onnx_files_in(&dir());
    assert!(files.len() >= 11, "{files:?}");
    files
}

/// Every `.onnx` file in `dir`, sorted.
pub fn onnx_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "onnx"))
        .collect();
    files.sort();
    files
}
