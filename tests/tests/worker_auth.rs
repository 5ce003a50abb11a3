//! Auth over every documented route, fail-closed without a configured token, and
//! malformed bodies on every endpoint that takes one: always a 4xx naming the field.

use cleave_e2e::{Api, Wrangler, http, repo_root, send};
use serde_json::{Value, json};

/// Every (method, path, needs admin) in the OpenAPI document, path parameters filled in.
fn operations() -> Vec<(String, String, bool)> {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("worker/openapi.json")).expect("spec"),
    )
    .expect("json");
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete"] {
            let Some(op) = item.get(method) else { continue };
            // Every secured operation takes the Bearer token (some also take Basic).
            let admin = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearerAuth").is_some()));
            let concrete = path
                .replace("{id}", "missing-exp")
                .replace("{name}", "missing-exp")
                .replace("{action}", "start");
            ops.push((method.to_uppercase(), concrete, admin));
        }
    }
    ops
}

#[test]
fn every_admin_route_needs_the_token_and_public_routes_do_not() {
    let api = Api::start("auth-matrix");
    let ops = operations();
    assert!(ops.len() >= 25, "{} operations", ops.len());
    for (method, path, admin) in &ops {
        let (status, body) = api.public(method, path, Some(json!({})));
        if *admin {
            assert_eq!(status, 401, "{method} {path} without a token: {body}");
            let wrong = send(
                http()
                    .request(method, &api.url(path))
                    .set("authorization", "Bearer nope"),
                Some(&json!({})),
            );
            assert_eq!(
                wrong.0, 403,
                "{method} {path} with a wrong token: {}",
                wrong.1
            );
            let (status, body) = api.admin(method, path, Some(json!({})));
            assert!(
                status != 401 && status != 403 && status < 500,
                "{method} {path} with the token: {status} {body}"
            );
        } else {
            assert!(
                status != 401 && status != 403 && status < 500,
                "{method} {path} is public: {status} {body}"
            );
        }
    }
}

#[test]
fn without_a_configured_token_the_admin_api_fails_closed() {
    let w = Wrangler::start_with("auth-unconfigured", &[("ADMIN_TOKEN", "")]);
    let (status, body) = send(
        http()
            .get(&format!("{}/api/v1/experiments", w.base))
            .set("authorization", "Bearer anything"),
        None,
    );
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("admin token not configured"), "{body}");
    let (status, _) = send(http().get(&format!("{}/health", w.base)), None);
    assert_eq!(status, 200);
}

#[test]
fn malformed_bodies_are_4xx_naming_the_field() {
    let api = Api::start("malformed");
    let e = api.running(json!({"name": "Target", "variants": [{"name": "a"}, {"name": "b"}]}));
    let id = e["id"].as_str().unwrap_or_default().to_string();
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "POST",
            "/api/v1/experiments".into(),
            json!({"name": 5}),
            "name",
        ),
        (
            "POST",
            "/api/v1/experiments".into(),
            json!({"name": "x", "variants": [{"name": "a", "weight": "heavy"}]}),
            "variants[0].weight",
        ),
        (
            "PUT",
            format!("/api/v1/experiments/{id}"),
            json!({"traffic_allocation": [1]}),
            "traffic_allocation",
        ),
        (
            "POST",
            format!("/api/v1/experiments/{id}/assign"),
            json!({"user_id": 42}),
            "user_id",
        ),
        (
            "POST",
            format!("/api/v1/experiments/{id}/assign"),
            json!({}),
            "user_id",
        ),
        (
            "POST",
            format!("/api/v1/experiments/{id}/assign"),
            json!({"user_id": "x".repeat(257)}),
            "user_id",
        ),
        (
            "POST",
            format!("/api/v1/experiments/{id}/track"),
            json!({"user_id": "u", "event_name": "e", "value": "one"}),
            "value",
        ),
        (
            "POST",
            format!("/api/v1/experiments/{id}/track"),
            json!({"user_id": "u", "event_name": "y".repeat(300)}),
            "event_name",
        ),
        (
            "POST",
            "/api/v1/events/batch".into(),
            json!({"events": "all of them"}),
            "events",
        ),
        (
            "POST",
            "/api/v1/exposures/batch".into(),
            json!({"exposures": [{"user_id": "u"}]}),
            "exposures[0]",
        ),
        (
            "POST",
            "/api/v1/analyze".into(),
            json!({"variants": [{"name": "a", "sample_size": -1, "conversions": 0}]}),
            "variants[0].sample_size",
        ),
        (
            "POST",
            "/api/v1/analyze".into(),
            json!({"variants": [{"name": "a", "sample_size": 10, "conversions": 11}, {"name": "b", "sample_size": 10, "conversions": 1}]}),
            "variants[0].conversions",
        ),
        (
            "POST",
            "/api/v1/analyze".into(),
            json!({"alpha": 0.7, "variants": [{"name": "a", "sample_size": 10, "conversions": 1}, {"name": "b", "sample_size": 10, "conversions": 1}]}),
            "alpha",
        ),
        (
            "POST",
            "/api/v1/sample-size".into(),
            json!({"base_rate": 0.1, "mde": 0.05, "power": 2}),
            "power",
        ),
        (
            "POST",
            "/api/v1/sample-size".into(),
            json!({"base_rate": 0.1}),
            "mde",
        ),
        (
            "POST",
            "/api/experiments/target/status".into(),
            json!({"status": "exploded"}),
            "status",
        ),
        (
            "POST",
            "/api/assignments/get".into(),
            json!({"subid": "u"}),
            "experiment_id",
        ),
    ];
    for (method, path, body, field) in cases {
        let (status, r) = api.admin(method, &path, Some(body.clone()));
        assert!(
            (400..500).contains(&status),
            "{method} {path} {body}: {status} {r}"
        );
        let got = r["error"]["field"].as_str().unwrap_or("");
        assert!(
            got.starts_with(field),
            "{method} {path} {body}: field {got:?}, expected {field:?} ({r})"
        );
    }
    // Not JSON at all.
    for path in [
        "/api/v1/experiments",
        "/api/v1/analyze",
        "/api/v1/events/batch",
    ] {
        let (status, text) = send(
            http()
                .post(&api.url(path))
                .set("authorization", &format!("Bearer {}", api.w.admin_token))
                .set("content-type", "application/json"),
            None,
        );
        let _ = text;
        assert!(
            (400..500).contains(&status),
            "{path} with no body: {status}"
        );
        let raw = http()
            .post(&api.url(path))
            .set("authorization", &format!("Bearer {}", api.w.admin_token))
            .send_string("{not json");
        let status = match raw {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(status, 400, "{path} with broken JSON");
    }
}

#[test]
fn metrics_and_snapshot_tokens_open_only_their_endpoints() {
    let w = Wrangler::start_with(
        "auth-tokens",
        &[("METRICS_TOKEN", "m-token"), ("SNAPSHOT_TOKEN", "s-token")],
    );
    let get = |path: &str, token: Option<&str>| {
        let mut req = http().get(&format!("{}{path}", w.base));
        if let Some(t) = token {
            req = req.set("authorization", &format!("Bearer {t}"));
        }
        send(req, None).0
    };
    assert_eq!(
        get("/metrics", None),
        401,
        "METRICS_TOKEN set: /metrics needs it"
    );
    assert_eq!(get("/metrics", Some("s-token")), 403);
    assert_eq!(get("/metrics", Some("m-token")), 200);
    assert_eq!(get("/api/v1/snapshot", Some("s-token")), 200);
    assert_eq!(get("/api/v1/snapshot", Some(&w.admin_token)), 200);
    assert_eq!(
        get("/api/v1/experiments", Some("s-token")),
        403,
        "the snapshot token is read-only for the snapshot"
    );
    assert_eq!(get("/health", None), 200);
}
