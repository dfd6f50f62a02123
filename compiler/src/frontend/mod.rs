//! Frontends: where networks come from. The ONNX importer and the built-in
//! zoo both build a [`Network`], plain Rust data whose every node is an
//! [`NnOp`] with its output shape inferred as it is added; [`Network::to_mlir`]
//! then writes it as `nn` dialect MLIR, one op per node, located at the
//! node's name.

pub mod network;
pub mod onnx;
pub mod zoo;

pub use network::{Network, NetworkError, Node, Ref, WeightData};
