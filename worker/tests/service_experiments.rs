//! The Worker's rules, natively, over the in-memory store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::model::{Action, Status};
use cleave_worker::error::ApiError;
use cleave_worker::service::{Host, assign, experiments, snapshot, stats, track};
use cleave_worker::store::{MemoryStore, Store};
use pollster::block_on;
use serde_json::json;

mod support;
use support::{body, create, host, running, two_arms};

#[test]
fn create_sets_server_fields_and_rejects_client_ones() {
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(&store, &h, &two_arms())).unwrap();
    assert_eq!(
        (e.id.as_str(), e.key.as_str(), e.status),
        ("id-1", "banner-test", Status::Draft)
    );
    assert!(e.created_at.is_some());
    let err = block_on(create(
        &store,
        &h,
        &body(json!({"id": "mine", "name": "x"})),
    ))
    .unwrap_err();
    assert_eq!((err.status(), err.field.as_deref()), (422, Some("id")));
    let dup = block_on(create(&store, &h, &two_arms())).unwrap_err();
    assert_eq!(dup.status(), 409, "same key: {dup:?}");
}

#[test]
fn the_compatibility_apis_mde_is_absolute_by_default() {
    let (store, h) = (MemoryStore::default(), host());
    let compat = body(
        json!({"name": "s2", "variants": [{"name": "a"}, {"name": "b"}], "base_rate": 0.1, "min_detectable_effect": 0.05}),
    );
    let e = block_on(experiments::create(
        &store,
        &h,
        &compat,
        experiments::Dialect::AbTestingService,
    ))
    .unwrap();
    assert_eq!(e.mde_type, cleave_core::stats::MdeType::Absolute);
    assert_eq!(cleave_core::analysis::required_sample_size(&e), Some(686));
    let v1 = body(
        json!({"name": "v1", "variants": [{"name": "a"}, {"name": "b"}], "base_rate": 0.1, "min_detectable_effect": 0.05}),
    );
    let e = block_on(create(&store, &h, &v1)).unwrap();
    assert_eq!(e.mde_type, cleave_core::stats::MdeType::Relative);
}

#[test]
fn ab_testing_service_fields_are_translated() {
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(
        &store,
        &h,
        &body(json!({"name": "homepage_banner", "variants": [{"name": "control", "weight": 1, "is_control": true}, {"name": "variant_a", "weight": 3}],
                     "confidence_level": 0.9, "min_sample_size_per_group": 2000, "status": "draft"})),
    ))
    .unwrap();
    assert!((e.significance_level - 0.1).abs() < 1e-12);
    assert_eq!(e.target_sample_size, Some(4000));
}

#[test]
fn running_experiments_lock_their_split_unless_a_new_phase_is_asked_for() {
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(&store, &h, &two_arms())).unwrap();
    block_on(experiments::transition(
        &store,
        &h,
        &e.id,
        Action::Start,
        None,
    ))
    .unwrap();
    let err = block_on(experiments::update(
        &store,
        &h,
        &e.id,
        &body(json!({"traffic_allocation": 0.5})),
        None,
    ))
    .unwrap_err();
    assert_eq!(err.code, "traffic_decrease");
    let err = block_on(experiments::update(
        &store,
        &h,
        &e.id,
        &body(json!({"variants": [{"name": "control", "weight": 3}, {"name": "b"}]})),
        None,
    ))
    .unwrap_err();
    assert_eq!(err.code, "variants_locked");
    let phased = block_on(experiments::update(&store, &h, &e.id, &body(json!({"variants": [{"name": "control", "weight": 3}, {"name": "b"}], "new_phase": true})), None)).unwrap();
    assert_eq!(phased.salt.as_deref(), Some("id-1:phase-2"));
    let err = block_on(experiments::update(
        &store,
        &h,
        &e.id,
        &body(json!({"status": "stopped"})),
        None,
    ))
    .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("status"));
    let err = block_on(experiments::delete(&store, &e.id)).unwrap_err();
    assert_eq!(err.status(), 409);
    let err = block_on(experiments::transition(
        &store,
        &h,
        &e.id,
        Action::Resume,
        None,
    ))
    .unwrap_err();
    assert_eq!(
        (err.status(), err.message.as_str()),
        (409, "cannot resume an experiment that is running")
    );
}

#[test]
fn tracking_needs_an_exposure_counts_users_once_and_feeds_stats() {
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(&store, &h, &two_arms())).unwrap();
    let e = block_on(experiments::transition(
        &store,
        &h,
        &e.id,
        Action::Start,
        None,
    ))
    .unwrap();
    let allocation = e.allocation().unwrap();
    let groups = cleave_core::targeting::Groups::new();
    let config = assign::AudienceConfig {
        holdouts: &[],
        groups: &groups,
        regex: &cleave_core::targeting::NoRegex,
        gates: &cleave_core::model::NoGates,
    };
    for i in 0..200 {
        let req: assign::AssignRequest =
            serde_json::from_value(json!({"user_id": format!("u{i}")})).unwrap();
        let assign::Assigned {
            response: resp,
            exposure,
            ..
        } = assign::assign(&e, &allocation, None, &req, &config, h.now_ms()).unwrap();
        assert!(resp.in_experiment);
        block_on(store.record_exposures(&e, &[exposure.unwrap()])).unwrap();
    }
    let track = |user: &str, id: Option<&str>, value: f64| {
        let req: track::TrackRequest = serde_json::from_value(
            json!({"user_id": user, "event_name": "click", "event_id": id, "value": value}),
        )
        .unwrap();
        block_on(track::track(&store, &h, &e, req))
    };
    assert_eq!(
        track("stranger", None, 1.0).unwrap_err().code,
        "not_assigned"
    );
    assert!(track("u1", Some("e1"), 1.0).unwrap().recorded);
    assert!(
        !track("u1", Some("e1"), 1.0).unwrap().recorded,
        "same event id is counted once"
    );
    assert!(
        track("u1", Some("e2"), 1.0).unwrap().recorded,
        "a second event of the same user"
    );
    assert!(track("u2", None, 2.5).unwrap().recorded);
    let report = block_on(stats::stats(&store, &e, stats::StatsQuery::default())).unwrap();
    assert_eq!(report.report.total_conversions, 2, "users, not events");
    let users: u64 = report.report.variants.iter().map(|v| v.sample_size).sum();
    assert_eq!(users, 200);
    let nan = track::TrackRequest {
        user_id: "u3".into(),
        event_name: "click".into(),
        value: f64::NAN,
        event_id: None,
        timestamp: None,
        metadata: None,
    };
    let err = block_on(track::track(&store, &h, &e, nan)).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("value"));
}

#[test]
fn timestamps_are_accepted_within_javascripts_date_range_and_refused_beyond_naming_the_field() {
    let (store, h) = (MemoryStore::default(), host());
    let e = running(&store, &h, &two_arms());
    let user = "ts-user";
    let variant = e.assign(user).unwrap().variant_name().unwrap().to_string();
    block_on(store.record_exposures(
        &e,
        &[cleave_worker::store::Exposure {
            experiment_id: e.id.clone(),
            user_id: user.into(),
            variant,
            reason: "assigned".into(),
            at: 0,
            context: None,
        }],
    ))
    .unwrap();
    let track_at = |t: &str| {
        let req: track::TrackRequest = cleave_worker::service::input::json_body(
            format!(r#"{{"user_id": "{user}", "event_name": "click", "timestamp": {t}}}"#)
                .as_bytes(),
        )?;
        block_on(track::track(&store, &h, &e, req))
    };
    for edge in ["8640000000000000", "-8640000000000000", "1763856000000.0"] {
        assert!(track_at(edge).is_ok(), "{edge}");
    }
    for beyond in [
        "8640000000000001",
        "9223372036854775807",
        "-9223372036854775808",
    ] {
        let err = track_at(beyond).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("timestamp"), "{beyond}: {err:?}");
        assert_eq!(err.status(), 422, "{beyond}");
    }
}

#[test]
fn the_snapshot_publishes_running_experiments_with_a_content_etag() {
    let (store, h) = (MemoryStore::default(), host());
    let a = block_on(create(&store, &h, &two_arms())).unwrap();
    let b = block_on(create(
        &store,
        &h,
        &body(json!({"name": "Other", "variants": [{"name": "x"}, {"name": "y"}]})),
    ))
    .unwrap();
    block_on(experiments::transition(
        &store,
        &h,
        &a.id,
        Action::Start,
        None,
    ))
    .unwrap();
    let s1 = snapshot::build(
        block_on(store.experiments(None)).unwrap(),
        vec![],
        vec![],
        1,
    );
    assert_eq!(
        s1.experiments
            .iter()
            .map(|e| e.id.as_str())
            .collect::<Vec<_>>(),
        [a.id.as_str()]
    );
    let s2 = snapshot::build(
        block_on(store.experiments(None)).unwrap(),
        vec![],
        vec![],
        2,
    );
    assert_eq!(s1.etag, s2.etag, "same content, same etag");
    assert!(snapshot::not_modified(Some(&s1.etag), &s2));
    block_on(experiments::transition(
        &store,
        &h,
        &b.id,
        Action::Start,
        None,
    ))
    .unwrap();
    let s3 = snapshot::build(
        block_on(store.experiments(None)).unwrap(),
        vec![],
        vec![],
        3,
    );
    assert_ne!(s3.etag, s1.etag);
    assert!(!snapshot::not_modified(Some(&s1.etag), &s3));
}

#[test]
fn every_write_raises_the_revision_and_if_match_guards_it() {
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(&store, &h, &two_arms())).unwrap();
    assert_eq!(
        (e.version, experiments::etag(&e)),
        (0, "\"v0\"".to_string())
    );
    let renamed = block_on(experiments::update(
        &store,
        &h,
        &e.id,
        &body(json!({"name": "Renamed"})),
        Some("\"v0\""),
    ))
    .unwrap();
    assert_eq!(renamed.version, 1);
    let stale = block_on(experiments::update(
        &store,
        &h,
        &e.id,
        &body(json!({"name": "Again"})),
        Some("\"v0\""),
    ))
    .unwrap_err();
    assert_eq!(
        (stale.status(), stale.code.to_string().as_str()),
        (412, "precondition_failed")
    );
    let started = block_on(experiments::transition(
        &store,
        &h,
        &e.id,
        Action::Start,
        Some("\"x\", \"v1\""),
    ))
    .unwrap();
    assert_eq!(started.version, 2);
    assert_eq!(
        block_on(experiments::transition(
            &store,
            &h,
            &e.id,
            Action::Pause,
            Some("W/\"v2\"")
        ))
        .unwrap_err()
        .status(),
        412,
        "a weak tag never matches"
    );
    block_on(experiments::transition(
        &store,
        &h,
        &e.id,
        Action::Pause,
        Some("*"),
    ))
    .unwrap();
    // A write based on an older read is refused even without If-Match.
    let mut outdated = started.clone();
    outdated.name = "lost".into();
    outdated.version = started.version + 1;
    let err: ApiError = block_on(store.update_experiment(&outdated, started.version))
        .unwrap_err()
        .into();
    assert_eq!(
        (err.status(), err.code.to_string().as_str()),
        (409, "edit_conflict")
    );
    assert_eq!(
        block_on(experiments::load(&store, &e.id)).unwrap().status,
        Status::Paused
    );
}

#[test]
fn a_lifecycle_action_without_if_match_survives_concurrent_edits() {
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(&store, &h, &two_arms())).unwrap();
    block_on(experiments::transition(
        &store,
        &h,
        &e.id,
        Action::Start,
        None,
    ))
    .unwrap();
    // Three edits land between stop's reads and writes: stop re-reads and still stops.
    store.race_next_updates(3);
    let stopped = block_on(experiments::transition(
        &store,
        &h,
        &e.id,
        Action::Stop,
        None,
    ))
    .unwrap();
    assert_eq!(stopped.status, Status::Stopped);
    assert_eq!(
        block_on(experiments::load(&store, &e.id)).unwrap().status,
        Status::Stopped
    );
    // With If-Match the caller asked for one revision: a lost race is a 409, not a retry.
    let other = block_on(create(
        &store,
        &h,
        &body(json!({"name": "Other", "variants": [{"name": "a"}, {"name": "b"}]})),
    ))
    .unwrap();
    store.race_next_updates(1);
    let err = block_on(experiments::transition(
        &store,
        &h,
        &other.id,
        Action::Start,
        Some("\"v0\""),
    ))
    .unwrap_err();
    assert_eq!(
        (err.status(), err.code.to_string().as_str()),
        (409, "edit_conflict")
    );
    // A race that never ends gives up with 409 rather than looping.
    store.race_next_updates(1_000);
    let err = block_on(experiments::transition(
        &store,
        &h,
        &other.id,
        Action::Start,
        None,
    ))
    .unwrap_err();
    assert_eq!(err.status(), 409);
}

#[test]
fn the_shard_count_is_chosen_at_creation_and_fixed_afterwards() {
    let (store, h) = (MemoryStore::default(), host());
    let made = |shards: serde_json::Value| {
        block_on(create(
            &store,
            &h,
            &body(
                json!({"name": "Sharded", "variants": [{"name": "a"}, {"name": "b"}], "shards": shards}),
            ),
        ))
    };
    for bad in [json!(0), json!(257)] {
        let err = made(bad.clone()).unwrap_err();
        assert_eq!(err.status(), 422, "{bad}");
        assert_eq!(err.field.as_deref(), Some("shards"), "{bad}");
    }
    let e = made(json!(16)).unwrap();
    assert_eq!(e.shards, 16);
    let default = block_on(create(&store, &h, &two_arms())).unwrap();
    assert_eq!(default.shards, cleave_core::assign::DEFAULT_SHARDS);
    let err = block_on(experiments::update(
        &store,
        &h,
        &e.id,
        &body(json!({"shards": 32})),
        None,
    ))
    .unwrap_err();
    assert_eq!((err.status(), err.field.as_deref()), (422, Some("shards")));
    // Sending the same count is no change.
    block_on(experiments::update(
        &store,
        &h,
        &e.id,
        &body(json!({"shards": 16, "description": "same shards"})),
        None,
    ))
    .unwrap();
}
