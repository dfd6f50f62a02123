//! The ONNX importer: an `.onnx` file as exported by PyTorch (the legacy
//! TorchScript exporter or the new dynamo one) becomes a [`Network`].
//!
//! Each ONNX node becomes one `nn` op named after the node, except where
//! the importer folds: shape computations (`Shape`, `Gather`, `Unsqueeze`,
//! `Concat` of integers, ...) are evaluated at import time, `Identity` and
//! `Dropout` are bypassed, a `MatMul` whose only use is an `Add` of a
//! 1-D constant becomes one dense layer with a bias, a `Pad` with zeros
//! before a `Conv` becomes the conv's pads, and a `Mul` or `Add` by a
//! per-channel constant becomes a batchnorm that only scales or shifts. Shapes come from the
//! dialect's own inference as the nodes are added and are cross-checked
//! against the shapes the file records. Weight values are kept where the file
//! holds them; structure-only files, whose external weight data is missing,
//! import all the same. See `docs/frontends.md` for the supported operators.

mod attributes;
mod constant;
mod graph;
mod import;
mod ops;
pub mod proto;

pub use ops::SUPPORTED as SUPPORTED_OPERATORS;

use crate::frontend::Network;
use std::path::Path;

/// Why a file could not be imported; one line, starting with the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnnxError {
    #[error("{file}: cannot read the file: {message}")]
    Read { file: String, message: String },
    #[error("{file}: not an ONNX model: {message}")]
    NotAModel { file: String, message: String },
    /// A problem of the graph as a whole: its inputs, outputs or structure.
    #[error("{file}: {message}")]
    Graph { file: String, message: String },
    /// A node that cannot be imported, named as in the file.
    #[error("{file}: node '{node}' ({op_type}): {message}")]
    Node { file: String, node: String, op_type: String, message: String },
}

/// Imports the ONNX model at `path`. Weights stored in an external data file
/// next to the model are read when that file exists.
pub fn import_file(path: &Path) -> Result<Network, OnnxError> {
    let file = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|error| OnnxError::Read { file: file.clone(), message: error.to_string() })?;
    import::import(&bytes, &file, path.parent())
}

/// Imports an ONNX model held in memory; `source_name` names it in errors
/// and gives the network its name. External weight data is not read.
pub fn import_bytes(bytes: &[u8], source_name: &str) -> Result<Network, OnnxError> {
    import::import(bytes, source_name, None)
}

/// Text from the file, safe to put between quotes on one line of an error.
fn quoted(text: &str) -> String {
    text.escape_debug().to_string()
}
