//! Where the tools' inputs come from: a network (an ONNX file or a zoo
//! model) and an architecture (a file, a preset, or the default).

use rram_compiler::arch::Architecture;
use rram_compiler::frontend::{onnx, zoo, Network};
use std::path::Path;

/// The network of `--import-onnx FILE` or `--zoo NAME`.
pub fn network(import_onnx: Option<&Path>, zoo_name: Option<&str>) -> Result<Network, String> {
    match (import_onnx, zoo_name) {
        (Some(path), _) => onnx::import_file(path).map_err(|e| e.to_string()),
        (None, Some(name)) => zoo::build(name).map_err(|e| e.to_string()),
        (None, None) => Err("give --import-onnx FILE or --zoo NAME".into()),
    }
}

/// The architecture of `--arch FILE` or `--preset NAME`, else `fallback`,
/// else the default chip.
pub fn architecture(
    file: Option<&Path>,
    preset: Option<&str>,
    fallback: Option<Architecture>,
) -> Result<Architecture, String> {
    match (file, preset) {
        (Some(path), _) => Architecture::load(path).map_err(|e| e.to_string()),
        (None, Some(name)) => Architecture::preset(name).map_err(|e| e.to_string()),
        (None, None) => Ok(fallback.unwrap_or_default()),
    }
}
