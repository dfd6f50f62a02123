//! Whole networks: every layer of a CNN in one set of per-core programs,
//! plain data like [`crate::schedule`], which writes each crossbar layer.
//!
//! **Feature maps** live in shared memory in one layout that producers
//! write and consumers read directly: pixel-major, a pixel's channels
//! contiguous (HWC), rows of pixels one after another ([`MapView`]). A map
//! read by convs with padding is stored with a border of zeros as wide as
//! the widest padding, so that every window is a rectangle of the buffer
//! and padding is exact; a kernel-matrix row order that is tap-major makes
//! a core's slice of a window a few runs of words (one per window row when
//! its tiles hold all channels). A concat costs nothing: each of its inputs
//! is written straight into its channels of the concat's buffer (a view
//! with another channel offset), so every layer reading it sees one map;
//! only an input that cannot be (the network input, or a layer already
//! written into another concat) is copied in by the vector units.
//!
//! **Crossbar layers** (conv; a dense layer is a conv whose kernel covers
//! its input map, which takes the NCHW flatten order of its weights as is)
//! are scheduled by [`layer_cores`] on cores of their own, in network
//! order, each layer from a fresh core.
//!
//! **Vector layers** (max and average pooling, global average pooling,
//! residual add) run on the vector units of up to
//! [`NetChip::vector_cores`] cores, core `k` of `K` taking output rows `k,
//! k + K, ...` (a global pooling: a share of the channels): they move
//! every input word over the bus and compute little, so a few cores keep
//! the bus busy and more would only queue. Pooling windows that reach into
//! the padding are cut into regions of equal valid taps, so that max
//! pooling never sees a padded value and average pooling divides by the
//! taps it read (or by the whole kernel where the model counts the
//! padding).
//!
//! **Synchronization between layers** ([`NetworkSync`]): layer by layer,
//! every core that still has work arrives at a barrier after each layer,
//! vector layers run on the cores of the layer feeding them (idle by
//! then), and since a sequence register only grows, each layer's values on
//! a core count on from the highest value earlier layers raised it to.
//! Pipelined, every layer has cores of its own and a core starts an output
//! row once the input rows it reads are written ([`RowEdges`]).
//!
//! **Int8 networks** carry a `REQUANT` shift per layer
//! ([`NetLayer::requant`]): the last owner of an output vector applies it
//! after the bias, before the activation.
//!
//! The host places the network input (and, for a functional run, the
//! weights, biases and zero borders) and reads the outputs; a final softmax
//! is left to it.

use crate::schedule::{
    activation_op, core_tiles, group_members, layer_cores, merge_segments, offset, window_loads, Activation, Io, Layer,
    MapView, Pixel, RowSeat, RowSync, Scheme, Segment, SyncMode, Window, Windows,
};
use crate::stream::{highest, stream};
use crate::tiling::{KernelMatrix, Tile, TilePlan};
use rram_isa::{Affine, BinaryOp, Class, CoreProgram, Instr, MemoryInit, Program, UnaryOp};
use std::collections::HashMap;
use std::ops::Range;

/// A network as the whole-network compiler reads it: layers in a
/// topological order, each reading earlier layers' outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Net {
    pub name: String,
    pub layers: Vec<NetLayer>,
    /// The layers whose outputs the host reads.
    pub outputs: Vec<usize>,
}

/// One layer and the maps it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct NetLayer {
    pub name: String,
    pub op: NetOp,
    /// The layers whose outputs it reads, by operand.
    pub inputs: Vec<usize>,
    /// Its output map: channels, height, width.
    pub shape: [i64; 3],
    /// Applied as it writes its outputs.
    pub activation: Activation,
    /// In an int8 network, the `REQUANT` shift of its outputs before the
    /// activation: a conv's int32 sums, or an add's sum of int8 values
    /// (shift 0: saturation). `None` in f32 networks and for layers whose
    /// outputs are int8 already (pooling, concat).
    pub requant: Option<u32>,
}

/// What a layer computes.
#[derive(Debug, Clone, PartialEq)]
pub enum NetOp {
    /// The network input, which the host places: NCHW values for a
    /// functional run.
    Input {
        data: Option<Vec<f64>>,
    },
    /// A conv on crossbars, tiled by `plan`; `weights` in the layout
    /// `[Cout, Cin / groups, Kh, Kw]` and the bias, for a functional run.
    /// `replicas` copies of its tiles, on cores of their own, take its
    /// output rows in turn: replica `r` of `d` computes rows `r, r + d, ...`.
    Conv {
        matrix: KernelMatrix,
        plan: TilePlan,
        window: Window,
        bias: bool,
        data: Option<ConvData>,
        replicas: i64,
    },
    /// Max or average pooling; `pads` top, left, bottom, right.
    Pool {
        kind: PoolKind,
        kernel: [i64; 2],
        stride: [i64; 2],
        dilation: [i64; 2],
        pads: [i64; 4],
    },
    GlobalAvgPool,
    /// The element-wise sum of its two inputs.
    Add,
    /// Its inputs side by side along channels.
    Concat,
}

/// The weights and bias of a conv.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvData {
    pub weights: Vec<f64>,
    pub bias: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Avg { count_include_pad: bool },
}

/// What the compiler needs to know of the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetChip {
    pub cores: i64,
    pub crossbars: i64,
    pub local_words: i64,
    pub shared_words: i64,
    /// The cores a vector layer runs on.
    pub vector_cores: i64,
    /// Sequence registers per core (`sync.registers`).
    pub registers: i64,
}

/// A network that cannot be compiled for a chip, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NetError {
    pub message: String,
}

fn error<T>(message: String) -> Result<T, NetError> {
    Err(NetError { message })
}

/// The compiled network.
#[derive(Debug, Clone, PartialEq)]
pub struct NetProgram {
    pub program: Program,
    /// Per layer, the cores that work on it (none for the input and concats).
    pub cores: Vec<Vec<u32>>,
    /// Per layer, where its output map is.
    pub maps: Vec<MapView>,
    /// The shared words the feature maps and biases take.
    pub shared_words: i64,
    /// The crossbars holding weights.
    pub crossbars_used: i64,
}

impl NetProgram {
    /// Layer `layer`'s output map of `shape` read from `shared` (a function
    /// from word address to value), in NCHW order.
    pub fn read_map(&self, layer: usize, shape: [i64; 3], mut shared: impl FnMut(usize) -> f64) -> Vec<f64> {
        let map = self.maps[layer];
        let [channels, height, width] = shape;
        let mut values = Vec::with_capacity((channels * height * width) as usize);
        for c in 0..channels {
            for y in 0..height {
                for x in 0..width {
                    values.push(shared((map.base + y * map.row + x * map.pixel + c) as usize));
                }
            }
        }
        values
    }
}

/// A feature-map buffer: `channels` per pixel, a border of `border`
/// pixels around `height x width`.
#[derive(Debug, Clone, Copy, Default)]
struct Buffer {
    channels: i64,
    height: i64,
    width: i64,
    border: i64,
    start: i64,
}

impl Buffer {
    fn words(&self) -> i64 {
        (self.height + 2 * self.border) * (self.width + 2 * self.border) * self.channels
    }

    fn view(&self, channel: i64) -> MapView {
        let row = (self.width + 2 * self.border) * self.channels;
        MapView {
            base: self.start + self.border * row + self.border * self.channels + channel,
            row,
            pixel: self.channels,
        }
    }

    /// The words of its border, as runs of zeros: the rows above, the
    /// right and left border between two rows, the rows below.
    fn border_zeros(&self) -> Vec<MemoryInit> {
        if self.border == 0 {
            return Vec::new();
        }
        let row = (self.width + 2 * self.border) * self.channels;
        let side = self.border * self.channels;
        let zeros =
            |address: i64, words: i64| MemoryInit { address: address as u64, values: vec![0.0; words as usize] };
        let mut runs = vec![zeros(self.start, self.border * row + side)];
        for y in 1..self.height {
            runs.push(zeros(self.start + (self.border + y) * row - side, 2 * side));
        }
        runs.push(zeros(self.start + (self.border + self.height) * row - side, side + self.border * row));
        runs
    }
}

/// How the layers of a network are synchronized with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkSync {
    /// A barrier after each layer: a layer starts when the one before has
    /// finished. Crossbar layers in the cyclic scheme; vector layers on
    /// cores of the layer feeding them.
    LayerByLayer,
    /// Layers overlap: a core starts an output row once the rows of its
    /// inputs it reads are written (cross-layer scheduling). Every layer on
    /// cores of its own; crossbar layers in the linear scheme, which
    /// finishes output rows in order. Needs `2 + producers` sequence
    /// registers per core ([`RowEdges`]).
    Pipelined,
}

impl NetworkSync {
    pub fn name(self) -> &'static str {
        match self {
            NetworkSync::LayerByLayer => "layer-by-layer",
            NetworkSync::Pipelined => "pipelined",
        }
    }
}

/// Compiles `net` for `chip`, its layers synchronized as `sync` says, for
/// `inferences` inputs back to back ([`crate::stream`]: inference `i`'s
/// maps are at `i * shared_words` above the first's).
pub fn compile(net: &Net, chip: &NetChip, sync: NetworkSync, inferences: u32) -> Result<NetProgram, NetError> {
    check_structure(net)?;
    let (storage, copies) = storage(net);
    let (maps, mut memory, mut next) = allocate(net, &storage);
    let (first_core, core_counts) = allocate_cores(net, &copies, chip, sync);
    let placed = |layer: usize| (first_core[layer]..first_core[layer] + core_counts[layer]).collect::<Vec<u32>>();
    let needed = (0..net.layers.len()).map(|l| first_core[l] + core_counts[l]).max().unwrap_or(0);
    let crossbars_used: i64 = net
        .layers
        .iter()
        .map(|layer| match &layer.op {
            NetOp::Conv { plan, replicas, .. } => plan.tiles.len() as i64 * replicas,
            _ => 0,
        })
        .sum();
    if i64::from(needed) > chip.cores {
        let vector_layers = match sync {
            NetworkSync::Pipelined => {
                format!(", pooling and residual layers on up to {} cores each", chip.vector_cores)
            }
            NetworkSync::LayerByLayer => String::new(),
        };
        return error(format!(
            "the network needs {needed} cores ({crossbars_used} crossbars on cores of {} crossbars, each layer on \
             cores of its own{vector_layers}), the chip has {}",
            chip.crossbars, chip.cores
        ));
    }
    let edges = match sync {
        NetworkSync::Pipelined => Some(RowEdges::new(net, &copies, &first_core, &core_counts, chip)?),
        NetworkSync::LayerByLayer => None,
    };
    let scheme = Scheme::from(if edges.is_some() { SyncMode::Linear } else { SyncMode::Cyclic });
    let mut phases: Vec<Vec<CoreProgram>> = Vec::new();
    for (index, layer) in net.layers.iter().enumerate() {
        let located = |e: String| NetError { message: format!("layer '{}': {e}", layer.name) };
        let layer_edges = edges.as_ref().and_then(|e| e.of(index, 0)).map(|e| e as &dyn RowSync);
        let first = first_core[index];
        let vector = |op, sources: Vec<usize>, outputs| VectorLayer {
            op,
            sources: sources.iter().map(|&p| (maps[p], net.layers[p].shape)).collect(),
            outputs,
            shape: layer.shape,
            activation: if matches!(op, NetOp::Concat) { Activation::None } else { layer.activation },
            requant: layer.requant,
        };
        let cores = match &layer.op {
            NetOp::Input { data } => {
                if let Some(values) = data {
                    memory.extend(place_map(&maps[index], layer.shape, values).map_err(located)?);
                }
                Vec::new()
            }
            NetOp::Concat if copies[index].is_empty() => Vec::new(),
            NetOp::Concat => {
                // The inputs that could not be written in place, copied in,
                // all in one pass over the rows.
                let (inputs, outputs) = copies[index]
                    .iter()
                    .map(|&(input, channel)| (input, MapView { base: maps[index].base + channel, ..maps[index] }))
                    .unzip();
                vector(&layer.op, inputs, outputs).programs(first, chip, layer_edges).map_err(located)?
            }
            NetOp::Conv { matrix, plan, window, bias, data, replicas } => {
                let [channels, height, width] = layer.shape;
                let bias_at = next;
                if *bias {
                    next += channels;
                    if let Some(values) = data.as_ref().and_then(|d| d.bias.as_ref()) {
                        memory.push(MemoryInit { address: bias_at as u64, values: values.clone() });
                    }
                }
                let weights = |tile: usize| {
                    data.as_ref().map(|d| tile_weights(&d.weights, matrix, window, plan, &plan.tiles[tile]))
                };
                let per_replica = core_counts[index] / *replicas as u32;
                let mut cores = Vec::new();
                for r in 0..*replicas {
                    // Replica r's row y is the layer's row r + d * y: its
                    // maps and window seen that way.
                    let output = maps[index];
                    let output = MapView { base: output.base + r * output.row, row: output.row * replicas, ..output };
                    let mut replica_window = *window;
                    replica_window.stride[0] *= replicas;
                    replica_window.pad[0] -= r * window.stride[0];
                    let io = Io {
                        width,
                        windows: Windows::Map { map: maps[layer.inputs[0]], window: replica_window },
                        output,
                        bias: bias_at,
                    };
                    let shape = Layer {
                        pixels: (height - r + replicas - 1) / replicas * width,
                        channels,
                        slices: matrix.slices,
                        window: matrix.rows(),
                        bias: *bias,
                        activation: layer.activation,
                        requant: layer.requant,
                    };
                    let replica_edges = edges.as_ref().and_then(|e| e.of(index, r as usize)).map(|e| e as &dyn RowSync);
                    let mut replica = layer_cores(&shape, &io, plan, scheme, chip.crossbars, &weights, replica_edges)
                        .map_err(|e| located(e.to_string()))?;
                    relocate(&mut replica, first + r as u32 * per_replica);
                    cores.extend(replica);
                }
                cores
            }
            op => vector(op, layer.inputs.clone(), vec![maps[index]])
                .programs(first, chip, layer_edges)
                .map_err(located)?,
        };
        debug_assert!(cores.iter().all(|c| placed(index).contains(&c.core)));
        phases.push(cores);
    }
    if next > chip.shared_words {
        return error(format!(
            "the network's feature maps and biases take {next} words of shared memory, the chip has {}",
            chip.shared_words
        ));
    }
    if i64::from(inferences) * next > chip.shared_words {
        return error(format!(
            "{inferences} inferences in flight take {inferences} x {next} words of shared memory (each its own \
             feature maps), the chip has {}",
            chip.shared_words
        ));
    }
    let cores = phases.iter().map(|phase| phase.iter().map(|c| c.core).collect()).collect();
    let programs = match sync {
        NetworkSync::LayerByLayer => layer_by_layer(phases, inferences > 1),
        NetworkSync::Pipelined => {
            let mut programs: Vec<CoreProgram> = phases.into_iter().flatten().collect();
            programs.sort_by_key(|c| c.core);
            programs
        }
    };
    let mut program = Program { cores: programs, memory };
    if inferences > 1 {
        program =
            stream(&program, next, inferences).map_err(|e| NetError { message: format!("internal error: {e}") })?;
    }
    Ok(NetProgram { program, cores, maps, shared_words: next, crossbars_used })
}

/// Shared memory for the feature maps: one buffer per layer that is not
/// written into a concat's, with the border its convs need. Returns each
/// layer's output view, the zeros of the borders, and the first free word.
fn allocate(net: &Net, storage: &[(usize, i64)]) -> (Vec<MapView>, Vec<MemoryInit>, i64) {
    let mut buffers: HashMap<usize, Buffer> = HashMap::new();
    for (index, layer) in net.layers.iter().enumerate() {
        if storage[index].0 == index {
            let [channels, height, width] = layer.shape;
            buffers.insert(index, Buffer { channels, height, width, ..Buffer::default() });
        }
    }
    for layer in &net.layers {
        if let NetOp::Conv { window, .. } = &layer.op {
            let source = &net.layers[layer.inputs[0]];
            let buffer = buffers.get_mut(&storage[layer.inputs[0]].0).expect("every storage has a buffer");
            buffer.border = buffer.border.max(border(window, source.shape, layer.shape));
        }
    }
    let mut next = 0i64;
    let mut memory = Vec::new();
    let mut order: Vec<usize> = buffers.keys().copied().collect();
    order.sort_unstable();
    for index in order {
        let buffer = buffers.get_mut(&index).expect("listed");
        buffer.start = next;
        next += buffer.words();
        memory.extend(buffer.border_zeros());
    }
    let maps = storage.iter().map(|&(buffer, channel)| buffers[&buffer].view(channel)).collect();
    (maps, memory, next)
}

/// The first core and the number of cores of each layer. Crossbar layers
/// take cores of their own, in network order. Vector layers (and concats
/// that copy) run on up to `chip.vector_cores` cores: layer by layer,
/// those of the layer feeding them, idle by then; pipelined, cores of
/// their own, since every layer is busy at once.
fn allocate_cores(net: &Net, copies: &[Vec<(usize, i64)>], chip: &NetChip, sync: NetworkSync) -> (Vec<u32>, Vec<u32>) {
    let mut first = vec![0u32; net.layers.len()];
    let mut count = vec![0u32; net.layers.len()];
    let mut free = 0u32;
    for (index, layer) in net.layers.iter().enumerate() {
        let vector = VectorLayer {
            op: &layer.op,
            sources: Vec::new(),
            outputs: Vec::new(),
            shape: layer.shape,
            activation: Activation::None,
            requant: None,
        };
        count[index] = match &layer.op {
            NetOp::Input { .. } => 0,
            NetOp::Conv { plan, replicas, .. } => (core_tiles(plan, chip.crossbars).len() as i64 * replicas) as u32,
            NetOp::Concat if copies[index].is_empty() => 0,
            _ => vector.core_count(chip) as u32,
        };
        let own = sync == NetworkSync::Pipelined || matches!(layer.op, NetOp::Conv { .. });
        first[index] = if own { free } else { layer.inputs.iter().find(|&&p| count[p] > 0).map_or(0, |&p| first[p]) };
        if own {
            free += count[index];
        }
    }
    (first, count)
}

/// Row synchronization of a pipelined network ([`NetworkSync::Pipelined`]),
/// on the sequence registers of each core: register 0 holds a crossbar
/// layer's own hand-offs (as layer by layer); register 1 passes finished
/// rows along the cores that finish a layer's rows; register `2 + k` of a
/// core that reads maps counts the rows its `k`-th producer has finished (a
/// layer writing a map it reads, or one of the inputs of a concat it reads).
///
/// The cores that finish a layer's rows take them in turn and form a ring:
/// for a crossbar layer, the last core of each column block of each
/// replica (replica `r` of `d` computes rows `r, r + d, ...`), in the order
/// replica by replica, block by block; for a vector layer, its cores (core
/// `k` of `K` computes rows `k, k + K, ...`); for a global pooling, its
/// cores, each a share of the channels of its one row. Member `m` of a ring
/// of `M` members (`V` per replica), having finished its part of row `y`,
/// waits until its register 1 holds `y * V + v` (rows before `y` finished
/// and the blocks before its own of row `y`), then raises its successor's
/// to one more; the last block of a replica also tells the readers `y + 1`.
/// Each register 1 has one writer; each value a reader is told counts rows
/// all finished, so that several writers of one register never overstate.
/// The readers are every core of the consumers (each loads its own slice
/// of the windows): before an output row they wait until each producer has
/// counted the input rows its windows reach. No core waits for a later
/// layer, so no DAG deadlocks.
struct RowEdges {
    /// Per layer, per replica (one for all but duplicated crossbar layers;
    /// none for layers without cores).
    layers: Vec<Vec<LayerEdges>>,
}

/// What one replica of a layer does at the edges of its rows.
#[derive(Debug, Clone)]
struct LayerEdges {
    /// The producers it waits for: the `k`-th counts in register `2 + k`.
    producers: usize,
    /// Its row `y` reads input rows below `min(height, stride * y +
    /// offset)`.
    stride: i64,
    offset: i64,
    height: i64,
    /// Its row `y` is the layer's row `row_first + row_step * y` (a
    /// replica's rows, or a vector core's, which are the layer's already).
    row_first: i64,
    row_step: i64,
    finish: Finish,
    /// The cores told when a row is finished, each with its register.
    readers: Vec<(u32, u32)>,
}

/// The ring of the cores that finish a layer's rows ([`RowEdges`]).
#[derive(Debug, Clone)]
struct Finish {
    /// The ring's members, in order: `blocks` of each turn.
    members: Vec<u32>,
    blocks: u32,
    /// Cores per block: only the last of a block finishes its rows.
    h_count: i64,
    /// This replica's first member; a core is member `first_member + its
    /// block` (a vector core: block `k`, of its own turn).
    first_member: u32,
}

impl RowEdges {
    fn new(
        net: &Net,
        copies: &[Vec<(usize, i64)>],
        first: &[u32],
        count: &[u32],
        chip: &NetChip,
    ) -> Result<Self, NetError> {
        // The layers that write a layer's output: itself, or for a concat,
        // whoever writes its inputs (in place or read by its copies) and
        // its copies.
        let mut writers: Vec<Vec<usize>> = Vec::with_capacity(net.layers.len());
        for (index, layer) in net.layers.iter().enumerate() {
            let mut own: Vec<usize> = Vec::new();
            if layer.op == NetOp::Concat {
                own.extend(layer.inputs.iter().flat_map(|&input| writers[input].iter().copied()));
            }
            if count[index] > 0 {
                own.push(index);
            }
            own.sort_unstable();
            own.dedup();
            writers.push(own);
        }
        let mut layers: Vec<Vec<LayerEdges>> = Vec::with_capacity(net.layers.len());
        let mut producers_of: Vec<Vec<usize>> = Vec::with_capacity(net.layers.len());
        for (index, layer) in net.layers.iter().enumerate() {
            if count[index] == 0 {
                layers.push(Vec::new());
                producers_of.push(Vec::new());
                continue;
            }
            let read: Vec<usize> = match layer.op {
                NetOp::Concat => copies[index].iter().map(|&(input, _)| input).collect(),
                _ => layer.inputs.clone(),
            };
            let mut producers: Vec<usize> = Vec::new();
            for &writer in read.iter().flat_map(|&input| &writers[input]) {
                if writer != index && !producers.contains(&writer) {
                    producers.push(writer);
                }
            }
            let height = read.first().map_or(0, |&input| net.layers[input].shape[1]);
            let cores = first[index]..first[index] + count[index];
            // The window's reach, the turns (replicas, or vector cores
            // taking rows in turn), the blocks of a turn and their cores.
            let ([stride, offset], turns, blocks, h_count) = match &layer.op {
                NetOp::Conv { plan, window, replicas, .. } => {
                    let h_count = group_members(plan.h, chip.crossbars);
                    (reach(window), *replicas, count[index] / *replicas as u32 / h_count as u32, h_count)
                }
                NetOp::Pool { kernel, stride, dilation, pads, .. } => {
                    let window = Window {
                        kernel: *kernel,
                        stride: *stride,
                        dilation: *dilation,
                        pad: [pads[0], pads[1]],
                        group_channels: 1,
                    };
                    (reach(&window), i64::from(count[index]), 1, 1)
                }
                NetOp::GlobalAvgPool => ([0, height], 1, count[index], 1),
                _ => ([1, 1], i64::from(count[index]), 1, 1),
            };
            let members: Vec<u32> = cores.clone().skip(h_count as usize - 1).step_by(h_count as usize).collect();
            let edges = (0..turns)
                .map(|r| {
                    // A crossbar layer's replica walks its own rows; a
                    // vector core's rows are the layer's.
                    let (row_first, row_step) =
                        if matches!(layer.op, NetOp::Conv { .. }) { (r, turns) } else { (0, 1) };
                    LayerEdges {
                        producers: producers.len(),
                        stride: stride * row_step,
                        offset: offset + stride * row_first,
                        height,
                        row_first,
                        row_step,
                        finish: Finish { members: members.clone(), blocks, h_count, first_member: r as u32 * blocks },
                        readers: Vec::new(),
                    }
                })
                .collect();
            layers.push(edges);
            producers_of.push(producers);
        }
        let widest = (0..net.layers.len()).max_by_key(|&l| producers_of[l].len()).unwrap_or(0);
        let registers = 2 + producers_of.get(widest).map_or(0, Vec::len) as i64;
        if registers > chip.registers {
            return error(format!(
                "pipelined synchronization needs {registers} sequence registers per core (sync.registers): two, and \
                 one per producer of layer '{}', which waits for {}; the chip has {}",
                net.layers[widest].name,
                producers_of[widest].len(),
                chip.registers
            ));
        }
        // Tell each producer who reads it, and on which register.
        for consumer in 0..net.layers.len() {
            let reading: Vec<u32> = (first[consumer]..first[consumer] + count[consumer]).collect();
            for (k, &producer) in producers_of[consumer].iter().enumerate() {
                let register = 2 + k as u32;
                for edges in &mut layers[producer] {
                    edges.readers.extend(reading.iter().map(|&core| (core, register)));
                }
            }
        }
        Ok(RowEdges { layers })
    }

    /// The edges of a replica of a layer that has cores.
    fn of(&self, layer: usize, replica: usize) -> Option<&LayerEdges> {
        self.layers[layer].get(replica)
    }
}

/// The `[stride, offset]` of the input rows a window reaches: output row
/// `y` reads input rows below `stride * y + offset`.
fn reach(window: &Window) -> [i64; 2] {
    [window.stride[0], (window.kernel[0] - 1) * window.dilation[0] + 1 - window.pad[0]]
}

impl RowSync for LayerEdges {
    /// Waits until each producer has counted the input rows that row `y`
    /// reaches: `min(height, stride * y + offset)`, affine over `y`'s loop
    /// (whose first row is `y`'s constant: loops are cut at
    /// [`RowSync::breaks`], where the count stops growing); none where no
    /// input row is reached.
    fn before_row(&self, _: RowSeat, y: &Affine) -> Vec<Instr> {
        let reached = self.stride * y.constant + self.offset;
        let value = if reached >= self.height {
            Affine::constant(self.height)
        } else if reached <= 0 {
            return Vec::new();
        } else {
            Affine { constant: reached, terms: y.terms.iter().map(|(v, c)| (v.clone(), c * self.stride)).collect() }
        };
        (0..self.producers).map(|k| Instr::Wait { register: 2 + k as u32, value: value.clone() }).collect()
    }

    fn after_row(&self, seat: RowSeat, y: &Affine) -> Vec<Instr> {
        let Finish { members, blocks, h_count, first_member } = &self.finish;
        if self.readers.is_empty() || seat.h != h_count - 1 {
            return Vec::new();
        }
        // The layer's row, and this core's place in the ring.
        let row = Affine {
            constant: self.row_first + self.row_step * y.constant,
            terms: y.terms.iter().map(|(v, c)| (v.clone(), c * self.row_step)).collect(),
        };
        let block = seat.block as u32 % blocks;
        let member = (first_member + seat.block as u32) as usize;
        let turn = |extra: i64| Affine {
            constant: row.constant * i64::from(*blocks) + i64::from(block) + extra,
            terms: row.terms.iter().map(|(v, c)| (v.clone(), c * i64::from(*blocks))).collect(),
        };
        let mut body = Vec::new();
        if members.len() > 1 {
            body.push(Instr::Wait { register: 1, value: turn(0) });
            let next = members[(member + 1) % members.len()];
            body.push(Instr::Call { core: next, register: 1, value: turn(1) });
        }
        if block + 1 == *blocks {
            let done = offset(&row, 1);
            body.extend(self.readers.iter().map(|&(core, register)| Instr::Call {
                core,
                register,
                value: done.clone(),
            }));
        }
        body
    }

    /// The first row whose windows reach an input row, and the first that
    /// reach every input row.
    fn breaks(&self) -> Vec<i64> {
        if self.stride == 0 || self.producers == 0 {
            return Vec::new();
        }
        let first_reaching = |rows: i64| {
            let beyond = rows - self.offset;
            beyond.div_euclid(self.stride) + i64::from(beyond.rem_euclid(self.stride) != 0)
        };
        vec![first_reaching(1), first_reaching(self.height)]
    }
}

/// The cores of the layers without crossbars (pooling, residual adds,
/// concats that copy) that no crossbar layer shares: pipelined, they have
/// cores of their own; layer by layer, they use their producers' cores.
pub fn vector_cores(net: &Net, chip: &NetChip, sync: NetworkSync) -> i64 {
    if sync == NetworkSync::LayerByLayer {
        return 0;
    }
    let (_, copies) = storage(net);
    let (_, count) = allocate_cores(net, &copies, chip, sync);
    net.layers
        .iter()
        .zip(count)
        .filter(|(layer, _)| !matches!(layer.op, NetOp::Conv { .. }))
        .map(|(_, cores)| i64::from(cores))
        .sum()
}

/// Checks that every layer reads earlier layers, as many as its op takes,
/// of shapes it can read.
fn check_structure(net: &Net) -> Result<(), NetError> {
    for (index, layer) in net.layers.iter().enumerate() {
        let wrong = |what: String| error(format!("layer '{}': {what}", layer.name));
        if let Some(&later) = layer.inputs.iter().find(|&&p| p >= index) {
            return wrong(format!("reads layer #{later}, which does not come before it"));
        }
        let arity = match layer.op {
            NetOp::Input { .. } => 0..=0,
            NetOp::Add => 2..=2,
            NetOp::Concat => 1..=usize::MAX,
            _ => 1..=1,
        };
        if !arity.contains(&layer.inputs.len()) {
            return wrong(format!("reads {} maps", layer.inputs.len()));
        }
        let shapes: Vec<[i64; 3]> = layer.inputs.iter().map(|&p| net.layers[p].shape).collect();
        match &layer.op {
            NetOp::Conv { replicas, .. } if !(1..=layer.shape[1]).contains(replicas) => {
                return wrong(format!("{replicas} replicas of {} output rows", layer.shape[1]))
            }
            NetOp::Add if shapes[0] != layer.shape || shapes[1] != layer.shape => {
                return wrong(format!("adds maps of shapes {shapes:?} into {:?}", layer.shape))
            }
            NetOp::Concat
                if shapes.iter().any(|s| s[1..] != layer.shape[1..])
                    || shapes.iter().map(|s| s[0]).sum::<i64>() != layer.shape[0] =>
            {
                return wrong(format!("concatenates maps of shapes {shapes:?} along channels into {:?}", layer.shape))
            }
            _ => {}
        }
    }
    match net.outputs.iter().find(|&&o| o >= net.layers.len()) {
        Some(o) => error(format!("output #{o} is not a layer")),
        None => Ok(()),
    }
}

/// Where each layer's output is stored: `(layer owning the buffer,
/// channel offset)`. An input of a concat is written into the concat's
/// buffer (which may itself be part of another concat's), except the
/// network input and a layer already written into another concat: those
/// the concat copies, listed per concat as `(input, channel offset)`.
type Storage = (Vec<(usize, i64)>, Vec<Vec<(usize, i64)>>);

fn storage(net: &Net) -> Storage {
    let mut storage: Vec<(usize, i64)> = (0..net.layers.len()).map(|l| (l, 0)).collect();
    let mut copies = vec![Vec::new(); net.layers.len()];
    let mut in_place = vec![false; net.layers.len()];
    for (index, layer) in net.layers.iter().enumerate().rev() {
        if layer.op != NetOp::Concat {
            continue;
        }
        let mut channel = storage[index].1;
        for &input in &layer.inputs {
            let source = &net.layers[input];
            if in_place[input] || matches!(source.op, NetOp::Input { .. }) {
                // Relative to the concat's own view.
                copies[index].push((input, channel - storage[index].1));
            } else {
                in_place[input] = true;
                storage[input] = (storage[index].0, channel);
            }
            channel += source.shape[0];
        }
    }
    (storage, copies)
}

/// The border a map of `input` (channels, height, width) needs for a conv
/// `window` producing `output`: the farthest its windows reach outside.
fn border(window: &Window, input: [i64; 3], output: [i64; 3]) -> i64 {
    (0..2)
        .map(|d| {
            let reach =
                (output[1 + d] - 1) * window.stride[d] - window.pad[d] + (window.kernel[d] - 1) * window.dilation[d];
            window.pad[d].max(reach + 1 - input[1 + d])
        })
        .max()
        .unwrap_or(0)
        .max(0)
}

/// NCHW `values` of a map of `shape` written into `map`, a run per row.
fn place_map(map: &MapView, shape: [i64; 3], values: &[f64]) -> Result<Vec<MemoryInit>, String> {
    let [channels, height, width] = shape;
    if values.len() as i64 != channels * height * width {
        return Err(format!("{} input values for a map of {channels}x{height}x{width}", values.len()));
    }
    let mut runs = Vec::new();
    for y in 0..height {
        let mut row = Vec::with_capacity((width * map.pixel) as usize);
        for x in 0..width {
            for c in 0..map.pixel {
                row.push(if c < channels { values[((c * height + y) * width + x) as usize] } else { 0.0 });
            }
        }
        runs.push(MemoryInit { address: (map.base + y * map.row) as u64, values: row });
    }
    Ok(runs)
}

/// The cells of one tile of a conv's tap-major kernel matrix, row-major:
/// a tile of one group holds its rows `tile.rows` (tap, then input channel
/// of the group); a packed tile holds whole groups, tap-major over all
/// their input channels ([`crate::schedule::Window`]), zero off the
/// groups' diagonal blocks.
pub fn tile_weights(weights: &[f64], matrix: &KernelMatrix, window: &Window, plan: &TilePlan, tile: &Tile) -> Vec<f64> {
    let cin = window.group_channels;
    let taps = window.kernel[0] * window.kernel[1];
    let cout = matrix.cols_per_group / matrix.slices;
    let channels = tile.cols[0] / matrix.slices..tile.cols[1] / matrix.slices;
    let weight = |o: i64, group: i64, ci: i64, tap: i64| {
        if o / cout == group {
            weights[((o * cin + ci) * taps + tap) as usize]
        } else {
            0.0
        }
    };
    let group_rows = taps * cin;
    let mut cells = Vec::new();
    for row in tile.rows[0]..tile.rows[1] {
        let (group, tap, ci) = if plan.groups_per_tile > 1 {
            let i = row - tile.rows[0];
            let across = (tile.rows[1] - tile.rows[0]) / taps;
            (tile.rows[0] / group_rows + i % across / cin, i / across, i % cin)
        } else {
            let local = row % group_rows;
            (row / group_rows, local / cin, local % cin)
        };
        cells.extend(channels.clone().map(|o| weight(o, group, ci, tap)));
    }
    cells
}

/// Renumbers a layer's cores from `first` on, and the cores their
/// schedule's hand-offs (register 0) signal; row synchronization names the
/// chip's cores already.
fn relocate(cores: &mut [CoreProgram], first: u32) {
    fn body(instrs: &mut [Instr], first: u32) {
        for instr in instrs {
            match instr {
                Instr::Call { core, register: 0, .. } | Instr::Put { core, .. } => *core += first,
                Instr::Loop { body: inner, .. } => body(inner, first),
                _ => {}
            }
        }
    }
    for core in cores {
        core.core += first;
        body(&mut core.body, first);
    }
}

/// One program per core from each layer's programs, in network order:
/// after a layer, every core that worked on it or has work left arrives at
/// a barrier; a core's
/// sequence values count on from what earlier layers raised it to.
fn layer_by_layer(phases: Vec<Vec<CoreProgram>>, every_barrier: bool) -> Vec<CoreProgram> {
    let last_phase: HashMap<u32, usize> =
        phases.iter().enumerate().flat_map(|(phase, cores)| cores.iter().map(move |c| (c.core, phase))).collect();
    let mut programs: HashMap<u32, CoreProgram> =
        last_phase.keys().map(|&core| (core, CoreProgram { core, crossbars: Vec::new(), body: Vec::new() })).collect();
    let mut base: HashMap<u32, i64> = HashMap::new();
    let busy: Vec<usize> = (0..phases.len()).filter(|&p| !phases[p].is_empty()).collect();
    for (k, &phase) in busy.iter().enumerate() {
        let mut raised: HashMap<u32, i64> = HashMap::new();
        for mut core in phases[phase].clone() {
            core.body.retain(|instr| *instr != Instr::Halt);
            shift_sequences(&mut core.body, core.core, &base, &mut raised, &mut Vec::new());
            let program = programs.get_mut(&core.core).expect("every core with work has a program");
            program.crossbars.extend(core.crossbars);
            program.body.extend(core.body);
        }
        for (core, value) in raised {
            base.insert(core, value);
        }
        if k + 1 < busy.len() {
            for (core, program) in programs.iter_mut() {
                // A core that halts after this layer arrives too: the
                // barrier orders its writes before the next layer's reads.
                // Streaming, every core arrives at every barrier: none halts
                // before the last inference.
                if every_barrier || last_phase[core] >= phase {
                    program.body.push(Instr::Barrier { id: k as u32 });
                }
            }
        }
    }
    let mut cores: Vec<CoreProgram> = programs.into_values().collect();
    for core in &mut cores {
        core.body.push(Instr::Halt);
    }
    cores.sort_by_key(|c| c.core);
    cores
}

/// Adds to every sequence value of `core`'s `body` the base of the core it
/// concerns, and records in `raised` the highest value each core's register
/// is raised to; `loops` are the enclosing loops' counters and trips.
fn shift_sequences(
    body: &mut [Instr],
    core: u32,
    base: &HashMap<u32, i64>,
    raised: &mut HashMap<u32, i64>,
    loops: &mut Vec<(String, i64)>,
) {
    let base_of = |c: u32| base.get(&c).copied().unwrap_or(0);
    for instr in body {
        match instr {
            // Layers run one after another on register 0.
            Instr::Wait { register: 0, value } => value.constant += base_of(core),
            Instr::Call { core: target, register: 0, value } | Instr::Put { core: target, signal: value, .. } => {
                value.constant += base_of(*target);
                let top = raised.entry(*target).or_insert(0);
                *top = (*top).max(highest(value, loops));
            }
            Instr::Loop { var, count, body } => {
                loops.push((var.clone(), i64::from(*count)));
                shift_sequences(body, core, base, raised, loops);
                loops.pop();
            }
            _ => {}
        }
    }
}

/// A layer on the vector units, with where it reads and writes.
struct VectorLayer<'a> {
    op: &'a NetOp,
    sources: Vec<(MapView, [i64; 3])>,
    /// Where it writes: one map, or for a concat, where each source goes.
    outputs: Vec<MapView>,
    shape: [i64; 3],
    activation: Activation,
    requant: Option<u32>,
}

impl VectorLayer<'_> {
    /// How many cores it runs on: one per output row (or for a global
    /// pooling, per channel), at most `chip.vector_cores`.
    fn core_count(&self, chip: &NetChip) -> i64 {
        let [channels, height, _] = self.shape;
        let units = if matches!(self.op, NetOp::GlobalAvgPool) { channels } else { height };
        units.min(chip.vector_cores).max(1)
    }

    /// The programs of its cores, numbered from `first`: core `k` of `K`
    /// computes output rows `k, k + K, ...` (a global pooling: channels
    /// split evenly), with `edges` at the edges of each row.
    fn programs(&self, first: u32, chip: &NetChip, edges: Option<&dyn RowSync>) -> Result<Vec<CoreProgram>, String> {
        let [channels, height, _] = self.shape;
        let count = self.core_count(chip);
        let mut cores = Vec::new();
        for k in 0..count {
            let seat = RowSeat { core: k as usize, block: k as usize, h: 0, h_count: 1 };
            let around = |y: &Affine, row: Vec<Instr>| {
                let mut body = edges.map(|e| e.before_row(seat, y)).unwrap_or_default();
                body.extend(row);
                body.extend(edges.map(|e| e.after_row(seat, y)).unwrap_or_default());
                body
            };
            let body = match self.op {
                NetOp::GlobalAvgPool => {
                    let share = k * channels / count..(k + 1) * channels / count;
                    around(&Affine::constant(0), self.global_pool(share, chip.local_words)?)
                }
                NetOp::Add | NetOp::Concat => {
                    let row = self.elementwise_row(chip.local_words)?;
                    interleaved_rows(k, count, height, &[], edges, &|y, _| around(y, row(y)))
                }
                NetOp::Pool { kind, kernel, stride, dilation, pads } => {
                    let pad = [pads[0], pads[1]];
                    let window =
                        Window { kernel: *kernel, stride: *stride, dilation: *dilation, pad, group_channels: channels };
                    let in_height = self.sources[0].1[1];
                    let end_pads = [pads[2], pads[3]];
                    let rows = regions(0..height, in_height, &window, end_pads[0], 0);
                    if let Some((ys, _, _)) = rows.iter().find(|(_, taps, _)| taps.is_empty()) {
                        return Err(format!(
                            "the pooling window at output row {} lies entirely in the padding",
                            ys.start
                        ));
                    }
                    let cuts: Vec<i64> = rows.iter().map(|(ys, _, _)| ys.start).collect();
                    let row =
                        |y: &Affine, first: i64| around(y, self.pool_row(*kind, &window, end_pads, y, first, chip));
                    interleaved_rows(k, count, height, &cuts, edges, &row)
                }
                _ => unreachable!("only vector layers"),
            };
            if !body.is_empty() {
                cores.push(CoreProgram { core: first + k as u32, crossbars: Vec::new(), body });
            }
        }
        Ok(cores)
    }

    /// The channel chunks a core's local memory takes when it holds
    /// `vectors` vectors of a chunk at once.
    fn chunks(&self, channels: Range<i64>, vectors: i64, local_words: i64) -> Result<Vec<Range<i64>>, String> {
        let size = local_words / vectors;
        if size < 1 {
            return Err(format!("needs {vectors} words of local memory, the core has {local_words}"));
        }
        Ok((channels.start..channels.end).step_by(size as usize).map(|c| c..(c + size).min(channels.end)).collect())
    }

    /// The requantization, the activation and the store of `n` words from
    /// local 0 to pixel `(y, x)`, channel `channel`, of the output.
    fn finish(&self, y: &Affine, x: &Affine, channel: i64, n: u32) -> Vec<Instr> {
        let c = Affine::constant;
        let requant = self.requant.map(|shift| UnaryOp::Requant { shift });
        let mut body: Vec<Instr> = requant
            .into_iter()
            .chain(activation_op(self.activation))
            .map(|op| Instr::Unary { op, dst: c(0), a: c(0), n })
            .collect();
        body.push(Instr::Store { shared: self.outputs[0].at(y, x, channel), local: c(0), n, class: Class::Output });
        body
    }

    /// Pooling of output row `y`, whose valid taps are those of row
    /// `first` (the loop's first row), region by region of equal valid
    /// taps along the row; `end_pads` the bottom and right padding. The
    /// windows' rows are known to reach into the input.
    fn pool_row(
        &self,
        kind: PoolKind,
        window: &Window,
        end_pads: [i64; 2],
        y: &Affine,
        first: i64,
        chip: &NetChip,
    ) -> Vec<Instr> {
        let (source, [_, in_h, in_w]) = self.sources[0];
        let [channels, _, width] = self.shape;
        let (_, ty, padded_y) = regions(first..first + 1, in_h, window, end_pads[0], 0).remove(0);
        // At most as many channels at once as the valid taps leave room for.
        let taps = (ty.end - ty.start) * window.kernel[1];
        let size = (chip.local_words / taps).max(1);
        let chunks: Vec<Range<i64>> =
            (0..channels).step_by(size as usize).map(|c| c..(c + size).min(channels)).collect();
        let mut body = Vec::new();
        for (xs, tx, padded_x) in regions(0..width, in_w, window, end_pads[1], 1) {
            let valid = (ty.end - ty.start) * (tx.end - tx.start);
            let x = Affine::constant(xs.start).plus("x", 1);
            let mut pixel = Vec::new();
            for chunk in &chunks {
                let n = chunk.end - chunk.start;
                let segments: Vec<Segment> = ty
                    .clone()
                    .flat_map(|i| tx.clone().map(move |j| [i, j]))
                    .enumerate()
                    .map(|(t, tap)| Segment { local: t as i64 * n, tap, channel: chunk.start, n })
                    .collect();
                let segments = merge_segments(&source, window, segments);
                let at = Pixel { y: y.clone(), x: x.clone() };
                pixel.extend(window_loads(&source, window, &segments, &at, Class::Input));
                let op = if kind == PoolKind::Max { BinaryOp::Max } else { BinaryOp::Add };
                let c = Affine::constant;
                for t in 1..valid {
                    pixel.push(Instr::Binary { op, dst: c(0), a: c(0), b: c(t * n), n: n as u32 });
                }
                if let PoolKind::Avg { count_include_pad } = kind {
                    let count = if count_include_pad { padded_y * padded_x } else { valid };
                    let avg = UnaryOp::Avg { count: count as u32 };
                    pixel.push(Instr::Unary { op: avg, dst: c(0), a: c(0), n: n as u32 });
                }
                pixel.extend(self.finish(y, &x, chunk.start, n as u32));
            }
            body.extend(along_row(xs.end - xs.start, pixel));
        }
        body
    }

    /// Output row `y` of the sum of the inputs (an add), or of each input
    /// copied to its channels (a concat), a loop over `x`.
    fn elementwise_row(&self, local_words: i64) -> Result<impl Fn(&Affine) -> Vec<Instr> + '_, String> {
        let [channels, _, width] = self.shape;
        let c = Affine::constant;
        let x = Affine::constant(0).plus("x", 1);
        let (adds, vectors) =
            if matches!(self.op, NetOp::Add) { (true, self.sources.len() as i64) } else { (false, 1) };
        let chunks = self.chunks(0..channels, vectors, local_words)?;
        Ok(move |y: &Affine| {
            if !adds {
                // Each input's own channels, to its place in the concat.
                let mut row = Vec::new();
                for ((source, [copied, _, _]), output) in self.sources.iter().zip(&self.outputs) {
                    let mut pixel = Vec::new();
                    for chunk in chunks.iter().filter(|chunk| chunk.start < *copied) {
                        let n = (chunk.end.min(*copied) - chunk.start) as u32;
                        let shared = source.at(y, &x, chunk.start);
                        pixel.push(Instr::Load { local: c(0), shared, n, class: Class::Input });
                        let shared = output.at(y, &x, chunk.start);
                        pixel.push(Instr::Store { shared, local: c(0), n, class: Class::Output });
                    }
                    row.extend(along_row(width, pixel));
                }
                return row;
            }
            let mut pixel = Vec::new();
            for chunk in &chunks {
                let n = (chunk.end - chunk.start) as u32;
                for (k, (source, _)) in self.sources.iter().enumerate() {
                    let local = c(k as i64 * i64::from(n));
                    pixel.push(Instr::Load { local, shared: source.at(y, &x, chunk.start), n, class: Class::Input });
                }
                for k in 1..vectors {
                    pixel.push(Instr::Binary { op: BinaryOp::Add, dst: c(0), a: c(0), b: c(k * i64::from(n)), n });
                }
                pixel.extend(self.finish(y, &x, chunk.start, n));
            }
            along_row(width, pixel)
        })
    }

    /// The average over all pixels of the input, of channels `channels`.
    fn global_pool(&self, channels: Range<i64>, local_words: i64) -> Result<Vec<Instr>, String> {
        let (source, [_, height, width]) = self.sources[0];
        let c = Affine::constant;
        let mut body = Vec::new();
        for chunk in self.chunks(channels, 2, local_words)? {
            let n = (chunk.end - chunk.start) as u32;
            let load = |y: Affine, x: Affine, local: i64| Instr::Load {
                local: c(local),
                shared: source.at(&y, &x, chunk.start),
                n,
                class: Class::Input,
            };
            let accumulate = |y: Affine, x: Affine| {
                vec![
                    load(y, x, i64::from(n)),
                    Instr::Binary { op: BinaryOp::Add, dst: c(0), a: c(0), b: c(i64::from(n)), n },
                ]
            };
            body.push(load(c(0), c(0), 0));
            body.extend(rectangle(1, width - 1, accumulate(c(0), c(1).plus("x", 1))));
            body.extend(rectangle(height - 1, width, accumulate(c(1).plus("y", 1), c(0).plus("x", 1))));
            body.push(Instr::Unary { op: UnaryOp::Avg { count: (height * width) as u32 }, dst: c(0), a: c(0), n });
            body.extend(self.finish(&c(0), &c(0), chunk.start, n));
        }
        Ok(body)
    }
}

/// The output coordinates `range` along dimension `d` cut into runs whose
/// windows have the same taps inside an input of `size` and the same count
/// of taps inside the input padded by `window.pad[d]` and `end_pad`: each
/// run with its taps inside and that count.
fn regions(
    range: Range<i64>,
    size: i64,
    window: &Window,
    end_pad: i64,
    d: usize,
) -> Vec<(Range<i64>, Range<i64>, i64)> {
    let (kernel, dilation) = (window.kernel[d], window.dilation[d]);
    let taps = |o: i64| {
        let start = o * window.stride[d] - window.pad[d];
        let reaching = |limit: i64| (0..kernel).filter(|k| start + k * dilation < limit).count() as i64;
        let first = (0..kernel).find(|k| start + k * dilation >= 0).unwrap_or(kernel);
        (first..reaching(size).max(first), reaching(size + end_pad))
    };
    let mut runs: Vec<(Range<i64>, Range<i64>, i64)> = Vec::new();
    for o in range {
        let (inside, padded) = taps(o);
        match runs.last_mut() {
            Some((outputs, last, count)) if (last.clone(), *count) == (inside.clone(), padded) => outputs.end = o + 1,
            _ => runs.push((o..o + 1, inside, padded)),
        }
    }
    runs
}

/// Output rows `k, k + count, ...` below `height` as loops over `y`, cut
/// at `cuts` and at the row synchronization's breaks, so that each loop's
/// rows share the form of `row(y, first)` (`first`: the loop's first row).
fn interleaved_rows(
    k: i64,
    count: i64,
    height: i64,
    cuts: &[i64],
    edges: Option<&dyn RowSync>,
    row: &dyn Fn(&Affine, i64) -> Vec<Instr>,
) -> Vec<Instr> {
    let mut bounds: Vec<i64> = cuts.iter().copied().chain(edges.map(|e| e.breaks()).unwrap_or_default()).collect();
    bounds.extend([0, height]);
    bounds.retain(|&b| (0..=height).contains(&b));
    bounds.sort_unstable();
    bounds.dedup();
    let mut body = Vec::new();
    for pair in bounds.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let first = from + (k - from).rem_euclid(count);
        if first >= to {
            continue;
        }
        let rows = row(&Affine::constant(first).plus("y", count), first);
        if !rows.is_empty() {
            let trips = (to - first + count - 1) / count;
            body.extend(Instr::repeat("y", trips as u32, rows));
        }
    }
    body
}

/// `body` for `cols` pixels of a row, a loop over `x` (the row's own
/// counter, if any, is the caller's); nothing for none.
fn along_row(cols: i64, body: Vec<Instr>) -> Vec<Instr> {
    if cols == 0 {
        return Vec::new();
    }
    Instr::repeat("x", cols as u32, body)
}

/// `body` for every pixel of a `rows x cols` rectangle, its loops over `y`
/// and `x`; nothing for an empty one.
fn rectangle(rows: i64, cols: i64, body: Vec<Instr>) -> Vec<Instr> {
    if rows * cols == 0 {
        return Vec::new();
    }
    Instr::repeat("y", rows as u32, Instr::repeat("x", cols as u32, body))
}
