//! The ab-testing-service compatibility API against `wrangler dev`: a client written as
//! that service's clients call it (Python `requests`, HTTP Basic) runs unchanged but for
//! the base URL and the password; then every endpoint once more from here, where each
//! response is checked against the OpenAPI document, with its hostile inputs, its
//! `{"detail": …}` errors, the population cap and the events listing's filters.

use cleave_e2e::{Api, http, run_python, send};
use serde_json::{Value, json};

/// `Authorization: Basic base64(user:password)`.
fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A request with HTTP Basic (its clients' sign-in): status and JSON (null if none).
fn with_basic(api: &Api, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let req = http()
        .request(method, &api.url(path))
        .set("authorization", &basic("admin", &api.w.admin_token));
    let (status, text) = send(req, body.as_ref());
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn two_arms(name: &str) -> Value {
    json!({"name": name, "variants": [{"name": "control", "is_control": true}, {"name": "b"}], "status": "active"})
}

#[test]
fn its_client_runs_unchanged_against_cleave() {
    let api = Api::start("ab-testing-service-client");
    run_python(
        "tests/compat/ab_testing_service_client.py",
        &[
            ("CLEAVE_BASE", api.w.base.as_str()),
            ("CLEAVE_PASSWORD", api.w.admin_token.as_str()),
        ],
        "ab-testing-service client: ok",
    );
    // What it left behind, read through the checked client: the second experiment with
    // the unit the script bulk-assigned.
    let (status, listed) = with_basic(&api, "GET", "/api/experiments", None);
    assert_eq!(status, 200, "{listed}");
    let names: Vec<&str> = listed
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["checkout_flow"], "{listed}");
    let (status, mine) = with_basic(&api, "GET", "/api/assignments/user/user1", None);
    assert_eq!(
        (status, mine[0]["experiment_id"].as_str()),
        (200, Some("checkout_flow")),
        "{mine}"
    );
}

#[test]
fn every_endpoint_answers_in_its_terms_and_refuses_bad_input_naming_the_field() {
    let api = Api::start("ab-testing-service-api");
    // Health, docs, Basic: a wrong password is 403 with its detail; the v1 API stays Bearer.
    let (status, h) = api.public("GET", "/api/health", None);
    assert_eq!(
        (status, h["status"].as_str()),
        (200, Some("healthy")),
        "{h}"
    );
    let no_redirects = ureq::AgentBuilder::new().redirects(0).build();
    let docs = no_redirects.get(&api.url("/api/docs"));
    let (status, _) = send(docs, None);
    assert_eq!(status, 302, "/api/docs leads to the reference");
    let (status, page) = send(http().get(&api.url("/docs/")), None);
    assert!(status == 200 && page.contains("swagger"), "{status}");
    let req = http()
        .get(&api.url("/api/experiments"))
        .set("authorization", &basic("admin", "wrong"));
    let (status, text) = send(req, None);
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("\"detail\""), "{text}");
    let (status, _) = with_basic(&api, "GET", "/api/v1/experiments", None);
    assert_eq!(status, 401, "the v1 API takes the bearer token only");

    // Create: its name rule, its confidence range, statuses; a cap without shards.
    for (bad, field) in [
        (
            json!({"name": "home page", "variants": [{"name": "a"}, {"name": "b"}]}),
            "name",
        ),
        (
            json!({"name": "x", "variants": [{"name": "a"}, {"name": "b"}], "confidence_level": 0.999}),
            "confidence_level",
        ),
        (
            json!({"name": "x", "variants": [{"name": "a"}, {"name": "b"}], "status": "completed"}),
            "status",
        ),
        (
            json!({"name": "x", "variants": [{"name": "a"}, {"name": "b"}], "total_population": 0}),
            "total_population",
        ),
        (
            json!({"name": "x", "variants": [{"name": "a"}, {"name": "b"}], "additional_features": "x"}),
            "additional_features",
        ),
    ] {
        let (status, r) = with_basic(&api, "POST", "/api/experiments", Some(bad.clone()));
        assert_eq!(
            (status, r["error"]["field"].as_str()),
            (422, Some(field)),
            "{bad}: {r}"
        );
        assert!(
            r["detail"].as_str().is_some_and(|d| d.starts_with(field)),
            "{r}"
        );
    }
    let mut capped = two_arms("capped");
    capped["total_population"] = json!(3);
    let (status, e) = with_basic(&api, "POST", "/api/experiments", Some(capped));
    assert_eq!(
        (status, e["status"].as_str(), e["total_population"].as_u64()),
        (201, Some("active"), Some(3)),
        "{e}"
    );
    let (status, dup) = with_basic(&api, "POST", "/api/experiments", Some(two_arms("capped")));
    assert_eq!(status, 409, "{dup}");
    assert!(dup["detail"].is_string(), "{dup}");

    // The population cap: three units enter, the fourth is refused, the first returns.
    let assign = |subid: &str| {
        api.public(
            "POST",
            "/api/assignments/get",
            Some(json!({"subid": subid, "experiment_id": "capped"})),
        )
    };
    for u in ["u1", "u2", "u3"] {
        let (status, a) = assign(u);
        assert_eq!(status, 200, "{a}");
        assert!(
            a["variant"].is_string() && a["created_at"].is_string(),
            "{a}"
        );
    }
    let (status, full) = assign("u4");
    assert_eq!(
        (status, full["error"]["code"].as_str()),
        (422, Some("population_full")),
        "{full}"
    );
    assert_eq!(full["error"]["field"], "total_population");
    let (status, back) = assign("u1");
    assert_eq!(status, 200, "a unit already in keeps its place: {back}");
    let (status, v1) = api.public(
        "POST",
        "/api/v1/experiments/capped/assign",
        Some(json!({"user_id": "u5"})),
    );
    assert_eq!(
        (status, v1["error"]["code"].as_str()),
        (422, Some("population_full")),
        "{v1}"
    );

    // Events: an impression needs a unit in the experiment; a wrong variant is refused;
    // metadata has limits; conversions of unknown units are 409 with a detail.
    let (status, e) = with_basic(
        &api,
        "POST",
        "/api/experiments",
        Some(two_arms("events_test")),
    );
    assert_eq!(status, 201, "{e}");
    let (status, a) = api.public(
        "POST",
        "/api/assignments/get",
        Some(json!({"subid": "v1", "experiment_id": "events_test", "context": {"country": "DE"}})),
    );
    assert_eq!(status, 200, "{a}");
    let mine = a["variant"].as_str().unwrap_or_default().to_string();
    let other = if mine == "control" { "b" } else { "control" };
    // The context is stored with the assignment (the export shows it).
    let id = e["id"].as_str().unwrap_or_default();
    let export = http()
        .get(&api.url(&format!("/api/v1/experiments/{id}/export")))
        .set("authorization", &format!("Bearer {}", api.w.admin_token));
    let (status, lines) = send(export, None);
    assert_eq!(status, 200, "{lines}");
    let row: Value = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|r| r["user_id"] == "v1")
        .unwrap_or_default();
    assert_eq!(row["context"], json!({"country": "DE"}), "{lines}");
    let event = |body: Value| api.public("POST", "/api/events", Some(body));
    let (status, r) = event(
        json!({"experiment_id": "events_test", "subid": "v1", "event_type": "signup", "variant": other}),
    );
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (409, Some("variant")),
        "{r}"
    );
    let (status, r) = event(
        json!({"experiment_id": "events_test", "subid": "v1", "event_type": "signup",
                                   "metadata": {"blob": "x".repeat(9000)}}),
    );
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("metadata")),
        "{r}"
    );
    let (status, r) =
        event(json!({"experiment_id": "events_test", "subid": "", "event_type": "signup"}));
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("subid")),
        "{r}"
    );
    let (status, r) = event(
        json!({"experiment_id": "events_test", "subid": "v1", "event_type": "signup",
                                   "variant": mine, "metadata": {"plan": "pro"}, "value": 29.0}),
    );
    assert_eq!(
        (status, r["recorded"].as_bool(), r["variant"].as_str()),
        (202, Some(true), Some(mine.as_str())),
        "{r}"
    );
    let (status, r) = api.public(
        "POST",
        "/api/events/conversion?subid=stranger&experiment_id=events_test",
        None,
    );
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (409, Some("not_assigned")),
        "{r}"
    );
    assert!(r["detail"].is_string(), "{r}");
    let (status, r) = api.public(
        "POST",
        "/api/events/impression?subid=v2&experiment_id=events_test",
        None,
    );
    assert_eq!(
        (status, r["event_type"].as_str()),
        (202, Some("impression")),
        "{r}"
    );

    // The listing: filters, dates, limits, bad parameters named.
    let list = |query: &str| with_basic(&api, "GET", &format!("/api/events?{query}"), None);
    let (status, all) = list("experiment_id=events_test");
    assert_eq!(status, 200, "{all}");
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    let (_, signups) = list("experiment_id=events_test&event_type=signup&subid=v1");
    assert_eq!(signups[0]["metadata"], json!({"plan": "pro"}), "{signups}");
    assert_eq!(signups[0]["value"], 29.0);
    let (_, none) = list("experiment_id=events_test&start_date=2999-01-01");
    assert_eq!(none, json!([]));
    let (_, today) = list(&format!(
        "end_date={}&limit=1",
        &signups[0]["timestamp"].as_str().unwrap_or_default()[..10]
    ));
    assert_eq!(
        today.as_array().map(Vec::len),
        Some(1),
        "the whole day, at most one: {today}"
    );
    for (query, field) in [
        ("start_date=yesterday", "start_date"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("start_date=2026-12-02&end_date=2026-12-01", "end_date"),
    ] {
        let (status, r) = list(query);
        assert_eq!(
            (status, r["error"]["field"].as_str()),
            (422, Some(field)),
            "{query}: {r}"
        );
    }
    let (status, r) = list("experiment_id=missing");
    assert_eq!(status, 404, "{r}");

    // Lookups never assign; a unit with no assignment is a 404.
    let (status, r) = api.public("GET", "/api/assignments/nobody/events_test", None);
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (404, Some("subid")),
        "{r}"
    );
    let (status, r) = api.public("GET", "/api/assignments/v1/events_test", None);
    assert_eq!(
        (status, r["variant"].as_str()),
        (200, Some(mine.as_str())),
        "{r}"
    );
    let (status, r) = api.public(
        "POST",
        "/api/assignments/bulk",
        Some(json!({"subid": "v1", "experiment_ids": []})),
    );
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("experiment_ids")),
        "{r}"
    );
    let (status, r) = api.public(
        "POST",
        "/api/assignments/bulk",
        Some(json!({"subid": "v1", "experiment_ids": ["events_test", "nope"]})),
    );
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (404, Some("experiment_ids[1]")),
        "{r}"
    );

    // Status changes: the same status is a no-op, back to draft is refused, PATCH moves it.
    let (status, r) = with_basic(
        &api,
        "POST",
        "/api/experiments/events_test/status",
        Some(json!({"status": "active"})),
    );
    assert_eq!((status, r["status"].as_str()), (200, Some("active")), "{r}");
    let (status, r) = with_basic(
        &api,
        "POST",
        "/api/experiments/events_test/status",
        Some(json!({"status": "draft"})),
    );
    assert_eq!(status, 409, "{r}");
    let (status, r) = with_basic(
        &api,
        "PATCH",
        "/api/experiments/events_test",
        Some(json!({"status": "completed", "confidence_level": 0.9})),
    );
    assert_eq!(
        (status, r["status"].as_str(), r["confidence_level"].as_f64()),
        (200, Some("completed"), Some(0.9)),
        "{r}"
    );
    let (status, r) = with_basic(
        &api,
        "PATCH",
        "/api/experiments/events_test",
        Some(json!({"confidence_level": 2})),
    );
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (422, Some("confidence_level")),
        "{r}"
    );
    let (status, r) = with_basic(&api, "PUT", "/api/experiments/events_test", Some(json!({})));
    assert_eq!(status, 405, "{r}");
    assert!(r["detail"].is_string(), "{r}");
    let (status, _) = with_basic(&api, "DELETE", "/api/experiments/events_test", None);
    assert_eq!(status, 204);
    // The server is still fine.
    let (status, _) = api.public("GET", "/health", None);
    assert_eq!(status, 200);
}
