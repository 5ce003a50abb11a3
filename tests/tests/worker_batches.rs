//! Batch ingestion, concurrency and durability.

use cleave_e2e::{Api, Wrangler};
use serde_json::{Value, json};

fn two_arms(name: &str) -> Value {
    json!({"name": name, "variants": [{"name": "control"}, {"name": "treatment"}], "metrics": ["purchase"]})
}

#[test]
fn event_batches_are_idempotent_with_per_item_results() {
    let api = Api::start("batch-events");
    let e = api.running(two_arms("Batch"));
    let id = e["id"].as_str().unwrap_or_default().to_string();
    let exposures: Vec<Value> = (0..300)
        .map(|i| {
            let user = format!("u{i}");
            let variant = cleave_core::model::Experiment::clone(
                &serde_json::from_value(e.clone()).expect("model"),
            )
            .assign(&user)
            .expect("valid")
            .variant_name()
            .map(str::to_string);
            json!({"experiment_id": id, "user_id": user, "variant": variant})
        })
        .collect();
    let (status, r) = api.public(
        "POST",
        "/api/v1/exposures/batch",
        Some(json!({"exposures": exposures})),
    );
    assert_eq!(
        (status, r["recorded"].clone(), r["rejected"].clone()),
        (200, json!(300), json!(0)),
        "{r}"
    );
    // A planted variant is refused.
    let (_, bad) = api.public(
        "POST",
        "/api/v1/exposures/batch",
        Some(json!({"exposures": [{"experiment_id": id, "user_id": "u1", "variant": "nope"}]})),
    );
    assert_eq!(
        bad["results"][0]["error"]["code"], "variant_mismatch",
        "{bad}"
    );

    let events: Vec<Value> = (0..1000)
        .map(|i| json!({"experiment_id": id, "user_id": format!("u{}", i % 300), "event_name": "purchase", "value": 2.0, "event_id": format!("e{i}")}))
        .collect();
    let (status, r) = api.public(
        "POST",
        "/api/v1/events/batch",
        Some(json!({"events": events.clone()})),
    );
    assert_eq!(
        (status, r["recorded"].clone()),
        (200, json!(1000)),
        "{}",
        &r.to_string()[..400.min(r.to_string().len())]
    );
    let (_, again) = api.public(
        "POST",
        "/api/v1/events/batch",
        Some(json!({"events": events})),
    );
    assert_eq!(
        (again["recorded"].clone(), again["duplicates"].clone()),
        (json!(0), json!(1000))
    );
    let mixed = json!({"events": [
        {"experiment_id": id, "user_id": "u1", "event_name": "purchase", "event_id": "x1"},
        {"experiment_id": id, "user_id": "u1", "event_name": "purchase", "event_id": "x1"},
        {"experiment_id": id, "user_id": "stranger", "event_name": "purchase"},
        {"experiment_id": "missing", "user_id": "u1", "event_name": "purchase"},
        {"experiment_id": id, "user_id": "", "event_name": "purchase"}
    ]});
    let (_, r) = api.public("POST", "/api/v1/events/batch", Some(mixed));
    let statuses: Vec<&str> = r["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        statuses,
        ["recorded", "duplicate", "rejected", "rejected", "rejected"],
        "{r}"
    );
    assert_eq!(r["results"][2]["error"]["code"], "not_assigned");
    assert_eq!(r["results"][4]["error"]["field"], "events[4].user_id");
    let too_many: Vec<Value> = (0..1001).map(|i| json!({"experiment_id": id, "user_id": "u1", "event_name": "p", "event_id": format!("t{i}")})).collect();
    let (status, r) = api.public(
        "POST",
        "/api/v1/events/batch",
        Some(json!({"events": too_many})),
    );
    assert_eq!(
        (status, r["error"]["field"].clone()),
        (422, json!("events")),
        "{r}"
    );

    // Stats: 300 exposed users, each converted (value 2.0 × 3 or 4 events per user).
    let (_, s) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    assert_eq!(s["total_conversions"], 300, "{s}");
}

#[test]
fn concurrent_assigns_make_one_row_and_data_survives_a_restart() {
    let api = Api::start("durability");
    let e = api.running(two_arms("Durable"));
    let id = e["id"].as_str().unwrap_or_default().to_string();
    let url = api.url(&format!("/api/v1/experiments/{id}/assign"));
    let answers: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let url = url.clone();
                s.spawn(move || {
                    let r: Value = cleave_e2e::http()
                        .post(&url)
                        .send_json(json!({"user_id": "same-user"}))
                        .expect("assign")
                        .into_json()
                        .expect("json");
                    r["variant"].as_str().unwrap_or_default().to_string()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    std::thread::sleep(std::time::Duration::from_millis(500)); // exposures are written in the background
    let (_, s) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    let users: u64 = cleave_e2e::exposed_users(&s);
    assert_eq!(
        users, 1,
        "50 concurrent assigns of one user → one assignment row: {s}"
    );

    // Restart wrangler dev on the same state: experiments and assignments are still there.
    let token_state = api.w.state.clone();
    drop(api);
    let w = Wrangler::serve("durability-restart", token_state);
    let again = Api { w };
    let (status, got) = again.admin("GET", &format!("/api/v1/experiments/{id}"), None);
    assert_eq!(
        (status, got["status"].clone()),
        (200, json!("running")),
        "{got}"
    );
    let (_, s) = again.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    let users: u64 = cleave_e2e::exposed_users(&s);
    assert_eq!(users, 1);
}
