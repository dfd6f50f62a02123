//! Per-core programs for one tiled layer, for each synchronization scheme
//! of MISSION.md section 3, as instruction-set programs (`rram-isa`): what
//! `rram-sync` writes as `msg` programs, and what experiments simulate
//! directly.
//!
//! Every output pixel's vector (one column block's channels) is owned by
//! one core of its horizontal group at a time. A core loads its slice of
//! the pixel's input window, runs its MVM, and while it owns the vector
//! reads it, adds its partial sum and writes it back; the last owner adds
//! the bias and applies the layer's activation. Ownership moves with CALL (the next owner's
//! sequence register counts the vectors released to it) and WAIT.
//!
//! - Sequential: core `h` starts when core `h-1` has finished every pixel.
//! - Linear: all cores walk the pixels in order; core `h` takes pixel `p`
//!   once core `h-1` has released it: a pipeline.
//! - Cyclic: core `h` starts at pixel `h*P/H` and walks round-robin; pixel
//!   `p` of segment `s` is visited by `s, s-1, ..., s+1` (mod H), so every
//!   core hands vectors to `h-1` and finishes the vectors of segment `h-1`.
//!   Its CALLs hand on up to [`MAX_BATCH`] vectors at once.
//!
//! How a vector travels from owner to owner is the [`Exchange`]: through
//! shared memory (read, add, write back, as above), or, in the linear
//! scheme, core to core: each core `PUT`s its running sum into the next
//! core's local memory, the hand-off riding on the same bus transaction,
//! which moves one vector per step instead of two and drops the CALLs.
//!
//! Cores start one after another ([`StartChain`]), so that identical
//! programs do not ask for the bus in lockstep.
//!
//! Shared memory holds the input in im2col order (a pixel's window is one
//! contiguous vector of the matrix's rows), then the output vectors, then
//! the bias. A core holds one tile, or, with several crossbars per core,
//! adjacent tiles of one group or several single-tile groups
//! ([`core_tiles`]).

use crate::tiling::{core_slots, Tile, TilePlan};
use rram_isa::{Affine, BinaryOp, Class, CoreProgram, Crossbar, Instr, MemoryInit, Program, UnaryOp};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    Sequential,
    Linear,
    Cyclic,
}

impl SyncMode {
    pub const ALL: [SyncMode; 3] = [SyncMode::Sequential, SyncMode::Linear, SyncMode::Cyclic];

    pub fn name(self) -> &'static str {
        match self {
            SyncMode::Sequential => "sequential",
            SyncMode::Linear => "linear",
            SyncMode::Cyclic => "cyclic",
        }
    }
}

/// How a vector's running sum goes from one owner to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Exchange {
    /// Through shared memory: the next owner reads the vector, adds its
    /// partial sum and writes it back (MISSION.md section 3).
    #[default]
    SharedMemory,
    /// Core to core, in the linear scheme: core `h` `PUT`s its running sum
    /// into a ring of [`forward_slots`] receive slots in core `h+1`'s local
    /// memory, the PUT's signal handing the vector on. The ring cannot
    /// overflow: the first core `PUT`s pixel `p` only once the last core
    /// has finished pixel `p - slots` (credits, one CALL per
    /// [`MAX_BATCH`] pixels), and every core is behind the first. Needs an
    /// architecture with `core.remote_writes`, and local memory for the
    /// slots.
    Forward,
}

impl Exchange {
    pub fn name(self) -> &'static str {
        match self {
            Exchange::SharedMemory => "shared-memory",
            Exchange::Forward => "forward",
        }
    }
}

/// A synchronization scheme and how it exchanges partial sums: what a
/// layer's schedule is built from. Printed `linear`, or `linear forward`
/// when the exchange is not through shared memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    pub mode: SyncMode,
    pub exchange: Exchange,
}

impl Scheme {
    /// The linear scheme, forwarding partial sums core to core.
    pub const LINEAR_FORWARD: Scheme = Scheme { mode: SyncMode::Linear, exchange: Exchange::Forward };

    /// Every scheme with a schedule: the published ones, then linear forwarding.
    pub const ALL: [Scheme; 4] = [
        Scheme { mode: SyncMode::Sequential, exchange: Exchange::SharedMemory },
        Scheme { mode: SyncMode::Linear, exchange: Exchange::SharedMemory },
        Scheme { mode: SyncMode::Cyclic, exchange: Exchange::SharedMemory },
        Scheme::LINEAR_FORWARD,
    ];

    /// The options of `rram-sync` that ask for this scheme.
    pub fn pass_options(self) -> String {
        format!("mode={} exchange={}", self.mode.name(), self.exchange.name())
    }
}

impl From<SyncMode> for Scheme {
    /// `mode` through shared memory, as published.
    fn from(mode: SyncMode) -> Self {
        Scheme { mode, exchange: Exchange::SharedMemory }
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.exchange {
            Exchange::SharedMemory => write!(f, "{}", self.mode.name()),
            exchange => write!(f, "{} {}", self.mode.name(), exchange.name()),
        }
    }
}

/// A combination of scheme and exchange that has no schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the {} scheme cannot forward partial sums core to core: a vector's next owner takes it up {}, so it would \
     wait in local memory; forwarding needs the linear scheme",
    mode.name(),
    if *mode == SyncMode::Sequential { "only after all pixels" } else { "to P/H steps later" }
)]
pub struct UnsupportedExchange {
    pub mode: SyncMode,
}

/// The receive slots a core of a horizontal group of `h` needs when
/// partial sums are forwarded: the first core runs up to `h - 1` pixels
/// ahead of the last and credits come [`MAX_BATCH`] at a time, so a
/// multiple of the batch above `h + MAX_BATCH` never holds the pipeline up.
pub fn forward_slots(h: i64) -> i64 {
    MAX_BATCH * ((h + MAX_BATCH - 1) / MAX_BATCH + 1)
}

/// What a layer's schedule needs to know besides its tiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layer {
    /// Output pixels (OH * OW, batch 1).
    pub pixels: i64,
    /// Output channels.
    pub channels: i64,
    /// Cells per weight: a tile of `c` columns computes `c / slices` channels.
    pub slices: i64,
    /// Rows of the whole kernel matrix: the length of a pixel's input window.
    pub window: i64,
    /// Whether the last owner adds a bias vector (`channels` words after
    /// the outputs in shared memory).
    pub bias: bool,
    /// Applied by the last owner after the bias.
    pub activation: Activation,
    /// In an int8 network: the last owner requantizes the sum (`REQUANT`
    /// by this shift) after the bias, before the activation.
    pub requant: Option<u32>,
}

/// The activation fused into a layer's last accumulation step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    None,
    Relu,
    /// `min(max(x, lo), hi)`, e.g. relu6.
    Clip {
        lo: f32,
        hi: f32,
    },
}

/// Where things are in shared memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub inputs: i64,
    pub outputs: i64,
    pub bias: i64,
}

impl Layer {
    pub fn layout(&self) -> Layout {
        let outputs = self.pixels * self.window;
        Layout { inputs: 0, outputs, bias: outputs + self.pixels * self.channels }
    }
}

/// A feature map in shared memory: channel `c` of pixel `(y, x)` is the
/// word `base + y * row + x * pixel + c`. `y` and `x` may lie outside the
/// map where its buffer has a border (the padding of the convs reading it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapView {
    pub base: i64,
    pub row: i64,
    pub pixel: i64,
}

impl MapView {
    /// The address of channel `channel` of pixel `(y, x)`.
    pub fn at(&self, y: &Affine, x: &Affine, channel: i64) -> Affine {
        add(&scaled(y, self.base + channel, self.row), &scaled(x, 0, self.pixel))
    }
}

/// How a conv reads its input map: the window of output pixel `(y, x)`
/// has tap `(i, j)` at input pixel `(y * stride - pad + i * dilation, ...)`.
/// Kernel-matrix rows are tap-major (`(i, j)` row-major, then the group's
/// input channels), so that a window row of taps is one run of words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub kernel: [i64; 2],
    pub stride: [i64; 2],
    pub dilation: [i64; 2],
    /// Top and left padding.
    pub pad: [i64; 2],
    /// Input channels of one group: the rows of a tap.
    pub group_channels: i64,
}

/// Where a layer's input windows are in shared memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Windows {
    /// Staged by the host in im2col order: pixel `p`'s window is `window`
    /// words at `base + p * window` (a walk of one row of pixels).
    Staged { base: i64 },
    /// Read from a feature map.
    Map { map: MapView, window: Window },
}

/// Where a layer reads and writes in shared memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Io {
    /// Output pixels per row: pixel `p` is `(p / width, p % width)`.
    pub width: i64,
    pub windows: Windows,
    pub output: MapView,
    /// The bias vector's address, for a layer with one.
    pub bias: i64,
}

impl Io {
    /// The layout of [`Layer::layout`]: im2col windows staged by the host,
    /// output vectors pixel after pixel, then the bias.
    pub fn staged(layer: &Layer) -> Io {
        let layout = layer.layout();
        Io {
            width: layer.pixels.max(1),
            windows: Windows::Staged { base: layout.inputs },
            output: MapView { base: layout.outputs, row: layer.pixels * layer.channels, pixel: layer.channels },
            bias: layout.bias,
        }
    }
}

/// A core of a layer as row synchronization sees it: its index among the
/// layer's cores, its column block and its place `h` in its horizontal
/// group of `h_count` cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowSeat {
    pub core: usize,
    pub block: usize,
    pub h: i64,
    pub h_count: i64,
}

/// Synchronization at the edges of output rows, for networks whose layers
/// overlap: what a core does before it starts an output row (wait until
/// the input rows it needs are written) and after it finishes one (say
/// so). `y` is affine in the walk's loop counters.
pub trait RowSync {
    fn before_row(&self, seat: RowSeat, y: &Affine) -> Vec<Instr>;
    fn after_row(&self, seat: RowSeat, y: &Affine) -> Vec<Instr>;
    /// The rows at which `before_row` or `after_row` changes form (a wait
    /// that stops growing once every input row is needed): loops over rows
    /// are cut there.
    fn breaks(&self) -> Vec<i64>;
}

/// A run of input words a core loads for every pixel: `n` words to local
/// offset `local` from tap `tap` of the window, channels from `channel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub local: i64,
    pub tap: [i64; 2],
    pub channel: i64,
    pub n: i64,
}

/// The loads of `segments` of `pixel`'s window in `map`.
pub(crate) fn window_loads(
    map: &MapView,
    window: &Window,
    segments: &[Segment],
    pixel: &Pixel,
    class: Class,
) -> Vec<Instr> {
    let along =
        |d: usize, at: &Affine, tap: i64| scaled(at, tap * window.dilation[d] - window.pad[d], window.stride[d]);
    let load = |s: &Segment| {
        let shared = map.at(&along(0, &pixel.y, s.tap[0]), &along(1, &pixel.x, s.tap[1]), s.channel);
        Instr::Load { local: Affine::constant(s.local), shared, n: s.n as u32, class }
    };
    segments.iter().map(load).collect()
}

/// The runs of a tile's rows `rows` in a window read from a map: a tap
/// of the rows each (a packed tile holds whole groups, whose rows are
/// tap-major over all its channels), local offsets from `local`.
fn tile_segments(window: &Window, groups_per_tile: i64, rows: [i64; 2], local: i64) -> Vec<Segment> {
    let Window { kernel, group_channels: cin, .. } = *window;
    let group_rows = kernel[0] * kernel[1] * cin;
    let tap = |t: i64| [t / kernel[1], t % kernel[1]];
    let taps = 0..kernel[0] * kernel[1];
    if groups_per_tile > 1 {
        let channels = rows[1] / group_rows * cin - rows[0] / group_rows * cin;
        let first = rows[0] / group_rows * cin;
        return taps
            .map(|t| Segment { local: local + t * channels, tap: tap(t), channel: first, n: channels })
            .collect();
    }
    let group = rows[0] / group_rows;
    let [lo, hi] = rows.map(|r| r - group * group_rows);
    taps.filter(|t| t * cin < hi && (t + 1) * cin > lo)
        .map(|t| {
            let (from, to) = (lo.max(t * cin), hi.min((t + 1) * cin));
            Segment { local: local + from - lo, tap: tap(t), channel: group * cin + from - t * cin, n: to - from }
        })
        .collect()
}

/// `segments` with each run that continues the previous one in both
/// memories merged into it (taps side by side in a row of the map).
pub(crate) fn merge_segments(map: &MapView, window: &Window, segments: Vec<Segment>) -> Vec<Segment> {
    let offset =
        |s: &Segment| s.tap[0] * window.dilation[0] * map.row + s.tap[1] * window.dilation[1] * map.pixel + s.channel;
    let mut merged: Vec<Segment> = Vec::new();
    for segment in segments {
        match merged.last_mut() {
            Some(last) if last.local + last.n == segment.local && offset(last) + last.n == offset(&segment) => {
                last.n += segment.n
            }
            _ => merged.push(segment),
        }
    }
    merged
}

/// The most vectors one CALL hands on in the cyclic scheme, or returns as
/// credits when forwarding: fewer CALLs mean less synchronization traffic,
/// and on a wide bus, where a 4-byte CALL takes a whole beat, less bus time.
pub const MAX_BATCH: i64 = 8;

/// Where a core's local memory starts: with the input slice ([`Locals`]).
const LOCAL_INPUT: i64 = 0;

/// The tiles each core holds when cores have `crossbars` crossbars: the
/// ranges of the plan's tiles that [`core_slots`] puts on one core, in
/// core order. With one crossbar per core, core `i` holds tile `i`.
pub fn core_tiles(plan: &TilePlan, crossbars: i64) -> Vec<Range<usize>> {
    let slots = core_slots(plan.tiles.iter().map(|t| (0, t.h, plan.h)), crossbars);
    let mut cores: Vec<Range<usize>> = Vec::new();
    for (tile, (core, _)) in slots.into_iter().enumerate() {
        if core as usize + 1 == cores.len() {
            cores[core as usize].end = tile + 1;
        } else {
            cores.push(tile..tile + 1);
        }
    }
    cores
}

/// The members of a horizontal group of `h` tiles on cores of `crossbars`
/// crossbars: the cores that share each output vector, the layer's
/// parallelism limit PV.
pub fn group_members(h: i64, crossbars: i64) -> i64 {
    let per_core = tiles_per_member(h, crossbars);
    (h + per_core - 1) / per_core
}

/// The tiles of a horizontal group of `h` that one core holds on cores of
/// `crossbars` crossbars (the last member may hold fewer).
fn tiles_per_member(h: i64, crossbars: i64) -> i64 {
    crossbars.min(h).max(1)
}

/// The programs of every core for one layer under `scheme`, on cores of
/// `crossbars` crossbars ([`core_tiles`]), and shared memory initialised
/// with `input` (im2col windows, `pixels x window`) and `bias` (for a
/// layer with one) when given (functional runs; timing runs need no data).
/// `weights(tile)` gives a tile's crossbar contents, if any.
///
/// A core holding several tiles of a horizontal group loads their rows of
/// a pixel's window at once, runs every crossbar and adds the results up
/// locally: the group has `ceil(H / crossbars)` members, each acting as one
/// core of the scheme. A core holding several single-tile groups computes
/// their channels side by side, with nothing to synchronize.
pub fn layer_program(
    layer: &Layer,
    plan: &TilePlan,
    scheme: Scheme,
    crossbars: i64,
    weights: &dyn Fn(usize) -> Option<Vec<f64>>,
    data: Option<(Vec<f64>, Vec<f64>)>,
) -> Result<Program, UnsupportedExchange> {
    let layout = layer.layout();
    let cores = layer_cores(layer, &Io::staged(layer), plan, scheme, crossbars, weights, None)?;
    let memory = match data {
        Some((input, bias)) => {
            let mut memory = vec![MemoryInit { address: layout.inputs as u64, values: input }];
            if layer.bias {
                memory.push(MemoryInit { address: layout.bias as u64, values: bias });
            }
            memory
        }
        None => Vec::new(),
    };
    Ok(Program { cores, memory })
}

/// The programs of the cores of one layer that reads and writes where
/// `io` says, numbered from 0 in [`core_tiles`] order (see
/// [`layer_program`]), with `row_edges` at the edges of output rows. Forwarding
/// partial sums needs a walk of one row of pixels (`io.width ==
/// layer.pixels`) and no row synchronization.
pub fn layer_cores(
    layer: &Layer,
    io: &Io,
    plan: &TilePlan,
    scheme: Scheme,
    crossbars: i64,
    weights: &dyn Fn(usize) -> Option<Vec<f64>>,
    row_edges: Option<&dyn RowSync>,
) -> Result<Vec<CoreProgram>, UnsupportedExchange> {
    let Scheme { mode, exchange } = scheme;
    if exchange == Exchange::Forward && mode != SyncMode::Linear {
        return Err(UnsupportedExchange { mode });
    }
    let per_core = tiles_per_member(plan.h, crossbars);
    let h_count = group_members(plan.h, crossbars);
    let core_tiles = core_tiles(plan, crossbars);
    // A group of one member has nothing to exchange.
    let forward = exchange == Exchange::Forward && h_count > 1;
    let starts = StartChain::new(core_tiles.len() / h_count as usize, h_count as usize, mode, forward, layer.pixels);
    let span = |tiles: &[Tile]| {
        let first = tiles.iter().map(|t| t.rows[0]).min().unwrap_or(0);
        let end = tiles.iter().map(|t| t.rows[1]).max().unwrap_or(0);
        (first, end - first)
    };
    // Receive slots sit at one address in every core of a group, after the
    // largest input slice and the most vectors a core keeps.
    let widest = core_tiles.iter().map(|range| span(&plan.tiles[range.clone()]).1).max().unwrap_or(0);
    let mut cores = Vec::new();
    for (index, range) in core_tiles.iter().enumerate() {
        let tiles = &plan.tiles[range.clone()];
        let channels_of = |t: &Tile| (t.cols[1] - t.cols[0]) / layer.slices;
        let (tile_rows, rows) = span(tiles);
        let first_channel = tiles[0].cols[0] / layer.slices;
        // One group's tiles add up to the same channels; single-tile groups
        // sit side by side.
        let stacked = plan.h > 1;
        let channels = if stacked { channels_of(&tiles[0]) } else { tiles.iter().map(channels_of).sum() };
        let scratch = if stacked { tiles.len() as i64 - 1 } else { 0 };
        let local = Locals {
            input: LOCAL_INPUT,
            partial: rows,
            scratch: rows + channels,
            owned: rows + channels * (1 + scratch),
            bias: rows + channels * (2 + scratch),
            slots: widest + channels * (per_core + 2),
        };
        let parts = tiles
            .iter()
            .enumerate()
            .map(|(j, tile)| MvmPart {
                input: tile.rows[0] - tile_rows,
                output: match (stacked, j) {
                    (true, 0) => local.partial,
                    (true, j) => local.scratch + (j as i64 - 1) * channels,
                    (false, _) => local.partial + tile.cols[0] / layer.slices - first_channel,
                },
            })
            .collect();
        let seat = Seat { index, h: tiles[0].h / per_core, h_count, starts: &starts };
        let row_seat = RowSeat { core: index, block: index / h_count as usize, h: seat.h, h_count };
        let row_sync = row_edges.map(|edges| (edges, row_seat));
        let loads = match io.windows {
            Windows::Staged { .. } => Vec::new(),
            Windows::Map { map, window } => {
                let segments = tiles.iter().flat_map(|tile| {
                    tile_segments(&window, plan.groups_per_tile, tile.rows, local.input + tile.rows[0] - tile_rows)
                });
                merge_segments(&map, &window, segments.collect())
            }
        };
        let step = Step { layer, io, tile_rows, rows, channels, first_channel, local, parts, loads, row_sync };
        let mut body = Vec::new();
        // Forwarding groups add the bias first (see `Step::forward_loops`).
        let biased = if forward { seat.first() } else { seat.last() || mode == SyncMode::Cyclic };
        if layer.bias && biased {
            body.push(Instr::Load {
                local: Affine::constant(local.bias),
                shared: Affine::constant(io.bias + first_channel),
                n: channels as u32,
                class: Class::Partial,
            });
        }
        if seat.token() > 0 {
            body.push(Instr::Wait { register: 0, value: Affine::constant(seat.token()) });
        }
        if forward {
            assert!(io.width == layer.pixels && row_edges.is_none(), "forwarding walks one row of pixels");
            body.extend(step.forward_loops(&seat));
        } else {
            step.shared_memory_walk(&seat, mode, &mut body);
        }
        body.push(Instr::Halt);
        let crossbars = tiles
            .iter()
            .zip(range.clone())
            .enumerate()
            .map(|(j, (tile, t))| Crossbar {
                index: j as u32,
                rows: (tile.rows[1] - tile.rows[0]) as u32,
                cols: channels_of(tile) as u32,
                weights: weights(t),
            })
            .collect();
        cores.push(CoreProgram { core: index as u32, crossbars, body });
    }
    Ok(cores)
}

/// Local addresses of one core.
#[derive(Debug, Clone, Copy)]
struct Locals {
    input: i64,
    partial: i64,
    owned: i64,
    bias: i64,
    /// The partial sums of a core's further crossbars, before they are added.
    scratch: i64,
    /// The receive slots of forwarded partial sums, one vector each.
    slots: i64,
}

/// One crossbar's MVM in a core's step: where its rows start in the loaded
/// input slice and where its outputs go in local memory.
#[derive(Debug, Clone, Copy)]
struct MvmPart {
    input: i64,
    output: i64,
}

/// Where a core sits: its index among the layer's cores, its place `h`
/// in its horizontal group of `h_count` (whose cores are consecutive, `h
/// = 0` first), and how the layer's cores start.
struct Seat<'a> {
    index: usize,
    h: i64,
    h_count: i64,
    starts: &'a StartChain,
}

impl Seat<'_> {
    /// The core `dh` places further along the group, cyclically.
    fn neighbour(&self, dh: i64) -> usize {
        (self.index as i64 - self.h + (self.h + dh).rem_euclid(self.h_count)) as usize
    }

    /// What this core's start token adds to its register.
    fn token(&self) -> i64 {
        self.starts.offset(self.index)
    }

    /// A hand-off to `target` releasing `released` vectors: the target's
    /// register value, counted on top of its start token.
    fn hand_off(&self, target: usize, released: i64) -> (u32, i64) {
        (target as u32, released + self.starts.offset(target))
    }

    fn first(&self) -> bool {
        self.h == 0
    }

    fn last(&self) -> bool {
        self.h == self.h_count - 1
    }
}

/// What one core does for one pixel.
struct Step<'a> {
    layer: &'a Layer,
    io: &'a Io,
    /// The core's first row of the kernel matrix, and how many it holds.
    tile_rows: i64,
    rows: i64,
    channels: i64,
    first_channel: i64,
    local: Locals,
    /// The core's crossbars, in order.
    parts: Vec<MvmPart>,
    /// The runs of its window slice, when windows are read from a map.
    loads: Vec<Segment>,
    /// What it does at the edges of output rows, if anything.
    row_sync: Option<(&'a dyn RowSync, RowSeat)>,
}

impl Step<'_> {
    /// The instructions for the pixel at `pixel` (affine in a loop counter,
    /// as are the sequence values, which count from `step`): the first owner
    /// writes its partial sum, later ones add theirs, the last adds the bias
    /// and applies the activation.
    fn body(&self, pixel: &Pixel, step: &Affine, role: &Role) -> Vec<Instr> {
        let output = self.output(pixel);
        let n = self.channels as u32;
        let l = self.local;
        let c = Affine::constant;
        let mut body = self.multiply(pixel);
        body.extend(role.wait.map(|value| Instr::Wait { register: 0, value: offset(step, value) }));
        if !role.first {
            body.push(Instr::Load { local: c(l.owned), shared: output.clone(), n, class: Class::Partial });
            body.push(Instr::Binary { op: BinaryOp::Add, dst: c(l.partial), a: c(l.partial), b: c(l.owned), n });
        }
        if role.last {
            body.extend(self.finish(pixel, true));
        } else {
            body.push(Instr::Store { shared: output, local: c(l.partial), n, class: Class::Partial });
        }
        body.extend(role.call.map(|(core, value)| Instr::Call { core, register: 0, value: offset(step, value) }));
        body
    }

    /// The address of `pixel`'s output vector (this tile's channels).
    fn output(&self, pixel: &Pixel) -> Affine {
        self.io.output.at(&pixel.y, &pixel.x, self.first_channel)
    }

    /// Loads the core's slice of `pixel`'s input window and multiplies it:
    /// the partial sum.
    fn multiply(&self, pixel: &Pixel) -> Vec<Instr> {
        let (c, l, n) = (Affine::constant, self.local, self.channels as u32);
        let mut body = match self.io.windows {
            Windows::Staged { base } => {
                let input = scaled(&pixel.x, base + self.tile_rows, self.layer.window);
                vec![Instr::Load { local: c(l.input), shared: input, n: self.rows as u32, class: Class::Input }]
            }
            Windows::Map { map, window } => window_loads(&map, &window, &self.loads, pixel, Class::Input),
        };
        for (xbar, part) in self.parts.iter().enumerate() {
            body.push(Instr::Mvm { xbar: xbar as u32, dst: c(part.output), src: c(l.input + part.input) });
        }
        // Crossbars of one group add up locally.
        for part in self.parts.iter().filter(|part| (l.scratch..l.owned).contains(&part.output)) {
            body.push(Instr::Binary { op: BinaryOp::Add, dst: c(l.partial), a: c(l.partial), b: c(part.output), n });
        }
        body
    }

    /// What the core does before output row `y`, with row synchronization.
    fn before_row(&self, y: &Affine) -> Vec<Instr> {
        self.row_sync.map(|(sync, seat)| sync.before_row(seat, y)).unwrap_or_default()
    }

    /// What the core does after output row `y`, with row synchronization.
    fn after_row(&self, y: &Affine) -> Vec<Instr> {
        self.row_sync.map(|(sync, seat)| sync.after_row(seat, y)).unwrap_or_default()
    }

    /// Adds the bias to the partial sum, for a layer with one.
    fn bias(&self) -> Option<Instr> {
        let (n, c, l) = (self.channels as u32, Affine::constant, self.local);
        let bias = Instr::Binary { op: BinaryOp::Bias, dst: c(l.partial), a: c(l.partial), b: c(l.bias), n };
        self.layer.bias.then_some(bias)
    }

    /// The last owner's work on the complete sum: the bias (`with_bias`),
    /// the activation, and the output vector written to shared memory.
    fn finish(&self, pixel: &Pixel, with_bias: bool) -> Vec<Instr> {
        let (n, c, l) = (self.channels as u32, Affine::constant, self.local);
        let mut body = Vec::new();
        if with_bias {
            body.extend(self.bias());
        }
        let requant = self.layer.requant.map(|shift| UnaryOp::Requant { shift });
        body.extend(requant.map(|op| Instr::Unary { op, dst: c(l.partial), a: c(l.partial), n }));
        body.extend(activation_op(self.layer.activation).map(|op| Instr::Unary {
            op,
            dst: c(l.partial),
            a: c(l.partial),
            n,
        }));
        body.push(Instr::Store { shared: self.output(pixel), local: c(l.partial), n, class: Class::Output });
        body
    }

    /// The pixels of `seat`'s core in `mode`, through shared memory (see
    /// the module documentation), appended to `body`.
    fn shared_memory_walk(&self, seat: &Seat, mode: SyncMode, body: &mut Vec<Instr>) {
        let (pixels, h_count, token) = (self.layer.pixels, seat.h_count, seat.token());
        let batch = match mode {
            // The next owner is a segment behind, so a batch as long as a
            // segment seldom keeps it waiting (over the published layers it
            // costs at most 0.06 points of PV against half a segment, and
            // halves the CALLs of small layers).
            SyncMode::Cyclic => (pixels / h_count).clamp(1, MAX_BATCH),
            SyncMode::Sequential | SyncMode::Linear => 1,
        };
        let mut walk = Walk { step: self, body, token_to: seat.starts.successors(seat.index), batch };
        let (first, last) = (seat.first(), seat.last());
        match mode {
            SyncMode::Sequential | SyncMode::Linear => {
                let sequential = mode == SyncMode::Sequential;
                if sequential && !first {
                    walk.body.push(Instr::Wait { register: 0, value: Affine::constant(pixels) });
                }
                // Core h takes pixel p once core h-1 has released p + 1 vectors.
                let wait = (!sequential && !first).then_some(1 + token);
                let call = (!sequential && !last).then(|| seat.hand_off(seat.neighbour(1), 1));
                walk.segment("p", 0, pixels, Role { first, last, wait, call });
                if sequential && !last {
                    let (target, value) = seat.hand_off(seat.neighbour(1), pixels);
                    walk.body.push(Instr::Call { core: target, register: 0, value: Affine::constant(value) });
                }
            }
            SyncMode::Cyclic => {
                // Segment s is [start(s), start(s+1)); core h walks segments h, h+1, ...
                // Consecutive segments of one role whose pixels follow each other
                // make one run, one loop: at most four per core.
                let start = |s: i64| s * pixels / h_count;
                let own = start(seat.h + 1) - start(seat.h);
                let mut runs: Vec<(i64, i64, Role)> = Vec::new();
                let mut walked = 0;
                for k in 0..h_count {
                    let segment = (seat.h + k) % h_count;
                    let (begin, end) = (start(segment), start(segment + 1));
                    // Walk step i = walked + j is pixel begin + j. Core h+1 has
                    // released its first i - own + 1 steps when this vector is free.
                    let role = Role {
                        first: k == 0,
                        last: k == h_count - 1,
                        wait: (k > 0).then_some(walked - own + 1 + token),
                        call: (k < h_count - 1).then(|| seat.hand_off(seat.neighbour(-1), walked + 1)),
                    };
                    match runs.last_mut() {
                        Some((b, n, r)) if (r.first, r.last) == (role.first, role.last) && *b + *n == begin => {
                            *n += end - begin
                        }
                        _ if end > begin => runs.push((begin, end - begin, role)),
                        _ => {}
                    }
                    walked += end - begin;
                }
                for (run, (begin, count, role)) in runs.into_iter().enumerate() {
                    walk.segment(&format!("p{run}"), begin, count, role);
                }
            }
        }
    }

    /// The pixels of `seat`'s core when its group forwards partial sums
    /// (see [`Exchange::Forward`]): for every pixel it multiplies, adds
    /// what core `h-1` put into the pixel's slot, and puts the sum into
    /// core `h+1`'s slot, or finishes it. Pixel 0 comes first, with the
    /// start tokens after its input load (see [`StartChain`]); then pixel
    /// `p` uses slot `(p - 1) mod slots`, affine in loop counters because
    /// the pixels run in rounds of `slots`, each in groups of
    /// [`MAX_BATCH`], after which the last core returns a credit to the
    /// first.
    fn forward_loops(&self, seat: &Seat) -> Vec<Instr> {
        let slots = forward_slots(seat.h_count);
        let (first, last, token) = (seat.first(), seat.last(), seat.token());
        let (next, first_core) = (seat.hand_off(seat.neighbour(1), 1), seat.hand_off(seat.neighbour(-seat.h), 0));
        let (n, c, l) = (self.channels as u32, Affine::constant, self.local);
        let pixel_body = |pixel: &Affine, slot: &Affine| {
            let slot_address = scaled(slot, l.slots, self.channels);
            let mut body = self.multiply(&Pixel::in_row(pixel));
            if first {
                // The first core adds the bias, not the last: the last core's
                // activation and output store then take about as long as the
                // others' adds and PUTs, and the pipeline runs at the pace of
                // an average core (with the bias last, it ran 1.5 points of
                // PV slower on MobileNet's early pointwise convs at 32x32).
                body.extend(self.bias());
                // Credits count on top of the start token; pixel 0 needs none.
                let credit = offset(pixel, 1 - slots + token);
                if !credit.terms.is_empty() || credit.constant > token {
                    body.push(Instr::Wait { register: 0, value: credit });
                }
            } else {
                body.push(Instr::Wait { register: 0, value: offset(pixel, 1 + token) });
                body.push(Instr::Binary {
                    op: BinaryOp::Add,
                    dst: c(l.partial),
                    a: c(l.partial),
                    b: slot_address.clone(),
                    n,
                });
            }
            if last {
                body.extend(self.finish(&Pixel::in_row(pixel), false));
            } else {
                body.push(Instr::Put {
                    core: next.0,
                    dst: slot_address,
                    src: c(l.partial),
                    n,
                    class: Class::Partial,
                    signal: offset(pixel, next.1),
                });
            }
            body
        };
        let credit = |done: &Affine| -> Vec<Instr> {
            if last {
                vec![Instr::Call { core: first_core.0, register: 0, value: offset(done, first_core.1) }]
            } else {
                Vec::new()
            }
        };
        let mut body = pixel_body(&c(0), &c(slots - 1));
        send_start_tokens(&mut body, seat.starts.successors(seat.index));
        // Step q is pixel q + 1.
        let step = |q: &Affine, slot: &Affine| pixel_body(&offset(q, 1), slot);
        body.extend(slot_loops(self.layer.pixels - 1, slots, MAX_BATCH, &step, &|done| credit(&offset(done, 1))));
        body
    }
}

/// Steps `0..steps` as loops in which each step's slot, `step mod slots`,
/// is affine in the counters: full rounds of `slots` steps in groups of
/// `group`, then the remaining whole groups, then the remaining steps.
/// `each(step, slot)` writes one step's instructions and `after(done)`
/// what follows each group, `done` counting the steps finished by then.
/// `slots` must be a multiple of `group`.
fn slot_loops(
    steps: i64,
    slots: i64,
    group: i64,
    each: &dyn Fn(&Affine, &Affine) -> Vec<Instr>,
    after: &dyn Fn(&Affine) -> Vec<Instr>,
) -> Vec<Instr> {
    debug_assert_eq!(slots % group, 0);
    let looped = |var: &str, count: i64, body: Vec<Instr>| Instr::repeat(var, count as u32, body);
    // `count` groups from step `base`, whose slot is 0.
    let groups = |base: Affine, count: i64| {
        let slot = Affine::constant(0).plus("g", group).plus("q", 1);
        let step = base.clone().plus("g", group).plus("q", 1);
        let done = offset(&base.plus("g", group), group);
        let mut body = looped("q", group, each(&step, &slot));
        body.extend(after(&done));
        looped("g", count, body)
    };
    let mut out = Vec::new();
    let rounds = steps / slots;
    if rounds > 0 {
        out.extend(looped("r", rounds, groups(Affine::constant(0).plus("r", slots), slots / group)));
    }
    let mut base = rounds * slots;
    let whole = (steps - base) / group;
    if whole > 0 {
        out.extend(groups(Affine::constant(base), whole));
    }
    base += whole * group;
    if steps > base {
        let slot = Affine::constant(whole * group).plus("q", 1);
        out.extend(looped("q", steps - base, each(&Affine::constant(base).plus("q", 1), &slot)));
    }
    out
}

/// What a core does with the vectors of one segment of its walk.
#[derive(Debug, Clone, Copy)]
struct Role {
    /// Writes the first partial sum (nothing to read).
    first: bool,
    /// Adds the bias and applies the activation.
    last: bool,
    /// Waits for its register to reach this plus the walk step.
    wait: Option<i64>,
    /// Hands the vector to a core: register value this plus the walk step.
    call: Option<(u32, i64)>,
}

/// A core's program being written, segment by segment.
struct Walk<'a> {
    step: &'a Step<'a>,
    body: &'a mut Vec<Instr>,
    /// The cores to send start tokens to, after the first input load.
    token_to: &'a [usize],
    /// Steps per hand-off CALL.
    batch: i64,
}

impl Walk<'_> {
    /// Steps `0..count` over pixels `begin..begin + count`. The first step
    /// is peeled when a start token follows its input load; the rest goes
    /// row by row ([`Walk::piece`]): what is left of the first row, whole
    /// rows in a loop over `{var}y`, the start of the last row (`{var}t`).
    /// A walk of one row is one piece, a loop over `var`.
    fn segment(&mut self, var: &str, begin: i64, count: i64, role: Role) {
        let width = self.step.io.width;
        let row_of = |p: i64| Affine::constant(p / width);
        let mut p = begin;
        if !self.token_to.is_empty() && count > 0 {
            let mut first = self.step.body(&Pixel::numbered(begin, width), &Affine::constant(0), &role);
            send_start_tokens(&mut first, self.token_to);
            if begin % width == 0 {
                self.body.extend(self.step.before_row(&row_of(begin)));
            }
            self.body.extend(first);
            if width == 1 {
                self.body.extend(self.step.after_row(&row_of(begin)));
            }
            self.token_to = &[];
            p += 1;
        }
        let end = begin + count;
        if p < end && (p % width != 0 || end - p < width) {
            let n = (end - p).min(width - p % width);
            if p % width == 0 {
                self.body.extend(self.step.before_row(&row_of(p)));
            }
            self.body.extend(self.piece(var, &row_of(p), p % width, n, &Affine::constant(p - begin), role));
            if (p + n) % width == 0 {
                self.body.extend(self.step.after_row(&row_of(p)));
            }
            p += n;
        }
        // Whole rows, in loops cut where row synchronization changes form.
        let rows = (end - p) / width;
        let (first_row, end_row) = (p / width, p / width + rows);
        let mut cuts: Vec<i64> = self.step.row_sync.map(|(sync, _)| sync.breaks()).unwrap_or_default();
        cuts.retain(|&row| row > first_row && row < end_row);
        cuts.sort_unstable();
        cuts.dedup();
        for (from, to) in
            std::iter::once(first_row).chain(cuts.iter().copied()).zip(cuts.iter().copied().chain([end_row]))
        {
            if to <= from {
                continue;
            }
            let row = format!("{var}y");
            let y = Affine::constant(from).plus(&row, 1);
            let mut body = self.step.before_row(&y);
            body.extend(self.piece(var, &y, 0, width, &Affine::constant(from * width - begin).plus(&row, width), role));
            body.extend(self.step.after_row(&y));
            self.body.extend(Instr::repeat(&row, (to - from) as u32, body));
        }
        p += rows * width;
        if p < end {
            self.body.extend(self.step.before_row(&row_of(p)));
            self.body.extend(self.piece(
                &format!("{var}t"),
                &row_of(p),
                0,
                end - p,
                &Affine::constant(p - begin),
                role,
            ));
        }
    }

    /// Pixels `x0..x0 + n` of row `y`, walk steps from `first`, a loop over
    /// `var`. With batches, one CALL hands on `batch` steps at a time (a
    /// loop of batches, then a loop over the rest and its CALL).
    fn piece(&self, var: &str, y: &Affine, x0: i64, n: i64, first: &Affine, role: Role) -> Vec<Instr> {
        // Step `first + j` is pixel `(y, x0 + j)`.
        let pixel = |j: &Affine| Pixel { y: y.clone(), x: offset(j, x0) };
        let body = |j: &Affine, role: &Role| self.step.body(&pixel(j), &add(first, j), role);
        let mut out = Vec::new();
        let batch = if role.call.is_some() { self.batch } else { 1 };
        let batches = n / batch;
        if batch > 1 && batches > 0 {
            // Steps batch * b + j, j < batch; one CALL per batch.
            let outer = format!("{var}b");
            let quiet = Role { call: None, ..role };
            let j = Affine::constant(0).plus(&outer, batch).plus(var, 1);
            let mut looped = Instr::repeat(var, batch as u32, body(&j, &quiet));
            let (core, released) = role.call.expect("batched only when handing off");
            let last = Affine::constant(batch - 1).plus(&outer, batch);
            looped.push(Instr::Call { core, register: 0, value: offset(&add(first, &last), released) });
            out.extend(Instr::repeat(&outer, batches as u32, looped));
            let done = batches * batch;
            if n > done {
                let rest = format!("{var}r");
                out.extend(Instr::repeat(
                    &rest,
                    (n - done) as u32,
                    body(&Affine::constant(done).plus(&rest, 1), &quiet),
                ));
                let value = offset(&add(first, &Affine::constant(n - 1)), released);
                out.push(Instr::Call { core, register: 0, value });
            }
        } else if n > 0 {
            out.extend(Instr::repeat(var, n as u32, body(&Affine::constant(0).plus(var, 1), &role)));
        }
        out
    }
}

/// The order in which the cores of a layer start. Cores that run the same
/// program and start together ask for the bus at the same instants, and
/// round-robin arbitration then interleaves their transfers so that every
/// core waits for all the others at every step, a convoy that never
/// dissolves. So cores start one after another: each but the first waits
/// for a start token (register value 1), which its predecessor sends right
/// after its first input load. A core's predecessor is its register's only
/// other writer at that point:
///
/// - linear and sequential: the first cores of the column blocks, one
///   after another (the hand-offs stagger the others);
/// - cyclic: every core, within a block from `h = H-1` down to 0, then on
///   to the next block; with more than four cores per output pixel, a tree
///   as for forwarding below (the blocks' cores `h = H-1` one after
///   another, and within a block from `h = H-1` down), since a chain of
///   hundreds of cores waits for its tokens on a saturated bus while the
///   run is short (MobileNet-V1's `features.13.1.0`, 256 cores for 49
///   pixels on 128x128 crossbars and a 32-byte bus: its last cores started
///   86,000 cycles late and the run took 17% longer than the bus was busy;
///   with the tree, 13% less time). Over the published sweep the tree
///   shortens 135 cyclic runs and lengthens none; at two cores per pixel
///   it would lengthen 3, at one 8 (up to 3.2%);
/// - forwarding: every core, block after block and within a block from
///   `h = 0` up (a forwarding core multiplies before it waits for its
///   predecessor's sum, so the hand-offs alone leave the cores asking for
///   the bus together), when the layer has at least 4 pixels per core: a
///   token costs about a bus transfer and a step at least an MVM, so the
///   chain delays the last core by well under 1% of the run. With fewer
///   pixels, a tree: the first cores of the blocks one after another, and
///   within a block core `h` after core `h-1`, which delays the last core
///   by `H + V` first loads, not `H * V` (a chain of thousands of cores
///   would wait for its tokens on a saturated bus).
///
/// A receiving core's sequence values count on top of its token.
struct StartChain {
    successors: Vec<Vec<usize>>,
    has_predecessor: Vec<bool>,
}

impl StartChain {
    /// The start order of `blocks` horizontal groups of `h` consecutive
    /// cores computing `pixels` pixels.
    fn new(blocks: usize, h: usize, mode: SyncMode, forward: bool, pixels: i64) -> Self {
        let core = |block: usize, k: usize| block * h + k;
        let firsts = (1..blocks).map(|block| (core(block - 1, 0), core(block, 0)));
        let links: Vec<(usize, usize)> = match mode {
            // Forwarding, few cores for the pixels: one chain.
            _ if forward && (blocks * h) as i64 * 4 <= pixels => (1..blocks * h).map(|c| (c - 1, c)).collect(),
            _ if forward => firsts
                .chain((0..blocks).flat_map(|block| (1..h).map(move |k| (core(block, k - 1), core(block, k)))))
                .collect(),
            SyncMode::Cyclic if (blocks * h) as i64 <= 4 * pixels => {
                let order: Vec<usize> =
                    (0..blocks).flat_map(|block| (0..h).rev().map(move |k| core(block, k))).collect();
                order.windows(2).map(|pair| (pair[0], pair[1])).collect()
            }
            // Cyclic, more than four cores per pixel: a tree, as forwarding's.
            SyncMode::Cyclic => (1..blocks)
                .map(|block| (core(block - 1, h - 1), core(block, h - 1)))
                .chain((0..blocks).flat_map(|block| (1..h).rev().map(move |k| (core(block, k), core(block, k - 1)))))
                .collect(),
            SyncMode::Sequential | SyncMode::Linear => firsts.collect(),
        };
        let mut chain =
            StartChain { successors: vec![Vec::new(); blocks * h], has_predecessor: vec![false; blocks * h] };
        for (from, to) in links {
            chain.successors[from].push(to);
            chain.has_predecessor[to] = true;
        }
        chain
    }

    /// The cores `core` sends a start token to.
    fn successors(&self, core: usize) -> &[usize] {
        &self.successors[core]
    }

    /// What the start token adds to `core`'s register: 1 or 0.
    fn offset(&self, core: usize) -> i64 {
        i64::from(self.has_predecessor[core])
    }
}

/// Puts the start tokens of `successors`, CALLs that raise their registers
/// to 1, into a core's first step right after its input load, the step's
/// first instruction (see [`StartChain`]).
fn send_start_tokens(step: &mut Vec<Instr>, successors: &[usize]) {
    debug_assert!(matches!(step.first(), Some(Instr::Load { class: Class::Input, .. })));
    let tokens =
        successors.iter().map(|&core| Instr::Call { core: core as u32, register: 0, value: Affine::constant(1) });
    step.splice(1..1, tokens);
}

/// The vector-unit op of an activation, if any.
pub(crate) fn activation_op(activation: Activation) -> Option<UnaryOp> {
    match activation {
        Activation::None => None,
        Activation::Relu => Some(UnaryOp::Relu),
        Activation::Clip { lo, hi } => Some(UnaryOp::Clip { lo, hi }),
    }
}

/// An output pixel, its row and column affine in loop counters.
#[derive(Debug, Clone)]
pub(crate) struct Pixel {
    pub y: Affine,
    pub x: Affine,
}

impl Pixel {
    /// Pixel `x` of the first row: every pixel of a one-row walk.
    fn in_row(x: &Affine) -> Pixel {
        Pixel { y: Affine::constant(0), x: x.clone() }
    }

    /// The pixel numbered `p` on rows of `width` pixels.
    fn numbered(p: i64, width: i64) -> Pixel {
        Pixel { y: Affine::constant(p / width), x: Affine::constant(p % width) }
    }
}

/// `base + stride * a`
pub(crate) fn scaled(a: &Affine, base: i64, stride: i64) -> Affine {
    Affine {
        constant: base + a.constant * stride,
        terms: a.terms.iter().map(|(v, c)| (v.clone(), c * stride)).collect(),
    }
}

/// `a + b`
fn add(a: &Affine, b: &Affine) -> Affine {
    let mut sum = offset(a, b.constant);
    for (var, coefficient) in &b.terms {
        match sum.terms.iter_mut().find(|(v, _)| v == var) {
            Some((_, c)) => *c += coefficient,
            None => sum.terms.push((var.clone(), *coefficient)),
        }
    }
    sum.terms.retain(|(_, c)| *c != 0);
    sum
}

/// `a + by`
pub(crate) fn offset(a: &Affine, by: i64) -> Affine {
    Affine { constant: a.constant + by, terms: a.terms.clone() }
}
