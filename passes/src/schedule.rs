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
//!
//! Shared memory holds the input in im2col order (a pixel's window is one
//! contiguous vector of the matrix's rows), then the output vectors, then
//! the bias. Each tile has its own core.

use crate::tiling::TilePlan;
use rram_isa::{Affine, BinaryOp, Class, CoreProgram, Crossbar, Instr, MemoryInit, Program, UnaryOp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    Sequential,
    Linear,
    Cyclic,
}

impl SyncMode {
    pub const ALL: [SyncMode; 3] = [SyncMode::Sequential, SyncMode::Linear, SyncMode::Cyclic];
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
    /// Applied by the last owner after the bias.
    pub activation: Activation,
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

/// Local memory: input slice, partial sum, owned vector, bias.
const LOCAL_INPUT: i64 = 0;

/// The programs of every core for one layer under `mode`, and shared memory
/// initialised with `input` (im2col windows, `pixels x window`) and `bias`
/// when given (functional runs; timing runs need no data). Tiles take cores
/// in plan order; `weights(tile)` gives a tile's crossbar contents, if any.
pub fn layer_program(
    layer: &Layer,
    plan: &TilePlan,
    mode: SyncMode,
    weights: &dyn Fn(usize) -> Option<Vec<f64>>,
    data: Option<(Vec<f64>, Vec<f64>)>,
) -> Program {
    let layout = layer.layout();
    let h_count = plan.h;
    let mut cores = Vec::new();
    for (index, tile) in plan.tiles.iter().enumerate() {
        let rows = tile.rows[1] - tile.rows[0];
        let channels = (tile.cols[1] - tile.cols[0]) / layer.slices;
        let first_channel = tile.cols[0] / layer.slices;
        let core = index as u32;
        // The cores of this tile's horizontal group are consecutive: h = 0 first.
        let neighbour = |dh: i64| (index as i64 - tile.h + (tile.h + dh).rem_euclid(h_count)) as u32;
        let local = Locals { input: LOCAL_INPUT, partial: rows, owned: rows + channels, bias: rows + 2 * channels };
        let step = Step { layer, layout, tile_rows: tile.rows[0], rows, channels, first_channel, local };
        let mut body = Vec::new();
        if tile.h == h_count - 1 || mode == SyncMode::Cyclic {
            body.push(Instr::Load {
                local: Affine::constant(local.bias),
                shared: Affine::constant(layout.bias + first_channel),
                n: channels as u32,
                class: Class::Input,
            });
        }
        let (first, last) = (tile.h == 0, tile.h == h_count - 1);
        match mode {
            SyncMode::Sequential | SyncMode::Linear => {
                let sequential = mode == SyncMode::Sequential;
                if sequential && !first {
                    body.push(Instr::Wait { value: Affine::constant(layer.pixels) });
                }
                let wait = (!sequential && !first).then(|| Affine::constant(1).plus("p", 1));
                let call = (!sequential && !last).then(|| (neighbour(1), Affine::constant(1).plus("p", 1)));
                let pixel = Affine::constant(0).plus("p", 1);
                let loop_body = step.body(pixel, first, last, wait, call);
                body.push(Instr::Loop { var: "p".into(), count: layer.pixels as u32, body: loop_body });
                if sequential && !last {
                    body.push(Instr::Call { core: neighbour(1), value: Affine::constant(layer.pixels) });
                }
            }
            SyncMode::Cyclic => {
                // Segment s is [start(s), start(s+1)); core h walks segments h, h+1, ...
                let start = |s: i64| s * layer.pixels / h_count;
                let own = start(tile.h + 1) - start(tile.h);
                let mut walked = 0;
                for k in 0..h_count {
                    let segment = (tile.h + k) % h_count;
                    let (begin, end) = (start(segment), start(segment + 1));
                    if end == begin {
                        continue;
                    }
                    let var = format!("p{k}");
                    // Step i of the walk: pixel begin + j, i = walked + j.
                    let pixel = Affine::constant(begin).plus(&var, 1);
                    let first_here = k == 0;
                    let last_here = k == h_count - 1;
                    // Core h+1 released its (i - own + 1) first walk steps when this one is free.
                    let wait = (!first_here).then(|| Affine::constant(walked - own + 1).plus(&var, 1));
                    let call = (!last_here).then(|| (neighbour(-1), Affine::constant(walked + 1).plus(&var, 1)));
                    let loop_body = step.body(pixel, first_here, last_here, wait, call);
                    body.push(Instr::Loop { var, count: (end - begin) as u32, body: loop_body });
                    walked += end - begin;
                }
            }
        }
        body.push(Instr::Halt);
        cores.push(CoreProgram {
            core,
            crossbars: vec![Crossbar { index: 0, rows: rows as u32, cols: channels as u32, weights: weights(index) }],
            body,
        });
    }
    let memory = match data {
        Some((input, bias)) => vec![
            MemoryInit { address: layout.inputs as u64, values: input },
            MemoryInit { address: layout.bias as u64, values: bias },
        ],
        None => Vec::new(),
    };
    Program { cores, memory }
}

/// Local addresses of one core.
#[derive(Debug, Clone, Copy)]
struct Locals {
    input: i64,
    partial: i64,
    owned: i64,
    bias: i64,
}

/// What one core does for one pixel.
struct Step<'a> {
    layer: &'a Layer,
    layout: Layout,
    tile_rows: i64,
    rows: i64,
    channels: i64,
    first_channel: i64,
    local: Locals,
}

impl Step<'_> {
    /// The instructions for the pixel at `pixel` (affine in a loop counter):
    /// the first owner writes its partial sum, later ones add theirs, the
    /// last adds the bias and applies the activation.
    fn body(
        &self,
        pixel: Affine,
        first: bool,
        last: bool,
        wait: Option<Affine>,
        call: Option<(u32, Affine)>,
    ) -> Vec<Instr> {
        let scaled = |base: i64, stride: i64| Affine {
            constant: base + pixel.constant * stride,
            terms: pixel.terms.iter().map(|(v, c)| (v.clone(), c * stride)).collect(),
        };
        let input = scaled(self.layout.inputs + self.tile_rows, self.layer.window);
        let output = scaled(self.layout.outputs + self.first_channel, self.layer.channels);
        let n = self.channels as u32;
        let l = self.local;
        let c = Affine::constant;
        let mut body = vec![
            Instr::Load { local: c(l.input), shared: input, n: self.rows as u32, class: Class::Input },
            Instr::Mvm { xbar: 0, dst: c(l.partial), src: c(l.input) },
        ];
        body.extend(wait.map(|value| Instr::Wait { value }));
        if !first {
            body.push(Instr::Load { local: c(l.owned), shared: output.clone(), n, class: Class::Partial });
            body.push(Instr::Binary { op: BinaryOp::Add, dst: c(l.partial), a: c(l.partial), b: c(l.owned), n });
        }
        let class = if last {
            body.push(Instr::Binary { op: BinaryOp::Bias, dst: c(l.partial), a: c(l.partial), b: c(l.bias), n });
            let activation = match self.layer.activation {
                Activation::None => None,
                Activation::Relu => Some(UnaryOp::Relu),
                Activation::Clip { lo, hi } => Some(UnaryOp::Clip { lo, hi }),
            };
            body.extend(activation.map(|op| Instr::Unary { op, dst: c(l.partial), a: c(l.partial), n }));
            Class::Output
        } else {
            Class::Partial
        };
        body.push(Instr::Store { shared: output, local: c(l.partial), n, class });
        body.extend(call.map(|(core, value)| Instr::Call { core, value }));
        body
    }
}
