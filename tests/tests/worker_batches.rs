//! Batch ingestion, the ab-testing-service clients' flow, concurrency and durability.

use cleave_e2e::{Api, Wrangler, http, send};
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
fn ab_testing_service_client_calls_work() {
    let api = Api::start("ab-testing-service-flow");
    let (status, e) = api.admin(
        "POST",
        "/api/experiments",
        Some(json!({
            "name": "homepage_banner",
            "description": "Testing different homepage banner designs",
            "variants": [
                {"name": "control", "description": "Current banner", "weight": 1, "is_control": true},
                {"name": "variant_a", "description": "New design A", "weight": 1, "is_control": false},
                {"name": "variant_b", "description": "New design B", "weight": 2, "is_control": false}
            ],
            "status": "draft",
            "base_rate": 0.15,
            "min_detectable_effect": 0.03,
            "min_sample_size_per_group": 2000,
            "confidence_level": 0.95
        })),
    );
    assert_eq!(status, 201, "{e}");
    let (status, got) = api.admin("GET", "/api/experiments/homepage_banner", None);
    assert_eq!((status, got["id"].clone()), (200, e["id"].clone()), "{got}");
    let (status, active) = api.admin(
        "POST",
        "/api/experiments/homepage_banner/status",
        Some(json!({"status": "active"})),
    );
    assert_eq!(
        (status, active["status"].clone()),
        (200, json!("running")),
        "{active}"
    );
    let (status, a) = api.public(
        "POST",
        "/api/assignments/get",
        Some(json!({"subid": "user123", "experiment_id": "homepage_banner"})),
    );
    assert_eq!(status, 200, "{a}");
    let variant = a["variant"].as_str().expect("a variant").to_string();
    let (status, _) = api.public(
        "POST",
        "/api/events/impression?subid=user123&experiment_id=homepage_banner",
        None,
    );
    assert_eq!(status, 200);
    let (status, c) = api.public(
        "POST",
        "/api/events/conversion?subid=user123&experiment_id=homepage_banner",
        None,
    );
    assert_eq!(
        (status, c["variant"].as_str()),
        (200, Some(variant.as_str())),
        "{c}"
    );
    let (status, s) = api.admin("GET", "/api/experiments/homepage_banner/stats", None);
    assert_eq!(
        (status, s["control_variant"].clone()),
        (200, json!("control")),
        "{s}"
    );
    assert_eq!(s["total_conversions"], 1);
    let (status, paused) = api.admin(
        "POST",
        "/api/experiments/homepage_banner/status",
        Some(json!({"status": "paused"})),
    );
    assert_eq!((status, paused["status"].clone()), (200, json!("paused")));
}

/// `Authorization: Basic base64(user:password)`.
fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[test]
fn ab_testing_service_clients_check_health_sign_in_with_basic_and_create_active() {
    let api = Api::start("ab-testing-service-basic");
    // Step 1 of its load script: the health check.
    let (status, h) = api.public("GET", "/api/health", None);
    assert_eq!(
        (status, h["status"].as_str()),
        (200, Some("healthy")),
        "{h}"
    );
    // Step 2: HTTP Basic with the admin token as the password (any user name), creating
    // with "status": "active".
    let body = json!({"name": "load_test", "variants": [{"name": "control", "is_control": true}, {"name": "b"}],
                      "status": "active", "base_rate": 0.1, "min_detectable_effect": 0.05});
    let with = |auth: &str, method: &str, path: &str, body: Option<&Value>| {
        send(
            http()
                .request(method, &api.url(path))
                .set("authorization", auth),
            body,
        )
    };
    let (status, text) = with(
        &basic("admin", "wrong"),
        "POST",
        "/api/experiments",
        Some(&body),
    );
    assert_eq!(status, 403, "{text}");
    let (status, text) = with(
        &basic("anyone", &api.w.admin_token),
        "POST",
        "/api/experiments",
        Some(&body),
    );
    assert_eq!(status, 201, "{text}");
    let created: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(created["status"], "running", "{created}");
    let (status, a) = api.public(
        "POST",
        "/api/assignments/get",
        Some(json!({"subid": "u1", "experiment_id": "load_test"})),
    );
    assert_eq!(status, 200, "{a}");
    assert!(a["variant"].is_string(), "started at once: {a}");
    let (status, text) = with(
        &basic("admin", &api.w.admin_token),
        "GET",
        "/api/experiments/load_test/stats",
        None,
    );
    assert_eq!(status, 200, "{text}");
    // Basic is for the ab-testing-service routes only: the v1 API stays Bearer.
    let (status, text) = with(
        &basic("admin", &api.w.admin_token),
        "GET",
        "/api/v1/experiments",
        None,
    );
    assert_eq!(status, 401, "{text}");
    // A status a new experiment cannot have is refused naming the field; a start that is
    // refused leaves no draft behind.
    let (status, r) = api.admin(
        "POST",
        "/api/experiments",
        Some(json!({"name": "odd", "variants": [{"name": "a"}, {"name": "b"}], "status": "completed"})),
    );
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("status")),
        "{r}"
    );
    let layered = |name: &str| {
        json!({"name": name, "variants": [{"name": "a"}, {"name": "b"}], "status": "active",
                                      "layer": {"name": "checkout", "start": 0.0, "end": 0.6}})
    };
    let (status, r) = api.admin("POST", "/api/experiments", Some(layered("first")));
    assert_eq!(status, 201, "{r}");
    let (status, r) = api.admin("POST", "/api/experiments", Some(layered("second")));
    assert_eq!(status, 409, "overlapping layer ranges: {r}");
    let (status, r) = api.admin("GET", "/api/experiments/second", None);
    assert_eq!(status, 404, "the unstarted draft was removed: {r}");
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
