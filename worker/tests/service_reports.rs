//! Results and monitoring natively: `/stats` views that leave `/metrics` alone, a metric
//! whose stored sums are not finite, progress, the Prometheus text, and the lifecycle.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::model::Action;
use cleave_worker::service::stats::{StatsQuery, view};
use cleave_worker::service::{experiments, metrics, progress};
use cleave_worker::store::{EventRecord, Exposure, MemoryStore, Store};
use pollster::block_on;
use serde_json::json;

mod support;
use support::{body, create, host, running, two_arms};

/// Exposes `users` units (by the core's assignment) and gives the first `converting` a
/// `click` of `value`.
fn fill(
    store: &MemoryStore,
    e: &cleave_core::model::Experiment,
    users: usize,
    converting: usize,
    value: f64,
) {
    let exposures: Vec<Exposure> = (0..users)
        .map(|i| {
            let user = format!("u{i}");
            Exposure {
                experiment_id: e.id.clone(),
                variant: e.assign(&user).unwrap().variant_name().unwrap().to_string(),
                user_id: user,
                reason: "assigned".into(),
                at: 0,
                context: None,
            }
        })
        .collect();
    block_on(store.record_exposures(e, &exposures)).unwrap();
    let events: Vec<EventRecord> = exposures[..converting]
        .iter()
        .map(|x| EventRecord {
            event_id: format!("ev-{}", x.user_id),
            experiment_id: e.id.clone(),
            user_id: x.user_id.clone(),
            variant: x.variant.clone(),
            event_name: "click".into(),
            value,
            at: 0,
            metadata: None,
        })
        .collect();
    block_on(store.record_events(e, &events)).unwrap();
}

#[test]
fn viewing_stats_with_other_settings_does_not_change_what_metrics_report() {
    let (store, h) = (MemoryStore::default(), host());
    let e = running(&store, &h, &two_arms());
    fill(&store, &e, 400, 60, 1.0);
    let own = block_on(view(&store, &h, &e, StatsQuery::default())).unwrap();
    own.recorded.unwrap();
    let recorded = |store: &MemoryStore| block_on(store.metrics()).unwrap().analyses;
    let before = recorded(&store);
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].p_value, own.response.report.p_value);
    let loose: StatsQuery =
        serde_json::from_value(json!({"alpha": 0.49, "correction": "none"})).unwrap();
    let viewed = block_on(view(&store, &h, &e, loose)).unwrap();
    assert_eq!(
        viewed.response.report.alpha, 0.49,
        "the viewer gets what was asked for"
    );
    let after = recorded(&store);
    assert_eq!(
        (
            after[0].significant_results,
            after[0].p_value,
            &after[0].metric
        ),
        (
            before[0].significant_results,
            before[0].p_value,
            &before[0].metric
        ),
        "the recorded run is still the experiment's own analysis"
    );
}

#[test]
fn a_metric_whose_sums_overflow_is_refused_alone() {
    let (store, h) = (MemoryStore::default(), host());
    let e = running(&store, &h, &two_arms());
    // Stored before values were limited: one user's total squared is infinite.
    fill(&store, &e, 10, 2, 1e300);
    let q: StatsQuery =
        serde_json::from_value(json!({"metric": "click", "metric_type": "continuous"})).unwrap();
    let err = block_on(view(&store, &h, &e, q)).unwrap_err();
    assert_eq!(
        (
            err.status(),
            err.code.to_string().as_str(),
            err.field.as_deref()
        ),
        (422, "metric_not_finite", Some("metric"))
    );
    let other: StatsQuery = serde_json::from_value(json!({"metric": "purchase"})).unwrap();
    assert!(
        block_on(view(&store, &h, &e, other)).is_ok(),
        "another metric still works"
    );
}

#[test]
fn progress_and_the_prometheus_text_come_from_the_same_counts() {
    let (store, h) = (MemoryStore::default(), host());
    let e = running(
        &store,
        &h,
        &body(
            json!({"name": "Planned \"one\"", "variants": [{"name": "a"}, {"name": "b"}], "target_sample_size": 100}),
        ),
    );
    fill(&store, &e, 40, 10, 1.0);
    let all = block_on(store.experiments(None)).unwrap();
    let counts = block_on(store.assignment_counts()).unwrap();
    let p = progress::compute(&all, &counts);
    assert_eq!((p[0].users, p[0].required_sample_size), (40, Some(50)));
    let expected = p[0].smallest_variant_users as f64 / 50.0;
    assert_eq!(p[0].progress, Some(expected));
    let data = block_on(store.metrics()).unwrap();
    let integrations = metrics::Integrations {
        counters: vec![
            ("plausible_failed".into(), 3),
            ("unleash_invalid".into(), 2),
        ],
        unleash: Some(cleave_worker::unleash::UnleashStatus {
            ok: false,
            toggles: 7,
            last_success_at: Some(1_000),
            ..Default::default()
        }),
        now_ms: 61_000,
    };
    let text = metrics::render(&data, &p, 1_441_792, &integrations);
    for line in [
        "experimentation_experiments_active 1".to_string(),
        "experimentation_experiments_total{status=\"running\"} 1".to_string(),
        format!(
            "experimentation_sample_size_progress_ratio{{experiment_id=\"{}\",status=\"running\"}} {expected}",
            e.id
        ),
        "cleave_worker_wasm_memory_bytes 1441792".to_string(),
        "cleave_plausible_events_total{outcome=\"failed\"} 3".to_string(),
        "cleave_plausible_events_total{outcome=\"sent\"} 0".to_string(),
        "cleave_unleash_fetches_total{outcome=\"invalid\"} 2".to_string(),
        "cleave_unleash_up 0".to_string(),
        "cleave_unleash_toggles 7".to_string(),
        "cleave_unleash_last_success_age_seconds 60".to_string(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
    let users: u64 = text
        .lines()
        .filter(|l| l.starts_with("experimentation_variant_assignments_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(users, 40);
}

#[test]
fn the_lifecycle_allows_only_legal_steps_and_deletes_only_what_is_not_live() {
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(&store, &h, &two_arms())).unwrap();
    let step = |action| block_on(experiments::transition(&store, &h, &e.id, action, None));
    let refused = step(Action::Pause).unwrap_err();
    assert_eq!(
        (refused.status(), refused.code.to_string().as_str()),
        (409, "illegal_transition")
    );
    assert!(refused.message.contains("draft"), "{}", refused.message);
    let started = step(Action::Start).unwrap();
    assert!(started.started_at.is_some());
    let live = block_on(experiments::delete(&store, &e.id)).unwrap_err();
    assert_eq!(live.status(), 409, "running experiments cannot be deleted");
    for action in [Action::Pause, Action::Resume, Action::Stop] {
        step(action).unwrap();
    }
    assert_eq!(
        step(Action::Start).unwrap_err().status(),
        409,
        "stopped is final"
    );
    let archived = step(Action::Archive).unwrap();
    assert!(archived.stopped_at.is_some());
    let update = block_on(experiments::update(
        &store,
        &h,
        &e.id,
        &body(json!({"name": "x"})),
        None,
    ))
    .unwrap_err();
    assert_eq!(update.code, "read_only");
    block_on(experiments::delete(&store, &e.id)).unwrap();
    assert_eq!(
        block_on(experiments::load(&store, &e.id))
            .unwrap_err()
            .status(),
        404
    );
}
