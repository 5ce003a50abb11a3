//! The experimentation API under a real `wrangler dev`: the v1 API's documented flow verbatim,
//! lifecycle conflicts, idempotent tracking, auth, input errors, snapshot ETags.

use cleave_e2e::{Api, http, send};
use serde_json::{Value, json};

fn v1_create_body() -> Value {
    json!({
        "name": "New Feature Test",
        "description": "Testing new feature vs. control",
        "hypothesis": "New feature will increase conversion by 10%",
        "variants": [
            {"name": "control", "allocation": 0.5, "config": {}},
            {"name": "new-feature", "allocation": 0.5, "config": {"feature_enabled": true}}
        ],
        "metrics": ["conversion", "signup"],
        "target_sample_size": 1000,
        "significance_level": 0.05,
        "traffic_allocation": 1.0
    })
}

#[test]
fn the_v1_api_documented_flow_works_end_to_end() {
    let api = Api::start("api-flow");
    let (status, created) = api.admin("POST", "/api/v1/experiments", Some(v1_create_body()));
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["status"], "draft");
    assert_eq!(created["key"], "new-feature-test");

    // Not running yet: 200 with the reason, not the 404 of the service it replaces.
    let (status, a) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/assign"),
        Some(json!({"user_id": "user123", "context": {"source": "web"}})),
    );
    assert_eq!(
        (status, a["in_experiment"].clone(), a["reason"].clone()),
        (200, json!(false), json!("not_running")),
        "{a}"
    );

    let (status, started) = api.admin("POST", &format!("/api/v1/experiments/{id}/start"), None);
    assert_eq!(
        (status, started["status"].clone()),
        (200, json!("running")),
        "{started}"
    );
    let (status, again) = api.admin("POST", &format!("/api/v1/experiments/{id}/start"), None);
    assert_eq!(status, 409, "{again}");
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("running"),
        "{again}"
    );

    // Assign a population; the core's answer is the API's answer.
    let experiment: cleave_core::model::Experiment =
        serde_json::from_value(started.clone()).expect("wire model");
    let mut variants = std::collections::BTreeMap::new();
    for i in 0..60 {
        let user = format!("user-{i}");
        let (status, a) = api.public(
            "POST",
            &format!("/api/v1/experiments/{id}/assign"),
            Some(json!({"user_id": user})),
        );
        assert_eq!(status, 200, "{a}");
        let expected = experiment
            .assign(&user)
            .expect("valid")
            .variant_name()
            .map(str::to_string);
        assert_eq!(a["variant"].as_str().map(str::to_string), expected, "{a}");
        assert_eq!(a["reason"], "assigned");
        // The variant's config comes back as the JSON value it was created with.
        let config = if a["variant"] == "new-feature" {
            json!({"feature_enabled": true})
        } else {
            json!({})
        };
        assert_eq!(a["config"], config, "{a}");
        variants.insert(user, a["variant"].as_str().unwrap_or_default().to_string());
    }
    // The v1 API's documented track body, verbatim, plus its query-string form.
    let (status, t) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/track"),
        Some(json!({"user_id": "user-1", "event_name": "conversion", "value": 1.0})),
    );
    assert_eq!(status, 200, "{t}");
    let (status, t) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/track?user_id=user-2&event_name=conversion&value=1.0"),
        None,
    );
    assert_eq!(status, 200, "{t}");
    // Idempotency: the same event id twice counts once.
    for _ in 0..2 {
        let (status, _) = api.public(
            "POST",
            &format!("/api/v1/experiments/{id}/track"),
            Some(json!({"user_id": "user-3", "event_name": "conversion", "event_id": "evt-1"})),
        );
        assert_eq!(status, 200);
    }
    let (_, dup) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/track"),
        Some(json!({"user_id": "user-3", "event_name": "conversion", "event_id": "evt-1"})),
    );
    assert_eq!(dup["recorded"], false, "{dup}");
    // Never exposed → 409 not_assigned.
    let (status, e) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/track"),
        Some(json!({"user_id": "stranger", "event_name": "conversion"})),
    );
    assert_eq!(
        (status, e["error"]["code"].clone()),
        (409, json!("not_assigned")),
        "{e}"
    );
    // Unknown metric: accepted, flagged.
    let (status, u) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/track"),
        Some(json!({"user_id": "user-4", "event_name": "mystery"})),
    );
    assert_eq!(
        (status, u["known_metric"].clone()),
        (200, json!(false)),
        "{u}"
    );

    // Stats count converting users per variant.
    let (status, s) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["experiment_id"], id.as_str());
    assert_eq!(s["total_conversions"], 3, "{s}");
    let exposed: u64 = cleave_e2e::exposed_users(&s);
    assert_eq!(exposed, 60, "{s}");
    let converters_by_variant = |name: &str| {
        ["user-1", "user-2", "user-3"]
            .iter()
            .filter(|u| variants[**u] == name)
            .count() as u64
    };
    for v in s["variants"].as_array().expect("variants") {
        let name = v["variant"].as_str().unwrap_or_default();
        assert_eq!(
            v["conversions"].as_u64(),
            Some(converters_by_variant(name)),
            "{s}"
        );
    }
    assert!(
        s["recommendation"]
            .as_str()
            .unwrap_or("")
            .contains("Keep collecting"),
        "{s}"
    );

    // Running: the split is locked, descriptive fields are not.
    let (status, e) = api.admin(
        "PUT",
        &format!("/api/v1/experiments/{id}"),
        Some(json!({"variants": [{"name": "a"}, {"name": "b"}]})),
    );
    assert_eq!(
        (status, e["error"]["code"].clone()),
        (409, json!("variants_locked")),
        "{e}"
    );
    let (status, e) = api.admin(
        "PUT",
        &format!("/api/v1/experiments/{id}"),
        Some(json!({"description": "updated"})),
    );
    assert_eq!(
        (status, e["description"].clone()),
        (200, json!("updated")),
        "{e}"
    );

    let (status, _) = api.admin("POST", &format!("/api/v1/experiments/{id}/stop"), None);
    assert_eq!(status, 200);
    let (_, a) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/assign"),
        Some(json!({"user_id": "user-1"})),
    );
    assert_eq!(a["reason"], "not_running", "{a}");
    let (status, list) = api.admin("GET", "/api/v1/experiments?status=stopped", None);
    assert_eq!(
        (status, list.as_array().map(Vec::len)),
        (200, Some(1)),
        "{list}"
    );
    let (status, _) = api.admin("DELETE", &format!("/api/v1/experiments/{id}"), None);
    assert_eq!(status, 200);
    let (status, _) = api.admin("GET", &format!("/api/v1/experiments/{id}"), None);
    assert_eq!(status, 404);
}

#[test]
fn auth_limits_and_input_errors_are_clear_4xx() {
    let api = Api::start("api-errors");
    let (status, e) = api.public("GET", "/api/v1/experiments", None);
    assert_eq!(
        (status, e["error"]["code"].clone()),
        (401, json!("unauthorized"))
    );
    let (status, _) = send(
        http()
            .get(&api.url("/api/v1/experiments"))
            .set("authorization", "Bearer wrong"),
        None,
    );
    assert_eq!(status, 403);

    let bad = send(
        http()
            .post(&api.url("/api/v1/experiments"))
            .set("authorization", &format!("Bearer {}", api.w.admin_token))
            .set("content-type", "application/json"),
        None,
    );
    assert_eq!(
        bad.0, 422,
        "an empty body has no name or variants: {}",
        bad.1
    );
    let (status, e) = api.admin("POST", "/api/v1/experiments", Some(json!({"name": "x", "variants": [{"name": "a", "allocation": 0.6}, {"name": "b", "allocation": 0.6}]})));
    assert_eq!(
        (status, e["error"]["field"].clone()),
        (422, json!("variants[1].allocation")),
        "{e}"
    );
    let (status, e) = api.admin(
        "POST",
        "/api/v1/experiments",
        Some(json!({"name": "x", "traffic_allocation": "lots"})),
    );
    assert_eq!(
        (status, e["error"]["field"].clone()),
        (400, json!("traffic_allocation")),
        "{e}"
    );
    let raw = send(
        http()
            .post(&api.url("/api/v1/experiments"))
            .set("authorization", &format!("Bearer {}", api.w.admin_token)),
        None,
    );
    assert!(raw.0 >= 400 && raw.0 < 500);
    let (status, e) = api.public(
        "POST",
        "/api/v1/experiments/nope/assign",
        Some(json!({"user_id": "u"})),
    );
    assert_eq!(status, 404, "{e}");
    let big = "x".repeat(1024 * 1024 + 10);
    let (status, _) = send(
        http()
            .post(&api.url("/api/v1/analyze"))
            .set("content-type", "application/json"),
        Some(&json!({"pad": big})),
    );
    assert_eq!(status, 413);

    let (status, e) = api.public(
        "POST",
        "/api/v1/sample-size",
        Some(json!({"base_rate": 0.1, "mde": 0.05, "mde_type": "absolute"})),
    );
    assert_eq!(
        (status, e["sample_size_per_variant"].clone()),
        (200, json!(686)),
        "the ab-testing-service API's example: {e}"
    );
    let (status, e) = api.public(
        "POST",
        "/api/v1/sample-size",
        Some(json!({"base_rate": 1.5, "mde": 0.05})),
    );
    assert_eq!(
        (status, e["error"]["field"].clone()),
        (422, json!("base_rate")),
        "{e}"
    );
    let (status, r) = api.public(
        "POST",
        "/api/v1/analyze",
        Some(json!({"variants": [{"name": "control", "sample_size": 523, "conversions": 47}, {"name": "new-feature", "sample_size": 511, "conversions": 62}]})),
    );
    assert_eq!(status, 200, "{r}");
    assert!(
        (r["p_value"].as_f64().unwrap_or(0.0) - 0.0995).abs() < 5e-4,
        "{r}"
    );
}

#[test]
fn the_snapshot_has_an_etag_and_honours_if_none_match() {
    let api = Api::start("api-snapshot");
    let (status, created) = api.admin("POST", "/api/v1/experiments", Some(v1_create_body()));
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap_or_default().to_string();
    api.admin("POST", &format!("/api/v1/experiments/{id}/start"), None);
    let resp = http()
        .get(&api.url("/api/v1/snapshot"))
        .set("authorization", &format!("Bearer {}", api.w.admin_token))
        .call()
        .expect("snapshot");
    let etag = resp.header("etag").expect("etag").to_string();
    let body: Value = resp.into_json().expect("json");
    assert_eq!(
        body["experiments"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    let again = http()
        .get(&api.url("/api/v1/snapshot"))
        .set("authorization", &format!("Bearer {}", api.w.admin_token))
        .set("if-none-match", &etag)
        .call()
        .expect("conditional");
    assert_eq!(again.status(), 304);
    let (status, _) = api.public("GET", "/api/v1/snapshot", None);
    assert_eq!(status, 401);
}

#[test]
fn the_openapi_document_validates_and_the_docs_page_is_served() {
    let api = Api::start("api-openapi");
    let spec = http()
        .get(&api.url("/openapi.json"))
        .call()
        .expect("openapi")
        .into_string()
        .expect("text");
    let path = cleave_e2e::repo_root().join("target/e2e-logs/openapi.json");
    std::fs::write(&path, &spec).expect("write spec");
    let validator = cleave_e2e::repo_root().join(".venv/bin/openapi-spec-validator");
    let out = std::process::Command::new(validator)
        .arg(&path)
        .output()
        .expect("openapi-spec-validator (installed by .ci/tools.sh envoy)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = http().get(&api.url("/docs/")).call().expect("docs");
    assert!(docs.content_type().starts_with("text/html"));
    let html = docs.into_string().expect("html");
    assert!(
        html.contains("swagger-ui-bundle.js") && !html.contains("https://"),
        "the docs page is Swagger UI and loads nothing external: {html}"
    );
    let init = http()
        .get(&api.url("/docs/init.js"))
        .call()
        .expect("init.js")
        .into_string()
        .expect("text");
    assert!(
        init.contains("url: '/openapi.json'"),
        "Swagger UI reads this Worker's own document: {init}"
    );
    let bundle = http()
        .get(&api.url("/docs/swagger-ui-bundle.js"))
        .call()
        .expect("bundle");
    assert_eq!(
        bundle.status(),
        200,
        "the viewer is bundled, not fetched from a CDN"
    );
}
