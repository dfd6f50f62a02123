//! Functional verification of compiled conv layers: a layer is tiled for a
//! chip, its per-core programs for every synchronization mode run in the
//! simulator's functional mode, and every output word is compared with the
//! reference interpreter's direct convolution ([`convolve`], by f64 loops
//! over the NCHW tensors, not through im2col windows or tiles). A race or deadlock
//! the simulator reports fails the check with the simulator's message.
//!
//! - Int8 mode: inputs and weights are int8, sums int32; every output word
//!   must equal the reference exactly.
//! - F32 mode: a word may differ from the reference by [`F32_TOLERANCE`]
//!   relative to the magnitude of its terms, `sum |w x| + |b|`: the scale of
//!   the rounding errors of a sum, which stays meaningful where the terms
//!   cancel (a relative error against a near-zero result would not).
//!
//! Data: a network whose weights are all known (an ONNX file with its
//! weights) is evaluated by the reference interpreter ([`evaluate`]), so
//! that each conv sees its real input activations; structure-only networks (the zoo) get deterministic
//! pseudo-random values, multiples of 1/8 in `[-1, 7/8]`, whose products and
//! sums are exact in f32 and in int8/int32 after quantization.
//!
//! A layer is checked as it is compiled: conv, bias, then the activation
//! that follows it in the network (ReLU or clip, after a batch norm that the
//! pipeline folds into the conv).

use crate::frontend::{Network, Ref};
use crate::reference::{
    check_memory_bounds, convolve, evaluate, pseudo_random, within_memory_bound, Convolution, EvalError, Tensor,
};
use crate::report::parallel;
use rram_arch::{Architecture, MAX_CORES};
use rram_dialects::nn::{element_count, Conv2d, NnOp, Window};
use rram_isa::Program;
use rram_passes::schedule::{core_tiles, layer_program, Activation, Exchange, Layer, Scheme, UnsupportedExchange};
use rram_passes::tiling::{plan, plan_size, KernelMatrix, SlotCursor, Tile, TilePlan};
use rram_sim::{simulate, NumericMode, SimOptions};
use std::fmt;

/// The largest error an f32 output word may have, relative to the
/// magnitude of its terms.
pub const F32_TOLERANCE: f64 = 1e-5;

/// Why a layer or a network cannot be checked (a failed check is a
/// [`CheckResult`], not an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("layer '{layer}': {message}")]
    Layer { layer: String, message: String },
    #[error(transparent)]
    Evaluation(#[from] EvalError),
}

/// One conv layer with its data: what [`check_layer`] compiles and compares.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvCase {
    pub name: String,
    /// Strides, pads, dilations and groups.
    pub conv: Conv2d,
    /// `[1, Cin, H, W]`
    pub input: Tensor,
    /// `[Cout, Cin/groups, Kh, Kw]`
    pub weight: Tensor,
    /// One value per output channel.
    pub bias: Vec<f64>,
    pub activation: Activation,
}

impl ConvCase {
    /// The layer's data as `numeric` computes with it. F32: every value
    /// rounded to f32. Int8: input and weight quantized symmetrically, each
    /// with one scale to `-127..=127` (kept as they are when already int8
    /// integers), the bias rounded and the clip bounds scaled at the
    /// product of both scales, so that the layer computes the same function
    /// up to quantization.
    pub fn in_numeric_mode(&self, numeric: NumericMode) -> ConvCase {
        match numeric {
            NumericMode::F32 => {
                let round = |values: &[f64]| values.iter().map(|&v| f64::from(v as f32)).collect::<Vec<_>>();
                ConvCase {
                    input: Tensor { shape: self.input.shape.clone(), values: round(&self.input.values) },
                    weight: Tensor { shape: self.weight.shape.clone(), values: round(&self.weight.values) },
                    bias: round(&self.bias),
                    ..self.clone()
                }
            }
            NumericMode::Int8 => {
                let (input_scale, weight_scale) = (int8_scale(&self.input.values), int8_scale(&self.weight.values));
                let quantize = |values: &[f64], scale: f64| values.iter().map(|&v| (v * scale).round()).collect();
                let scale = input_scale * weight_scale;
                let activation = match self.activation {
                    Activation::Clip { lo, hi } => {
                        Activation::Clip { lo: (f64::from(lo) * scale) as f32, hi: (f64::from(hi) * scale) as f32 }
                    }
                    other => other,
                };
                ConvCase {
                    input: Tensor {
                        shape: self.input.shape.clone(),
                        values: quantize(&self.input.values, input_scale),
                    },
                    weight: Tensor {
                        shape: self.weight.shape.clone(),
                        values: quantize(&self.weight.values, weight_scale),
                    },
                    bias: quantize(&self.bias, scale),
                    activation,
                    ..self.clone()
                }
            }
        }
    }
}

/// 1 for values that are int8 integers already, else the scale that maps
/// the largest magnitude to 127.
fn int8_scale(values: &[f64]) -> f64 {
    let max = values.iter().fold(0.0f64, |max, v| max.max(v.abs()));
    let int8 = values.iter().all(|&v| v.fract() == 0.0 && (-128.0..=127.0).contains(&v));
    if int8 || max == 0.0 {
        1.0
    } else {
        127.0 / max
    }
}

/// The outcome of one layer in one synchronization scheme and numeric mode.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub layer: String,
    pub scheme: Scheme,
    pub numeric: NumericMode,
    /// Output words compared (0 when the simulation failed).
    pub words: usize,
    /// Largest `|got - want|`; infinite when a word was never written.
    pub max_abs_error: f64,
    /// Largest `|got - want| / (sum |w x| + |b|)`.
    pub max_rel_error: f64,
    /// Why the check failed: the simulator's error, or the wrong words.
    pub failure: Option<String>,
}

impl CheckResult {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// One line: `layer scheme numeric: words, errors: ok` or `FAILED: why`.
impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let numeric = match self.numeric {
            NumericMode::F32 => "f32",
            NumericMode::Int8 => "int8",
        };
        write!(
            f,
            "{} {} {numeric}: {} words, max abs error {:.2e}, max rel error {:.2e}: ",
            self.layer, self.scheme, self.words, self.max_abs_error, self.max_rel_error
        )?;
        match &self.failure {
            None => write!(f, "ok"),
            Some(why) => write!(f, "FAILED: {why}"),
        }
    }
}

/// A conv's sizes, checked, as indices.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    cin: usize,
    size: [usize; 2],
    cout: usize,
    cin_per_group: usize,
    cout_per_group: usize,
    kernel: [usize; 2],
    out: [usize; 2],
    window: Window,
}

impl Geometry {
    /// Checks the shapes with the `nn` dialect's own rules; batch 1 only.
    fn new(conv: &Conv2d, input: &[i64], weight: &[i64]) -> Result<Geometry, String> {
        let op = NnOp::Conv2d(*conv);
        op.check_attributes()?;
        op.check_shapes(&[input.to_vec(), weight.to_vec()])?;
        if input[0] != 1 {
            return Err(format!("batch {} (the schedules compute batch 1)", input[0]));
        }
        let out = op.infer_from_shapes(&[input.to_vec(), weight.to_vec()], None)?;
        let index = |v: i64| v as usize;
        let window = Window {
            kernel: [weight[2], weight[3]],
            strides: conv.strides,
            pads: conv.pads,
            dilations: conv.dilations,
        };
        Ok(Geometry {
            cin: index(input[1]),
            size: [index(input[2]), index(input[3])],
            cout: index(weight[0]),
            cin_per_group: index(weight[1]),
            cout_per_group: index(weight[0] / conv.groups),
            kernel: [index(weight[2]), index(weight[3])],
            out: [index(out[2]), index(out[3])],
            window,
        })
    }

    fn pixels(&self) -> usize {
        self.out[0] * self.out[1]
    }

    fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// The input coordinate that tap `k` of output coordinate `o` reads in
    /// dimension `d` (0: height, 1: width); `None` in the padding.
    fn source(&self, d: usize, o: usize, k: usize) -> Option<usize> {
        self.window.source(d, o, k, self.size[d])
    }

    /// Every pixel's input window, pixel after pixel (row-major pixels),
    /// each in kernel-matrix row order `(ci, kh, kw)` over all input
    /// channels (the block-diagonal matrix of a grouped conv has a row per
    /// input channel and tap), zeros in the padding.
    fn windows(&self, input: &[f64]) -> Vec<f64> {
        let mut windows = Vec::with_capacity(self.pixels() * self.cin * self.taps());
        for (oy, ox) in (0..self.out[0]).flat_map(|oy| (0..self.out[1]).map(move |ox| (oy, ox))) {
            for ci in 0..self.cin {
                for ky in 0..self.kernel[0] {
                    let y = self.source(0, oy, ky);
                    for kx in 0..self.kernel[1] {
                        windows.push(match (y, self.source(1, ox, kx)) {
                            (Some(y), Some(x)) => input[(ci * self.size[0] + y) * self.size[1] + x],
                            _ => 0.0,
                        });
                    }
                }
            }
        }
        windows
    }

    /// The kernel matrix's cells of rows `rows` and output channels
    /// `channels`, row-major: the weight where row and channel are of the
    /// same group, zero off the diagonal blocks.
    fn matrix(&self, weight: &[f64], rows: std::ops::Range<usize>, channels: std::ops::Range<usize>) -> Vec<f64> {
        let taps = self.taps();
        let mut cells = Vec::with_capacity(rows.len() * channels.len());
        for row in rows {
            let (ci, tap) = (row / taps, row % taps);
            for channel in channels.clone() {
                let same_group = ci / self.cin_per_group == channel / self.cout_per_group;
                cells.push(if same_group {
                    weight[(channel * self.cin_per_group + ci % self.cin_per_group) * taps + tap]
                } else {
                    0.0
                });
            }
        }
        cells
    }
}

/// `value` after `activation`, as the simulator computes it: in int mode a
/// clip clamps to the integers within its bounds.
fn activate(activation: Activation, numeric: NumericMode, value: f64) -> f64 {
    match activation {
        Activation::None => value,
        Activation::Relu => value.max(0.0),
        Activation::Clip { lo, hi } => {
            let (lo, hi) = (f64::from(lo), f64::from(hi));
            let (lo, hi) = if numeric == NumericMode::Int8 { (lo.ceil(), hi.floor()) } else { (lo, hi) };
            value.max(lo).min(hi)
        }
    }
}

/// One layer compiled for a chip in one numeric mode, with its reference
/// output: builds each mode's program and checks what a program computes.
#[derive(Debug, Clone)]
pub struct LayerCheck {
    /// The data in the numeric mode.
    case: ConvCase,
    numeric: NumericMode,
    geometry: Geometry,
    layer: Layer,
    plan: TilePlan,
    /// The chip, with as many cores as tiles and shared memory for the layout.
    chip: Architecture,
    /// Expected output words, pixel-major (`[pixel][channel]`, as the
    /// programs store them).
    expected: Vec<f64>,
    /// The magnitude of each expected word's terms.
    magnitudes: Vec<f64>,
}

impl LayerCheck {
    /// Converts `case` to `numeric` ([`ConvCase::in_numeric_mode`]), tiles it
    /// for `chip` and computes its reference output. The layer gets as many
    /// cores as it has tiles and the shared memory its layout needs, as
    /// when it runs alone on a large enough chip.
    pub fn new(case: &ConvCase, chip: &Architecture, numeric: NumericMode) -> Result<LayerCheck, CheckError> {
        let error = |message: String| CheckError::Layer { layer: case.name.clone(), message };
        let geometry = Geometry::new(&case.conv, &case.input.shape, &case.weight.shape).map_err(error)?;
        let count = |shape: &[i64]| element_count(shape).map(|count| count as usize);
        for (what, len, expected) in [
            ("input", case.input.values.len(), count(&case.input.shape).map_err(error)?),
            ("weight", case.weight.values.len(), count(&case.weight.shape).map_err(error)?),
            ("bias", case.bias.len(), geometry.cout),
        ] {
            if len != expected {
                return Err(error(format!("{what} has {len} values for {expected} elements")));
            }
        }
        let slices = i64::from(chip.slices_per_weight());
        if i64::from(chip.crossbar.cols) < slices {
            return Err(error(format!(
                "a {}-column crossbar cannot hold a weight of {slices} cells",
                chip.crossbar.cols
            )));
        }
        let weight = [0, 1, 2, 3].map(|d| case.weight.shape[d]);
        let matrix = KernelMatrix::conv(weight, case.conv.groups, slices).map_err(error)?;
        let xbar = [chip.crossbar.rows, chip.crossbar.cols].map(i64::from);
        // The im2col windows, the outputs and the tiles are held in memory.
        let [out_h, out_w, cin, taps, cout] =
            [geometry.out[0], geometry.out[1], geometry.cin, geometry.taps(), geometry.cout].map(|n| n as i64);
        let pixels = out_h.checked_mul(out_w);
        let windows = pixels.and_then(|n| n.checked_mul(cin)).and_then(|n| n.checked_mul(taps));
        within_memory_bound(windows, "the layer's im2col input").map_err(error)?;
        within_memory_bound(pixels.and_then(|n| n.checked_mul(cout)), "the layer's output").map_err(error)?;
        // The layer runs alone on as many cores as its tiles take: no more
        // than a chip may have.
        let crossbars = i64::from(chip.core.crossbars);
        let mut cores = SlotCursor::default();
        let counted = cores.advance(plan_size(&matrix, xbar[0], xbar[1]), crossbars);
        if counted.is_none() || cores.cores_used() > MAX_CORES as i64 {
            let needed = counted.map_or("more than 2^63".into(), |_| cores.cores_used().to_string());
            return Err(error(format!(
                "the layer needs {needed} cores of {crossbars} crossbars, more than the {MAX_CORES} a chip may have"
            )));
        }
        let plan = plan(&matrix, xbar[0], xbar[1]);
        let case = case.in_numeric_mode(numeric);
        let layer = Layer {
            pixels: geometry.pixels() as i64,
            channels: geometry.cout as i64,
            slices,
            window: matrix.rows(),
            // A conv without one is checked with a bias of zeros.
            bias: true,
            activation: case.activation,
            requant: None,
        };
        let mut chip = chip.clone();
        chip.core.count = chip.core.count.max(core_tiles(&plan, crossbars).len() as u32);
        let words = (layer.layout().bias + layer.channels) as u64;
        chip.shared_memory.size_bytes = chip.shared_memory.size_bytes.max(4 * words);
        let Convolution { sums, magnitudes } =
            convolve(&case.conv, case.input.view(), case.weight.view(), Some(&case.bias));
        // NCHW to pixel-major.
        let plane = geometry.pixels();
        let at = |i: usize| (i % geometry.cout) * plane + i / geometry.cout;
        let expected = (0..sums.len()).map(|i| activate(case.activation, numeric, sums[at(i)])).collect();
        let magnitudes = (0..sums.len()).map(|i| magnitudes[at(i)]).collect();
        Ok(LayerCheck { case, numeric, geometry, layer, plan, chip, expected, magnitudes })
    }

    /// The layer's programs in `scheme`, with the crossbars' weights and
    /// shared memory holding the im2col windows and the bias.
    pub fn program(&self, scheme: Scheme) -> Result<Program, UnsupportedExchange> {
        let weights = |index: usize| Some(self.tile_weights(&self.plan.tiles[index]));
        let data = (self.geometry.windows(&self.case.input.values), self.case.bias.clone());
        let crossbars = i64::from(self.chip.core.crossbars);
        layer_program(&self.layer, &self.plan, scheme, crossbars, &weights, Some(data))
    }

    /// A tile's crossbar: its rows of the kernel matrix by its output
    /// channels (a channel's `slices` cells are one ISA column), row-major.
    fn tile_weights(&self, tile: &Tile) -> Vec<f64> {
        let rows = tile.rows[0] as usize..tile.rows[1] as usize;
        let slices = self.layer.slices;
        let channels = (tile.cols[0] / slices) as usize..(tile.cols[1] / slices) as usize;
        self.geometry.matrix(&self.case.weight.values, rows, channels)
    }

    /// Simulates `program` (one of [`LayerCheck::program`]'s, or a changed
    /// one) functionally and compares every output word with the reference.
    pub fn run(&self, scheme: Scheme, program: &Program) -> CheckResult {
        let mut result = CheckResult {
            layer: self.case.name.clone(),
            scheme,
            numeric: self.numeric,
            words: 0,
            max_abs_error: 0.0,
            max_rel_error: 0.0,
            failure: None,
        };
        let options = SimOptions { functional: Some(self.numeric), trace: false };
        let shared = match simulate(&self.chip, program, &options) {
            Ok(run) => run.shared.expect("a functional run returns its shared memory"),
            Err(error) => {
                result.failure = Some(error.to_string());
                return result;
            }
        };
        let outputs = shared.read(self.layer.layout().outputs as usize, self.expected.len());
        let (mut wrong, mut first) = (0, None);
        for (i, (got, (&want, &magnitude))) in
            outputs.iter().zip(self.expected.iter().zip(&self.magnitudes)).enumerate()
        {
            let (abs, rel) = match got {
                Some(got) if got == &want => (0.0, 0.0),
                Some(got) => ((got - want).abs(), (got - want).abs() / magnitude),
                None => (f64::INFINITY, f64::INFINITY),
            };
            result.max_abs_error = result.max_abs_error.max(abs);
            result.max_rel_error = result.max_rel_error.max(rel);
            let ok = match self.numeric {
                NumericMode::Int8 => abs == 0.0,
                NumericMode::F32 => rel <= F32_TOLERANCE,
            };
            if !ok {
                wrong += 1;
                first.get_or_insert_with(|| {
                    let got = got.map_or_else(|| "never written".to_string(), |got| format!("got {got}"));
                    format!("{}: {got}, want {want}", self.describe(i))
                });
            }
        }
        result.words = outputs.len();
        if let Some(first) = first {
            result.failure = Some(format!("{wrong} of {} output words wrong, the first at {first}", outputs.len()));
        }
        result
    }

    /// Output word `i`: its pixel, channel and shared address.
    fn describe(&self, i: usize) -> String {
        let (pixel, channel) = (i / self.geometry.cout, i % self.geometry.cout);
        let (y, x) = (pixel / self.geometry.out[1], pixel % self.geometry.out[1]);
        let address = self.layer.layout().outputs as usize + i;
        format!("pixel {pixel} (y {y}, x {x}) channel {channel} (shared word {address})")
    }
}

/// The schemes a chip can run: the published ones (through shared
/// memory), then, when its cores write each other's local memory, linear
/// forwarding.
pub fn schemes(chip: &Architecture) -> Vec<Scheme> {
    Scheme::ALL.into_iter().filter(|s| s.exchange == Exchange::SharedMemory || chip.core.remote_writes).collect()
}

/// Checks one layer on `chip` in `numeric` mode: one result per scheme
/// the chip can run, in [`schemes`] order.
pub fn check_layer(case: &ConvCase, chip: &Architecture, numeric: NumericMode) -> Result<Vec<CheckResult>, CheckError> {
    let check = LayerCheck::new(case, chip, numeric)?;
    Ok(schemes(chip)
        .into_iter()
        .map(|scheme| {
            let program = check.program(scheme).expect("every scheme of `schemes` has a schedule");
            check.run(scheme, &program)
        })
        .collect())
}

/// Checks every conv layer of `network` ([`cases`]) on `chip` in each of
/// `numerics`, on `threads` threads; `progress` is told of each result as
/// it comes. Results come in layer order, then `numerics`, then
/// [`schemes`]. This is what a CLI calls.
pub fn check_network(
    network: &Network,
    chip: &Architecture,
    numerics: &[NumericMode],
    input: Option<&[f64]>,
    threads: usize,
    progress: &(dyn Fn(&CheckResult) + Sync),
) -> Result<Vec<CheckResult>, CheckError> {
    let cases = cases(network, input)?;
    let jobs: Vec<(&ConvCase, NumericMode)> =
        cases.iter().flat_map(|case| numerics.iter().map(move |&numeric| (case, numeric))).collect();
    let results = parallel::map(&jobs, threads, |&(case, numeric)| {
        let checked = check_layer(case, chip, numeric);
        if let Ok(checked) = &checked {
            checked.iter().for_each(progress);
        }
        checked
    });
    let mut all = Vec::new();
    for checked in results {
        all.extend(checked?);
    }
    Ok(all)
}

/// Every conv layer of `network` with its data, in order. With `input`, or
/// when every weight of the network is known, the network is evaluated (on
/// `input`, else on a pseudo-random input) and each conv gets its real
/// weights, bias (zeros without one) and input activations; otherwise
/// every tensor is pseudo-random, deterministic per layer.
pub fn cases(network: &Network, input: Option<&[f64]>) -> Result<Vec<ConvCase>, CheckError> {
    check_memory_bounds(network)?;
    let all_known = network.nodes.iter().all(|node| match &node.op {
        NnOp::Weight { name } => network.weights.contains_key(name),
        _ => true,
    });
    let evaluation = match input {
        Some(input) => Some(evaluate(network, input)?),
        None if all_known => {
            let count = network.inputs.first().map_or(0, |(_, shape)| shape.iter().product::<i64>() as usize);
            Some(evaluate(network, &pseudo_random(count, 0))?)
        }
        None => None,
    };
    let mut cases = Vec::new();
    for (index, node) in network.nodes.iter().enumerate() {
        let NnOp::Conv2d(conv) = &node.op else { continue };
        let seed = 3 * index as u64 + 1;
        let values = |value: Ref, seed: u64| match &evaluation {
            Some(evaluation) => evaluation.value(value).to_vec(),
            None => pseudo_random(network.shape(value).iter().product::<i64>() as usize, seed),
        };
        let tensor =
            |value: Ref, seed: u64| Tensor { shape: network.shape(value).to_vec(), values: values(value, seed) };
        let cout = network.shape(node.inputs[1])[0] as usize;
        let bias = match node.inputs.get(2) {
            Some(&bias) => values(bias, seed + 2),
            None if evaluation.is_some() => vec![0.0; cout],
            // A batch norm folded into the conv gives it a bias.
            None => pseudo_random(cout, seed + 2),
        };
        cases.push(ConvCase {
            name: node.name.clone(),
            conv: *conv,
            input: tensor(node.inputs[0], seed),
            weight: tensor(node.inputs[1], seed + 1),
            bias,
            activation: activation_after(network, index),
        });
    }
    Ok(cases)
}

/// The activation fused into conv `index`: the ReLU or clip that alone
/// consumes its output, directly or after a batch norm that alone does.
fn activation_after(network: &Network, index: usize) -> Activation {
    let mut value = Ref::Node(index);
    loop {
        if network.outputs.contains(&value) {
            return Activation::None;
        }
        let mut users = network.nodes.iter().enumerate().filter(|(_, node)| node.inputs.contains(&value));
        let (Some((user, node)), None) = (users.next(), users.next()) else { return Activation::None };
        match node.op {
            NnOp::BatchNorm { .. } => value = Ref::Node(user),
            NnOp::Relu => return Activation::Relu,
            NnOp::Clip { min, max } => return Activation::Clip { lo: min, hi: max },
            _ => return Activation::None,
        }
    }
}
