//! The data-subject deletion: one unit out of every experiment and holdout result.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_worker::service::{stats, units};
use cleave_worker::store::{EventRecord, Exposure, HoldoutMember, MemoryStore, Store};
use pollster::block_on;

mod support;
use serde_json::json;
use support::{body, host, running, two_arms};

fn expose_and_convert(store: &MemoryStore, e: &cleave_core::model::Experiment, users: usize) {
    let exposures: Vec<Exposure> = (0..users)
        .map(|i| Exposure {
            experiment_id: e.id.clone(),
            user_id: format!("u{i}"),
            variant: e
                .assign(&format!("u{i}"))
                .unwrap()
                .variant_name()
                .unwrap()
                .to_string(),
            reason: "assigned".into(),
            at: 0,
            context: None,
        })
        .collect();
    block_on(store.record_exposures(e, &exposures)).unwrap();
    let events: Vec<EventRecord> = (0..users)
        .flat_map(|i| {
            (0..2).map(move |k| EventRecord {
                event_id: format!("e{k}"),
                experiment_id: String::new(),
                user_id: format!("u{i}"),
                variant: String::new(),
                event_name: "click".into(),
                value: 1.0,
                at: 0,
                metadata: None,
            })
        })
        .collect();
    block_on(store.record_events(e, &events)).unwrap();
}

fn users_and_conversions(store: &MemoryStore, e: &cleave_core::model::Experiment) -> (u64, u64) {
    let s = block_on(stats::stats(store, e, stats::StatsQuery::default())).unwrap();
    let v = serde_json::to_value(&s).unwrap();
    let arms = v["variants"].as_array().unwrap();
    (
        arms.iter()
            .map(|a| a["sample_size"].as_u64().unwrap())
            .sum(),
        arms.iter()
            .map(|a| a["conversions"].as_u64().unwrap())
            .sum(),
    )
}

#[test]
fn a_deleted_unit_leaves_every_experiment_and_the_statistics_follow() {
    let (store, h) = (MemoryStore::default(), host());
    let a = running(&store, &h, &two_arms());
    let b = running(
        &store,
        &h,
        &body(
            json!({"name": "Second", "variants": [{"name": "control"}, {"name": "b"}], "metrics": ["click"]}),
        ),
    );
    expose_and_convert(&store, &a, 10);
    expose_and_convert(&store, &b, 4);
    block_on(store.record_holdout_members(&[HoldoutMember {
        holdout: "global".into(),
        user_id: "u1".into(),
        held_out: true,
        at: 0,
    }]))
    .unwrap();
    assert_eq!(users_and_conversions(&store, &a), (10, 10));
    let deleted = block_on(units::delete(&store, "u1")).unwrap();
    assert_eq!(
        (
            deleted.removed.experiments,
            deleted.removed.events,
            deleted.removed.holdout_rows
        ),
        (2, 4, 1)
    );
    assert_eq!(users_and_conversions(&store, &a), (9, 9));
    assert_eq!(users_and_conversions(&store, &b), (3, 3));
    assert_eq!(block_on(store.exposure(&a, "u1")).unwrap(), None);
    // Idempotent: nothing left to remove.
    let again = block_on(units::delete(&store, "u1")).unwrap();
    assert_eq!(again.removed, Default::default());
    // The unit id follows the identifier rules.
    let err = block_on(units::delete(&store, "bad\u{1}id")).unwrap_err();
    assert_eq!((err.status(), err.field.as_deref()), (422, Some("id")));
}
