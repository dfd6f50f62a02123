//! The reference interpreter of the `nn` dialect: runs a [`Network`] on the
//! host in f64, directly from the definitions of its ops (ONNX semantics,
//! as the importer maps ONNX ops to `nn` ops), independently of tiling,
//! crossbars and the simulator. It is the oracle that compiled programs are
//! compared with, layer by layer ([`Evaluation::value`] of any node) and at
//! the output.
//!
//! Every op of [`NnOp`] is evaluated, on any batch size. Operand shapes are
//! checked again with the dialect's own rules before an op runs, so a
//! network assembled by hand cannot make the interpreter index out of
//! bounds; every tensor, and all of them together, are bounded
//! ([`MAX_TENSOR_ELEMENTS`], [`MAX_EVALUATION_ELEMENTS`]) before anything
//! is allocated.

use crate::frontend::{Network, Ref, WeightData};
use rram_dialects::nn::{element_count, fmt_shape, Conv2d, NnOp, Pool, Window};
use std::collections::BTreeMap;

/// The most values one tensor may have (1 GiB of f64): above every zoo
/// network's (VGG-16's first dense weight has 102.8 million, its largest
/// im2col input 28.9 million), far below what a mistyped shape asks for.
pub const MAX_TENSOR_ELEMENTS: i64 = 1 << 27;

/// The most values an evaluation holds in all (2 GiB of f64): every node's
/// value is kept, for layer-by-layer comparisons. VGG-16 needs 153 million
/// (its weights and activations).
pub const MAX_EVALUATION_ELEMENTS: i64 = 1 << 28;

/// Why a network cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("node '{node}' ({op}): {message}")]
    Node { node: String, op: &'static str, message: String },
    #[error("'{value}': {message}")]
    TooLarge { value: String, message: String },
    #[error("the network's values have {0} elements in all, more than the {MAX_EVALUATION_ELEMENTS} an evaluation holds in memory")]
    TooLargeInAll(i64),
    #[error("weight '{name}' has no values: only networks with every weight can be evaluated")]
    MissingWeight { name: String },
    #[error("the evaluation takes a network with one input, this one has {0}")]
    Inputs(usize),
    #[error("the network's input has {expected} values, {given} given")]
    InputSize { expected: usize, given: usize },
}

/// Values in row-major order of `shape`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<i64>,
    pub values: Vec<f64>,
}

impl Tensor {
    pub fn view(&self) -> View<'_> {
        View { shape: &self.shape, values: &self.values }
    }
}

/// A tensor borrowed: values in row-major order of `shape`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View<'a> {
    pub shape: &'a [i64],
    pub values: &'a [f64],
}

/// The value of every node of a network for one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub input: Vec<f64>,
    /// By node index, row-major in the node's shape.
    pub nodes: Vec<Vec<f64>>,
}

impl Evaluation {
    pub fn value(&self, value: Ref) -> &[f64] {
        match value {
            Ref::Input(_) => &self.input,
            Ref::Node(n) => &self.nodes[n],
        }
    }

    /// The values of the network's outputs, one after the other.
    pub fn outputs<'a>(&'a self, network: &'a Network) -> impl Iterator<Item = f64> + 'a {
        network.outputs.iter().flat_map(|&output| self.value(output).iter().copied())
    }
}

/// Runs `network` on `input` (row-major in the shape of its one input).
pub fn evaluate(network: &Network, input: &[f64]) -> Result<Evaluation, EvalError> {
    let [(_, shape)] = network.inputs.as_slice() else { return Err(EvalError::Inputs(network.inputs.len())) };
    check_memory_bounds(network)?;
    let expected = shape.iter().product::<i64>() as usize;
    if input.len() != expected {
        return Err(EvalError::InputSize { expected, given: input.len() });
    }
    let mut evaluation = Evaluation { input: input.to_vec(), nodes: Vec::with_capacity(network.nodes.len()) };
    for node in &network.nodes {
        let error = |message: String| EvalError::Node { node: node.name.clone(), op: node.op.name(), message };
        if let Some(undefined) =
            node.inputs.iter().find(|&&input| !defined_before(network, input, evaluation.nodes.len()))
        {
            return Err(error(format!("input {undefined:?} is not defined before the node")));
        }
        let operands: Vec<View> = node
            .inputs
            .iter()
            .map(|&value| View { shape: network.shape(value), values: evaluation.value(value) })
            .collect();
        let values = match &node.op {
            NnOp::Weight { name } => {
                let data = network.weights.get(name).ok_or_else(|| EvalError::MissingWeight { name: name.clone() })?;
                weight_values(data, name, &node.shape).map_err(error)?
            }
            op => apply(op, &operands, &node.shape).map_err(error)?,
        };
        evaluation.nodes.push(values);
    }
    Ok(evaluation)
}

fn defined_before(network: &Network, value: Ref, nodes: usize) -> bool {
    match value {
        Ref::Input(i) => i < network.inputs.len(),
        Ref::Node(i) => i < nodes,
    }
}

/// A weight's values, which must have the node's shape.
fn weight_values(data: &WeightData, name: &str, shape: &[i64]) -> Result<Vec<f64>, String> {
    if data.shape != shape || Ok(data.values.len() as i64) != element_count(shape) {
        return Err(format!(
            "weight '{name}' holds {} values of shape {} for a node of shape {}",
            data.values.len(),
            fmt_shape(&data.shape),
            fmt_shape(shape)
        ));
    }
    Ok(data.values.iter().map(|&v| f64::from(v)).collect())
}

/// Applies `op` (not a weight) to `operands`; `shape` is the result shape
/// the network recorded, which must be the one the dialect infers.
pub fn apply(op: &NnOp, operands: &[View], shape: &[i64]) -> Result<Vec<f64>, String> {
    if let NnOp::Weight { name } = op {
        return Err(format!("weight '{name}' is data, not computed from operands"));
    }
    let shapes: Vec<Vec<i64>> = operands.iter().map(|operand| operand.shape.to_vec()).collect();
    op.check_attributes()?;
    op.check_shapes(&shapes)?;
    for (i, operand) in operands.iter().enumerate() {
        if Ok(operand.values.len() as i64) != element_count(operand.shape) {
            return Err(format!(
                "operand #{i} has {} values for shape {}",
                operand.values.len(),
                fmt_shape(operand.shape)
            ));
        }
    }
    let inferred = op.infer_from_shapes(&shapes, Some(shape))?;
    if inferred != shape {
        return Err(format!("result shape {} differs from the inferred {}", fmt_shape(shape), fmt_shape(&inferred)));
    }
    let input = operands[0];
    Ok(match op {
        NnOp::Weight { .. } => unreachable!("returned above"),
        NnOp::Conv2d(conv) => convolve(conv, input, operands[1], operands.get(2).map(|b| b.values)).sums,
        NnOp::Dense => dense(input, operands[1], operands.get(2).map(|b| b.values)),
        NnOp::Relu => input.values.iter().map(|&v| v.max(0.0)).collect(),
        NnOp::Clip { min, max } => input.values.iter().map(|&v| v.max(f64::from(*min)).min(f64::from(*max))).collect(),
        NnOp::MaxPool2d(pool) => pool2d(pool, input, shape, Reduction::Max)?,
        NnOp::AvgPool2d { pool, count_include_pad } => {
            pool2d(pool, input, shape, Reduction::Average { count_include_pad: *count_include_pad })?
        }
        NnOp::GlobalAvgPool => {
            let plane = (input.shape[2] * input.shape[3]) as usize;
            input.values.chunks(plane).map(|values| values.iter().sum::<f64>() / plane as f64).collect()
        }
        NnOp::Add => input.values.iter().zip(operands[1].values).map(|(a, b)| a + b).collect(),
        NnOp::Concat { axis } => {
            let axis = *axis as usize;
            let inner = |operand: &View| operand.shape[axis..].iter().product::<i64>() as usize;
            let (lhs, rhs) = (input.values.chunks(inner(&input)), operands[1].values.chunks(inner(&operands[1])));
            lhs.zip(rhs).flat_map(|(l, r)| l.iter().chain(r)).copied().collect()
        }
        NnOp::BatchNorm { epsilon } => {
            let [scale, bias, mean, var] = [1, 2, 3, 4].map(|i| operands[i].values);
            let channels = input.shape[1] as usize;
            let inner = input.shape[2..].iter().product::<i64>() as usize;
            let factor: Vec<f64> = (0..channels).map(|c| scale[c] / (var[c] + f64::from(*epsilon)).sqrt()).collect();
            let at = |i: usize| (i / inner) % channels;
            input.values.iter().enumerate().map(|(i, &x)| factor[at(i)] * (x - mean[at(i)]) + bias[at(i)]).collect()
        }
        NnOp::ScaleChannels => {
            let per_channel = input.values.len() / input.shape[0] as usize;
            input.values.iter().enumerate().map(|(i, &w)| w * operands[1].values[i / per_channel]).collect()
        }
        NnOp::Flatten { .. } | NnOp::Reshape => input.values.to_vec(),
        NnOp::Softmax { axis } => softmax(input, *axis as usize),
    })
}

/// A direct convolution's output and, for every output value, the
/// magnitude of its terms, `sum |w x| + |b|` (the scale of its rounding
/// errors in a lower precision).
#[derive(Debug, Clone, PartialEq)]
pub struct Convolution {
    /// NCHW
    pub sums: Vec<f64>,
    pub magnitudes: Vec<f64>,
}

/// The direct convolution of `input` `[N, Cin, H, W]` with `weight`
/// `[Cout, Cin/groups, Kh, Kw]` plus `bias` (zeros without one), by f64
/// loops over the NCHW tensors (not through im2col windows or tiles).
/// Expects shapes that passed the dialect's checks.
pub fn convolve(conv: &Conv2d, input: View, weight: View, bias: Option<&[f64]>) -> Convolution {
    let [batch, cin, h, w] = [0, 1, 2, 3].map(|d| input.shape[d] as usize);
    let [cout, cin_per_group, kh, kw] = [0, 1, 2, 3].map(|d| weight.shape[d] as usize);
    let window =
        Window { kernel: [kh as i64, kw as i64], strides: conv.strides, pads: conv.pads, dilations: conv.dilations };
    let [oh, ow] = window
        .output_size([h as i64, w as i64], false)
        .expect("checked by the dialect's shape rules")
        .map(|d| d as usize);
    let cout_per_group = cout / conv.groups as usize;
    let plane = oh * ow;
    let mut sums = vec![0.0; batch * cout * plane];
    let mut magnitudes = vec![0.0; batch * cout * plane];
    let planes = sums.chunks_mut(plane).zip(magnitudes.chunks_mut(plane));
    for (index, (sum, magnitude)) in planes.enumerate() {
        let (n, co) = (index / cout, index % cout);
        let b = bias.map_or(0.0, |bias| bias[co]);
        sum.fill(b);
        magnitude.fill(b.abs());
        let group = co / cout_per_group;
        for cj in 0..cin_per_group {
            let ci = group * cin_per_group + cj;
            let channel = &input.values[(n * cin + ci) * h * w..][..h * w];
            for (ky, kx) in (0..kh).flat_map(|ky| (0..kw).map(move |kx| (ky, kx))) {
                let tap = weight.values[((co * cin_per_group + cj) * kh + ky) * kw + kx];
                for oy in 0..oh {
                    let Some(y) = window.source(0, oy, ky, h) else { continue };
                    for ox in 0..ow {
                        if let Some(x) = window.source(1, ox, kx, w) {
                            let term = tap * channel[y * w + x];
                            sum[oy * ow + ox] += term;
                            magnitude[oy * ow + ox] += term.abs();
                        }
                    }
                }
            }
        }
    }
    Convolution { sums, magnitudes }
}

/// `input [N, K] * weight[M, K]^T + bias`
fn dense(input: View, weight: View, bias: Option<&[f64]>) -> Vec<f64> {
    let k = input.shape[1] as usize;
    let rows = weight.values.chunks(k);
    input
        .values
        .chunks(k)
        .flat_map(|x| {
            rows.clone()
                .enumerate()
                .map(move |(o, w)| bias.map_or(0.0, |bias| bias[o]) + x.iter().zip(w).map(|(x, w)| x * w).sum::<f64>())
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum Reduction {
    Max,
    /// The divisor counts the window's positions inside the input, or with
    /// `count_include_pad` inside the padded input too (ONNX and PyTorch:
    /// positions of a `ceil_mode` window beyond the end padding never count).
    Average {
        count_include_pad: bool,
    },
}

/// Max or average pooling of `input` `[N, C, H, W]` into `shape`. Padding
/// never wins a max; a window with no value to reduce is an error.
fn pool2d(pool: &Pool, input: View, shape: &[i64], reduction: Reduction) -> Result<Vec<f64>, String> {
    let window = &pool.window;
    let [h, w] = [input.shape[2], input.shape[3]].map(|d| d as usize);
    let [oh, ow] = [shape[2], shape[3]].map(|d| d as usize);
    let [kh, kw] = window.kernel.map(|k| k as usize);
    // Taps of output coordinate `o` in dimension `d` that lie in the padded input.
    let padded_taps = |d: usize, o: usize, k: usize| {
        let at = o as i64 * window.strides[d] + k as i64 * window.dilations[d] - window.pads[d];
        at < [h, w][d] as i64 + window.pads[d + 2]
    };
    let mut values = Vec::with_capacity(input.values.len() / (h * w) * oh * ow);
    for channel in input.values.chunks(h * w) {
        for (oy, ox) in (0..oh).flat_map(|oy| (0..ow).map(move |ox| (oy, ox))) {
            let taps = (0..kh).flat_map(|ky| (0..kw).map(move |kx| (ky, kx)));
            let inside = taps
                .clone()
                .filter_map(|(ky, kx)| Some(channel[window.source(0, oy, ky, h)? * w + window.source(1, ox, kx, w)?]));
            let present = inside.clone().count();
            let value = match reduction {
                Reduction::Max if present > 0 => inside.fold(f64::NEG_INFINITY, f64::max),
                Reduction::Average { count_include_pad: true } => {
                    let padded = taps.filter(|&(ky, kx)| padded_taps(0, oy, ky) && padded_taps(1, ox, kx)).count();
                    inside.sum::<f64>() / padded as f64
                }
                Reduction::Average { count_include_pad: false } if present > 0 => inside.sum::<f64>() / present as f64,
                _ => return Err(format!("the window at output (y {oy}, x {ox}) lies entirely in the padding")),
            };
            values.push(value);
        }
    }
    Ok(values)
}

/// Softmax along `axis`, less the maximum first so that no exponential overflows.
fn softmax(input: View, axis: usize) -> Vec<f64> {
    let length = input.shape[axis] as usize;
    let inner = input.shape[axis + 1..].iter().product::<i64>() as usize;
    let mut values = input.values.to_vec();
    for block in values.chunks_mut(length * inner) {
        for offset in 0..inner {
            let lane = (0..length).map(|i| i * inner + offset);
            let max = lane.clone().map(|i| block[i]).fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = lane.clone().map(|i| (block[i] - max).exp()).sum();
            lane.for_each(|i| block[i] = (block[i] - max).exp() / total);
        }
    }
    values
}

/// Checks that every value of `network` is within [`MAX_TENSOR_ELEMENTS`]
/// and all of them within [`MAX_EVALUATION_ELEMENTS`], before any is
/// allocated.
pub fn check_memory_bounds(network: &Network) -> Result<(), EvalError> {
    let inputs = network.inputs.iter().map(|(name, shape)| (name, shape));
    let mut total: i64 = 0;
    for (name, shape) in inputs.chain(network.nodes.iter().map(|node| (&node.name, &node.shape))) {
        let count = element_count(shape).ok();
        within_memory_bound(count, &fmt_shape(shape))
            .map_err(|message| EvalError::TooLarge { value: name.clone(), message })?;
        total = total.saturating_add(count.unwrap_or(i64::MAX));
    }
    if total > MAX_EVALUATION_ELEMENTS {
        return Err(EvalError::TooLargeInAll(total));
    }
    Ok(())
}

/// Ok if `count` values of `what` (`None`: past i64) fit in memory.
pub fn within_memory_bound(count: Option<i64>, what: &str) -> Result<(), String> {
    match count {
        Some(count) if count <= MAX_TENSOR_ELEMENTS => Ok(()),
        Some(count) => Err(format!(
            "{what} has {count} elements, more than the {MAX_TENSOR_ELEMENTS} the host holds in one tensor"
        )),
        None => Err(format!("{what} has more elements than fit in 64 bits")),
    }
}

/// `count` deterministic values `k/8`, `k` in `-8..=7` (SplitMix64 of `seed`).
pub fn pseudo_random(count: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z % 16) as f64 - 8.0) / 8.0
        })
        .collect()
}

/// Deterministic pseudo-random values for every weight of `network` that
/// has none (a structure-only model), scaled so that a layer's outputs are
/// of the order of its inputs rather than growing with its fan-in through
/// deep networks: a weight of `fan_in` inputs per output (every dimension
/// but the first) is [`pseudo_random`] over `sqrt(fan_in)`; a batch norm's variance is in `[1/2, 3/2)`, so that it
/// is positive. The weight of node `i` gets seed `i`.
pub fn pseudo_random_weights(network: &Network) -> Result<BTreeMap<String, WeightData>, EvalError> {
    check_memory_bounds(network)?;
    let mut weights = BTreeMap::new();
    for (index, node) in network.nodes.iter().enumerate() {
        let NnOp::Weight { name } = &node.op else { continue };
        if network.weights.contains_key(name) || weights.contains_key(name) {
            continue;
        }
        let count = node.shape.iter().product::<i64>() as usize;
        let values = pseudo_random(count, index as u64);
        let is_variance = network
            .nodes
            .iter()
            .any(|user| matches!(user.op, NnOp::BatchNorm { .. }) && user.inputs.get(4) == Some(&Ref::Node(index)));
        let fan_in = node.shape.iter().skip(1).product::<i64>() as f64;
        let values = if is_variance {
            values.iter().map(|v| (v + 1.5) as f32).collect()
        } else {
            values.iter().map(|v| (v / fan_in.sqrt()) as f32).collect()
        };
        weights.insert(name.clone(), WeightData { shape: node.shape.clone(), values });
    }
    Ok(weights)
}
