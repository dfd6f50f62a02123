//! One function per ONNX operator: its inputs and attributes read and
//! checked, and the `nn` op (or the folded constant) it becomes.

use super::attributes::Attributes;
use super::constant::{
    computed_constant, decode, element_count, is_integer_type, product, type_name, Constant, Data, Values,
};
use super::import::{Importer, NodeContext, PendingDense, Value};
use super::proto::{DataType, NodeProto};
use super::quoted;
use crate::frontend::Ref;
use rram_dialects::nn::{fmt_shape, Conv2d, NnOp, Pool, Window};
use std::rc::Rc;

/// The operators of the standard domain the importer knows, as listed in
/// the error for any other.
pub const SUPPORTED: &[&str] = &[
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Cast",
    "Clip",
    "Concat",
    "Constant",
    "ConstantOfShape",
    "Conv",
    "Dropout",
    "Flatten",
    "Gather",
    "Gemm",
    "GlobalAveragePool",
    "Identity",
    "MatMul",
    "MaxPool",
    "Mul",
    "Pad",
    "ReduceMean",
    "Relu",
    "Reshape",
    "Shape",
    "Softmax",
    "Squeeze",
    "Sum",
    "Transpose",
    "Unsqueeze",
];

/// The largest stride, dilation, pad, kernel size or group count accepted;
/// with the bound on element counts it keeps window arithmetic from
/// overflowing.
const MAX_WINDOW_ATTRIBUTE: i64 = 1 << 20;

impl<'m> Importer<'m> {
    pub(super) fn convert(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        let proto = node.proto;
        if !is_standard(proto) {
            return Err(format!(
                "unsupported operator of domain '{}'; supported (standard domain): {}",
                quoted(&proto.domain),
                SUPPORTED.join(", ")
            ));
        }
        match proto.op_type.as_str() {
            "Add" => self.add_node(node),
            "AveragePool" => self.pool(node, false),
            "BatchNormalization" => self.batch_normalization(node),
            "Cast" => self.cast(node),
            "Clip" => self.clip(node),
            "Concat" => self.concat(node),
            "Constant" => self.constant_node(node),
            "ConstantOfShape" => self.constant_of_shape(node),
            "Conv" => self.conv(node),
            "Dropout" => self.bypass(node, 3),
            "Flatten" => self.flatten(node),
            "Gather" => self.gather(node),
            "Gemm" => self.gemm(node),
            "GlobalAveragePool" => self.unary(node, NnOp::GlobalAvgPool),
            "Identity" => self.bypass(node, 1),
            "MatMul" => self.matmul(node),
            "MaxPool" => self.pool(node, true),
            "Mul" => self.mul(node),
            "Pad" => self.pad(node),
            "ReduceMean" => self.reduce_mean(node),
            "Relu" => self.unary(node, NnOp::Relu),
            "Reshape" => self.reshape_node(node),
            "Shape" => self.shape_node(node),
            "Softmax" => self.softmax(node),
            "Squeeze" => self.squeeze(node),
            "Sum" => self.sum(node),
            "Transpose" => self.transpose_node(node),
            "Unsqueeze" => self.unsqueeze(node),
            "LRN" => Err("local response normalization is not supported: the nn dialect has no op for it (each value \
                          divided by a power of the sum of squares over neighbouring channels, not a crossbar \
                          product); export the network without it"
                .into()),
            _ => Err(format!("unsupported operator; supported: {}", SUPPORTED.join(", "))),
        }
    }

    fn unary(&mut self, node: &NodeContext<'m>, op: NnOp) -> Result<(), String> {
        node.expect_inputs(1, 1)?;
        let input = self.tensor(node, 0)?;
        let output = self.add(&node.name, op, &[input])?;
        self.define(node, 0, Value::Tensor(output))
    }

    /// `Identity` and inference-time `Dropout`: the output is the input.
    fn bypass(&mut self, node: &NodeContext<'m>, max_inputs: usize) -> Result<(), String> {
        node.expect_inputs(1, max_inputs)?;
        let value = self.value(node, 0)?;
        self.define(node, 0, value)
    }

    fn conv(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(2, 3)?;
        let attributes = node.attributes;
        let (input, padding) = match node.input(0).and_then(|name| self.padded.remove(name)) {
            Some(padded) => padded,
            None => (self.tensor(node, 0)?, [0; 4]),
        };
        let weight = self.tensor(node, 1)?;
        let (input_shape, weight_shape) = (self.network.shape(input).to_vec(), self.network.shape(weight).to_vec());
        if input_shape.len() != 4 || weight_shape.len() != 4 {
            return Err(format!(
                "only 2-D convolutions are supported, got input {} and weight {}",
                fmt_shape(&input_shape),
                fmt_shape(&weight_shape)
            ));
        }
        let kernel = [weight_shape[2], weight_shape[3]];
        if let Some(kernel_shape) = attributes.ints("kernel_shape")? {
            if kernel_shape != kernel {
                return Err(format!(
                    "attribute 'kernel_shape' = {} does not match the weight {}",
                    fmt_shape(kernel_shape),
                    fmt_shape(&weight_shape)
                ));
            }
        }
        let groups = attributes.int("group", 1)?;
        if !(1..=MAX_WINDOW_ATTRIBUTE).contains(&groups) {
            return Err(format!("attribute 'group' must be in [1, {MAX_WINDOW_ATTRIBUTE}], got {groups}"));
        }
        // The conv runs over the padded input; a Pad before it adds to its pads.
        let padded_extent = |d: usize| input_shape[d + 2] + padding[d] + padding[d + 2];
        let mut window = window(attributes, kernel, [padded_extent(0), padded_extent(1)], true)?;
        for (pad, extra) in window.pads.iter_mut().zip(padding) {
            *pad += extra;
        }
        let mut operands = vec![input, weight];
        if node.input(2).is_some() {
            operands.push(self.tensor(node, 2)?);
        }
        let op =
            NnOp::Conv2d(Conv2d { strides: window.strides, pads: window.pads, dilations: window.dilations, groups });
        let output = self.add(&node.name, op, &operands)?;
        self.define(node, 0, Value::Tensor(output))
    }

    /// `Pad` with zeros of height and width, whose only use is a `Conv`:
    /// the conv takes the input and adds the pads to its own. Pads and
    /// value are attributes before opset 11 (`paddings` in opset 1), inputs
    /// since.
    fn pad(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        let attributes = node.attributes;
        let (pads, value) = if self.opset < 11 {
            node.expect_inputs(1, 1)?;
            let name = if self.opset < 2 { "paddings" } else { "pads" };
            let pads = attributes.ints(name)?.ok_or_else(|| format!("attribute '{name}' is required"))?;
            (pads.to_vec(), attributes.float("value", 0.0)?)
        } else {
            node.expect_inputs(2, 3)?;
            let value = match node.input(2) {
                Some(_) => self.constant(node, 2)?.scalar()?,
                None => 0.0,
            };
            (self.constant(node, 1)?.ints()?.to_vec(), value)
        };
        let mode = attributes.string("mode", "constant")?;
        if mode != "constant" || value != 0.0 {
            return Err(format!(
                "only padding with zeros is supported (mode 'constant', value 0), got mode '{}', value {value}",
                quoted(&mode)
            ));
        }
        let input = self.tensor(node, 0)?;
        let shape = self.network.shape(input).to_vec();
        let (4, &[0, 0, top, left, 0, 0, bottom, right]) = (shape.len(), &pads[..]) else {
            return Err(format!(
                "only height and width of a 4-D tensor are padded, got pads {} for {}",
                fmt_shape(&pads),
                fmt_shape(&shape)
            ));
        };
        let spatial = [top, left, bottom, right];
        in_range("pads", &spatial, 0)?;
        if spatial == [0; 4] {
            return self.define(node, 0, Value::Tensor(input));
        }
        match (node.output(0), self.sole_consumer(node)) {
            (Some(output), Some(conv))
                if conv.op_type == "Conv" && is_standard(conv) && conv.input.first().is_some_and(|i| i == output) =>
            {
                self.padded.insert(output, (input, spatial));
                Ok(())
            }
            _ => {
                Err("padding is only supported as the input of a Conv that alone uses it (it adds to the conv's pads)"
                    .into())
            }
        }
    }

    /// `MaxPool` (`max`) or `AveragePool`.
    fn pool(&mut self, node: &NodeContext<'m>, max: bool) -> Result<(), String> {
        node.expect_inputs(1, 1)?;
        let attributes = node.attributes;
        let input = self.tensor(node, 0)?;
        let shape = self.network.shape(input).to_vec();
        if shape.len() != 4 {
            return Err(format!("only 2-D pooling is supported, got input {}", fmt_shape(&shape)));
        }
        let kernel = pair(attributes, "kernel_shape", None, 1)?;
        let window = window(attributes, kernel, [shape[2], shape[3]], max)?;
        let pool = Pool { window, ceil_mode: attributes.flag("ceil_mode", false)? };
        let op = if max {
            NnOp::MaxPool2d(pool)
        } else {
            NnOp::AvgPool2d { pool, count_include_pad: attributes.flag("count_include_pad", false)? }
        };
        let output = self.add(&node.name, op, &[input])?;
        self.define(node, 0, Value::Tensor(output))
    }

    /// `Gemm`: `alpha * A * B' + beta * C` with `B'` = `B` or its transpose.
    /// The dense op wants its weight as `[out, in]`: a `B` stored as
    /// `[in, out]` (`transB = 0`) is imported transposed, values included,
    /// as the weight `<B>.T`; `alpha` and `beta` scale the values of the
    /// weight and bias (`<B>.x<alpha>`), which must then be constants.
    fn gemm(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(2, 3)?;
        let attributes = node.attributes;
        if attributes.flag("transA", false)? {
            return Err("transA = 1 is not supported: the input must be [batch, features]".into());
        }
        let transposed = !attributes.flag("transB", false)?;
        let alpha = finite(attributes.float("alpha", 1.0)?, "alpha")?;
        let beta = finite(attributes.float("beta", 1.0)?, "beta")?;
        let input = self.tensor(node, 0)?;
        let weight = match self.value(node, 1)? {
            Value::Constant(matrix) => {
                if matrix.dims.len() != 2 {
                    return Err(format!(
                        "the weight '{}' must be a matrix, got {}",
                        quoted(&matrix.name),
                        fmt_shape(&matrix.dims)
                    ));
                }
                if transposed || alpha != 1.0 {
                    let oriented = if transposed { transpose(&matrix) } else { (*matrix).clone() };
                    self.changed_weight(&scaled(oriented, alpha))?
                } else {
                    self.weight(&matrix)?
                }
            }
            Value::Tensor(matrix) if !transposed && alpha == 1.0 => matrix,
            Value::Tensor(_) => {
                return Err(
                    "the weight must be a constant when transB = 0 or alpha != 1 (it is changed on import)".into()
                )
            }
        };
        let out_features = self.network.shape(weight).first().copied().unwrap_or(0);
        let mut operands = vec![input, weight];
        if node.input(2).is_some() {
            let bias = match self.value(node, 2)? {
                Value::Constant(bias) if bias.dims == [out_features] || bias.dims == [1, out_features] => {
                    let flat = bias.with_dims(&bias.name, vec![out_features]);
                    if beta == 1.0 {
                        self.weight(&flat)?
                    } else {
                        self.changed_weight(&scaled(flat, beta))?
                    }
                }
                Value::Tensor(bias) if beta == 1.0 && self.network.shape(bias) == [out_features] => bias,
                Value::Constant(bias) => {
                    return Err(format!(
                        "the bias '{}' must be of shape [{out_features}] or [1, {out_features}], got {}",
                        quoted(&bias.name),
                        fmt_shape(&bias.dims)
                    ))
                }
                Value::Tensor(_) => {
                    return Err(format!(
                        "the bias must be a constant, or a tensor of shape [{out_features}] with beta = 1"
                    ))
                }
            };
            operands.push(bias);
        }
        let output = self.add(&node.name, NnOp::Dense, &operands)?;
        self.define(node, 0, Value::Tensor(output))
    }

    /// `MatMul` of an activation `[N, K]` by a constant `[K, M]`: a dense
    /// layer with the weight transposed to `[M, K]` (`<B>.T`). When its only
    /// use is an `Add`, the dense op waits for it, to take a bias.
    fn matmul(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(2, 2)?;
        let input = self.tensor(node, 0)?;
        let matrix = self.constant(node, 1).map_err(|why| format!("{why}: only products by a weight are supported"))?;
        if matrix.dims.len() != 2 {
            return Err(format!(
                "the weight '{}' must be a matrix, got {}",
                quoted(&matrix.name),
                fmt_shape(&matrix.dims)
            ));
        }
        let weight = self.changed_weight(&transpose(&matrix))?;
        let shapes = [self.network.shape(input).to_vec(), self.network.shape(weight).to_vec()];
        NnOp::Dense.check_shapes(&shapes)?;
        let dense = PendingDense { name: node.name.clone(), input, weight, out_features: shapes[1][0] };
        match (node.output(0), self.sole_consumer(node)) {
            (Some(output), Some(add)) if add.op_type == "Add" && is_standard(add) => {
                self.pending.insert(output, dense);
                Ok(())
            }
            _ => {
                let output = self.add(&dense.name, NnOp::Dense, &[dense.input, dense.weight])?;
                self.define(node, 0, Value::Tensor(output))
            }
        }
    }

    /// `Add` of two tensors of one shape; after a `MatMul`, the `Add` of a
    /// 1-D constant is that dense layer's bias.
    fn add_node(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(2, 2)?;
        let mut products: Vec<(usize, &'m str, PendingDense)> = Vec::new();
        for side in 0..2 {
            if let Some(name) = node.input(side) {
                if let Some(dense) = self.pending.remove(name) {
                    products.push((side, name, dense));
                }
            }
        }
        if let [(side, product, dense)] = products.as_slice() {
            if let Value::Constant(bias) = self.value(node, 1 - side)? {
                if bias.dims == [dense.out_features] && bias.data_type == DataType::Float as i32 {
                    let bias = self.weight(&bias)?;
                    let output = self.add(&dense.name, NnOp::Dense, &[dense.input, dense.weight, bias])?;
                    self.bind(product, Value::Tensor(output))?;
                    return self.define(node, 0, Value::Tensor(output));
                }
            }
        }
        for (_, product, dense) in products {
            let output = self.add(&dense.name, NnOp::Dense, &[dense.input, dense.weight])?;
            self.bind(product, Value::Tensor(output))?;
        }
        let (lhs, rhs) = (self.value(node, 0)?, self.second_operand(node)?);
        match (lhs, rhs) {
            (Value::Tensor(input), Value::Constant(shift)) | (Value::Constant(shift), Value::Tensor(input))
                if self.network.shape(input) != shift.dims.as_slice() =>
            {
                self.channelwise(node, input, &shift, Channelwise::Shift)
            }
            _ => {
                let (lhs, rhs) = (self.tensor(node, 0)?, self.tensor(node, 1)?);
                let output = self.add(&node.name, NnOp::Add, &[lhs, rhs])?;
                self.define(node, 0, Value::Tensor(output))
            }
        }
    }

    /// Input #1 of `Add` or `Mul`. Before opset 7 a constant second operand
    /// broadcast only with `broadcast = 1`, its dimensions aligned from
    /// `axis` on (at the end when absent); as the numpy rule aligns at the
    /// end, dimensions of 1 are appended up to the first operand's rank.
    fn second_operand(&self, node: &NodeContext<'m>) -> Result<Value, String> {
        let value = self.value(node, 1)?;
        let Value::Constant(operand) = &value else { return Ok(value) };
        let attributes = node.attributes;
        let Some(start) = attributes.optional_int("axis")?.filter(|_| self.opset < 7) else { return Ok(value) };
        if !attributes.flag("broadcast", false)? {
            return Ok(value);
        }
        let rank = self.dims(&self.value(node, 0)?).len();
        let start = axis(start, rank, "axis")? as usize;
        let trailing = (rank - start).checked_sub(operand.dims.len()).ok_or_else(|| {
            format!(
                "'{}' of shape {} does not fit from axis {start} of rank {rank}",
                quoted(&operand.name),
                fmt_shape(&operand.dims)
            )
        })?;
        let dims = operand.dims.iter().copied().chain(std::iter::repeat_n(1, trailing)).collect();
        Ok(constant_value(operand.with_dims(&operand.name, dims)))
    }

    /// An `nn.batchnorm` that only scales or only shifts `input` by
    /// `operand`, a constant scalar or one value per channel: mean 0,
    /// variance 1, epsilon 0, and a shift of 0 or a scale of 1.
    /// `nn-fold-batchnorm` folds it into a conv before it.
    fn channelwise(
        &mut self,
        node: &NodeContext<'m>,
        input: Ref,
        operand: &Constant,
        role: Channelwise,
    ) -> Result<(), String> {
        let name = node.output(0).unwrap_or(&node.name);
        let shape = self.network.shape(input).to_vec();
        let suffix = match role {
            Channelwise::Scale => "scale",
            Channelwise::Shift => "shift",
        };
        let per_channel = channel_values(&shape, operand, &format!("{name}.{suffix}"))?;
        let filled = |value: f32, suffix: &str| {
            let name = format!("{name}.{suffix}");
            computed_constant(&name, vec![], Data::Float(vec![value])).broadcast_to(&name, &per_channel.dims)
        };
        let zeros = self.changed_weight(&filled(0.0, "zeros")?)?;
        let ones = self.changed_weight(&filled(1.0, "ones")?)?;
        let per_channel = self.changed_weight(&per_channel)?;
        let (scale, shift) = match role {
            Channelwise::Scale => (per_channel, zeros),
            Channelwise::Shift => (ones, per_channel),
        };
        let output = self.add(&node.name, NnOp::BatchNorm { epsilon: 0.0 }, &[input, scale, shift, zeros, ones])?;
        self.define(node, 0, Value::Tensor(output))
    }

    /// `Sum` of any number of tensors of one shape, as a chain of adds all
    /// named after the node; of one input, that input.
    fn sum(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        let count = node.expect_variadic_inputs()?;
        let mut output = self.tensor(node, 0)?;
        for i in 1..count {
            let operand = self.tensor(node, i)?;
            output = self.add(&node.name, NnOp::Add, &[output, operand])?;
        }
        self.define(node, 0, Value::Tensor(output))
    }

    /// `Mul`: of two constants, folded; of a tensor by a constant scalar or
    /// one factor per channel, a scaling batchnorm (see `channelwise`).
    fn mul(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(2, 2)?;
        match (self.value(node, 0)?, self.second_operand(node)?) {
            (Value::Constant(lhs), Value::Constant(rhs)) => {
                let name = node.output(0).unwrap_or_default();
                self.define(node, 0, constant_value(product(&lhs, &rhs, name)?))
            }
            (Value::Tensor(input), Value::Constant(factor)) | (Value::Constant(factor), Value::Tensor(input)) => {
                self.channelwise(node, input, &factor, Channelwise::Scale)
            }
            (Value::Tensor(_), Value::Tensor(_)) => Err(
                "the product of two computed tensors is not supported; one factor must be a constant (a scalar or one \
                 value per channel)"
                    .into(),
            ),
        }
    }

    /// `Clip`: bounds from attributes before opset 11, from constant inputs
    /// since. A missing bound is an infinity, which clips nothing.
    fn clip(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 3)?;
        let input = self.tensor(node, 0)?;
        let bound = |i: usize, name: &str, default: f32| -> Result<f32, String> {
            let value = match node.input(i) {
                Some(_) => self.constant(node, i)?.scalar()?,
                None => node.attributes.float(name, default)?,
            };
            if value.is_nan() {
                return Err(format!("'{name}' must be a number, got NaN"));
            }
            Ok(value)
        };
        let (min, max) = (bound(1, "min", f32::NEG_INFINITY)?, bound(2, "max", f32::INFINITY)?);
        if min > max {
            return Err(format!("'min' ({min}) must not exceed 'max' ({max})"));
        }
        let output = self.add(&node.name, NnOp::Clip { min, max }, &[input])?;
        self.define(node, 0, Value::Tensor(output))
    }

    fn batch_normalization(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(5, 5)?;
        let attributes = node.attributes;
        let epsilon = finite(attributes.float("epsilon", 1e-5)?, "epsilon")?;
        if epsilon < 0.0 {
            return Err(format!("attribute 'epsilon' must be non-negative, got {epsilon}"));
        }
        if attributes.flag("training_mode", false)? {
            return Err("training_mode = 1 is not supported: inference only".into());
        }
        if attributes.int("spatial", 1)? != 1 {
            return Err("spatial = 0 (statistics per element, before opset 9) is not supported".into());
        }
        let operands = (0..5).map(|i| self.tensor(node, i)).collect::<Result<Vec<_>, _>>()?;
        let output = self.add(&node.name, NnOp::BatchNorm { epsilon }, &operands)?;
        self.define(node, 0, Value::Tensor(output))
    }

    /// `ReduceMean` over the spatial axes `[2, 3]` of a 4-D tensor is global
    /// average pooling; with `keepdims = 0` a flatten to `[N, C]` follows.
    fn reduce_mean(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 2)?;
        let input = self.tensor(node, 0)?;
        let shape = self.network.shape(input).to_vec();
        let axes = match node.input(1) {
            Some(_) => Some(self.constant(node, 1)?.ints()?.to_vec()),
            None => node.attributes.ints("axes")?.map(<[i64]>::to_vec),
        };
        let keep_dims = node.attributes.flag("keepdims", true)?;
        let mut normalized = match &axes {
            Some(axes) => axes.iter().map(|&a| axis(a, shape.len(), "axes")).collect::<Result<Vec<_>, _>>()?,
            None => (0..shape.len() as i64).collect(),
        };
        normalized.sort_unstable();
        if shape.len() != 4 || normalized != [2, 3] {
            return Err(format!(
                "only the mean over axes [2, 3] of a 4-D tensor (global average pooling) is supported, got axes {} of {}",
                axes.map_or_else(|| "(all)".to_string(), |a| fmt_shape(&a)),
                fmt_shape(&shape)
            ));
        }
        let mut output = self.add(&node.name, NnOp::GlobalAvgPool, &[input])?;
        if !keep_dims {
            output = self.add(&node.name, NnOp::Flatten { axis: 1 }, &[output])?;
        }
        self.define(node, 0, Value::Tensor(output))
    }

    /// `Concat` of any number of tensors, as a chain of two-operand concats;
    /// of integer constants (shape computations), folded.
    fn concat(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        let count = node.expect_variadic_inputs()?;
        let values = (0..count).map(|i| self.value(node, i)).collect::<Result<Vec<_>, _>>()?;
        let integer_constants: Option<Vec<&Rc<Constant>>> = values
            .iter()
            .map(|v| match v {
                Value::Constant(c) if c.is_integer() => Some(c),
                _ => None,
            })
            .collect();
        if let Some(constants) = integer_constants {
            let mut joined = Vec::new();
            for constant in constants {
                if constant.dims.len() != 1 {
                    return Err(format!(
                        "integer constants are concatenated only in 1-D, got '{}' of shape {}",
                        quoted(&constant.name),
                        fmt_shape(&constant.dims)
                    ));
                }
                joined.extend_from_slice(constant.ints()?);
            }
            let name = node.output(0).unwrap_or_default();
            return self.define(
                node,
                0,
                constant_value(computed_constant(name, vec![joined.len() as i64], Data::Int(joined))),
            );
        }
        let mut operands = Vec::with_capacity(values.len());
        for i in 0..values.len() {
            operands.push(self.tensor(node, i)?);
        }
        let rank = self.network.shape(operands[0]).len();
        // Before opset 4 the axis was optional, 1 by default.
        let concat_axis = match node.attributes.optional_int("axis")? {
            Some(given) => given,
            None if self.opset < 4 => 1,
            None => return Err("attribute 'axis' is required".into()),
        };
        let concat_axis = axis(concat_axis, rank, "axis")?;
        let mut output = operands[0];
        for &operand in &operands[1..] {
            output = self.add(&node.name, NnOp::Concat { axis: concat_axis }, &[output, operand])?;
        }
        self.define(node, 0, Value::Tensor(output))
    }

    fn flatten(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 1)?;
        let value = self.value(node, 0)?;
        let dims = self.dims(&value);
        element_count(&dims)?;
        let rank = dims.len() as i64;
        let flatten_axis = node.attributes.int("axis", 1)?;
        if !(-rank..=rank).contains(&flatten_axis) {
            return Err(format!("attribute 'axis' = {flatten_axis} is out of range [{}, {rank}]", -rank));
        }
        let flatten_axis = if flatten_axis < 0 { flatten_axis + rank } else { flatten_axis };
        match value {
            Value::Constant(constant) => {
                let (outer, inner) = dims.split_at(flatten_axis as usize);
                let flat = vec![outer.iter().product(), inner.iter().product()];
                self.define(node, 0, constant_value(constant.with_dims(node.output(0).unwrap_or_default(), flat)))
            }
            Value::Tensor(input) => {
                let output = self.add(&node.name, NnOp::Flatten { axis: flatten_axis }, &[input])?;
                self.define(node, 0, Value::Tensor(output))
            }
        }
    }

    /// `Reshape` to a constant shape (input #1; before opset 5, attribute
    /// `shape`), where `0` copies the input's dimension (unless
    /// `allowzero = 1`) and `-1` is inferred.
    fn reshape_node(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        let requested = if self.opset < 5 {
            node.expect_inputs(1, 1)?;
            node.attributes.ints("shape")?.ok_or("attribute 'shape' is required")?.to_vec()
        } else {
            node.expect_inputs(2, 2)?;
            self.constant(node, 1)?.ints()?.to_vec()
        };
        let requested = requested.as_slice();
        let value = self.value(node, 0)?;
        let dims = self.dims(&value);
        let allow_zero = node.attributes.flag("allowzero", false)?;
        let mut target = Vec::with_capacity(requested.len());
        let mut inferred = None;
        for (i, &size) in requested.iter().enumerate() {
            target.push(match size {
                0 if !allow_zero => *dims.get(i).ok_or_else(|| {
                    format!("shape {} copies dimension {i} (0) of the rank-{} input", fmt_shape(requested), dims.len())
                })?,
                -1 if inferred.is_none() => {
                    inferred = Some(i);
                    1
                }
                size if size > 0 => size,
                _ => return Err(format!("shape {} is not a valid reshape target", fmt_shape(requested))),
            });
        }
        let count = element_count(&dims)?;
        if let Some(i) = inferred {
            let known = element_count(&target)?;
            if known == 0 || count % known != 0 {
                return Err(format!("cannot reshape {} into {}", fmt_shape(&dims), fmt_shape(requested)));
            }
            target[i] = count / known;
        }
        match value {
            Value::Constant(constant) => {
                if element_count(&target)? != count {
                    return Err(format!("cannot reshape {} into {}", fmt_shape(&dims), fmt_shape(&target)));
                }
                self.define(node, 0, constant_value(constant.with_dims(node.output(0).unwrap_or_default(), target)))
            }
            Value::Tensor(input) => {
                let output = self.reshape(&node.name, input, target)?;
                self.define(node, 0, Value::Tensor(output))
            }
        }
    }

    /// `Softmax` along one axis. Before opset 13 the input was coerced to
    /// 2-D at the axis and the softmax taken over all dimensions from the
    /// axis on: a flatten at the axis, a softmax over its second dimension
    /// and a reshape back (one softmax when the axis is the last).
    fn softmax(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 1)?;
        let input = self.tensor(node, 0)?;
        let shape = self.network.shape(input).to_vec();
        let default = if self.opset < 13 { 1 } else { -1 };
        let softmax_axis = axis(node.attributes.int("axis", default)?, shape.len(), "axis")?;
        if self.opset >= 13 || softmax_axis as usize + 1 == shape.len() {
            let output = self.add(&node.name, NnOp::Softmax { axis: softmax_axis }, &[input])?;
            return self.define(node, 0, Value::Tensor(output));
        }
        let matrix = self.add(&node.name, NnOp::Flatten { axis: softmax_axis }, &[input])?;
        let normalized = self.add(&node.name, NnOp::Softmax { axis: 1 }, &[matrix])?;
        let output = self.reshape(&node.name, normalized, shape)?;
        self.define(node, 0, Value::Tensor(output))
    }

    fn constant_node(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(0, 0)?;
        let name = node.output(0).unwrap_or_default();
        let attributes = node.attributes;
        if attributes.0.len() != 1 {
            let names: Vec<String> = attributes.names().collect();
            return Err(format!("expects exactly one attribute holding the value, got [{}]", names.join(", ")));
        }
        let float = |values: Vec<f32>| Values::Known(Data::Float(values));
        let int = |values: Vec<i64>| Values::Known(Data::Int(values));
        let (data_type, dims, values) = if let Some(tensor) = attributes.tensor("value")? {
            let constant = decode(tensor, name, &mut self.external);
            (constant.data_type, constant.dims, constant.values)
        } else if let Some(value) = attributes.optional_float("value_float")? {
            (DataType::Float as i32, vec![], float(vec![value]))
        } else if let Some(values) = attributes.floats("value_floats")? {
            (DataType::Float as i32, vec![values.len() as i64], float(values.to_vec()))
        } else if let Some(value) = attributes.optional_int("value_int")? {
            (DataType::Int64 as i32, vec![], int(vec![value]))
        } else if let Some(values) = attributes.ints("value_ints")? {
            (DataType::Int64 as i32, vec![values.len() as i64], int(values.to_vec()))
        } else {
            return Err(format!("attribute '{}' is not supported", quoted(&attributes.0[0].name)));
        };
        self.define(node, 0, constant_value(Constant { name: name.to_string(), data_type, dims, values }))
    }

    /// `ConstantOfShape`, folded: a tensor of the shape given by the input,
    /// every element the value of attribute `value` (a float 0 by default).
    fn constant_of_shape(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 1)?;
        let shape = self.constant(node, 0)?;
        if shape.dims.len() != 1 {
            return Err(format!("the shape '{}' must be 1-D, got {}", quoted(&shape.name), fmt_shape(&shape.dims)));
        }
        let dims = shape.ints()?.to_vec();
        element_count(&dims)?;
        let name = node.output(0).unwrap_or_default();
        let fill = match node.attributes.tensor("value")? {
            Some(tensor) => decode(tensor, name, &mut self.external),
            None => computed_constant(name, vec![1], Data::Float(vec![0.0])),
        };
        if fill.known()?.len() != 1 {
            return Err(format!("attribute 'value' must hold one value, got shape {}", fmt_shape(&fill.dims)));
        }
        self.define(node, 0, constant_value(fill.with_dims(name, vec![]).broadcast_to(name, &dims)?))
    }

    /// `Transpose` by `perm` (by default, the axes reversed): folded on
    /// constants; on a tensor, only where it moves dimensions of size 1,
    /// which keeps the order of the data (a reshape).
    fn transpose_node(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 1)?;
        let value = self.value(node, 0)?;
        let dims = self.dims(&value);
        let rank = dims.len();
        let perm: Vec<usize> = match node.attributes.ints("perm")? {
            Some(perm) => {
                let mut sorted = perm.to_vec();
                sorted.sort_unstable();
                if !sorted.iter().copied().eq(0..rank as i64) {
                    return Err(format!(
                        "attribute 'perm' = {} is not a permutation of the {rank} axes of {}",
                        fmt_shape(perm),
                        fmt_shape(&dims)
                    ));
                }
                perm.iter().map(|&axis| axis as usize).collect()
            }
            None => (0..rank).rev().collect(),
        };
        match value {
            Value::Constant(constant) => {
                let name = node.output(0).unwrap_or_default();
                self.define(node, 0, constant_value(constant.transposed(name, &perm)?))
            }
            Value::Tensor(_) => {
                let data_axes =
                    |order: &mut dyn Iterator<Item = usize>| order.filter(|&axis| dims[axis] != 1).collect::<Vec<_>>();
                if data_axes(&mut perm.iter().copied()) != data_axes(&mut (0..rank)) {
                    let perm: Vec<i64> = perm.iter().map(|&axis| axis as i64).collect();
                    return Err(format!(
                        "perm {} reorders the data of {}; a computed tensor is only transposed where dimensions of \
                         size 1 move",
                        fmt_shape(&perm),
                        fmt_shape(&dims)
                    ));
                }
                let permuted = perm.iter().map(|&axis| dims[axis]).collect();
                self.redimension(node, value, permuted)
            }
        }
    }

    /// `Shape`, folded: the dimensions of any value are known at import time.
    fn shape_node(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 1)?;
        let dims = self.dims(&self.value(node, 0)?);
        let rank = dims.len() as i64;
        let clamp = |bound: i64| (if bound < 0 { bound + rank } else { bound }).clamp(0, rank) as usize;
        let start = clamp(node.attributes.int("start", 0)?);
        let end = clamp(node.attributes.int("end", rank)?).max(start);
        let slice = dims[start..end].to_vec();
        let name = node.output(0).unwrap_or_default();
        self.define(node, 0, constant_value(computed_constant(name, vec![slice.len() as i64], Data::Int(slice))))
    }

    /// `Gather` from a 1-D constant (a shape), folded.
    fn gather(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(2, 2)?;
        let data = self.constant(node, 0)?;
        let indices = self.constant(node, 1)?;
        if data.dims.len() != 1 {
            return Err(format!("only Gather from a 1-D constant is folded, got {}", fmt_shape(&data.dims)));
        }
        axis(node.attributes.int("axis", 0)?, 1, "axis")?;
        let values = data.known()?;
        let length = values.len();
        let positions = indices
            .ints()?
            .iter()
            .map(|&i| {
                let position = if i < 0 { i.checked_add_unsigned(length as u64) } else { Some(i) };
                position
                    .and_then(|p| usize::try_from(p).ok())
                    .filter(|&p| p < length)
                    .ok_or_else(|| format!("index {i} is out of range for '{}' of length {length}", quoted(&data.name)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let gathered = match values {
            Data::Float(values) => Data::Float(positions.iter().map(|&p| values[p]).collect()),
            Data::Int(values) => Data::Int(positions.iter().map(|&p| values[p]).collect()),
        };
        let name = node.output(0).unwrap_or_default().to_string();
        let constant =
            Constant { name, data_type: data.data_type, dims: indices.dims.clone(), values: Values::Known(gathered) };
        self.define(node, 0, constant_value(constant))
    }

    /// `Unsqueeze`: axes from an attribute before opset 13, from an input
    /// since. Folded on constants, a reshape on tensors.
    fn unsqueeze(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 2)?;
        let value = self.value(node, 0)?;
        let dims = self.dims(&value);
        let axes = self.axes_operand(node)?.ok_or("the axes are required (input #1 or attribute 'axes')")?;
        let rank = dims.len() + axes.len();
        let mut inserted = axes.iter().map(|&a| axis(a, rank, "axes")).collect::<Result<Vec<_>, _>>()?;
        inserted.sort_unstable();
        if inserted.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(format!("axes {} repeat an axis", fmt_shape(&axes)));
        }
        let mut remaining = dims.iter();
        let result: Vec<i64> = (0..rank as i64)
            .map(|d| if inserted.contains(&d) { 1 } else { remaining.next().copied().unwrap_or(1) })
            .collect();
        self.redimension(node, value, result)
    }

    /// `Squeeze` of the given axes, or of every size-1 dimension.
    fn squeeze(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 2)?;
        let value = self.value(node, 0)?;
        let dims = self.dims(&value);
        let removed = match self.axes_operand(node)? {
            Some(axes) => {
                let removed = axes.iter().map(|&a| axis(a, dims.len(), "axes")).collect::<Result<Vec<_>, _>>()?;
                if let Some(&d) = removed.iter().find(|&&d| dims[d as usize] != 1) {
                    return Err(format!(
                        "cannot squeeze axis {d} of size {} in {}",
                        dims[d as usize],
                        fmt_shape(&dims)
                    ));
                }
                removed
            }
            None => (0..dims.len() as i64).filter(|&d| dims[d as usize] == 1).collect(),
        };
        let result = (0..dims.len()).filter(|&d| !removed.contains(&(d as i64))).map(|d| dims[d]).collect();
        self.redimension(node, value, result)
    }

    /// The axes of `Squeeze`/`Unsqueeze`: input #1 since opset 13, the
    /// attribute before.
    fn axes_operand(&self, node: &NodeContext<'m>) -> Result<Option<Vec<i64>>, String> {
        match node.input(1) {
            Some(_) => Ok(Some(self.constant(node, 1)?.ints()?.to_vec())),
            None => Ok(node.attributes.ints("axes")?.map(<[i64]>::to_vec)),
        }
    }

    /// Gives `value` new dimensions with the same elements.
    fn redimension(&mut self, node: &NodeContext<'m>, value: Value, dims: Vec<i64>) -> Result<(), String> {
        match value {
            Value::Constant(constant) => {
                self.define(node, 0, constant_value(constant.with_dims(node.output(0).unwrap_or_default(), dims)))
            }
            Value::Tensor(input) => {
                let output = self.reshape(&node.name, input, dims)?;
                self.define(node, 0, Value::Tensor(output))
            }
        }
    }

    /// `Cast`, folded on constants; a no-op on tensors cast to `FLOAT`.
    fn cast(&mut self, node: &NodeContext<'m>) -> Result<(), String> {
        node.expect_inputs(1, 1)?;
        let to = node.attributes.optional_int("to")?.ok_or("attribute 'to' is required")?;
        let to = i32::try_from(to).map_err(|_| format!("attribute 'to' = {to} is not a data type"))?;
        let is_float = matches!(
            DataType::try_from(to),
            Ok(DataType::Float | DataType::Double | DataType::Float16 | DataType::Bfloat16)
        );
        if !is_float && !is_integer_type(to) {
            return Err(format!("Cast to {} is not supported", type_name(to)));
        }
        match self.value(node, 0)? {
            Value::Tensor(_) if to != DataType::Float as i32 => {
                Err(format!("Cast of a computed tensor to {} is not supported (only to FLOAT)", type_name(to)))
            }
            tensor @ Value::Tensor(_) => self.define(node, 0, tensor),
            Value::Constant(constant) => {
                let is_bool = to == DataType::Bool as i32;
                let values = match &constant.values {
                    Values::Known(Data::Float(values)) if is_float => Values::Known(Data::Float(values.clone())),
                    Values::Known(Data::Float(values)) if is_bool => {
                        Values::Known(Data::Int(values.iter().map(|&v| i64::from(v != 0.0)).collect()))
                    }
                    Values::Known(Data::Float(values)) => {
                        Values::Known(Data::Int(values.iter().map(|&v| v as i64).collect()))
                    }
                    Values::Known(Data::Int(values)) if is_float => {
                        Values::Known(Data::Float(values.iter().map(|&v| v as f32).collect()))
                    }
                    Values::Known(Data::Int(values)) if is_bool => {
                        Values::Known(Data::Int(values.iter().map(|&v| i64::from(v != 0)).collect()))
                    }
                    other => other.clone(),
                };
                let name = node.output(0).unwrap_or_default().to_string();
                self.define(
                    node,
                    0,
                    constant_value(Constant { name, data_type: to, dims: constant.dims.clone(), values }),
                )
            }
        }
    }

    fn dims(&self, value: &Value) -> Vec<i64> {
        match value {
            Value::Tensor(tensor) => self.network.shape(*tensor).to_vec(),
            Value::Constant(constant) => constant.dims.clone(),
        }
    }
}

/// Whether the node is of the standard domain (`""` or `ai.onnx`).
fn is_standard(node: &NodeProto) -> bool {
    node.domain.is_empty() || node.domain == "ai.onnx"
}

fn constant_value(constant: Constant) -> Value {
    Value::Constant(Rc::new(constant))
}

/// An axis in `[-rank, rank)`, made non-negative.
fn axis(value: i64, rank: usize, what: &str) -> Result<i64, String> {
    let rank = rank as i64;
    if (-rank..rank).contains(&value) {
        Ok(if value < 0 { value + rank } else { value })
    } else {
        Err(format!("{what} value {value} is out of range [{}, {}] for rank {rank}", -rank, rank - 1))
    }
}

fn finite(value: f32, name: &str) -> Result<f32, String> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("attribute '{name}' must be finite, got {value}"))
    }
}

/// What a per-channel batchnorm does with its constant operand.
enum Channelwise {
    Scale,
    Shift,
}

/// A `FLOAT` constant that combines with a tensor of `shape` as a scalar or
/// per channel (it varies only along dimension 1), as one value per channel
/// named `name`.
fn channel_values(shape: &[i64], operand: &Constant, name: &str) -> Result<Constant, String> {
    let not_per_channel = || {
        format!(
            "only a constant scalar or one value per channel (dimension 1) is supported as the other operand, got {} \
             and '{}' of shape {}",
            fmt_shape(shape),
            quoted(&operand.name),
            fmt_shape(&operand.dims)
        )
    };
    let offset = shape.len().checked_sub(operand.dims.len()).ok_or_else(not_per_channel)?;
    let per_channel =
        operand.dims.iter().enumerate().all(|(own, &size)| size == 1 || (own + offset == 1 && size == shape[1]));
    if shape.len() < 2 || !per_channel {
        return Err(not_per_channel());
    }
    if operand.data_type != DataType::Float as i32 {
        return Err(format!(
            "'{}' has data type {}; operands of the network must be FLOAT",
            quoted(&operand.name),
            type_name(operand.data_type)
        ));
    }
    let count = element_count(&operand.dims)?;
    operand.with_dims(name, vec![count]).broadcast_to(name, &[shape[1]])
}

/// The transposed matrix, named `<name>.T`.
fn transpose(matrix: &Constant) -> Constant {
    let (rows, cols) = (matrix.dims[0] as usize, matrix.dims[1] as usize);
    let values = match &matrix.values {
        Values::Known(Data::Float(values)) if rows.checked_mul(cols) == Some(values.len()) => {
            Values::Known(Data::Float((0..rows * cols).map(|i| values[(i % rows) * cols + i / rows]).collect()))
        }
        other => other.clone(),
    };
    Constant {
        name: format!("{}.T", matrix.name),
        data_type: matrix.data_type,
        dims: vec![matrix.dims[1], matrix.dims[0]],
        values,
    }
}

/// The constant times `factor`, named `<name>.x<factor>`; itself if 1.
fn scaled(constant: Constant, factor: f32) -> Constant {
    if factor == 1.0 {
        return constant;
    }
    let values = match &constant.values {
        Values::Known(Data::Float(values)) => Values::Known(Data::Float(values.iter().map(|v| v * factor).collect())),
        other => other.clone(),
    };
    Constant { name: format!("{}.x{factor}", constant.name), values, ..constant }
}

/// A two-value attribute (`[h, w]`) with each value in
/// `[min, MAX_WINDOW_ATTRIBUTE]`; `default` when absent, else required.
fn pair(attributes: Attributes, name: &str, default: Option<[i64; 2]>, min: i64) -> Result<[i64; 2], String> {
    let values = match (attributes.ints(name)?, default) {
        (Some(values), _) => values,
        (None, Some(default)) => return Ok(default),
        (None, None) => return Err(format!("attribute '{name}' is required")),
    };
    let values: [i64; 2] = values
        .try_into()
        .map_err(|_| format!("attribute '{name}' must have 2 values (2-D), got {}", fmt_shape(values)))?;
    in_range(name, &values, min)?;
    Ok(values)
}

fn in_range(name: &str, values: &[i64], min: i64) -> Result<(), String> {
    if values.iter().all(|v| (min..=MAX_WINDOW_ATTRIBUTE).contains(v)) {
        Ok(())
    } else {
        Err(format!(
            "attribute '{name}' must have values in [{min}, {MAX_WINDOW_ATTRIBUTE}], got {}",
            fmt_shape(values)
        ))
    }
}

/// Strides, pads and dilations of a conv or pool over an input of `[h, w]`,
/// with `auto_pad` resolved into explicit pads. Without `with_dilations`
/// (average pooling) a dilation other than 1 is an error.
fn window(attributes: Attributes, kernel: [i64; 2], input: [i64; 2], with_dilations: bool) -> Result<Window, String> {
    let strides = pair(attributes, "strides", Some([1, 1]), 1)?;
    let dilations = pair(attributes, "dilations", Some([1, 1]), 1)?;
    if !with_dilations && dilations != [1, 1] {
        return Err(format!("attribute 'dilations' = {} is not supported here", fmt_shape(&dilations)));
    }
    let explicit = match attributes.ints("pads")? {
        Some(pads) => {
            let pads: [i64; 4] = pads
                .try_into()
                .map_err(|_| format!("attribute 'pads' must have 4 values (2-D), got {}", fmt_shape(pads)))?;
            in_range("pads", &pads, 0)?;
            Some(pads)
        }
        None => None,
    };
    let auto_pad = attributes.string("auto_pad", "NOTSET")?;
    let pads = match auto_pad.as_str() {
        "NOTSET" => explicit.unwrap_or([0; 4]),
        "VALID" | "SAME_UPPER" | "SAME_LOWER" if explicit.is_some() => {
            return Err(format!("attribute 'pads' cannot be combined with auto_pad = {auto_pad}"))
        }
        "VALID" => [0; 4],
        "SAME_UPPER" | "SAME_LOWER" => {
            let mut pads = [0; 4];
            for d in 0..2 {
                // The output size is ceil(input / stride); the padding that
                // needs, odd halves going to the end (UPPER) or start (LOWER).
                let output = (input[d] + strides[d] - 1) / strides[d];
                let span = dilations[d] * (kernel[d] - 1) + 1;
                let total = ((output - 1) * strides[d] + span - input[d]).max(0);
                let (small, large) = (total / 2, total - total / 2);
                (pads[d], pads[d + 2]) = if auto_pad == "SAME_UPPER" { (small, large) } else { (large, small) };
            }
            pads
        }
        other => {
            return Err(format!(
                "attribute 'auto_pad' = '{}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID",
                quoted(other)
            ))
        }
    };
    Ok(Window { kernel, strides, pads, dilations })
}
