//! Hostile numbers on public endpoints: no request may freeze the Worker, and no event can
//! break an experiment's results.
//!
//! * `/analyze` with 2^40 conversions used to run for ~20 minutes (one term per
//!   conversion) and block `/health`, `/assign` and `/track` meanwhile;
//! * a tracked value of 1e155 made the sum of squares overflow, and every later `/stats`
//!   of that experiment answered 503 `storage_unavailable`, also after a restart.

use cleave_e2e::{Api, http, send};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

const MAX_COUNT: u64 = 1 << 53;

#[test]
fn huge_counts_are_answered_and_the_worker_stays_responsive() {
    let api = Api::start("hostile-analyze");
    // The request that used to freeze the Worker; the client's 30 s timeout fails the test
    // if it does not come back.
    let (status, report) = api.public(
        "POST",
        "/api/v1/analyze",
        Some(json!({"variants": [
            {"name": "a", "sample_size": 1_u64 << 40, "conversions": 1},
            {"name": "b", "sample_size": 1_u64 << 40, "conversions": 1_u64 << 40}]})),
    );
    assert_eq!(status, 200, "{report}");
    let p = report["comparisons"][0]["probability_to_beat_control"].as_f64();
    assert_eq!(
        p,
        Some(1.0),
        "b converts everyone, a almost no one: {report}"
    );
    let (status, _) = api.public("GET", "/health", None);
    assert_eq!(status, 200);
    // The largest accepted counts, binary and continuous, 20 variants.
    let variants: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("v{i}"), "sample_size": MAX_COUNT, "conversions": MAX_COUNT / 2 + i}))
        .collect();
    let (status, report) = api.public(
        "POST",
        "/api/v1/analyze",
        Some(json!({"variants": variants})),
    );
    assert_eq!(status, 200, "{report}");
    let variants: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("v{i}"), "sample_size": MAX_COUNT, "mean": 1e15 - f64::from(i), "variance": 1e30}))
        .collect();
    let (status, report) = api.public(
        "POST",
        "/api/v1/analyze",
        Some(json!({"metric_type": "continuous", "variants": variants})),
    );
    assert_eq!(status, 200, "{report}");
    // Outside the documented ranges: 422 naming the field.
    for (body, field) in [
        (
            json!({"variants": [{"name": "a", "sample_size": MAX_COUNT + 1, "conversions": 1}, {"name": "b", "sample_size": 5, "conversions": 1}]}),
            "variants[0].sample_size",
        ),
        (
            json!({"variants": [{"name": "a", "sample_size": 5, "conversions": 6}, {"name": "b", "sample_size": 5, "conversions": 1}]}),
            "variants[0].conversions",
        ),
        (
            json!({"metric_type": "continuous", "variants": [{"name": "a", "sample_size": 5, "mean": 1e16, "variance": 1}, {"name": "b", "sample_size": 5, "mean": 1, "variance": 1}]}),
            "variants[0].mean",
        ),
        (
            json!({"metric_type": "continuous", "variants": [{"name": "a", "sample_size": 5, "mean": 1, "variance": 1}, {"name": "b", "sample_size": 5, "mean": 1, "variance": 1e31}]}),
            "variants[1].variance",
        ),
        (
            json!({"sequential_tau2": 2.0, "variants": [{"name": "a", "sample_size": 5, "conversions": 1}, {"name": "b", "sample_size": 5, "conversions": 1}]}),
            "sequential_tau2",
        ),
        (
            json!({"weights": [1e7, 1], "variants": [{"name": "a", "sample_size": 5, "conversions": 1}, {"name": "b", "sample_size": 5, "conversions": 1}]}),
            "weights[0]",
        ),
    ] {
        let (status, e) = api.public("POST", "/api/v1/analyze", Some(body));
        assert_eq!(status, 422, "{e}");
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    let (status, e) = api.public(
        "POST",
        "/api/v1/sample-size",
        Some(json!({"base_rate": 0.5, "mde": 1e-12})),
    );
    assert_eq!(status, 422, "a per-variant size beyond 2^53: {e}");
    assert_eq!(e["error"]["field"], "mde", "{e}");
}

/// A variant as the schema allows it: any count up to 2^53 (conversions not above it),
/// means and variances anywhere in their documented ranges.
fn variant(i: usize) -> impl Strategy<Value = Value> {
    let count = prop_oneof![
        Just(0_u64),
        Just(1),
        Just(MAX_COUNT),
        0..=MAX_COUNT,
        0_u64..1000
    ];
    (count, any::<f64>(), -1e15_f64..=1e15, 0.0_f64..=1e30).prop_map(
        move |(n, share, mean, variance)| {
            let conversions = (n as f64 * share.abs().fract()) as u64;
            json!({"name": format!("v{i}"), "sample_size": n, "conversions": conversions.min(n),
               "mean": mean, "variance": variance})
        },
    )
}

fn body() -> impl Strategy<Value = Value> {
    (2_usize..=20)
        .prop_flat_map(|k| {
            (
                (0..k).map(variant).collect::<Vec<_>>(),
                prop_oneof![Just("binary"), Just("continuous")],
                prop::option::of(1e-6_f64..0.5),
                prop::option::of(1e-12_f64..=1.0),
            )
        })
        .prop_map(|(variants, metric_type, alpha, tau2)| {
            let mut b = json!({"variants": variants, "metric_type": metric_type});
            if let Some(a) = alpha {
                b["alpha"] = json!(a);
            }
            if let Some(t) = tau2 {
                b["sequential_tau2"] = json!(t);
            }
            b
        })
}

#[test]
fn any_analyze_body_the_schema_allows_is_answered_200_or_4xx() {
    let api = Api::start("hostile-analyze-property");
    let url = api.url("/api/v1/analyze");
    let mut runner = TestRunner::new(Config {
        cases: 150,
        ..Config::default()
    });
    runner
        .run(&body(), |b| {
            let (status, text) = send(http().post(&url), Some(&b));
            prop_assert!(
                status == 200 || (400..500).contains(&status),
                "{status} {text} for {b}"
            );
            prop_assert!(
                serde_json::from_str::<Value>(&text).is_ok(),
                "not JSON: {text}"
            );
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn an_event_value_cannot_break_an_experiments_results() {
    let api = Api::start("hostile-values");
    let e = api.running(
        json!({"name": "Spend", "metrics": ["revenue", "conversion"],
                               "variants": [{"name": "a"}, {"name": "b"}]}),
    );
    let id = e["id"].as_str().unwrap_or_default().to_string();
    let other = api.running(json!({"name": "Other", "variants": [{"name": "a"}, {"name": "b"}]}));
    let other_id = other["id"].as_str().unwrap_or_default().to_string();
    let assign = format!("/api/v1/experiments/{id}/assign");
    let track = format!("/api/v1/experiments/{id}/track");
    for user in ["attacker", "honest"] {
        let (status, _) = api.public("POST", &assign, Some(json!({"user_id": user})));
        assert_eq!(status, 200);
    }
    // The attack: refused, naming the field, in every form the API takes events.
    for value in [1e155, -1e16, 1.000_000_000_000_001e15] {
        let (status, err) = api.public(
            "POST",
            &track,
            Some(json!({"user_id": "attacker", "event_name": "revenue", "value": value})),
        );
        assert_eq!(status, 422, "value {value}: {err}");
        assert_eq!(err["error"]["field"], "value", "{err}");
    }
    let (status, batch) = api.public(
        "POST",
        "/api/v1/events/batch",
        Some(json!({"events": [{"experiment_id": id, "user_id": "attacker", "event_name": "revenue", "value": 1e155}]})),
    );
    assert_eq!(status, 200, "{batch}");
    assert_eq!(batch["rejected"], 1, "{batch}");
    assert_eq!(
        batch["results"][0]["error"]["field"], "events[0].value",
        "{batch}"
    );
    let (status, _) = api.public(
        "POST",
        &format!("{track}?user_id=attacker&event_name=revenue&value=1e155"),
        None,
    );
    assert_eq!(status, 422, "the query-string form");
    // The largest accepted value is fine, and the results stay readable.
    for (user, value) in [("honest", 1e15), ("attacker", -1e15)] {
        let (status, r) = api.public(
            "POST",
            &track,
            Some(json!({"user_id": user, "event_name": "revenue", "value": value})),
        );
        assert_eq!(status, 200, "{r}");
    }
    let stats = format!("/api/v1/experiments/{id}/stats?metric=revenue&metric_type=continuous");
    let (status, report) = api.admin("GET", &stats, None);
    assert_eq!(status, 200, "{report}");

    // Data stored before values were limited: one event of 1e155, kept in D1 by a version
    // before the sharded data plane and moved into the shards by the upgrade, makes the sum
    // of squares infinite. That metric answers a clear 4xx; other metrics and experiments
    // are unharmed.
    api.w.d1_execute(&format!(
        "INSERT INTO assignments (experiment_id, user_id, variant, reason, assigned_at) \
         VALUES ('{id}', 'legacy-unit', 'a', 'assigned', 0); \
         INSERT INTO events (event_id, experiment_id, user_id, variant, event_name, value, occurred_at) \
         VALUES ('legacy-1', '{id}', 'legacy-unit', 'a', 'legacy', 1e155, 0)"
    ));
    let (status, moved) = api.admin("POST", "/api/v1/data-plane/upgrade", None);
    assert_eq!(
        (status, moved["moved_events"].clone()),
        (200, json!(1)),
        "{moved}"
    );
    let legacy = format!("/api/v1/experiments/{id}/stats?metric=legacy&metric_type=continuous");
    for _ in 0..2 {
        let (status, err) = api.admin("GET", &legacy, None);
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["error"]["code"], "metric_not_finite", "{err}");
        assert_eq!(err["error"]["field"], "metric", "{err}");
    }
    let (status, report) = api.admin("GET", &stats, None);
    assert_eq!(
        status, 200,
        "another metric of the same experiment: {report}"
    );
    let (status, _) = api.admin(
        "GET",
        &format!("/api/v1/experiments/{other_id}/stats"),
        None,
    );
    assert_eq!(status, 200, "another experiment");
    for path in ["/metrics", "/api/v1/progress", "/health"] {
        let (status, body) = api.admin("GET", path, None);
        assert_eq!(status, 200, "{path}: {body}");
    }
}
