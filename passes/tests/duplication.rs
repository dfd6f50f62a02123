//! Weight duplication against every assignment of small problems.

use proptest::prelude::*;
use rram_passes::duplication::{bottleneck, exact, greedy, Stage};

fn stages() -> impl Strategy<Value = Vec<Stage>> {
    prop::collection::vec(
        (1i64..7, 1u32..20, 0u32..60, 1i64..4).prop_map(|(rows, row_cycles, floor, cost)| Stage {
            rows,
            row_cycles: f64::from(row_cycles),
            floor: f64::from(floor),
            cost,
        }),
        1..4,
    )
}

/// Every assignment of replicas (1..=rows each).
fn assignments(stages: &[Stage]) -> Vec<Vec<i64>> {
    stages.iter().fold(vec![Vec::new()], |partial, stage| {
        partial.iter().flat_map(|p| (1..=stage.rows).map(move |d| [p.clone(), vec![d]].concat())).collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn exact_is_optimal_within_the_budget_and_never_worse_than_greedy(stages in stages(), spare in 0i64..12) {
        let budget = stages.iter().map(|s| s.cost).sum::<i64>() + spare;
        let cost = |replicas: &[i64]| replicas.iter().zip(&stages).map(|(d, s)| d * s.cost).sum::<i64>();
        let best = exact(&stages, budget).unwrap();
        let heuristic = greedy(&stages, budget).unwrap();
        prop_assert!(cost(&best) <= budget && cost(&heuristic) <= budget);
        prop_assert!(best.iter().zip(&stages).all(|(&d, s)| (1..=s.rows).contains(&d)));
        prop_assert!(bottleneck(&stages, &best) <= bottleneck(&stages, &heuristic));
        for replicas in assignments(&stages).iter().filter(|r| cost(r) <= budget) {
            prop_assert!(bottleneck(&stages, replicas) >= bottleneck(&stages, &best), "{:?} beats {:?}", replicas, best);
        }
    }
}
