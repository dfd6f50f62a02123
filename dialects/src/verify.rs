//! The Rust verifiers: what the IRDL definitions cannot express.

use crate::diagnostic::Diagnostic;
use crate::ir::Op;
use crate::nn::NnOp;

/// Verifies one op; the diagnostic reads like MLIR's: `'nn.conv2d' op ...`.
pub fn verify_op(op: Op) -> Result<(), Diagnostic> {
    let name = op.name();
    let result = if name.starts_with("nn.") {
        NnOp::read(&op).and_then(|nn| match nn {
            Some(nn) => nn.check_operands(&op).and_then(|()| crate::nn::result_shape(&op).map(drop)),
            None => Ok(()),
        })
    } else if name.starts_with("xbar.") {
        crate::xbar::verify(&op)
    } else {
        crate::msg::verify(&op)
    };
    result.map_err(|message| op.diagnostic(format!("'{name}' op {message}")))
}

/// Verifies what no single op can: the module's top-level ops together.
pub fn verify_module(top_level: &[Op]) -> Vec<Diagnostic> {
    crate::msg::verify_programs(top_level)
        .into_iter()
        .map(|(op, message)| op.diagnostic(format!("'{}' op {message}", op.name())))
        .collect()
}
