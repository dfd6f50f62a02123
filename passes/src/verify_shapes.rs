//! `nn-verify-shapes`: checks that every `nn` op's declared result type is
//! the shape its operands and attributes produce (conv and pool windows,
//! concat, flatten, ...).
//!
//! It changes nothing. The verifier already guarantees operands that fit
//! together; this pass adds shape inference, so a model whose result types
//! were written by hand or by another tool is caught at the first op whose
//! shape is wrong, with that op's location.

use crate::Pass;
use rram_dialects::nn::{fmt_shape, result_shape, NnOp};
use rram_dialects::{Error, Module};

pub struct VerifyShapes;

impl Pass for VerifyShapes {
    fn run(&self, module: &mut Module) -> Result<(), Error> {
        for op in module.operations() {
            let checked = NnOp::read(&op).and_then(|nn| {
                let Some(nn) = nn else { return Ok(()) };
                let (inferred, declared) = (nn.infer_shape(&op)?, result_shape(&op)?);
                if inferred == declared {
                    Ok(())
                } else {
                    Err(format!(
                        "result shape {} does not match the inferred shape {}",
                        fmt_shape(&declared),
                        fmt_shape(&inferred)
                    ))
                }
            });
            checked.map_err(|message| op.error(format!("'{}' op {message}", op.name())))?;
        }
        Ok(())
    }
}
