//! Every analysis returns, with finite numbers, on any input the API accepts: counts up
//! to 2^53, means and variances at their limits, up to 20 variants. The statistics cost
//! a bounded amount of work whatever the values (the Bayesian sums used to grow with the
//! number of conversions: 2^40 of them took about twenty minutes).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic
#![cfg(not(target_arch = "wasm32"))]

use cleave_core::analysis::limits::{MAX_ABS_MEAN, MAX_SEQUENTIAL_TAU2, MAX_VARIANCE};
use cleave_core::analysis::{AnalysisSettings, MetricType, Report, VariantData, analyze};
use cleave_core::stats::{Correction, Counts, MAX_COUNT, beta_binomial};
use proptest::prelude::*;

/// Counts biased towards the extremes: 0, 1, 2^53 and its neighbours, or anything between.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(MAX_COUNT),
        Just(MAX_COUNT - 1),
        (MAX_COUNT / 2)..=MAX_COUNT,
        0..=MAX_COUNT,
        0_u64..1_000,
    ]
}

/// Users and conversions with `conversions ≤ users`, often at either end.
fn binary_variant() -> impl Strategy<Value = (u64, u64)> {
    count().prop_flat_map(|users| {
        let conversions = prop_oneof![Just(0), Just(users), Just(users / 2), 0..=users];
        (Just(users), conversions)
    })
}

fn finite_value(limit: f64) -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(limit),
        Just(-limit),
        Just(0.0),
        Just(f64::MIN_POSITIVE),
        -limit..=limit,
    ]
}

fn continuous_variant() -> impl Strategy<Value = (u64, f64, f64)> {
    (
        count(),
        finite_value(MAX_ABS_MEAN),
        finite_value(MAX_VARIANCE).prop_map(f64::abs),
    )
}

/// Every number in the report is finite (what `Some` holds included).
fn assert_finite(r: &Report) {
    let values = r.variants.iter().flat_map(|v| {
        [v.conversion_rate, v.mean_value, v.std_dev]
            .into_iter()
            .chain(v.confidence_interval.into_iter().flatten())
    });
    let comparisons = r.comparisons.iter().flat_map(|c| {
        [
            c.statistic,
            c.df,
            c.p_value,
            c.adjusted_p_value,
            Some(c.difference),
            c.relative_lift,
            c.probability_to_beat_control,
            c.expected_loss,
            c.sequential_p_value,
        ]
        .into_iter()
        .flatten()
        .chain(c.difference_ci.into_iter().flatten())
    });
    let srm = r.srm.iter().flat_map(|s| [s.chi2, s.p_value]);
    for x in values.chain(comparisons).chain(srm) {
        assert!(x.is_finite(), "non-finite number {x} in {r:#?}");
    }
}

fn settings(metric_type: MetricType, tau2: Option<f64>) -> AnalysisSettings {
    AnalysisSettings {
        metric_type,
        correction: Correction::Holm,
        sequential_tau2: tau2,
        ..AnalysisSettings::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn binary_analyses_return_with_finite_numbers(
        rows in prop::collection::vec(binary_variant(), 2..=20),
        tau2 in prop::option::of(1e-12_f64..=MAX_SEQUENTIAL_TAU2),
    ) {
        let data: Vec<VariantData> = rows
            .iter()
            .enumerate()
            .map(|(i, (n, x))| VariantData::binary(format!("v{i}"), *n, *x))
            .collect();
        if let Ok(r) = analyze(&data, &settings(MetricType::Binary, tau2)) {
            assert_finite(&r);
            for c in &r.comparisons {
                if let Some(p) = c.probability_to_beat_control {
                    prop_assert!((0.0..=1.0).contains(&p));
                }
            }
        }
    }

    #[test]
    fn continuous_analyses_return_with_finite_numbers(
        rows in prop::collection::vec(continuous_variant(), 2..=20),
    ) {
        let data: Vec<VariantData> = rows
            .iter()
            .enumerate()
            .map(|(i, (n, m, v))| VariantData::continuous(format!("v{i}"), *n, *m, *v))
            .collect();
        if let Ok(r) = analyze(&data, &settings(MetricType::Continuous, None)) {
            assert_finite(&r);
        }
    }

    /// The two Bayesian answers are consistent at any size: `P(T > C) + P(C > T) = 1`, and
    /// the two expected losses differ by the difference of the posterior means.
    #[test]
    fn bayesian_answers_agree_with_each_other(
        (nc, xc) in binary_variant(),
        (nt, xt) in binary_variant(),
    ) {
        let (c, t) = (Counts { n: nc.max(1), conversions: xc }, Counts { n: nt.max(1), conversions: xt });
        let forward = beta_binomial(c, t).expect("valid counts");
        let backward = beta_binomial(t, c).expect("valid counts");
        let total = forward.prob_treatment_better + backward.prob_treatment_better;
        prop_assert!((total - 1.0).abs() < 1e-12, "P(T>C) + P(C>T) = {total}");
        let mean = |k: Counts| (k.conversions as f64 + 1.0) / (k.n as f64 + 2.0);
        let sd = |k: Counts| {
            let m = mean(k);
            (m * (1.0 - m) / (k.n as f64 + 3.0)).sqrt()
        };
        let gap = forward.expected_loss_treatment - backward.expected_loss_treatment;
        let want = mean(c) - mean(t);
        let scale = sd(c) + sd(t);
        prop_assert!(
            (gap - want).abs() <= 1e-9 * scale + 1e-15,
            "losses differ by {gap}, means by {want} (sd {scale})"
        );
    }
}

/// Counts beyond 2^53 are refused (the statistics' bounded cost is proven up to there).
#[test]
fn counts_beyond_the_limit_are_refused() {
    let data = [
        VariantData::binary("a", MAX_COUNT + 1, 1),
        VariantData::binary("b", 10, 1),
    ];
    let err = analyze(&data, &AnalysisSettings::default()).expect_err("refused");
    assert_eq!(err.field, "variants[0].sample_size");
    let too_many = Counts {
        n: MAX_COUNT + 1,
        conversions: 0,
    };
    assert!(beta_binomial(too_many, too_many).is_err());
}
