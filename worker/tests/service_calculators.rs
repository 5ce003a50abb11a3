//! The stateless calculators natively: documented ranges refused with the field named,
//! known answers, and the largest accepted inputs answered.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_worker::service::calculators::{analyze_request, sample_size_request};
use serde_json::{Value, json};

fn field_of(result: Result<impl std::fmt::Debug, cleave_worker::error::ApiError>) -> (u16, String) {
    let e = result.expect_err("refused");
    (e.status(), e.field.unwrap_or_default())
}

fn analyze(v: Value) -> Result<cleave_core::analysis::Report, cleave_worker::error::ApiError> {
    analyze_request(v.to_string().as_bytes())
}

#[test]
fn analyze_refuses_values_outside_the_documented_ranges() {
    let two = |a: Value, b: Value| json!({"variants": [a, b]});
    let ok = json!({"name": "b", "sample_size": 10, "conversions": 1});
    let cases = [
        (
            two(
                json!({"name": "a", "sample_size": (1_u64 << 53) + 1, "conversions": 0}),
                ok.clone(),
            ),
            "variants[0].sample_size",
        ),
        (
            two(
                json!({"name": "a", "sample_size": 3, "conversions": 4}),
                ok.clone(),
            ),
            "variants[0].conversions",
        ),
        (
            two(json!({"name": "a", "sample_size": 3}), ok.clone()),
            "variants[0].conversions",
        ),
        (
            json!({"alpha": 0.5, "variants": [ok.clone(), json!({"name": "c", "sample_size": 5, "conversions": 1})]}),
            "alpha",
        ),
        (
            json!({"weights": [1, 1e-7], "variants": [ok.clone(), json!({"name": "c", "sample_size": 5, "conversions": 1})]}),
            "weights[1]",
        ),
        (
            json!({"sequential_tau2": 0, "variants": [ok.clone(), json!({"name": "c", "sample_size": 5, "conversions": 1})]}),
            "sequential_tau2",
        ),
        (
            json!({"metric_type": "continuous", "variants": [
            {"name": "a", "sample_size": 5, "mean": -1.5e15, "variance": 1},
            {"name": "b", "sample_size": 5, "mean": 1, "variance": 1}]}),
            "variants[0].mean",
        ),
        (
            json!({"metric_type": "continuous", "variants": [
            {"name": "a", "sample_size": 5, "mean": 1, "variance": -1},
            {"name": "b", "sample_size": 5, "mean": 1, "variance": 1}]}),
            "variants[0].variance",
        ),
        (json!({"variants": [ok.clone()]}), "variants"),
    ];
    for (body, field) in cases {
        assert_eq!(
            field_of(analyze(body.clone())),
            (422, field.to_string()),
            "{body}"
        );
    }
    assert_eq!(
        field_of(analyze(json!({"variants": "x"}))).0,
        400,
        "wrong type"
    );
}

#[test]
fn analyze_answers_the_largest_inputs_and_known_values() {
    let max = 1_u64 << 53;
    let r = analyze(json!({"variants": [
        {"name": "a", "sample_size": max, "conversions": max / 2},
        {"name": "b", "sample_size": max, "conversions": max / 2 + 100_000_000}]}))
    .unwrap();
    let p = r.comparisons[0].probability_to_beat_control.unwrap();
    assert!((0.9..1.0).contains(&p), "{p}");
    // 523/47 vs 511/62: the pooled two-sided p-value is 0.0995.
    let r = analyze(json!({"variants": [
        {"name": "control", "sample_size": 523, "conversions": 47},
        {"name": "new", "sample_size": 511, "conversions": 62}]}))
    .unwrap();
    assert!((r.p_value.unwrap() - 0.0995).abs() < 5e-4);
}

#[test]
fn sample_size_names_the_field_at_fault() {
    let size = |v: Value| sample_size_request(v.to_string().as_bytes());
    let r = size(json!({"base_rate": 0.1, "mde": 0.1})).unwrap();
    assert_eq!(r.total_sample_size, 2 * r.sample_size_per_variant);
    for (body, field) in [
        (json!({"base_rate": 1.2, "mde": 0.1}), "base_rate"),
        (json!({"base_rate": 0.1, "mde": 0}), "mde"),
        (json!({"base_rate": 0.5, "mde": 1e-12}), "mde"),
        (json!({"base_rate": 0.1, "mde": 0.1, "power": 0.3}), "power"),
        (json!({"base_rate": 0.1, "mde": 0.1, "alpha": 1.5}), "alpha"),
        (
            json!({"base_rate": 0.1, "mde": 0.1, "variants": 1}),
            "variants",
        ),
    ] {
        assert_eq!(
            field_of(size(body.clone())),
            (422, field.to_string()),
            "{body}"
        );
    }
}
