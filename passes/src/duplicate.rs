//! Weight duplication: how many replicas of each crossbar layer, so that
//! the slowest stage of a network is as fast as it can be with the cores a
//! chip has to spare (MISSION.md section 4). Plain data: the stages and
//! their costs come from a cost model of the chip (the caller's); a layer in
//! `d` replicas computes `ceil(rows / d)` output rows per replica.
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
    let needed: i64 = stages.iter().map(|s| s.cost).sum();
    if needed > budget {
        return Err(format!("the layers need {needed} cores with one replica each, the budget is {budget}"));
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
    let mut replicas = vec![1i64; stages.len()];
    let mut used: i64 = stages.iter().map(|s| s.cost).sum();
    if used > budget {
        return Err(format!("the layers need {used} cores with one replica each, the budget is {budget}"));
    }
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
