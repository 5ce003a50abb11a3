//! The ab-testing-service compatibility layer over the memory store: its create body, the
//! population cap, events with metadata and their listing, and the stats shape its scripts
//! read as compact JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::analysis::MetricType;
use cleave_core::model::Action;
use cleave_worker::service::compat::{self, AbEvent, AbExperiment, EventsQuery};
use cleave_worker::service::{experiments, stats, track};
use cleave_worker::store::{EventFilter, Exposure, MemoryStore, Store};
use pollster::block_on;
use serde_json::json;

mod support;
use support::{body, host};

fn exposure(user: &str, variant: &str) -> Exposure {
    Exposure {
        experiment_id: String::new(),
        user_id: user.into(),
        variant: variant.into(),
        reason: "assigned".into(),
        at: 1_000,
        context: None,
    }
}

/// Creates through the compatibility API's path (its body rules, then the service).
fn create_compat(
    store: &MemoryStore,
    h: &support::TestHost,
    v: serde_json::Value,
) -> cleave_core::model::Experiment {
    let (bytes, start) = compat::experiment::create_body(&body(v)).unwrap();
    let e = block_on(experiments::create(
        store,
        h,
        &bytes,
        experiments::Dialect::AbTestingService,
    ))
    .unwrap();
    if !start {
        return e;
    }
    block_on(experiments::transition(
        store,
        h,
        &e.id,
        Action::Start,
        None,
    ))
    .unwrap()
}

#[test]
fn its_create_body_reads_back_in_its_terms() {
    let (store, h) = (MemoryStore::default(), host());
    let e = create_compat(
        &store,
        &h,
        json!({"name": "homepage_banner", "description": "Banners",
               "variants": [{"name": "control", "weight": 1, "is_control": true},
                            {"name": "variant_a", "weight": 1}, {"name": "variant_b", "weight": 2}],
               "status": "active", "base_rate": 0.15, "min_detectable_effect": 0.03,
               "min_sample_size_per_group": 2000, "confidence_level": 0.9,
               "total_population": 10, "additional_features": {"color": "blue"}}),
    );
    let ab = serde_json::to_value(AbExperiment::from(&e)).unwrap();
    assert_eq!(ab["status"], "active");
    assert_eq!(ab["min_detectable_effect"], 0.03, "absolute as given");
    assert_eq!(ab["min_sample_size_per_group"], 2000);
    assert_eq!(ab["confidence_level"], 0.9);
    assert_eq!(ab["total_population"], 10);
    assert_eq!(ab["additional_features"], json!({"color": "blue"}));
    assert_eq!(
        ab["variants"][2],
        json!({"name": "variant_b", "description": "", "weight": 2.0, "is_control": false})
    );
    assert_eq!(e.shards, 1, "a population cap gets its one shard");
    // The cap needs one shard; additional_features must be an object.
    for (bad, field) in [
        (
            json!({"name": "x", "variants": [{"name": "a"}, {"name": "b"}], "total_population": 5, "shards": 2}),
            "total_population",
        ),
        (
            json!({"name": "y", "variants": [{"name": "a"}, {"name": "b"}], "additional_features": [1]}),
            "additional_features",
        ),
    ] {
        let (bytes, _) = compat::experiment::create_body(&body(bad.clone())).unwrap();
        let err = block_on(experiments::create(
            &store,
            &h,
            &bytes,
            experiments::Dialect::AbTestingService,
        ))
        .unwrap_err();
        assert_eq!(
            (err.status(), err.field.as_deref()),
            (422, Some(field)),
            "{bad}"
        );
    }
}

#[test]
fn a_full_population_refuses_new_units_and_keeps_returning_ones() {
    let (store, h) = (MemoryStore::default(), host());
    let e = create_compat(
        &store,
        &h,
        json!({"name": "capped", "variants": [{"name": "a"}, {"name": "b"}], "status": "active", "total_population": 3}),
    );
    let first: Vec<Exposure> = ["u1", "u2", "u2", "u3", "u4"]
        .iter()
        .map(|u| exposure(u, "a"))
        .collect();
    let x = block_on(store.record_exposures(&e, &first)).unwrap();
    assert_eq!(x.new, vec!["u1", "u2", "u3"]);
    assert_eq!(x.refused, vec!["u4"]);
    let again =
        block_on(store.record_exposures(&e, &[exposure("u1", "a"), exposure("u5", "b")])).unwrap();
    assert!(again.new.is_empty(), "{again:?}");
    assert_eq!(again.refused, vec!["u5"], "u1 returns, u5 is refused");
}

#[test]
fn events_keep_their_metadata_and_list_by_filter() {
    let (store, h) = (MemoryStore::default(), host());
    let e = create_compat(
        &store,
        &h,
        json!({"name": "events", "variants": [{"name": "a"}, {"name": "b"}], "status": "active"}),
    );
    block_on(store.record_exposures(&e, &[exposure("u1", "a"), exposure("u2", "b")])).unwrap();
    let event = |user: &str, kind: &str, metadata: serde_json::Value| compat::AbEventRequest {
        experiment_id: "events".into(),
        subid: user.into(),
        event_type: kind.into(),
        variant: None,
        metadata: metadata.as_object().cloned(),
        value: None,
        event_id: None,
    };
    for (user, kind, meta) in [
        ("u1", "impression", json!({"page": "/"})),
        ("u1", "conversion", json!({"order": 7})),
        ("u2", "impression", json!(null)),
    ] {
        let r = block_on(track::track(
            &store,
            &h,
            &e,
            event(user, kind, meta).track_request(),
        ))
        .unwrap();
        assert!(r.recorded);
    }
    let too_big = event("u1", "click", json!({"x": "y".repeat(9000)}));
    let err = block_on(track::track(&store, &h, &e, too_big.track_request())).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("metadata"), "{err:?}");
    let list = |q: EventsQuery| {
        let found = block_on(store.events(&e, &q.filter().unwrap())).unwrap();
        found
            .iter()
            .map(|ev| AbEvent::stored(&e.name, ev))
            .collect::<Vec<_>>()
    };
    let all = list(EventsQuery::default());
    assert_eq!(all.len(), 3);
    assert_eq!(all[1].metadata, Some(json!({"order": 7})));
    assert_eq!(all[1].variant, "a");
    let impressions = list(EventsQuery {
        event_type: Some("impression".into()),
        ..Default::default()
    });
    assert_eq!(impressions.len(), 2);
    let of_b = list(EventsQuery {
        variant: Some("b".into()),
        ..Default::default()
    });
    assert_eq!((of_b.len(), of_b[0].subid.as_str()), (1, "u2"));
    let one = block_on(store.events(
        &e,
        &EventFilter {
            limit: 1,
            ..Default::default()
        },
    ))
    .unwrap();
    assert_eq!(one.len(), 1);
}

#[test]
fn stats_count_users_and_keep_its_key_order() {
    let (store, h) = (MemoryStore::default(), host());
    let e = create_compat(
        &store,
        &h,
        json!({"name": "stats", "variants": [{"name": "control", "is_control": true}, {"name": "b"}],
               "status": "active", "confidence_level": 0.95}),
    );
    let units: Vec<Exposure> = (0..40)
        .map(|i| exposure(&format!("u{i}"), if i % 2 == 0 { "control" } else { "b" }))
        .collect();
    block_on(store.record_exposures(&e, &units)).unwrap();
    // Every unit sees an impression (twice), 4 of control and 10 of b convert.
    for (i, x) in units.iter().enumerate() {
        for kind in ["impression", "impression"] {
            let mut req = compat::AbEventRequest {
                experiment_id: "stats".into(),
                subid: x.user_id.clone(),
                event_type: kind.into(),
                variant: None,
                metadata: None,
                value: None,
                event_id: None,
            }
            .track_request();
            req.event_id = None;
            block_on(track::track(&store, &h, &e, req)).unwrap();
        }
        let converts = if i % 2 == 0 { i < 8 } else { i < 20 };
        if converts {
            let req = track::TrackRequest {
                user_id: x.user_id.clone(),
                event_name: "conversion".into(),
                value: 1.0,
                event_id: None,
                timestamp: None,
                metadata: None,
            };
            block_on(track::track(&store, &h, &e, req)).unwrap();
        }
    }
    let query = stats::StatsQuery {
        metric: Some("conversion".into()),
        metric_type: Some(MetricType::Binary),
        ..Default::default()
    };
    let report = block_on(stats::stats(&store, &e, query)).unwrap().report;
    let impressions = block_on(store.aggregates(&e, "impression")).unwrap().arms;
    let s = compat::stats::compat_stats(&e, &report, &impressions);
    let text = serde_json::to_string(&s).unwrap();
    assert!(
        text.contains(r#""variants":{"control":{"impression":20,"conversion":4,"assignments":20},"b":{"impression":20,"conversion":10,"assignments":20}}"#),
        "{text}"
    );
    assert!(
        text.contains(r#""analysis":{"variants":{"control":{"conversions":4,"impressions":20,"rate":0.2,"confidence_interval":["#),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["analysis"]["variants"]["b"]["rate"], 0.5);
    assert_eq!(v["analysis"]["comparisons"]["b"]["control"], "control");
    assert!(
        (v["analysis"]["comparisons"]["b"]["difference"]
            .as_f64()
            .unwrap()
            - 0.3)
            .abs()
            < 1e-12
    );
    assert_eq!(v["analysis"]["confidence_level"], 0.95);
    assert_eq!(v["status"], "active");
}
