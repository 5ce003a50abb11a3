//! The batch endpoints' rules, natively over the memory store: per-item results with field
//! paths, idempotency, the exposure check, and forced exposures only from trusted edges.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_worker::service::batch;
use cleave_worker::store::{MemoryStore, Store};
use pollster::block_on;
use serde_json::{Value, json};

mod support;
use support::{body, host, running, two_arms};

fn to_json(r: &batch::BatchResponse) -> Value {
    serde_json::to_value(r).unwrap()
}

#[test]
fn exposures_must_match_the_assignment_and_forced_ones_need_a_trusted_edge() {
    let (store, h) = (MemoryStore::default(), host());
    let e = running(&store, &h, &two_arms());
    let assigned = |user: &str| e.assign(user).unwrap().variant_name().unwrap().to_string();
    let other = |user: &str| {
        if assigned(user) == "control" {
            "b"
        } else {
            "control"
        }
        .to_string()
    };
    let item = |user: &str, variant: &str, reason: Option<&str>| {
        let mut x = json!({"experiment_id": e.id, "user_id": user, "variant": variant});
        if let Some(r) = reason {
            x["reason"] = json!(r);
        }
        x
    };
    let exposures = json!({"exposures": [
        item("u1", &assigned("u1"), None),
        item("u2", &other("u2"), None),
        item("u3", &other("u3"), Some("forced")),
        item("u4", "purple", Some("forced")),
    ]});
    let public = block_on(batch::exposures(
        &store,
        &h,
        &body(exposures.clone()),
        false,
        &cleave_core::model::NoGates,
    ))
    .unwrap();
    let r = to_json(&public);
    assert_eq!(
        (r["recorded"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(3)),
        "{r}"
    );
    for i in 1..=3 {
        assert_eq!(r["results"][i]["error"]["code"], "variant_mismatch", "{r}");
        assert_eq!(
            r["results"][i]["error"]["field"],
            format!("exposures[{i}].variant")
        );
    }
    // From a caller with the edge token, the QA override is accepted, for a real variant.
    let trusted = block_on(batch::exposures(
        &store,
        &h,
        &body(exposures),
        true,
        &cleave_core::model::NoGates,
    ))
    .unwrap();
    let r = to_json(&trusted);
    assert_eq!(r["results"][2]["status"], "recorded", "{r}");
    assert_eq!(r["results"][3]["status"], "rejected", "not a variant: {r}");
    assert_eq!(r["results"][1]["status"], "rejected", "not forced: {r}");
    let recorded = block_on(store.exposure(&e, "u3")).unwrap();
    assert_eq!(recorded, Some(other("u3")));
}

#[test]
fn events_get_one_result_each_with_the_field_path_and_count_once() {
    let (store, h) = (MemoryStore::default(), host());
    let e = running(&store, &h, &two_arms());
    let v = e.assign("u1").unwrap().variant_name().unwrap().to_string();
    block_on(batch::exposures(
        &store,
        &h,
        &body(json!({"exposures": [{"experiment_id": e.id, "user_id": "u1", "variant": v}]})),
        false,
        &cleave_core::model::NoGates,
    ))
    .unwrap();
    let events = json!({"events": [
        {"experiment_id": e.id, "user_id": "u1", "event_name": "click", "event_id": "ev-1"},
        {"experiment_id": e.id, "user_id": "u1", "event_name": "click", "event_id": "ev-1"},
        {"experiment_id": e.id, "user_id": "stranger", "event_name": "click"},
        {"experiment_id": "nope", "user_id": "u1", "event_name": "click"},
        {"experiment_id": e.id, "user_id": "u1", "event_name": "click", "value": 1e16},
        {"experiment_id": e.id, "user_id": "", "event_name": "click"},
    ]});
    let r = to_json(&block_on(batch::events(&store, &h, &body(events.clone()))).unwrap());
    let statuses: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "recorded",
            "duplicate",
            "rejected",
            "rejected",
            "rejected",
            "rejected"
        ],
        "{r}"
    );
    let fields: Vec<&str> = r["results"].as_array().unwrap()[2..]
        .iter()
        .map(|x| x["error"]["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "events[2].user_id",
            "events[3].experiment_id",
            "events[4].value",
            "events[5].user_id"
        ]
    );
    assert_eq!(r["results"][2]["error"]["code"], "not_assigned");
    // The same batch again: nothing new.
    let again = to_json(&block_on(batch::events(&store, &h, &body(events))).unwrap());
    assert_eq!(
        (again["recorded"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
}

#[test]
fn batches_hold_one_to_a_thousand_items() {
    let (store, h) = (MemoryStore::default(), host());
    let e = running(&store, &h, &two_arms());
    let empty = block_on(batch::events(&store, &h, &body(json!({"events": []})))).unwrap_err();
    assert_eq!(
        (empty.status(), empty.field.as_deref()),
        (422, Some("events"))
    );
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"experiment_id": e.id, "user_id": format!("u{i}"), "variant": "b"}))
        .collect();
    let too_many = block_on(batch::exposures(
        &store,
        &h,
        &body(json!({"exposures": many})),
        false,
        &cleave_core::model::NoGates,
    ))
    .unwrap_err();
    assert_eq!(
        (too_many.status(), too_many.field.as_deref()),
        (422, Some("exposures"))
    );
}
