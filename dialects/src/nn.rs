//! Typed views of `nn` ops: their attributes as Rust values, the operand
//! invariants IRDL cannot state, and result-shape inference.
//!
//! [`NnOp::read`] checks attributes (pads non-negative, strides positive, ...),
//! [`NnOp::check_operands`] checks operands against each other (groups divide
//! the channels, bias matches the output channels, ...); both run in the
//! verifier. [`NnOp::infer_shape`] computes the result shape, which
//! `nn-verify-shapes` compares with the declared result type.

use crate::attrs::{self, array_attr, bool_attr, check_all, f32_attr, i64_attr, string_attr, AttrResult};
use crate::ir::{AttributeValue, Op, Value};

/// A sliding window: kernel, strides and dilations are `[h, w]`, pads are
/// `[top, left, bottom, right]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub kernel: [i64; 2],
    pub strides: [i64; 2],
    pub pads: [i64; 4],
    pub dilations: [i64; 2],
}

impl Window {
    /// The input coordinate that tap `k` of the window at output
    /// coordinate `o` reads in dimension `d` (0: height, 1: width) of an
    /// input of extent `size`; `None` in the padding.
    pub fn source(&self, d: usize, o: usize, k: usize, size: usize) -> Option<usize> {
        let at = (o as i64) * self.strides[d] + (k as i64) * self.dilations[d] - self.pads[d];
        usize::try_from(at).ok().filter(|&at| at < size)
    }

    /// Output height and width for an input of `[h, w]`. With `ceil_mode`
    /// the last partial window counts, unless it would start in the bottom or
    /// right padding (the ONNX / PyTorch rule). Expects checked attributes
    /// (positive strides); sizes too large for i64 are an error.
    pub fn output_size(&self, input: [i64; 2], ceil_mode: bool) -> AttrResult<[i64; 2]> {
        let mut out = [0; 2];
        for d in 0..2 {
            let overflow = || format!("window arithmetic overflows in dimension {}", d + 2);
            let stride = self.strides[d];
            let begin = input[d].checked_add(self.pads[d]).ok_or_else(overflow)?;
            let padded = begin.checked_add(self.pads[d + 2]).ok_or_else(overflow)?;
            let span = self.dilations[d]
                .checked_mul(self.kernel[d] - 1)
                .and_then(|s| s.checked_add(1))
                .ok_or_else(overflow)?;
            if span > padded {
                return Err(format!(
                    "window of extent {span} does not fit the padded input of extent {padded} (dimension {})",
                    d + 2
                ));
            }
            let steps = padded - span;
            let mut size = if ceil_mode { steps / stride + i64::from(steps % stride != 0) } else { steps / stride } + 1;
            // An overflowing start lies past any input.
            if ceil_mode && (size - 1).checked_mul(stride).is_none_or(|start| start >= begin) {
                size -= 1;
            }
            out[d] = size;
        }
        Ok(out)
    }
}

/// Attributes of `nn.conv2d`; the kernel size comes from the weight shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2d {
    pub strides: [i64; 2],
    pub pads: [i64; 4],
    pub dilations: [i64; 2],
    pub groups: i64,
}

/// Attributes of the pooling ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    pub window: Window,
    pub ceil_mode: bool,
}

/// An `nn` op with its attributes read and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum NnOp {
    Weight { name: String },
    Conv2d(Conv2d),
    Dense,
    Relu,
    Clip { min: f32, max: f32 },
    MaxPool2d(Pool),
    AvgPool2d { pool: Pool, count_include_pad: bool },
    GlobalAvgPool,
    Add,
    Concat { axis: i64 },
    BatchNorm { epsilon: f32 },
    ScaleChannels,
    Flatten { axis: i64 },
    Reshape,
    Softmax { axis: i64 },
}

impl NnOp {
    /// Reads the attributes of an `nn` op and checks them; `Ok(None)` for
    /// ops of other dialects.
    pub fn read(op: &Op) -> AttrResult<Option<Self>> {
        let name = op.name();
        let Some(short) = name.strip_prefix("nn.") else {
            return Ok(None);
        };
        let window = |kernel| -> AttrResult<Window> {
            Ok(Window {
                kernel,
                strides: array_attr(op, "strides")?,
                pads: array_attr(op, "pads")?,
                dilations: if short == "avgpool2d" { [1, 1] } else { array_attr(op, "dilations")? },
            })
        };
        let nn = match short {
            "weight" => NnOp::Weight { name: string_attr(op, "name")? },
            "conv2d" => {
                let window = window([1, 1])?;
                let groups = i64_attr(op, "groups")?;
                NnOp::Conv2d(Conv2d { strides: window.strides, pads: window.pads, dilations: window.dilations, groups })
            }
            "dense" => NnOp::Dense,
            "relu" => NnOp::Relu,
            "clip" => NnOp::Clip { min: f32_attr(op, "min")?, max: f32_attr(op, "max")? },
            "maxpool2d" => NnOp::MaxPool2d(Pool {
                window: window(array_attr(op, "kernel")?)?,
                ceil_mode: bool_attr(op, "ceil_mode")?,
            }),
            "avgpool2d" => NnOp::AvgPool2d {
                pool: Pool { window: window(array_attr(op, "kernel")?)?, ceil_mode: bool_attr(op, "ceil_mode")? },
                count_include_pad: bool_attr(op, "count_include_pad")?,
            },
            "global_avgpool" => NnOp::GlobalAvgPool,
            "add" => NnOp::Add,
            "concat" => NnOp::Concat { axis: i64_attr(op, "axis")? },
            "batchnorm" => NnOp::BatchNorm { epsilon: f32_attr(op, "epsilon")? },
            "scale_channels" => NnOp::ScaleChannels,
            "flatten" => NnOp::Flatten { axis: i64_attr(op, "axis")? },
            "reshape" => NnOp::Reshape,
            "softmax" => NnOp::Softmax { axis: i64_attr(op, "axis")? },
            _ => return Ok(None),
        };
        nn.check_attributes()?;
        Ok(Some(nn))
    }

    /// Checks the attributes on their own: windows positive (pads
    /// non-negative), groups positive, clip bounds ordered, epsilon and axes
    /// non-negative, weight names not empty.
    pub fn check_attributes(&self) -> AttrResult<()> {
        let window = |w: &Window| -> AttrResult<()> {
            check_all("kernel", w.kernel, "positive", attrs::positive)?;
            check_all("strides", w.strides, "positive", attrs::positive)?;
            check_all("pads", w.pads, "non-negative", attrs::non_negative)?;
            check_all("dilations", w.dilations, "positive", attrs::positive)?;
            Ok(())
        };
        match self {
            NnOp::Weight { name } if name.is_empty() => Err("attribute 'name' must not be empty".into()),
            NnOp::Conv2d(c) => {
                window(&Window { kernel: [1, 1], strides: c.strides, pads: c.pads, dilations: c.dilations })?;
                if c.groups < 1 {
                    return Err(format!("attribute 'groups' must be positive, got {}", c.groups));
                }
                Ok(())
            }
            NnOp::Clip { min, max } if min.partial_cmp(max).is_none_or(|o| o.is_gt()) => {
                Err(format!("attribute 'min' ({min}) must not exceed 'max' ({max})"))
            }
            NnOp::MaxPool2d(pool) | NnOp::AvgPool2d { pool, .. } => window(&pool.window),
            NnOp::BatchNorm { epsilon } if epsilon.is_nan() || *epsilon < 0.0 => {
                Err(format!("attribute 'epsilon' must be non-negative, got {epsilon}"))
            }
            NnOp::Concat { axis } | NnOp::Flatten { axis } | NnOp::Softmax { axis } if *axis < 0 => {
                Err(format!("attribute 'axis' must be non-negative, got {axis}"))
            }
            _ => Ok(()),
        }
    }

    /// Checks the operands of `op` against each other and the attributes.
    pub fn check_operands(&self, op: &Op) -> AttrResult<()> {
        self.check_shapes(&operand_shapes(op)?)
    }

    /// The result shape `op` computes from its operands.
    pub fn infer_shape(&self, op: &Op) -> AttrResult<Vec<i64>> {
        let declared = match self {
            NnOp::Weight { .. } | NnOp::Reshape => Some(result_shape(op)?),
            _ => None,
        };
        self.infer_from_shapes(&operand_shapes(op)?, declared.as_deref())
    }

    /// The op's full name, e.g. `nn.conv2d`.
    pub fn name(&self) -> &'static str {
        match self {
            NnOp::Weight { .. } => "nn.weight",
            NnOp::Conv2d(_) => "nn.conv2d",
            NnOp::Dense => "nn.dense",
            NnOp::Relu => "nn.relu",
            NnOp::Clip { .. } => "nn.clip",
            NnOp::MaxPool2d(_) => "nn.maxpool2d",
            NnOp::AvgPool2d { .. } => "nn.avgpool2d",
            NnOp::GlobalAvgPool => "nn.global_avgpool",
            NnOp::Add => "nn.add",
            NnOp::Concat { .. } => "nn.concat",
            NnOp::BatchNorm { .. } => "nn.batchnorm",
            NnOp::ScaleChannels => "nn.scale_channels",
            NnOp::Flatten { .. } => "nn.flatten",
            NnOp::Reshape => "nn.reshape",
            NnOp::Softmax { .. } => "nn.softmax",
        }
    }

    /// The op's attributes as the IR spells them; [`NnOp::read`] reads them back.
    pub fn attributes(&self) -> Vec<(&'static str, AttributeValue)> {
        use AttributeValue::{Bool, I64Array, String as Str, F32, I64};
        let window = |w: &Window, with_dilations: bool| {
            let mut attributes = vec![
                ("kernel", I64Array(w.kernel.to_vec())),
                ("strides", I64Array(w.strides.to_vec())),
                ("pads", I64Array(w.pads.to_vec())),
            ];
            if with_dilations {
                attributes.push(("dilations", I64Array(w.dilations.to_vec())));
            }
            attributes
        };
        match self {
            NnOp::Weight { name } => vec![("name", Str(name.clone()))],
            NnOp::Conv2d(c) => vec![
                ("strides", I64Array(c.strides.to_vec())),
                ("pads", I64Array(c.pads.to_vec())),
                ("dilations", I64Array(c.dilations.to_vec())),
                ("groups", I64(c.groups)),
            ],
            NnOp::Clip { min, max } => vec![("min", F32(*min)), ("max", F32(*max))],
            NnOp::MaxPool2d(pool) => {
                let mut attributes = window(&pool.window, true);
                attributes.push(("ceil_mode", Bool(pool.ceil_mode)));
                attributes
            }
            NnOp::AvgPool2d { pool, count_include_pad } => {
                let mut attributes = window(&pool.window, false);
                attributes.push(("ceil_mode", Bool(pool.ceil_mode)));
                attributes.push(("count_include_pad", Bool(*count_include_pad)));
                attributes
            }
            NnOp::Concat { axis } | NnOp::Flatten { axis } | NnOp::Softmax { axis } => vec![("axis", I64(*axis))],
            NnOp::BatchNorm { epsilon } => vec![("epsilon", F32(*epsilon))],
            NnOp::Dense | NnOp::Relu | NnOp::GlobalAvgPool | NnOp::Add | NnOp::ScaleChannels | NnOp::Reshape => vec![],
        }
    }

    /// How many operands the op takes: `(required, optional)`.
    pub fn arity(&self) -> (usize, usize) {
        match self {
            NnOp::Weight { .. } => (0, 0),
            NnOp::Conv2d(_) | NnOp::Dense => (2, 1),
            NnOp::Add | NnOp::Concat { .. } | NnOp::ScaleChannels => (2, 0),
            NnOp::BatchNorm { .. } => (5, 0),
            _ => (1, 0),
        }
    }

    /// Checks operand shapes against each other and the attributes.
    pub fn check_shapes(&self, shapes: &[Vec<i64>]) -> AttrResult<()> {
        let (required, optional) = self.arity();
        if shapes.len() < required || shapes.len() > required + optional {
            return Err(format!("expects {required} operands (+{optional} optional), got {}", shapes.len()));
        }
        if let Some((i, shape)) = shapes.iter().enumerate().find(|(_, s)| s.iter().any(|&d| d <= 0)) {
            return Err(format!("operand #{i} has a non-positive dimension: {}", fmt_shape(shape)));
        }
        let rank = |i: usize, expected: usize, what: &str| -> AttrResult<()> {
            if shapes[i].len() == expected {
                Ok(())
            } else {
                Err(format!("{what} must have rank {expected}, got {}", fmt_shape(&shapes[i])))
            }
        };
        match self {
            NnOp::Conv2d(conv) => {
                rank(0, 4, "input")?;
                rank(1, 4, "weight")?;
                let (input, weight) = (&shapes[0], &shapes[1]);
                let expected = weight[1].checked_mul(conv.groups).ok_or_else(|| {
                    format!(
                        "weight {} with groups = {} expects {} x {} input channels, more than fit in 64 bits",
                        fmt_shape(weight),
                        conv.groups,
                        weight[1],
                        conv.groups
                    )
                })?;
                if input[1] != expected {
                    return Err(format!(
                        "input has {} channels but weight {} with groups = {} expects {expected}",
                        input[1],
                        fmt_shape(weight),
                        conv.groups,
                    ));
                }
                if weight[0] % conv.groups != 0 {
                    return Err(format!("groups = {} does not divide the {} output channels", conv.groups, weight[0]));
                }
                check_bias(shapes, weight[0])
            }
            NnOp::Dense => {
                rank(0, 2, "input")?;
                rank(1, 2, "weight")?;
                if shapes[0][1] != shapes[1][1] {
                    return Err(format!(
                        "input {} and weight {} disagree on the reduced dimension",
                        fmt_shape(&shapes[0]),
                        fmt_shape(&shapes[1])
                    ));
                }
                check_bias(shapes, shapes[1][0])
            }
            NnOp::MaxPool2d(_) | NnOp::AvgPool2d { .. } | NnOp::GlobalAvgPool => rank(0, 4, "input"),
            NnOp::Add => same_shapes(&shapes[0], &shapes[1]),
            NnOp::Concat { axis } => {
                let (lhs, rhs) = (&shapes[0], &shapes[1]);
                check_axis(*axis, lhs.len())?;
                let agree = lhs.len() == rhs.len()
                    && lhs.iter().zip(rhs).enumerate().all(|(d, (a, b))| d as i64 == *axis || a == b);
                if agree {
                    Ok(())
                } else {
                    Err(format!("operands {} and {} differ outside axis {axis}", fmt_shape(lhs), fmt_shape(rhs)))
                }
            }
            NnOp::BatchNorm { .. } => {
                if shapes[0].len() < 2 {
                    return Err(format!("input must have a channel dimension, got {}", fmt_shape(&shapes[0])));
                }
                let channels = shapes[0][1];
                for (i, what) in [(1, "scale"), (2, "bias"), (3, "mean"), (4, "var")] {
                    if shapes[i] != [channels] {
                        return Err(format!("{what} must be [{channels}], got {}", fmt_shape(&shapes[i])));
                    }
                }
                Ok(())
            }
            NnOp::ScaleChannels => {
                let out_channels = shapes[0].first().copied().unwrap_or(0);
                if shapes[1] != [out_channels] {
                    return Err(format!(
                        "factor must be [{out_channels}] for weight {}, got {}",
                        fmt_shape(&shapes[0]),
                        fmt_shape(&shapes[1])
                    ));
                }
                Ok(())
            }
            NnOp::Flatten { axis } => check_axis(*axis, shapes[0].len() + 1),
            NnOp::Softmax { axis } => check_axis(*axis, shapes[0].len()),
            NnOp::Weight { .. } | NnOp::Relu | NnOp::Clip { .. } | NnOp::Reshape => Ok(()),
        }
    }

    /// The result shape computed from operand shapes that passed
    /// [`NnOp::check_shapes`]. `declared` is the result shape where the op
    /// cannot compute it: the weight's shape, the reshape's target.
    pub fn infer_from_shapes(&self, shapes: &[Vec<i64>], declared: Option<&[i64]>) -> AttrResult<Vec<i64>> {
        let declared = || declared.map(<[i64]>::to_vec).ok_or("needs the declared result shape");
        Ok(match self {
            NnOp::Weight { .. } => declared()?,
            NnOp::Conv2d(conv) => {
                let (input, weight) = (&shapes[0], &shapes[1]);
                let window = Window {
                    kernel: [weight[2], weight[3]],
                    strides: conv.strides,
                    pads: conv.pads,
                    dilations: conv.dilations,
                };
                let [h, w] = window.output_size([input[2], input[3]], false)?;
                vec![input[0], weight[0], h, w]
            }
            NnOp::Dense => vec![shapes[0][0], shapes[1][0]],
            NnOp::MaxPool2d(pool) | NnOp::AvgPool2d { pool, .. } => {
                let input = &shapes[0];
                let [h, w] = pool.window.output_size([input[2], input[3]], pool.ceil_mode)?;
                vec![input[0], input[1], h, w]
            }
            NnOp::GlobalAvgPool => vec![shapes[0][0], shapes[0][1], 1, 1],
            NnOp::Concat { axis } => {
                let mut shape = shapes[0].clone();
                let axis = *axis as usize;
                shape[axis] = shape[axis].checked_add(shapes[1][axis]).ok_or_else(|| {
                    format!(
                        "concatenating {} and {} along axis {axis} gives more than fit in 64 bits",
                        fmt_shape(&shapes[0]),
                        fmt_shape(&shapes[1])
                    )
                })?;
                shape
            }
            NnOp::Flatten { axis } => {
                let (outer, inner) = shapes[0].split_at(*axis as usize);
                vec![element_count(outer)?, element_count(inner)?]
            }
            NnOp::Reshape => {
                let shape = declared()?;
                let (from, to) = (element_count(&shapes[0])?, element_count(&shape)?);
                if from != to {
                    return Err(format!(
                        "cannot reshape {} ({from} elements) into {} ({to} elements)",
                        fmt_shape(&shapes[0]),
                        fmt_shape(&shape)
                    ));
                }
                shape
            }
            NnOp::Relu
            | NnOp::Clip { .. }
            | NnOp::Add
            | NnOp::BatchNorm { .. }
            | NnOp::ScaleChannels
            | NnOp::Softmax { .. } => shapes[0].clone(),
        })
    }
}

/// The number of elements of a shape, or an error where it exceeds i64.
pub fn element_count(shape: &[i64]) -> AttrResult<i64> {
    shape
        .iter()
        .try_fold(1i64, |count, &d| count.checked_mul(d))
        .ok_or_else(|| format!("shape {} has more elements than fit in 64 bits", fmt_shape(shape)))
}

/// `[1, 64, 56, 56]`
pub fn fmt_shape(shape: &[i64]) -> String {
    format!("{shape:?}")
}

/// The static shape of a value, or why it has none.
pub fn static_shape(value: &Value, what: &str) -> AttrResult<Vec<i64>> {
    let ty = value.ty();
    match ty.static_shape() {
        Some(shape) if ty.is_f32_tensor() && shape.iter().all(|&d| d > 0) => Ok(shape),
        _ => Err(format!("{what} must be a tensor of f32 with a static, non-empty shape, got {ty}")),
    }
}

pub fn result_shape(op: &Op) -> AttrResult<Vec<i64>> {
    let result = op.result(0).ok_or("expected one result")?;
    static_shape(&result, "result")
}

fn operand_shapes(op: &Op) -> AttrResult<Vec<Vec<i64>>> {
    op.operands().iter().enumerate().map(|(i, v)| static_shape(v, &format!("operand #{i}"))).collect()
}

fn check_bias(shapes: &[Vec<i64>], out_channels: i64) -> AttrResult<()> {
    match shapes.get(2) {
        Some(bias) if bias != &[out_channels] => Err(format!("bias must be [{out_channels}], got {}", fmt_shape(bias))),
        _ => Ok(()),
    }
}

fn same_shapes(lhs: &[i64], rhs: &[i64]) -> AttrResult<()> {
    if lhs == rhs {
        Ok(())
    } else {
        Err(format!("operands must have one shape, got {} and {}", fmt_shape(lhs), fmt_shape(rhs)))
    }
}

fn check_axis(axis: i64, bound: usize) -> AttrResult<()> {
    if (axis as usize) < bound {
        Ok(())
    } else {
        Err(format!("attribute 'axis' = {axis} is out of range [0, {bound})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Counts window positions one by one, in padded coordinates: a window
    /// counts if it fits, or, with ceil_mode, if it is the first partial one
    /// past the last full one and starts inside the input or its top/left pad.
    /// Meant for end pads smaller than the window, as every framework requires.
    fn brute_force_size(input: i64, pad_begin: i64, pad_end: i64, span: i64, stride: i64, ceil: bool) -> i64 {
        let padded = input + pad_begin + pad_end;
        let last_full = (0..).map(|i| i * stride).take_while(|&start| start + span <= padded).last().unwrap();
        let partial = ceil && last_full + span < padded && last_full + stride < input + pad_begin;
        (last_full / stride + 1) + i64::from(partial)
    }

    proptest! {
        #[test]
        fn output_size_matches_counting_windows(
            input in 1i64..40, pads in prop::array::uniform4(0i64..4), kernel in 1i64..6,
            stride in 1i64..5, dilation in 1i64..4, ceil in any::<bool>(),
        ) {
            let window = Window { kernel: [kernel, kernel], strides: [stride, stride], pads, dilations: [dilation, dilation] };
            let span = dilation * (kernel - 1) + 1;
            prop_assume!(pads[2] < span && pads[3] < span);
            let fits = [0, 1].map(|d| span <= input + pads[d] + pads[d + 2]);
            match window.output_size([input, input], ceil) {
                Ok(size) => for d in 0..2 {
                    prop_assert!(fits[d]);
                    prop_assert_eq!(size[d], brute_force_size(input, pads[d], pads[d + 2], span, stride, ceil));
                },
                Err(_) => prop_assert!(!fits[0] || !fits[1]),
            }
        }
    }

    #[test]
    fn known_sizes() {
        let pool = |ceil| {
            Window { kernel: [3, 3], strides: [2, 2], pads: [0; 4], dilations: [1, 1] }.output_size([56, 56], ceil)
        };
        assert_eq!(pool(false), Ok([27, 27]));
        assert_eq!(pool(true), Ok([28, 28]));
        // ResNet's stem: 224 -> 112 with a 7x7/2 conv and pads 3.
        let stem = Window { kernel: [7, 7], strides: [2, 2], pads: [3; 4], dilations: [1, 1] };
        assert_eq!(stem.output_size([224, 224], false), Ok([112, 112]));
    }
}
