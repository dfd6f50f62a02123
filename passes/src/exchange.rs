//! What each exchange scheme costs on a chip, predicted from the
//! architecture alone: the cost model by which the compiler, not the user,
//! chooses how a layer's partial sums travel (MISSION.md section 4).
//!
//! A layer's cores run their steps one instruction at a time: a step loads
//! the core's slice of a pixel's window, runs its crossbars one after
//! another, and then, as the scheme says, reads, adds and writes back the
//! pixel's vector (through shared memory) or adds what its predecessor
//! `PUT` and puts the sum on (forwarding), and hands the pixel on
//! ([`crate::schedule`]). A transfer keeps its core for its latency
//! (overhead and beats), the bus for its occupancy (beats, on a pipelined
//! bus). The prediction combines two times ([`NORM`]), each a bound:
//!
//! - **the cores**: sequential runs the members of a group one after
//!   another; linear is a pipeline paced by its slowest member plus the
//!   hand-offs that fill it; cyclic lets every core walk all pixels without
//!   waiting, each in its role per segment (first owner, middle, last), its
//!   hand-offs batched;
//! - **the bus**: every core's transfers of every pixel, one after another.
//!
//! Each scheme's cores start one after another ([`crate::schedule`]'s start
//! chain: a group's members, and the groups' first members); the model
//! counts one first input load per link of that chain.

use crate::schedule::{core_tiles, group_members, Exchange, Layer, Scheme, SyncMode, MAX_BATCH};
use crate::tiling::{Tile, TilePlan};
use rram_arch::Architecture;

/// The norm that combines the cores' and the bus's times. Chosen on the
/// published sweep (`rramc paper`: 445 synchronized layer setups, before
/// cyclic's start tree): of the norms from 2 to 32 tried, 6 and 8 ranked
/// the most pairs of runs as the simulator does (96.2%; the plain maximum
/// 91.6%).
const NORM: i32 = 8;

/// A scheme's predicted time, from the two times it combines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prediction {
    pub cycles: u64,
    /// What the cores' own steps take, with their waits.
    pub core_cycles: u64,
    /// What the bus is held for.
    pub bus_cycles: u64,
}

/// One core of the layer as the model sees it.
struct Member {
    /// Input words it loads per pixel.
    rows: u64,
    /// Output channels of its vector.
    channels: u64,
    /// Its crossbars, run one after another.
    crossbars: u64,
    /// Its place in its group of `h_count`.
    h: i64,
}

/// The cost of one step's pieces on `arch`: latency for the core,
/// occupancy for the bus.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    core: u64,
    bus: u64,
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, other: Cost) -> Cost {
        Cost { core: self.core + other.core, bus: self.bus + other.bus }
    }
}

impl Cost {
    fn transfer(arch: &Architecture, bytes: u64) -> Cost {
        Cost { core: arch.bus_transfer_cycles(bytes), bus: arch.bus_occupancy_cycles(bytes) }
    }

    fn local(cycles: u64) -> Cost {
        Cost { core: cycles, bus: 0 }
    }

    fn times(self, n: u64) -> Cost {
        Cost { core: self.core * n, bus: self.bus * n }
    }
}

/// The predicted cycles of `layer`, tiled by `plan` on cores of
/// `crossbars` crossbars, in `scheme`.
pub fn predict(layer: &Layer, plan: &TilePlan, crossbars: i64, scheme: Scheme, arch: &Architecture) -> Prediction {
    let per_core = crossbars.min(plan.h).max(1);
    let h_count = group_members(plan.h, crossbars);
    let channels_of = |t: &Tile| ((t.cols[1] - t.cols[0]) / layer.slices) as u64;
    let members: Vec<Member> = core_tiles(plan, crossbars)
        .into_iter()
        .map(|range| {
            let tiles = &plan.tiles[range];
            let first = tiles.iter().map(|t| t.rows[0]).min().unwrap_or(0);
            let end = tiles.iter().map(|t| t.rows[1]).max().unwrap_or(0);
            let channels = if plan.h > 1 { channels_of(&tiles[0]) } else { tiles.iter().map(channels_of).sum::<u64>() };
            Member { rows: (end - first) as u64, channels, crossbars: tiles.len() as u64, h: tiles[0].h / per_core }
        })
        .collect();
    let pixels = layer.pixels as u64;
    let input = u64::from(arch.crossbar.input_bits.div_ceil(8));
    let partial = u64::from(arch.crossbar.output_bits.div_ceil(8));
    let signal = u64::from(arch.sync.register_bytes);
    let vector = |m: &Member| Cost::local(arch.vector_op_cycles(m.channels));
    // Load the window slice, run the crossbars, add a stacked group's
    // partial sums up locally.
    let multiply = |m: &Member| {
        Cost::transfer(arch, m.rows * input)
            + Cost::local(m.crossbars * arch.mvm_latency_cycles())
            + vector(m).times(m.crossbars.saturating_sub(1))
    };
    // The last owner's bias, activation and output.
    let finish = |m: &Member| {
        let ops = u64::from(layer.bias) + u64::from(layer.requant.is_some()) + 1;
        vector(m).times(ops) + Cost::transfer(arch, m.channels * input)
    };
    let read = |m: &Member| Cost::transfer(arch, m.channels * partial) + vector(m);
    let write = |m: &Member| Cost::transfer(arch, m.channels * partial);
    let call = Cost::transfer(arch, signal);
    // One step of a member in a role, through shared memory.
    let shared = |m: &Member, first: bool, last: bool| {
        let mut step = multiply(m);
        if !first {
            step = step + read(m);
        }
        step + if last { finish(m) } else { write(m) }
    };
    let start = |m: &Member| Cost::transfer(arch, m.rows * input).core;
    let (first, last) = (|m: &Member| m.h == 0, |m: &Member| m.h == h_count - 1);
    let groups: Vec<&[Member]> = members.chunks(h_count as usize).collect();
    let total = |cost: &dyn Fn(&Member) -> Cost| members.iter().map(cost).fold(Cost::default(), |a, b| a + b);
    // A pipeline paced by its slowest member's step; the hand-offs of the
    // first pixel fill it.
    let paced = |step: &dyn Fn(&Member) -> Cost| {
        groups
            .iter()
            .map(|g| {
                let period = g.iter().map(|m| step(m).core).max().unwrap_or(0);
                // The first pixel's hand-offs along the group.
                let fill: u64 = g.iter().filter(|m| !last(m)).map(|m| step(m).core - multiply(m).core).sum();
                pixels * period + fill
            })
            .max()
            .unwrap_or(0)
    };
    let forward = scheme.exchange == Exchange::Forward && h_count > 1;
    let (core_cycles, bus) = match scheme.mode {
        SyncMode::Sequential => {
            // A group's members one after another, each with its whole walk.
            let walk =
                |m: &Member| shared(m, first(m), last(m)).times(pixels) + if last(m) { Cost::default() } else { call };
            let per_group = groups.iter().map(|g| g.iter().map(|m| walk(m).core).sum::<u64>()).max().unwrap_or(0);
            (per_group, total(&walk))
        }
        SyncMode::Linear if forward => {
            // A member adds what its predecessor put and puts the sum on,
            // its signal in the same transaction; the first adds the bias;
            // the last returns a credit per batch to the first.
            let step = |m: &Member| {
                let mut step = multiply(m);
                if !first(m) || layer.bias {
                    step = step + vector(m);
                }
                if last(m) {
                    let ops = u64::from(layer.requant.is_some()) + 1;
                    step + vector(m).times(ops) + Cost::transfer(arch, m.channels * input)
                } else {
                    step + Cost::transfer(arch, m.channels * partial + signal)
                }
            };
            let credits = call.times(pixels.div_ceil(MAX_BATCH as u64) * groups.len() as u64);
            (paced(&step), total(&|m| step(m).times(pixels)) + credits)
        }
        SyncMode::Linear => {
            let step = |m: &Member| shared(m, first(m), last(m)) + if last(m) { Cost::default() } else { call };
            (paced(&step), total(&|m| step(m).times(pixels)))
        }
        SyncMode::Cyclic => {
            // Every member walks every pixel: a segment as first owner, one
            // as last, the rest in the middle; a hand-off per batch.
            let segment = pixels / h_count as u64;
            let batch = segment.clamp(1, MAX_BATCH as u64);
            let walk = |m: &Member| {
                if h_count == 1 {
                    return shared(m, true, true).times(pixels);
                }
                shared(m, true, false).times(segment)
                    + shared(m, false, false).times(pixels - 2 * segment)
                    + shared(m, false, true).times(segment)
                    + call.times((pixels - segment).div_ceil(batch))
            };
            (members.iter().map(|m| walk(m).core).max().unwrap_or(0), total(&walk))
        }
    };
    // The start chain: a group's members, and the groups' first members,
    // one first load apart.
    let widest = members.iter().map(start).max().unwrap_or(0);
    let core_cycles = core_cycles + (h_count as u64 - 1 + groups.len() as u64 - 1) * widest;
    // Near both limits each waits for the other (a core's transfer queues
    // for the bus, the bus idles while cores compute): the 8-norm of the two
    // adds 9% where they are equal and vanishes where one dominates.
    let cycles = ((core_cycles as f64).powi(NORM) + (bus.bus as f64).powi(NORM)).powf(1.0 / f64::from(NORM));
    Prediction { cycles: cycles.round() as u64, core_cycles, bus_cycles: bus.bus }
}

/// The schemes a chip can run: sequential, linear and cyclic through
/// shared memory, and linear forwarding where cores write each other's
/// local memory.
pub fn candidates(arch: &Architecture) -> Vec<Scheme> {
    let mut schemes: Vec<Scheme> = SyncMode::ALL.into_iter().map(Scheme::from).collect();
    if arch.core.remote_writes {
        schemes.push(Scheme::LINEAR_FORWARD);
    }
    schemes
}

/// Every scheme the chip can run for the layer, with its prediction,
/// fastest first (the earlier of [`candidates`] on a tie).
pub fn rank(layer: &Layer, plan: &TilePlan, crossbars: i64, arch: &Architecture) -> Vec<(Scheme, Prediction)> {
    let mut ranked: Vec<(Scheme, Prediction)> =
        candidates(arch).into_iter().map(|s| (s, predict(layer, plan, crossbars, s, arch))).collect();
    ranked.sort_by_key(|(_, prediction)| prediction.cycles);
    ranked
}

/// The predictions of `ranked`, one line each, `used` marked.
pub fn explain(ranked: &[(Scheme, Prediction)], used: Scheme) -> String {
    let mut text = String::new();
    for (scheme, p) in ranked {
        let mark = if *scheme == used { "  <- used" } else { "" };
        text.push_str(&format!(
            "  {:<15} {:>12} cycles predicted (cores {}, bus {}){mark}\n",
            scheme.to_string(),
            p.cycles,
            p.core_cycles,
            p.bus_cycles
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Activation;
    use crate::tiling::{plan, KernelMatrix};

    /// A 3x3 conv from `cin` to 8 channels over `pixels` pixels on 32x32
    /// crossbars of one cell per weight, and the chip.
    fn conv(cin: i64, pixels: i64, bus_bytes: u32) -> (Layer, TilePlan, Architecture) {
        let matrix = KernelMatrix::conv([8, cin, 3, 3], 1, 1).unwrap();
        let layer = Layer {
            pixels,
            channels: 8,
            slices: 1,
            window: matrix.rows(),
            bias: true,
            activation: Activation::Relu,
            requant: None,
        };
        let mut chip = Architecture::default();
        (chip.crossbar.rows, chip.crossbar.cols, chip.crossbar.cell_bits) = (32, 32, 8);
        chip.bus.width_bytes = bus_bytes;
        (layer, plan(&matrix, 32, 32), chip)
    }

    #[test]
    fn a_layer_on_one_core_costs_the_same_in_every_scheme() {
        let (layer, tiles, chip) = conv(2, 64, 16);
        assert_eq!(tiles.h, 1);
        let cycles: Vec<u64> = SyncMode::ALL.map(|m| predict(&layer, &tiles, 1, m.into(), &chip).cycles).to_vec();
        assert!(cycles.windows(2).all(|w| w[0] == w[1]), "{cycles:?}");
    }

    #[test]
    fn synchronized_schemes_beat_sequential_by_far_less_once_the_bus_saturates() {
        // 16 tiles high (PV 16). On a wide pipelined bus the cores bound
        // linear and cyclic, which overlap 16 cores' work; on a 1-byte bus
        // the bus bounds them, and sequential, one core of the group at a
        // time, loses less.
        let (layer, tiles, mut wide) = conv(56, 256, 64);
        wide.bus.pipelined = true;
        assert_eq!(tiles.h, 16);
        let lead = |chip: &Architecture| {
            let ranked = rank(&layer, &tiles, 1, chip);
            assert_eq!(ranked.last().map(|(s, _)| s.mode), Some(SyncMode::Sequential), "{ranked:?}");
            (ranked.last().unwrap().1.cycles as f64 / ranked[0].1.cycles as f64, ranked)
        };
        let (wide_lead, ranked) = lead(&wide);
        assert!(ranked[..2].iter().all(|(_, p)| p.core_cycles > p.bus_cycles), "{ranked:?}");
        let mut narrow = wide.clone();
        narrow.bus.width_bytes = 1;
        let (narrow_lead, ranked) = lead(&narrow);
        assert!(ranked[..2].iter().all(|(_, p)| p.bus_cycles > p.core_cycles), "{ranked:?}");
        assert!(wide_lead > 12.0 && narrow_lead < wide_lead / 2.0, "{wide_lead} {narrow_lead}");
    }

    #[test]
    fn forwarding_is_a_candidate_only_where_cores_write_each_other() {
        let mut chip = Architecture::default();
        assert!(!candidates(&chip).contains(&Scheme::LINEAR_FORWARD));
        chip.core.remote_writes = true;
        assert!(candidates(&chip).contains(&Scheme::LINEAR_FORWARD));
    }
}
