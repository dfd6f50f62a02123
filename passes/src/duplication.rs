//! Weight duplication: how many replicas of each crossbar layer, so that
//! the slowest stage of a network is as fast as it can be with the cores a
//! chip has to spare (MISSION.md section 4). Plain data: a layer's stage
//! comes from a cost model of the chip ([`stage`]); a layer in `d`
//! replicas computes `ceil(rows / d)` output rows per replica. The pass
//! `rram-duplicate` (`crate::duplicate`) and the whole-network compiler
//! both decide with this module.
//!
//! The problem is a min-max with a knapsack constraint: minimize `max_l
//! time_l(d_l)` subject to `sum_l d_l * cost_l <= budget`. Each stage's
//! time only falls as its replicas grow, so for a bound `T` every layer
//! needs its fewest replicas that meet `T`, and `T` is feasible when they
//! fit. The optimum is one of the finitely many stage times, found by
//! binary search over them ([`exact`]). [`greedy`], the heuristic of
//! PIMCOMP-NN and CLSA-CIM, gives the slowest layer one more replica while
//! one fits and helps: it stops where one more replica does not shorten
//! the slowest layer (five rows in four replicas take as long as in three),
//! even where more would.

use crate::schedule::{core_tiles, group_members};
use crate::tiling::{Tile, TilePlan};
use rram_arch::Architecture;
use std::fmt::Write as _;

/// One crossbar layer as duplication sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// Output rows: at most one replica per row.
    pub rows: i64,
    /// Cycles one replica takes per output row it computes.
    pub row_cycles: f64,
    /// Cycles that no number of replicas shortens (the layer's bus
    /// transfers, on a bus all replicas share).
    pub floor: f64,
    /// Cores one replica takes.
    pub cost: i64,
}

impl Stage {
    /// The stage's time in `replicas` replicas.
    pub fn time(&self, replicas: i64) -> f64 {
        let rows = (self.rows + replicas - 1) / replicas;
        (rows as f64 * self.row_cycles).max(self.floor)
    }

    /// Whether, in `replicas` replicas, the bus sets the stage's time: more
    /// replicas would not shorten it.
    pub fn bus_bound(&self, replicas: i64) -> bool {
        let rows = (self.rows + replicas - 1) / replicas;
        self.floor >= rows as f64 * self.row_cycles
    }

    /// The fewest replicas that bring the stage within `bound`, if any do.
    fn fewest_within(&self, bound: f64) -> Option<i64> {
        if self.time(self.rows) > bound {
            return None;
        }
        // Rows per replica that fit the bound, then replicas for them.
        let rows_per_replica = if self.row_cycles > 0.0 { (bound / self.row_cycles).floor() as i64 } else { self.rows };
        let rows_per_replica = rows_per_replica.clamp(1, self.rows);
        Some((self.rows + rows_per_replica - 1) / rows_per_replica)
    }
}

/// The replicas of each stage that minimize the slowest stage's time, all
/// replicas taking at most `budget` cores (one replica of each at least).
/// An error with the numbers when even one replica each does not fit.
pub fn exact(stages: &[Stage], budget: i64) -> Result<Vec<i64>, String> {
    check_budget(stages, budget)?;
    if stages.is_empty() {
        return Ok(Vec::new());
    }
    let mut candidates: Vec<f64> = stages
        .iter()
        .flat_map(|s| {
            // A stage's times: one per distinct rows-per-replica count.
            let mut times: Vec<f64> = (1..=s.rows).map(|d| s.time(d)).collect();
            times.dedup();
            times
        })
        .collect();
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    let plan = |bound: f64| -> Option<Vec<i64>> {
        let replicas: Option<Vec<i64>> = stages.iter().map(|s| s.fewest_within(bound)).collect();
        replicas.filter(|r| r.iter().zip(stages).map(|(d, s)| d * s.cost).sum::<i64>() <= budget)
    };
    // Feasibility only grows with the bound: the least feasible candidate.
    let (mut low, mut high) = (0, candidates.len() - 1);
    while low < high {
        let middle = (low + high) / 2;
        if plan(candidates[middle]).is_some() {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    Ok(plan(candidates[low]).expect("the largest stage time needs one replica each, which fits"))
}

/// The greedy heuristic: from one replica each, give the slowest stage
/// another while it fits the budget and shortens it.
pub fn greedy(stages: &[Stage], budget: i64) -> Result<Vec<i64>, String> {
    check_budget(stages, budget)?;
    let mut replicas = vec![1i64; stages.len()];
    let mut used: i64 = stages.iter().map(|s| s.cost).sum();
    loop {
        let slowest =
            (0..stages.len()).max_by(|&a, &b| stages[a].time(replicas[a]).total_cmp(&stages[b].time(replicas[b])));
        let Some(l) = slowest else { return Ok(replicas) };
        let (stage, d) = (stages[l], replicas[l]);
        if d == stage.rows || used + stage.cost > budget || stage.time(d + 1) >= stage.time(d) {
            return Ok(replicas);
        }
        replicas[l] += 1;
        used += stage.cost;
    }
}

/// The slowest stage's time with `replicas`.
pub fn bottleneck(stages: &[Stage], replicas: &[i64]) -> f64 {
    stages.iter().zip(replicas).map(|(s, &d)| s.time(d)).fold(0.0, f64::max)
}

/// A crossbar layer's stage, from the chip's costs: a replica computes a
/// row of pixels, each taking the MVMs of the core with the most crossbars
/// of the layer (run one after another) and that core's own transfers (its
/// slice of the window, its partial sums and outputs), while the bus
/// carries every core's transfers: a floor that replicas, sharing the bus,
/// cannot lower. `shape` is the layer's output `[channels, height, width]`.
pub fn stage(plan: &TilePlan, shape: [i64; 3], arch: &Architecture) -> Stage {
    let crossbars = i64::from(arch.core.crossbars);
    let cores = core_tiles(plan, crossbars);
    let members = group_members(plan.h, crossbars) as u64;
    let [channels, height, width] = shape;
    let input_bytes = u64::from(arch.crossbar.input_bits.div_ceil(8));
    let partial_bytes = u64::from(arch.crossbar.output_bits.div_ceil(8));
    // The input words a core loads per pixel: the span of its tiles' rows.
    let rows = |tiles: &[Tile]| -> u64 {
        let first = tiles.iter().map(|t| t.rows[0]).min().unwrap_or(0);
        (tiles.iter().map(|t| t.rows[1]).max().unwrap_or(0) - first) as u64
    };
    let busiest = cores.iter().map(|range| range.len()).max().unwrap_or(1) as u64;
    let widest = cores.iter().map(|range| rows(&plan.tiles[range.clone()])).max().unwrap_or(0);
    // A core's own transfers per pixel: its window slice, a partial sum
    // read and written, an output vector (at most).
    let vector = (channels as u64 / plan.v.max(1) as u64).max(1);
    let own = arch.bus_transfer_cycles(widest * input_bytes)
        + 2 * arch.bus_transfer_cycles(vector * partial_bytes)
        + arch.bus_transfer_cycles(vector * input_bytes);
    let pixel = busiest * arch.mvm_latency_cycles() + own;
    // Every core's transfers per pixel on the shared bus.
    let all_inputs: u64 = cores.iter().map(|range| rows(&plan.tiles[range.clone()])).sum::<u64>() * input_bytes;
    let partials = 2 * members.saturating_sub(1) * channels as u64 * partial_bytes;
    let bus = arch.bus_occupancy_cycles(all_inputs + partials + channels as u64 * input_bytes);
    Stage {
        rows: height,
        row_cycles: (width as u64 * pixel) as f64,
        floor: (height * width) as f64 * bus as f64,
        cost: cores.len() as i64,
    }
}

/// How replicas are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One replica of each layer.
    None,
    /// [`greedy`].
    Greedy,
    /// [`exact`].
    Exact,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::None, Mode::Greedy, Mode::Exact];

    pub fn name(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Greedy => "greedy",
            Mode::Exact => "exact",
        }
    }

    /// The mode called `name`.
    pub fn named(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|mode| mode.name() == name)
    }

    /// The replicas of each stage within `budget` cores; an error with the
    /// numbers when even one replica each does not fit.
    pub fn solve(self, stages: &[Stage], budget: i64) -> Result<Vec<i64>, String> {
        match self {
            Mode::None => {
                check_budget(stages, budget)?;
                Ok(vec![1; stages.len()])
            }
            Mode::Greedy => greedy(stages, budget),
            Mode::Exact => exact(stages, budget),
        }
    }
}

/// What `--explain` prints of a duplication: the chosen mode's bottleneck
/// and cores against the other modes', then per layer its cores per
/// replica, replicas, output rows, stage cycles and what bounds it (the
/// bus when more replicas would not shorten it, else its MVMs and own
/// transfers), the bottleneck marked.
pub fn explain(layers: &[(String, Stage)], replicas: &[i64], mode: Mode, budget: i64) -> String {
    let stages: Vec<Stage> = layers.iter().map(|(_, stage)| *stage).collect();
    let cores = |replicas: &[i64]| -> i64 { replicas.iter().zip(&stages).map(|(d, s)| d * s.cost).sum() };
    let slowest = bottleneck(&stages, replicas);
    let named = layers.iter().zip(replicas).find(|((_, s), &d)| s.time(d) >= slowest).map(|((name, _), _)| name);
    let mut text = format!(
        "{}: {} of a budget of {budget} cores, slowest stage {} cycles{}\n",
        mode.name(),
        cores(replicas),
        slowest.round(),
        named.map_or_else(String::new, |name| format!(" ('{name}')"))
    );
    for other in Mode::ALL.into_iter().filter(|&other| other != mode) {
        if let Ok(theirs) = other.solve(&stages, budget) {
            let _ = writeln!(
                text,
                "  {} would take {} cores, slowest stage {} cycles",
                other.name(),
                cores(&theirs),
                bottleneck(&stages, &theirs).round()
            );
        }
    }
    let width = layers.iter().map(|(name, _)| name.len()).chain([5]).max().unwrap_or(5);
    let _ = writeln!(
        text,
        "  {:<width$}  {:>5}  {:>8}  {:>5}  {:>12}  bound by",
        "layer", "cores", "replicas", "rows", "stage cycles"
    );
    for ((name, stage), &d) in layers.iter().zip(replicas) {
        let time = stage.time(d);
        let bound = if stage.bus_bound(d) { "bus" } else { "MVMs" };
        let mark = if time >= slowest { "  <- bottleneck" } else { "" };
        let _ = writeln!(
            text,
            "  {name:<width$}  {:>5}  {d:>8}  {:>5}  {:>12}  {bound}{mark}",
            stage.cost,
            stage.rows,
            time.round()
        );
    }
    text
}

/// The replicas of `stages`, one each, must fit `budget`.
fn check_budget(stages: &[Stage], budget: i64) -> Result<(), String> {
    let needed: i64 = stages.iter().map(|s| s.cost).sum();
    if needed > budget {
        return Err(format!("the layers need {needed} cores with one replica each, the budget is {budget}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(rows: i64, row_cycles: f64, floor: f64, cost: i64) -> Stage {
        Stage { rows, row_cycles, floor, cost }
    }

    #[test]
    fn exact_finds_the_best_bottleneck_and_greedy_may_not() {
        // Five rows: four replicas compute no faster than three (two rows
        // each), so greedy stops at three; five compute one row each.
        let stages = [stage(5, 10.0, 0.0, 1)];
        assert_eq!(greedy(&stages, 5).unwrap(), [3]);
        assert_eq!(exact(&stages, 5).unwrap(), [5]);
        // Every assignment within the budget is at best as fast as exact's.
        let stages = [stage(12, 10.0, 0.0, 5), stage(8, 12.0, 0.0, 1)];
        let best = exact(&stages, 14).unwrap();
        for a in 1..=12 {
            for b in 1..=8 {
                if a * 5 + b <= 14 {
                    assert!(bottleneck(&stages, &[a, b]) >= bottleneck(&stages, &best), "{a} {b}");
                }
            }
        }
    }

    #[test]
    fn a_bus_bound_stage_gets_no_replicas_that_cannot_help() {
        let stages = [stage(10, 10.0, 200.0, 1), stage(10, 10.0, 0.0, 1)];
        assert_eq!(exact(&stages, 100).unwrap()[0], 1);
        assert_eq!(greedy(&stages, 100).unwrap()[0], 1);
    }

    #[test]
    fn a_budget_below_one_replica_each_is_an_error_with_the_numbers() {
        let stages = [stage(4, 1.0, 0.0, 3), stage(4, 1.0, 0.0, 2)];
        assert_eq!(exact(&stages, 4).unwrap_err(), "the layers need 5 cores with one replica each, the budget is 4");
    }
}
