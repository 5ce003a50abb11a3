//! Hostile requests at the HTTP level: bodies checked before they are read, `/metrics`
//! closed by default, errors that reveal no other unit's assignment, and one CORS policy.

use cleave_e2e::{Api, Wrangler, http, send};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The answering isolate's wasm memory, from `/metrics` (it never shrinks: a request that
/// read a large body into it would leave it at least that large).
fn wasm_memory(api: &Api) -> u64 {
    let text = api.metrics_text();
    text.lines()
        .find_map(|l| l.strip_prefix("cleave_worker_wasm_memory_bytes "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no wasm memory gauge in /metrics:\n{text}"))
}

/// Sends `body` with the given headers over a raw connection and returns the status.
fn raw_post(port: u16, path: &str, headers: &str, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n{headers}connection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).expect("head");
    let _ = s.write_all(body); // the server may answer and close before reading it all
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text}"))
}

/// `size` bytes as HTTP/1.1 chunks of 64 KiB (no Content-Length).
fn chunked(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + size / 1000);
    let chunk = vec![b' '; 64 * 1024];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend_from_slice(&chunk[..n]);
        out.extend_from_slice(b"\r\n");
        left -= n;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn large_bodies_are_refused_before_they_are_read() {
    let api = Api::start("hostile-bodies");
    let port = api.w.port();
    let before = wasm_memory(&api);
    let fifty_mb = vec![b' '; 50 * 1024 * 1024];
    let length = format!("content-length: {}\r\n", fifty_mb.len());
    let token = format!("authorization: Bearer {}\r\n", api.w.admin_token);
    for _ in 0..3 {
        // No token on an admin route: 401, the body never read.
        assert_eq!(
            raw_post(port, "/api/v1/experiments", &length, &fifty_mb),
            401
        );
        // Public and admin routes: 413 from the Content-Length alone.
        assert_eq!(raw_post(port, "/api/v1/analyze", &length, &fifty_mb), 413);
        let with_token = format!("{length}{token}");
        assert_eq!(
            raw_post(port, "/api/v1/experiments", &with_token, &fifty_mb),
            413
        );
    }
    // Without a Content-Length the read stops once the body passes 1 MiB.
    let chunked_headers = "transfer-encoding: chunked\r\n";
    assert_eq!(
        raw_post(
            port,
            "/api/v1/analyze",
            chunked_headers,
            &chunked(3 * 1024 * 1024)
        ),
        413
    );
    // Nothing of those bodies reached the isolate's memory (it only ever grows).
    let after = wasm_memory(&api);
    assert!(
        after < before + 4 * 1024 * 1024,
        "wasm memory grew from {before} to {after} bytes"
    );
    // A body just under the limit is still read and answered.
    let padded = format!(
        "{{\"base_rate\": 0.1, \"mde\": 0.1{}}}",
        " ".repeat(1024 * 1024 - 40)
    );
    let (status, body) = send(
        http()
            .post(&api.url("/api/v1/sample-size"))
            .set("content-type", "application/json"),
        Some(&serde_json::from_str::<Value>(&padded).expect("json")),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) = api.public("GET", "/health", None);
    assert_eq!(status, 200);
}

/// Closed by default: without `METRICS_TOKEN` the admin token opens it (with it, see
/// `worker_auth.rs`); `METRICS_PUBLIC=true` opens it to anyone.
#[test]
fn metrics_need_a_token_unless_opened_explicitly() {
    let api = Api::start("hostile-metrics");
    let e =
        api.running(json!({"name": "Secret plans", "variants": [{"name": "a"}, {"name": "b"}]}));
    let (status, body) = api.public("GET", "/metrics", None);
    assert_eq!(status, 401, "{body}");
    assert!(
        !body.to_string().contains(e["id"].as_str().unwrap_or("?")),
        "{body}"
    );
    assert!(
        api.metrics_text()
            .contains("experimentation_experiments_active 1")
    );
    let (status, _) = send(
        http()
            .get(&api.url("/metrics"))
            .set("authorization", "Bearer nope"),
        None,
    );
    assert_eq!(status, 403);
    drop(api);
    let open = Wrangler::start_with("hostile-metrics-public", &[("METRICS_PUBLIC", "true")]);
    let (status, body) = send(http().get(&format!("{}/metrics", open.base)), None);
    assert_eq!(status, 200, "METRICS_PUBLIC=true opens it: {body}");
}

#[test]
fn a_wrong_exposure_is_refused_without_naming_the_real_variant() {
    let api = Api::start("hostile-exposure-leak");
    let e = api
        .running(json!({"name": "Colours", "variants": [{"name": "green"}, {"name": "purple"}]}));
    let id = e["id"].as_str().unwrap_or_default().to_string();
    for i in 0..20 {
        let user = format!("victim-{i}");
        let (_, a) = api.public(
            "POST",
            &format!("/api/v1/experiments/{id}/assign"),
            Some(json!({"user_id": user})),
        );
        let real = a["variant"].as_str().unwrap_or_default().to_string();
        let wrong = if real == "green" { "purple" } else { "green" };
        let (status, r) = api.public(
            "POST",
            "/api/v1/exposures/batch",
            Some(json!({"exposures": [{"experiment_id": id, "user_id": user, "variant": wrong}]})),
        );
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["rejected"], 1, "{r}");
        let message = r["results"][0]["error"]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            !message.contains(&format!("'{real}'")) && message.contains(wrong),
            "the refusal must not reveal '{real}': {message}"
        );
    }
}

/// (status, Access-Control-Allow-Origin, Access-Control-Allow-Methods) of an OPTIONS preflight.
fn preflight(base: &str, path: &str, origin: &str) -> (u16, Option<String>, Option<String>) {
    let result = http()
        .request("OPTIONS", &format!("{base}{path}"))
        .set("origin", origin)
        .set("access-control-request-method", "PUT")
        .call();
    let r = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    (
        r.status(),
        r.header("access-control-allow-origin").map(str::to_string),
        r.header("access-control-allow-methods").map(str::to_string),
    )
}

#[test]
fn one_cors_policy_public_any_origin_admin_only_configured() {
    let admin_origin = "https://admin.example";
    let w = Wrangler::start_with("hostile-cors", &[("ADMIN_ORIGINS", admin_origin)]);
    let base = w.base.clone();
    // Admin routes: a foreign origin gets no permission; the configured one gets exactly
    // the methods the path accepts.
    let (status, allow_origin, _) =
        preflight(&base, "/api/v1/experiments/x", "https://evil.example");
    assert_eq!(status, 403);
    assert_eq!(allow_origin, None);
    let (status, allow_origin, methods) = preflight(&base, "/api/v1/experiments/x", admin_origin);
    assert_eq!(status, 204);
    assert_eq!(allow_origin.as_deref(), Some(admin_origin));
    assert_eq!(methods.as_deref(), Some("GET,PUT,DELETE,OPTIONS"));
    let (_, _, methods) = preflight(&base, "/api/v1/experiments", admin_origin);
    assert_eq!(methods.as_deref(), Some("GET,POST,OPTIONS"));
    // ...and its responses carry the origin; a foreign origin's do not.
    let get = |origin: &str| {
        let r = http()
            .get(&format!("{base}/api/v1/experiments"))
            .set("origin", origin)
            .set("authorization", &format!("Bearer {}", w.admin_token))
            .call()
            .expect("200");
        r.header("access-control-allow-origin").map(str::to_string)
    };
    assert_eq!(get(admin_origin).as_deref(), Some(admin_origin));
    assert_eq!(get("https://evil.example"), None);
    // Public routes: any origin, their own methods, no credentials.
    let (status, allow_origin, methods) = preflight(
        &base,
        "/api/v1/experiments/x/assign",
        "https://shop.example",
    );
    assert_eq!(status, 204);
    assert_eq!(allow_origin.as_deref(), Some("*"));
    assert_eq!(methods.as_deref(), Some("POST,OPTIONS"));
    let r = http()
        .post(&format!("{base}/api/v1/sample-size"))
        .set("origin", "https://shop.example")
        .send_json(json!({"base_rate": 0.1, "mde": 0.1}))
        .expect("200");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // Without an Origin, OPTIONS just lists the methods; unknown methods are a JSON 405.
    let r = http()
        .request("OPTIONS", &format!("{base}/api/v1/experiments/x"))
        .call()
        .expect("204");
    assert_eq!(r.header("allow"), Some("GET, PUT, DELETE, OPTIONS"));
    let (status, body) = send(
        http().request("PATCH", &format!("{base}/api/v1/experiments/x")),
        None,
    );
    assert_eq!(status, 405);
    let e: Value = serde_json::from_str(&body).expect("JSON 405");
    assert_eq!(e["error"]["code"], "method_not_allowed");
}
