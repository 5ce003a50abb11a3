//! The analysis report: its numbers come from the tested statistics, the verdict
//! follows the documented rules.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::analysis::{
    AnalysisSettings, MetricType, VariantData, analyze, required_sample_size,
};
use cleave_core::model::Experiment;
use cleave_core::stats::{Correction, Counts, two_proportion};
use serde_json::json;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn binary(rows: &[(&str, u64, u64)]) -> Vec<VariantData> {
    rows.iter()
        .map(|(n, u, c)| VariantData::binary(*n, *u, *c))
        .collect()
}

#[test]
fn the_v1_api_example_numbers_follow_the_math() {
    // The v1 API's documentation claims p = 0.0234 for 523/47 vs 511/62; the pooled z test gives 0.0995.
    let r = analyze(
        &binary(&[("control", 523, 47), ("new-feature", 511, 62)]),
        &AnalysisSettings::default(),
    )
    .unwrap();
    let p = r.p_value.unwrap();
    assert!((p - 0.0995).abs() < 5e-4, "p = {p}");
    assert_eq!(r.winner, None);
    assert!(!r.statistical_significance);
    assert_eq!(r.sample_size_per_variant, 517);
    assert_eq!(r.total_conversions, 109);
    assert_eq!(r.confidence_level, 0.95);
    let c = &r.comparisons[0];
    assert_eq!(c.test, "two_proportion_z");
    assert_eq!(c.df, None);
    let direct = two_proportion(
        Counts {
            n: 523,
            conversions: 47,
        },
        Counts {
            n: 511,
            conversions: 62,
        },
        0.05,
    )
    .unwrap();
    assert_eq!(c.statistic, Some(direct.z));
    assert_eq!(c.difference_ci, Some(direct.diff_ci));
    assert_eq!(r.variants[0].confidence_interval, Some(direct.control_ci));
    assert!(
        r.recommendation.starts_with("No significant difference"),
        "{}",
        r.recommendation
    );
}

#[test]
fn the_winner_is_named_with_its_own_lift() {
    // Three arms: b is flat, c wins clearly. The v1 API's service would quote b's lift.
    let r = analyze(
        &binary(&[
            ("a", 10_000, 1000),
            ("b", 10_000, 1005),
            ("c", 10_000, 1300),
        ]),
        &AnalysisSettings::default(),
    )
    .unwrap();
    assert_eq!(r.winner.as_deref(), Some("c"));
    let lift = r.comparisons[1].relative_lift.unwrap();
    assert!((lift - 0.3).abs() < 1e-12);
    assert!(
        r.recommendation.contains("c shows +30.0% over a"),
        "{}",
        r.recommendation
    );
    assert_eq!(r.effect_size, Some(lift));
}

#[test]
fn the_correction_can_remove_a_winner() {
    // p ≈ 0.024 (statsmodels proportions_ztest) for the best of three treatments: significant raw, not after Holm (×3).
    let data = binary(&[
        ("a", 5000, 500),
        ("b", 5000, 500),
        ("c", 5000, 500),
        ("d", 5000, 570),
    ]);
    let raw = analyze(
        &data,
        &AnalysisSettings {
            correction: Correction::None,
            ..AnalysisSettings::default()
        },
    )
    .unwrap();
    let holm = analyze(&data, &AnalysisSettings::default()).unwrap();
    let p = raw.comparisons[2].p_value.unwrap();
    assert!((p - 0.023540786189961346).abs() < 1e-9 * p, "p = {p}");
    assert_eq!(raw.winner.as_deref(), Some("d"));
    assert_eq!(holm.winner, None);
    assert_eq!(holm.comparisons[2].adjusted_p_value, Some(3.0 * p));
}

#[test]
fn sample_ratio_mismatch_overrides_a_winner() {
    let r = analyze(
        &binary(&[("a", 10_000, 1000), ("b", 11_000, 1500)]),
        &AnalysisSettings::default(),
    )
    .unwrap();
    let srm = r.srm.unwrap();
    assert!(srm.mismatch && srm.p_value < 0.001);
    assert!(r.statistical_significance);
    assert_eq!(r.winner, None);
    assert!(
        r.recommendation.contains("Sample ratio mismatch"),
        "{}",
        r.recommendation
    );
}

#[test]
fn below_the_planned_size_it_says_keep_collecting_with_the_remainder() {
    let settings = AnalysisSettings {
        required_sample_size: Some(3000),
        ..AnalysisSettings::default()
    };
    let r = analyze(&binary(&[("a", 1000, 100), ("b", 1010, 160)]), &settings).unwrap();
    assert_eq!(r.winner, None);
    assert!(
        r.recommendation.contains("2000 more users per variant"),
        "{}",
        r.recommendation
    );
    assert_eq!(r.progress, Some(1000.0 / 3000.0));
}

#[test]
fn every_treatment_significantly_worse_keeps_the_control() {
    let r = analyze(
        &binary(&[("a", 10_000, 1500), ("b", 10_000, 1000)]),
        &AnalysisSettings::default(),
    )
    .unwrap();
    assert_eq!(r.winner.as_deref(), Some("a"));
    assert!(
        r.recommendation.starts_with("❌ Control wins"),
        "{}",
        r.recommendation
    );
}

#[test]
fn continuous_metrics_use_welch_and_sufficient_statistics() {
    // Per-user values: control 1,2,3,4 ; treatment 3,4,5,6,7.
    let c = VariantData::from_sums("control", 4, 4, 10.0, 30.0);
    let t = VariantData::from_sums("treatment", 5, 5, 25.0, 135.0);
    assert_eq!((c.mean, c.variance), (2.5, 5.0 / 3.0));
    assert_eq!((t.mean, t.variance), (5.0, 2.5));
    let settings = AnalysisSettings {
        metric_type: MetricType::Continuous,
        ..AnalysisSettings::default()
    };
    let r = analyze(&[c, t], &settings).unwrap();
    let cmp = &r.comparisons[0];
    assert_eq!(cmp.test, "welch_t");
    // scipy.stats.ttest_ind([3,4,5,6,7], [1,2,3,4], equal_var=False)
    assert!((cmp.statistic.unwrap() - 2.6111648393354674).abs() < 1e-12);
    assert!((cmp.df.unwrap() - 6.980769230769231).abs() < 1e-9);
    assert!(
        (cmp.p_value.unwrap() - 0.03493878235996401).abs() < 1e-12,
        "{:?}",
        cmp.p_value
    );
    assert!(cmp.probability_to_beat_control.is_none());
}

#[test]
fn degenerate_inputs_give_none_not_nan() {
    let r = analyze(
        &binary(&[("a", 0, 0), ("b", 0, 0)]),
        &AnalysisSettings {
            sequential_tau2: Some(0.01),
            ..AnalysisSettings::default()
        },
    )
    .unwrap();
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
    assert_eq!(r.comparisons[0].p_value, None);
    assert!(r.recommendation.contains("Waiting for data"));
    let zero = analyze(
        &binary(&[("a", 100, 0), ("b", 100, 0)]),
        &AnalysisSettings {
            sequential_tau2: Some(0.01),
            ..AnalysisSettings::default()
        },
    )
    .unwrap();
    assert_eq!(zero.comparisons[0].p_value, Some(1.0));
    assert_eq!(zero.comparisons[0].relative_lift, None);
    assert_eq!(zero.comparisons[0].sequential_p_value, Some(1.0));
}

#[test]
fn bad_input_names_the_field() {
    let err = analyze(
        &binary(&[("a", 10, 11), ("b", 10, 1)]),
        &AnalysisSettings::default(),
    )
    .unwrap_err();
    assert_eq!(err.field, "variants[0].conversions");
    let err = analyze(
        &binary(&[("a", 10, 1), ("b", 10, 1)]),
        &AnalysisSettings {
            alpha: 0.9,
            ..AnalysisSettings::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.field, "alpha");
    let err = analyze(
        &binary(&[("a", 10, 1), ("b", 10, 1)]),
        &AnalysisSettings {
            control: Some("zz".into()),
            ..AnalysisSettings::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.field, "control");
}

#[test]
fn planned_size_comes_from_the_experiment() {
    let mut e: Experiment = serde_json::from_value(json!({
        "variants": [{"name": "a"}, {"name": "b"}],
        "base_rate": 0.1, "min_detectable_effect": 0.05, "mde_type": "absolute"
    }))
    .unwrap();
    // The ab-testing-service API: base 0.1, absolute MDE 0.05, 80 % power → 686 per group.
    assert_eq!(required_sample_size(&e), Some(686));
    e.base_rate = None;
    e.target_sample_size = Some(1001);
    assert_eq!(required_sample_size(&e), Some(501));
}
