//! `nn-fold-batchnorm`: folds an inference batchnorm into the convolution
//! that feeds it, so the crossbars hold the folded weights and the vector
//! unit adds one bias instead of normalizing every output.
//!
//! For `y = bn(conv(x, W, b))` with per-channel `scale`, `bias`, `mean`,
//! `var` and `epsilon`, the pass computes `k = scale * rsqrt(var + epsilon)`
//! and rewrites `y` to `conv(x, nn.scale_channels(W, k), k * (b - mean) + bias)`
//! (with `b = 0` when the conv has no bias). Weight data lives outside the
//! IR, so the per-channel arithmetic is expressed with upstream `arith` and
//! `math` ops on tensors, evaluated wherever the weight data is available.
//! Where the statistics are `arith.constant`s, canonicalize folds the sums,
//! differences and products (MLIR 22 does not fold `math.rsqrt` on tensors).
//!
//! The folded conv and its weight are located at both the conv and the
//! batchnorm (a fused location); the per-channel arithmetic at the batchnorm.
//!
//! Invariants: only a batchnorm whose input is a conv used by nothing else is
//! folded (otherwise the unfolded conv result would still be needed); the
//! result type, every other use and the conv's attributes are unchanged; the
//! folded batchnorm and conv are erased.

use crate::Pass;
use rram_dialects::{float_literal, AttributeValue, Error, Module, Op, OpId, Value};

pub struct FoldBatchnorm;

impl Pass for FoldBatchnorm {
    fn run(&self, module: &mut Module) -> Result<(), Error> {
        let mut replaced: Vec<OpId> = Vec::new();
        for batchnorm in module.operations_named("nn.batchnorm") {
            let Some(conv) = foldable_conv(&batchnorm) else { continue };
            fold(module, batchnorm, conv)?;
            replaced.extend([batchnorm.id(), conv.id()]);
        }
        module.erase_if_unused(&replaced);
        Ok(())
    }
}

/// The conv feeding `batchnorm`, if nothing else uses its result.
fn foldable_conv<'m>(batchnorm: &Op<'m>) -> Option<Op<'m>> {
    let input = batchnorm.operand(0)?;
    let conv = input.defining_op().filter(|op| op.name() == "nn.conv2d")?;
    (input.use_count() == 1).then_some(conv)
}

fn fold<'m>(module: &'m Module, batchnorm: Op<'m>, conv: Op<'m>) -> Result<(), Error> {
    let operand = |op: &Op<'m>, i: usize| op.operand(i).ok_or_else(|| op.error("missing operand"));
    let [scale, bias, mean, var] = [1, 2, 3, 4].map(|i| operand(&batchnorm, i));
    let (scale, bias, mean, var) = (scale?, bias?, mean?, var?);
    let epsilon =
        batchnorm.attribute("epsilon").and_then(|a| a.as_f64()).ok_or_else(|| batchnorm.error("missing epsilon"))?;
    let channel_type = var.ty();

    // Every new op sits right before the batchnorm, where all its inputs are defined.
    let arith = |name: &str, operands: &[Value<'m>]| -> Result<Value<'m>, Error> {
        let mut builder = module.build(name, &batchnorm).result(channel_type);
        for &v in operands {
            builder = builder.operand(v);
        }
        builder.insert_value_before(batchnorm)
    };
    let epsilon = module
        .build("arith.constant", &batchnorm)
        .attribute("value", AttributeValue::Text(format!("dense<{}> : {channel_type}", float_literal(epsilon))))
        .result(channel_type)
        .insert_value_before(batchnorm)?;
    let shifted_var = arith("arith.addf", &[var, epsilon])?;
    let inv_std = arith("math.rsqrt", &[shifted_var])?;
    let factor = arith("arith.mulf", &[scale, inv_std])?;

    let weight = operand(&conv, 1)?;
    let folded_weight = module
        .build("nn.scale_channels", &conv)
        .fused_location(&[conv, batchnorm])
        .operand(weight)
        .operand(factor)
        .result(weight.ty())
        .insert_value_before(batchnorm)?;

    let centered = match conv.operand(2) {
        Some(conv_bias) => arith("arith.subf", &[conv_bias, mean])?,
        None => arith("arith.negf", &[mean])?,
    };
    let scaled = arith("arith.mulf", &[factor, centered])?;
    let folded_bias = arith("arith.addf", &[scaled, bias])?;

    let output = batchnorm.result(0).ok_or_else(|| batchnorm.error("missing result"))?;
    let mut builder = module
        .build("nn.conv2d", &conv)
        .fused_location(&[conv, batchnorm])
        .operand(operand(&conv, 0)?)
        .operand(folded_weight)
        .operand(folded_bias);
    for name in ["strides", "pads", "dilations", "groups"] {
        let value = conv.attribute(name).ok_or_else(|| conv.error(format!("missing attribute '{name}'")))?;
        builder = builder.attribute(name, AttributeValue::Text(value.to_string()));
    }
    output.replace_all_uses_with(builder.result(output.ty()).insert_value_before(batchnorm)?);
    Ok(())
}
