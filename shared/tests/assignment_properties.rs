//! Invariants of the assignment contract: determinism, traffic edges, ramp safety,
//! weight proportions, independence across salts, forced-variant precedence.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic
#![cfg(not(target_arch = "wasm32"))]

use cleave_core::assign::{Allocation, Draw, Reason};
use cleave_core::model::{Experiment, Status, Variant};
use cleave_core::stats::{distributions::chi2_sf, sample_ratio_mismatch};
use proptest::prelude::*;

fn experiment(weights: &[f64], traffic: f64) -> Experiment {
    Experiment {
        id: "exp-prop".into(),
        key: "prop".into(),
        name: "Property".into(),
        status: Status::Running,
        traffic_allocation: traffic,
        variants: weights
            .iter()
            .enumerate()
            .map(|(i, w)| Variant {
                name: format!("v{i}"),
                weight: Some(*w),
                ..Variant::default()
            })
            .collect(),
        ..Experiment::default()
    }
}

proptest! {
    #[test]
    fn same_input_same_answer(salt in "[a-z0-9-]{1,20}", unit in "\\PC{1,40}", traffic in 0.0f64..=1.0) {
        let a = Allocation::new(traffic, &[1.0, 2.0, 3.0]).unwrap();
        prop_assert_eq!(a.decide(&salt, &unit), a.decide(&salt, &unit));
    }

    #[test]
    fn raising_traffic_keeps_everyone_and_their_variant(
        salt in "[a-z0-9]{1,12}", unit in "\\PC{1,40}", low in 0.0f64..=1.0, high in 0.0f64..=1.0,
        weights in prop::collection::vec(0.001f64..100.0, 2..6),
    ) {
        let (low, high) = if low <= high { (low, high) } else { (high, low) };
        let before = Allocation::new(low, &weights).unwrap().decide(&salt, &unit);
        let after = Allocation::new(high, &weights).unwrap().decide(&salt, &unit);
        if let Draw::Variant(v) = before {
            prop_assert_eq!(after, Draw::Variant(v));
        }
    }

    #[test]
    fn zero_admits_nobody_and_one_admits_everybody(salt in "[a-z0-9]{1,12}", unit in "\\PC{1,40}") {
        prop_assert_eq!(Allocation::new(0.0, &[1.0, 1.0]).unwrap().decide(&salt, &unit), Draw::NotInTraffic);
        prop_assert!(matches!(Allocation::new(1.0, &[1.0, 1.0]).unwrap().decide(&salt, &unit), Draw::Variant(_)));
    }

    #[test]
    fn forced_variants_win_over_hashing_and_traffic(unit in "[a-zA-Z0-9]{1,30}", pick in 0usize..3) {
        let mut e = experiment(&[1.0, 1.0, 1.0], 0.0);
        e.forced.insert(unit.clone(), format!("v{pick}"));
        let a = e.assign(&unit).unwrap();
        prop_assert_eq!(a.reason, Reason::Forced);
        let name = format!("v{pick}");
        prop_assert_eq!(a.variant_name(), Some(name.as_str()));
    }

    #[test]
    fn only_running_experiments_assign(unit in "\\PC{1,30}", status in prop::sample::select(vec![Status::Draft, Status::Paused, Status::Stopped, Status::Archived])) {
        let mut e = experiment(&[1.0, 1.0], 1.0);
        e.status = status;
        e.forced.insert(unit.clone(), "v1".into());
        let a = e.assign(&unit).unwrap();
        prop_assert_eq!(a.reason, Reason::NotRunning);
        prop_assert!(a.variant.is_none());
    }
}

/// Counts of each variant over `n` sequential ids.
fn tally(salt: &str, weights: &[f64], n: u32) -> Vec<u64> {
    let a = Allocation::new(1.0, weights).unwrap();
    let mut counts = vec![0u64; weights.len()];
    for i in 0..n {
        if let Draw::Variant(v) = a.decide(salt, &format!("user-{i}")) {
            counts[v] += 1;
        }
    }
    counts
}

#[test]
fn shares_follow_the_weights_over_a_million_ids() {
    for weights in [
        vec![1.0, 1.0],
        vec![1.0, 1.0, 2.0],
        vec![0.05, 0.15, 0.8],
        vec![0.0005, 0.9995],
    ] {
        let counts = tally("chi-square", &weights, 1_000_000);
        let srm = sample_ratio_mismatch(&counts, &weights).unwrap();
        assert!(
            srm.p_value > 0.001,
            "weights {weights:?}: counts {counts:?}, p = {}",
            srm.p_value
        );
    }
}

#[test]
fn traffic_share_matches_the_allocation() {
    for traffic in [0.0005, 0.1, 0.5, 0.9] {
        let a = Allocation::new(traffic, &[1.0, 1.0]).unwrap();
        let n = 400_000u32;
        let admitted = (0..n)
            .filter(|i| a.decide("traffic", &format!("u{i}")) != Draw::NotInTraffic)
            .count() as u64;
        let srm = sample_ratio_mismatch(
            &[admitted, u64::from(n) - admitted],
            &[traffic, 1.0 - traffic],
        )
        .unwrap();
        assert!(
            srm.p_value > 0.001,
            "traffic {traffic}: admitted {admitted} of {n}"
        );
    }
}

#[test]
fn different_salts_assign_independently() {
    // A 2×2 contingency table of two 50/50 experiments over the same ids: independence
    // means no association (chi-square with 1 df).
    let (a, b) = (
        Allocation::new(1.0, &[1.0, 1.0]).unwrap(),
        Allocation::new(1.0, &[1.0, 1.0]).unwrap(),
    );
    let mut table = [[0f64; 2]; 2];
    let n = 200_000;
    for i in 0..n {
        let id = format!("user-{i}");
        let (Draw::Variant(x), Draw::Variant(y)) = (a.decide("exp-a", &id), b.decide("exp-b", &id))
        else {
            panic!("full traffic admits everybody");
        };
        table[x][y] += 1.0;
    }
    let total = f64::from(n);
    let mut chi2 = 0.0;
    for (x, row) in table.iter().enumerate() {
        for (y, &observed) in row.iter().enumerate() {
            let expected = (table[x][0] + table[x][1]) * (table[0][y] + table[1][y]) / total;
            chi2 += (observed - expected).powi(2) / expected;
        }
    }
    assert!(chi2_sf(chi2, 1.0) > 0.001, "table {table:?}, chi2 {chi2}");
}
