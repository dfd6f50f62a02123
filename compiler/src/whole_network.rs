//! Whole networks on the driver side: a network read into the plain-data
//! [`Net`] that [`rram_passes::network`] compiles (the layer graph of its
//! `nn` module after folding batchnorms, each crossbar layer tiled for the
//! chip, and for a functional run the folded weights and the input), and
//! the network's outputs read back from a simulated chip.

use crate::arch::{Architecture, MAX_CORES};
use crate::frontend::{Network, Ref};
use crate::graph::{Activation as GraphActivation, LayerGraph, LayerKind};
use crate::pipeline::{Pipeline, RunOptions};
use crate::quantize::quantize;
use crate::reference::Evaluation;
use petgraph::graph::NodeIndex;
use rram_dialects::nn::NnOp;
use rram_dialects::{Context, Module};
pub use rram_passes::duplication::Mode;
use rram_passes::duplication::{self, Stage};
pub use rram_passes::network::NetworkSync;
use rram_passes::network::{compile, vector_cores, ConvData, Net, NetChip, NetLayer, NetOp, NetProgram, PoolKind};
use rram_passes::schedule::{Activation, Window};
use rram_passes::tiling::{plan, KernelMatrix};
use rram_sim::NumericMode;
use std::collections::HashMap;

/// The cores a vector layer (pooling, residual add) runs on: these layers
/// move every input word over the bus and compute little, so a few cores
/// keep the bus busy (see `rram_passes::network`).
pub const VECTOR_CORES: i64 = 8;

/// A network compiled for a chip: the layers as the compiler saw them and
/// the programs.
#[derive(Debug, Clone)]
pub struct CompiledNetwork {
    pub net: Net,
    /// Per layer of `net`, its kind as the layer graph names it (`conv`, `dense`, ...).
    pub kinds: Vec<&'static str>,
    pub compiled: NetProgram,
    /// Whether the network ends in a softmax that the host computes.
    pub host_softmax: bool,
    /// The chip compiled for: with [`Cores::Auto`], as many cores as the
    /// network uses.
    pub arch: Architecture,
    /// How its layers are synchronized with each other.
    pub sync: NetworkSync,
    /// Inputs streamed through its programs back to back; inference `i`'s
    /// maps lie `i * compiled.shared_words` above the first's.
    pub inferences: u32,
    /// In int8, the fractional bits of its feature maps: an output word
    /// `q` stands for `q / 2^frac`.
    pub frac: Option<i32>,
    /// How the replicas were chosen: the mode and the cores they could
    /// take (`None` when the compiled network skipped [`duplicate`]).
    pub duplication: Option<(Mode, i64)>,
}

/// How many cores the chip has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cores {
    /// As the architecture says.
    Chip,
    /// As many as the network needs (up to the most an architecture may have).
    Auto,
}

/// How a network is compiled: for which cores, synchronized how, with
/// which weight duplication, for how many inferences back to back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub cores: Cores,
    pub sync: NetworkSync,
    pub duplication: Duplication,
    /// Inputs streamed through the programs back to back
    /// ([`rram_passes::stream`]); 1 for one inference.
    pub inferences: u32,
}

impl Options {
    /// One inference on the chip's cores, without duplication, `sync`.
    pub fn new(sync: NetworkSync) -> Self {
        Options { cores: Cores::Chip, sync, duplication: Duplication::NONE, inferences: 1 }
    }
}

impl CompiledNetwork {
    /// The whole network's programs as one verified `msg` module in
    /// `context`: one `func.func @core_N` per core with the work of every
    /// layer it serves, cores that run the same code at other addresses
    /// sharing a `@role_K` ([`rram_passes::write_msg_program`]), so that the
    /// IR grows with layers and cores, never with pixels. Ops are located
    /// at the module (named after the network). As for one layer, the
    /// crossbars' weights and the initial shared memory stay outside the IR:
    /// `crate::lower_msg::program` of the module gives back the programs
    /// without them.
    pub fn msg_module<'c>(&self, context: &'c Context) -> Result<Module<'c>, rram_dialects::Error> {
        let module = context.parse("module {}", &self.net.name)?;
        crate::arch::attach_to(&self.arch, &module)?;
        rram_passes::write_msg_program(&module, &self.compiled.program, &|_| module.operation())?;
        module.verify()?;
        Ok(module)
    }
}

/// A network that cannot be compiled, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WholeNetworkError(pub String);

/// The data of a functional run: the network evaluated by the reference
/// interpreter on its input, and the numbers the chip computes with.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    pub evaluation: &'a Evaluation,
    /// In int8, the input, weights and biases are quantized
    /// ([`crate::quantize`]).
    pub numeric: NumericMode,
}

/// Compiles `network` for `arch` as `options` say. With `values`, the
/// programs carry the folded weights and biases and shared memory the
/// input (of every inference).
pub fn compile_network(
    network: &Network,
    arch: &Architecture,
    options: Options,
    values: Option<Values>,
) -> Result<CompiledNetwork, WholeNetworkError> {
    let context = Context::new().map_err(|e| WholeNetworkError(e.to_string()))?;
    let module = context
        .parse(&network.to_mlir(), &network.name)
        .map_err(|e| WholeNetworkError(format!("internal error: the network does not verify: {e}")))?;
    compile_module(module, arch, options, values.map(|values| (network, values)))
}

/// Compiles the network of an `nn` module (folded and checked here) as
/// [`compile_network`] does; `values` the network it was written from and
/// its evaluation, for a functional run.
pub fn compile_module(
    module: Module,
    arch: &Architecture,
    options: Options,
    values: Option<(&Network, Values)>,
) -> Result<CompiledNetwork, WholeNetworkError> {
    let mut lowered = lower_module(module, arch, values)?;
    duplicate(&mut lowered, arch, options)?;
    compile_lowered(lowered, arch, options)
}

/// How crossbar layers are replicated ([`duplicate`]): the mode, and the
/// cores its replicas may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duplication {
    pub mode: Mode,
    pub budget: Budget,
}

impl Duplication {
    /// One copy of each layer's weights.
    pub const NONE: Duplication = Duplication { mode: Mode::None, budget: Budget::Chip };
}

/// The cores the replicas of the crossbar layers may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// The chip's cores less those of the layers without crossbars
    /// (pipelined, they have their own: [`vector_cores`]); with
    /// [`Cores::Auto`], twice the cores the network needs without duplication.
    Chip,
    Cores(i64),
}

/// A crossbar layer's stage as weight duplication sees it
/// ([`rram_passes::duplication::stage`]); `None` for a layer without crossbars.
pub fn stage(layer: &NetLayer, arch: &Architecture) -> Option<Stage> {
    let NetOp::Conv { plan, .. } = &layer.op else { return None };
    Some(duplication::stage(plan, layer.shape, arch))
}

/// Sets the replicas of `lowered`'s crossbar layers as the options'
/// duplication says, within its budget ([`Budget`]), which it records
/// resolved.
pub fn duplicate(lowered: &mut Lowered, arch: &Architecture, options: Options) -> Result<(), WholeNetworkError> {
    let Options { cores, sync, duplication, .. } = options;
    let (crossbar_layers, stages): (Vec<usize>, Vec<Stage>) =
        lowered.net.layers.iter().enumerate().filter_map(|(index, layer)| Some((index, stage(layer, arch)?))).unzip();
    let needed: i64 = stages.iter().map(|s| s.cost).sum();
    let vector_cores = vector_cores(&lowered.net, &net_chip(arch, cores), sync);
    let budget = match (duplication.budget, cores) {
        (Budget::Cores(cores), _) => cores,
        (Budget::Chip, Cores::Chip) => i64::from(arch.core.count) - vector_cores,
        (Budget::Chip, Cores::Auto) => 2 * needed,
    };
    // Without duplication, or on a chip too small for one copy of each
    // layer, the compiler says whether and why the network does not fit.
    let replicas = match duplication.mode {
        Mode::None => vec![1; stages.len()],
        _ if duplication.budget == Budget::Chip && needed > budget => vec![1; stages.len()],
        mode => mode.solve(&stages, budget).map_err(WholeNetworkError)?,
    };
    for (&index, &count) in crossbar_layers.iter().zip(&replicas) {
        if let NetOp::Conv { replicas, .. } = &mut lowered.net.layers[index].op {
            *replicas = count;
        }
    }
    lowered.duplication = Some((duplication.mode, budget));
    Ok(())
}

/// A network as the whole-network compiler reads it, before it is compiled
/// ([`compile_lowered`]): what a pass such as weight duplication changes.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub net: Net,
    /// Per layer of `net`, its kind as the layer graph names it.
    pub kinds: Vec<&'static str>,
    pub host_softmax: bool,
    /// In int8, the fractional bits of its feature maps.
    pub frac: Option<i32>,
    /// How [`duplicate`] chose the replicas: the mode and the cores they
    /// could take; `None` before it ran.
    pub duplication: Option<(Mode, i64)>,
}

/// The network of an `nn` module (folded and checked here) in the plain
/// data of `rram_passes::network`, tiled for `arch`; with `values`, its
/// data (quantized in int8).
pub fn lower_module(
    mut module: Module,
    arch: &Architecture,
    values: Option<(&Network, Values)>,
) -> Result<Lowered, WholeNetworkError> {
    let failed = |e: &dyn std::fmt::Display| WholeNetworkError(e.to_string());
    Pipeline::parse("builtin.module(nn-fold-batchnorm,nn-verify-shapes)")
        .and_then(|pipeline| pipeline.run(&mut module, RunOptions::default(), |_, _| {}))
        .map_err(|e| failed(&e))?;
    let graph = LayerGraph::from_module(&module).map_err(|e| failed(&e))?;
    let (net, kinds, host_softmax) = net_of(&graph, arch, values.map(|(network, v)| (network, v.evaluation)))?;
    let (net, frac) = match values.map(|(_, v)| v.numeric) {
        Some(NumericMode::Int8) => {
            let quantized = quantize(&net).map_err(WholeNetworkError)?;
            (quantized.net, Some(quantized.frac))
        }
        _ => (net, None),
    };
    Ok(Lowered { net, kinds, host_softmax, frac, duplication: None })
}

/// What the whole-network compiler needs to know of `arch`; with
/// [`Cores::Auto`], as many cores as an architecture may have.
fn net_chip(arch: &Architecture, cores: Cores) -> NetChip {
    NetChip {
        cores: match cores {
            Cores::Chip => i64::from(arch.core.count),
            Cores::Auto => MAX_CORES as i64,
        },
        crossbars: i64::from(arch.core.crossbars),
        local_words: (arch.core.local_memory_bytes / 4) as i64,
        shared_words: (arch.shared_memory.size_bytes / 4) as i64,
        vector_cores: VECTOR_CORES,
        registers: i64::from(arch.sync.registers),
    }
}

/// Compiles a lowered network for `arch` as `options` say (its
/// duplication is `lowered`'s already).
pub fn compile_lowered(
    lowered: Lowered,
    arch: &Architecture,
    options: Options,
) -> Result<CompiledNetwork, WholeNetworkError> {
    let Options { cores, sync, inferences, .. } = options;
    let Lowered { net, kinds, host_softmax, frac, duplication } = lowered;
    let compiled =
        compile(&net, &net_chip(arch, cores), sync, inferences).map_err(|e| WholeNetworkError(e.to_string()))?;
    let mut arch = arch.clone();
    if cores == Cores::Auto {
        arch.core.count = compiled.program.cores.iter().map(|c| c.core + 1).max().unwrap_or(1);
    }
    Ok(CompiledNetwork { net, kinds, compiled, host_softmax, arch, sync, inferences, frac, duplication })
}

/// The graph's layers as a [`Net`], their kinds, and whether a softmax is
/// left to the host.
fn net_of(
    graph: &LayerGraph,
    arch: &Architecture,
    values: Option<(&Network, &Evaluation)>,
) -> Result<(Net, Vec<&'static str>, bool), WholeNetworkError> {
    let slices = i64::from(arch.slices_per_weight());
    let (rows, cols) = (i64::from(arch.crossbar.rows), i64::from(arch.crossbar.cols));
    let mut index_of: HashMap<NodeIndex, usize> = HashMap::new();
    let mut layers: Vec<NetLayer> = Vec::new();
    let mut kinds = Vec::new();
    let mut outputs = Vec::new();
    let mut host_softmax = false;
    for node in graph.topological_order() {
        let layer = graph.layer(node);
        let producers = graph.producers(node);
        let unsupported =
            |what: &str| WholeNetworkError(format!("layer '{}' ({}): {what}", layer.name, layer.kind.word()));
        let map_shape = |shape: &[i64]| -> Result<[i64; 3], WholeNetworkError> {
            match *shape {
                [1, c, h, w] => Ok([c, h, w]),
                [1, c] => Ok([c, 1, 1]),
                _ => Err(unsupported(&format!("a feature map of shape {shape:?}: batch 1, NCHW or NC"))),
            }
        };
        // A layer on crossbars: weights `[M, C/groups, KH, KW]` read through `window`.
        let crossbar_op = |weight_shape: [i64; 4], groups: i64, window: Window, bias: bool| {
            let matrix = KernelMatrix::conv(weight_shape, groups, slices).map_err(|e| unsupported(&e))?;
            let data = values
                .map(|(network, v)| conv_data(network, v, &layer.name))
                .transpose()
                .map_err(|e| unsupported(&e))?;
            Ok::<_, WholeNetworkError>(NetOp::Conv {
                plan: plan(&matrix, rows, cols),
                matrix,
                window,
                bias,
                data,
                replicas: 1,
            })
        };
        let inputs: Vec<usize> = producers.iter().map(|p| index_of[p]).collect();
        let op = match &layer.kind {
            LayerKind::Output { .. } => {
                outputs.extend(inputs);
                continue;
            }
            LayerKind::Softmax { .. } => {
                host_softmax = true;
                index_of.insert(node, inputs[0]);
                continue;
            }
            LayerKind::Input { .. } => NetOp::Input { data: values.map(|(_, v)| v.input.clone()) },
            LayerKind::Conv { conv, kernel, bias } => {
                let source = map_shape(&layer.inputs[0])?;
                let weight_shape = [layer.output[1], source[0] / conv.groups, kernel[0], kernel[1]];
                let window = Window {
                    kernel: *kernel,
                    stride: conv.strides,
                    dilation: conv.dilations,
                    pad: [conv.pads[0], conv.pads[1]],
                    group_channels: source[0] / conv.groups,
                };
                crossbar_op(weight_shape, conv.groups, window, *bias)?
            }
            LayerKind::Dense { bias } => {
                // A conv whose kernel covers the map it reads: NCHW flatten
                // order is the weights' own `[M, C, H, W]` layout.
                let [channels, height, width] = layers[inputs[0]].shape;
                let window = Window {
                    kernel: [height, width],
                    stride: [1, 1],
                    dilation: [1, 1],
                    pad: [0, 0],
                    group_channels: channels,
                };
                crossbar_op([layer.output[1], channels, height, width], 1, window, *bias)?
            }
            LayerKind::MaxPool(pool) | LayerKind::AvgPool { pool, .. } => {
                let kind = match layer.kind {
                    LayerKind::AvgPool { count_include_pad, .. } => PoolKind::Avg { count_include_pad },
                    _ => PoolKind::Max,
                };
                let window = &pool.window;
                NetOp::Pool {
                    kind,
                    kernel: window.kernel,
                    stride: window.strides,
                    dilation: window.dilations,
                    pads: window.pads,
                }
            }
            LayerKind::GlobalAvgPool => NetOp::GlobalAvgPool,
            LayerKind::Add => NetOp::Add,
            LayerKind::Concat { axis: 1 } => NetOp::Concat,
            LayerKind::Concat { axis } => {
                return Err(unsupported(&format!("a concat along axis {axis}, not channels")))
            }
        };
        // A map read under another shape must be read in its own layout:
        // only a flatten into a dense layer keeps it.
        for (&input, shape) in inputs.iter().zip(&layer.inputs) {
            let dense_flatten = matches!(layer.kind, LayerKind::Dense { .. }) && shape.len() == 2;
            if !dense_flatten && map_shape(shape)? != layers[input].shape {
                return Err(unsupported(&format!(
                    "reads '{}' reshaped to {shape:?}: only a flatten before a dense layer is supported",
                    layers[input].name
                )));
            }
        }
        let activation = match layer.activation.as_ref().map(|a| a.activation) {
            None => Activation::None,
            Some(GraphActivation::Relu) => Activation::Relu,
            Some(GraphActivation::Clip { min, max }) => Activation::Clip { lo: min, hi: max },
        };
        index_of.insert(node, layers.len());
        kinds.push(layer.kind.word());
        let shape = map_shape(&layer.output)?;
        layers.push(NetLayer { name: layer.name.clone(), op, inputs, shape, activation, requant: None });
    }
    Ok((Net { name: graph.name.clone(), layers, outputs }, kinds, host_softmax))
}

/// The weights and bias of the conv or dense node `name`, with a batchnorm
/// that reads only it folded in (as `nn-fold-batchnorm` folds it).
fn conv_data(network: &Network, values: &Evaluation, name: &str) -> Result<ConvData, String> {
    let (index, node) = network
        .nodes
        .iter()
        .enumerate()
        .find(|(_, node)| node.name == name && matches!(node.op, NnOp::Conv2d(_) | NnOp::Dense))
        .ok_or_else(|| format!("no conv or dense node of the network is named '{name}'"))?;
    let mut weights = values.value(node.inputs[1]).to_vec();
    let mut bias = node.inputs.get(2).map(|&b| values.value(b).to_vec());
    let users: Vec<_> = network.nodes.iter().filter(|n| n.inputs.contains(&Ref::Node(index))).collect();
    if let [user] = users.as_slice() {
        if let NnOp::BatchNorm { epsilon } = user.op {
            let [scale, shift, mean, var] = [1, 2, 3, 4].map(|i| values.value(user.inputs[i]));
            let factor: Vec<f64> = scale.iter().zip(var).map(|(s, v)| s / (v + f64::from(epsilon)).sqrt()).collect();
            let per_channel = weights.len() / factor.len();
            for (i, w) in weights.iter_mut().enumerate() {
                *w *= factor[i / per_channel];
            }
            let b = bias.unwrap_or_else(|| vec![0.0; factor.len()]);
            bias = Some((0..factor.len()).map(|c| factor[c] * (b[c] - mean[c]) + shift[c]).collect());
        }
    }
    Ok(ConvData { weights, bias })
}
