//! The filter inside a real Envoy: it loads, assigns like the core, strips spoofed
//! headers, passes other requests through, and rejects bad config with a clear log.

use cleave_core::model::Experiment;
use cleave_e2e::{EchoServer, Envoy, RawClient, free_port, http, repo_root, send};
use serde_json::Value;
use std::time::Duration;

fn upstream_headers(port: u16, headers: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    let mut req = http().get(&format!("http://127.0.0.1:{port}/checkout/cart"));
    for (name, value) in headers {
        req = req.set(name, value);
    }
    let (status, body) = send(req, None);
    assert_eq!(status, 200, "{body}");
    let echoed: Value = serde_json::from_str(&body).expect("echo JSON");
    echoed["headers"].as_object().expect("headers").clone()
}

/// The core's answer for `user` in the shipped example config's inline experiment: what
/// Envoy must say.
fn example_variant(user: &str) -> Option<String> {
    let text =
        std::fs::read_to_string(repo_root().join("deploy/envoy/envoy.yaml")).expect("config");
    let start = text.find("\"experiments\": [").expect("experiments") + "\"experiments\": ".len();
    let end = text[start..]
        .find("\n                              ]")
        .expect("end")
        + start;
    let experiments: Vec<Experiment> = serde_json::from_str(&format!("{}\n]", &text[start..end]))
        .expect("inline experiments parse");
    experiments[0]
        .assign(user)
        .expect("valid")
        .variant_name()
        .map(str::to_string)
}

#[test]
fn the_shipped_config_validates() {
    let out = std::process::Command::new(cleave_e2e::envoy_binary_path())
        .args(["--mode", "validate", "-c", "deploy/envoy/envoy.yaml"])
        .current_dir(repo_root())
        .output()
        .expect("run envoy --mode validate");
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("cleave filter") && log.contains("1 running experiment"),
        "{log}"
    );
}

#[test]
fn requests_pass_through_with_assignment_headers_and_no_spoofing() {
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let config = cleave_e2e::envoy_example_config(port, admin, echo.port, None);
    let _envoy = Envoy::start("filter-pass-through", &config, port, admin);

    // The core decides what Envoy must say for this user.
    let expected = example_variant("user-123").expect("in experiment");

    let seen = upstream_headers(
        port,
        &[
            ("x-user-id", "user-123"),
            ("x-cleave-checkout-button", "spoofed"),
            ("x-cleave-admin", "1"),
        ],
    );
    assert_eq!(
        seen.get("x-cleave-checkout-button").and_then(Value::as_str),
        Some(expected.as_str())
    );
    assert_eq!(
        seen.get("x-cleave-assignments").and_then(Value::as_str),
        Some(format!("checkout-button={expected}").as_str())
    );
    assert!(
        !seen.contains_key("x-cleave-admin"),
        "spoofed header reached the upstream: {seen:?}"
    );

    // No user id: one is minted, returned in a cookie, and used; spoofing still fails.
    let resp = http()
        .get(&format!("http://127.0.0.1:{port}/checkout/cart"))
        .set("x-cleave-checkout-button", "spoofed")
        .call()
        .expect("request");
    let cookie = resp
        .header("set-cookie")
        .expect("a minted user id")
        .to_string();
    assert!(
        cookie.starts_with("cleave_uid=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    // Behind a TLS-terminating proxy (X-Forwarded-Proto: https) the cookie is Secure.
    let behind_tls = http()
        .get(&format!("http://127.0.0.1:{port}/"))
        .set("x-forwarded-proto", "https")
        .call()
        .expect("request");
    let secure = behind_tls.header("set-cookie").expect("a minted user id");
    assert!(secure.ends_with("; Secure"), "{secure}");
    let uid = cleave_e2e::cleave_uid(&cookie);
    // Minted ids come from the host's randomness: a second visitor gets another one.
    let other = http()
        .get(&format!("http://127.0.0.1:{port}/"))
        .call()
        .expect("request");
    let other_uid = cleave_e2e::cleave_uid(other.header("set-cookie").expect("a minted user id"));
    assert_ne!(other_uid, uid, "two visitors were given the same id");
    let echoed: Value = resp.into_json().expect("echo");
    let expected = example_variant(&uid);
    assert_eq!(
        echoed["headers"]["x-cleave-checkout-button"]
            .as_str()
            .map(str::to_string),
        expected,
        "{echoed}"
    );
    // With the cookie, no new id is minted.
    let again = http()
        .get(&format!("http://127.0.0.1:{port}/"))
        .set("cookie", &format!("cleave_uid={uid}"))
        .call()
        .expect("request");
    assert!(again.header("set-cookie").is_none());
}

#[test]
fn header_values_that_are_not_utf8_neither_crash_nor_get_past_the_filter() {
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let config = cleave_e2e::envoy_example_config(port, admin, echo.port, None);
    let _envoy = Envoy::start("filter-bytes", &config, port, admin);
    let mut client = RawClient::connect(port).expect("connect");
    let echoed = |body: &str| -> Value { serde_json::from_str(body).expect("echo JSON") };

    // HTTP allows any byte from 0x80 in a header value (obs-text); Envoy passes them on.
    let (status, body) = client
        .get_bytes(
            "/checkout/cart",
            &[
                ("x-user-id", b"user-123"),
                ("x-note", b"caf\xe9"),
                ("x-cleave-checkout-button", b"spoofed-\xff"),
            ],
        )
        .expect("request");
    assert_eq!(status, 200, "{body}");
    let headers = &echoed(&body)["headers"];
    assert_eq!(
        headers["x-cleave-checkout-button"]
            .as_str()
            .map(str::to_string),
        example_variant("user-123"),
        "{body}"
    );
    // A user id that is not UTF-8 is not an id: the request passes with nothing assigned
    // from it, and spoofed headers are still removed.
    let (status, body) = client
        .get_bytes(
            "/checkout/cart",
            &[
                ("x-user-id", b"\xffuser"),
                ("x-cleave-checkout-button", b"spoofed"),
            ],
        )
        .expect("request");
    assert_eq!(status, 200, "{body}");
    assert_ne!(
        echoed(&body)["headers"]["x-cleave-checkout-button"],
        "spoofed",
        "{body}"
    );
    // The filter is still alive and assigning.
    let (status, body) = client
        .get("/checkout/cart", &[("x-user-id", "user-7")])
        .expect("request");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        echoed(&body)["headers"]["x-cleave-checkout-button"]
            .as_str()
            .map(str::to_string),
        example_variant("user-7"),
        "{body}"
    );
}

#[test]
fn invalid_plugin_config_is_rejected_with_the_field_named() {
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let bad = r#"{"header_prefix": "bad prefix!"}"#;
    let config = cleave_e2e::envoy_example_config(port, admin, echo.port, Some(bad));
    let mut process = Envoy::spawn("filter-bad-config", &config);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while process.exited().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = process.log_text();
    assert!(
        log.contains("invalid cleave filter configuration: header_prefix"),
        "{log}"
    );
}

/// The names a wasm module exports (its export section, read directly).
fn wasm_exports(module: &[u8]) -> Vec<String> {
    fn leb(bytes: &[u8], at: &mut usize) -> usize {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = bytes[*at];
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                return value;
            }
        }
    }
    assert_eq!(&module[..4], b"\0asm", "a wasm module");
    let mut at = 8;
    while at < module.len() {
        let id = module[at];
        at += 1;
        let size = leb(module, &mut at);
        let end = at + size;
        if id == 7 {
            let count = leb(module, &mut at);
            return (0..count)
                .map(|_| {
                    let len = leb(module, &mut at);
                    let name = String::from_utf8(module[at..at + len].to_vec()).expect("name");
                    at += len + 1; // the name, then its kind
                    leb(module, &mut at); // and its index
                    name
                })
                .collect();
        }
        at = end;
    }
    Vec::new()
}

#[test]
fn the_shipped_module_exports_exactly_the_listed_entry_points() {
    let module = std::fs::read(repo_root().join("target/filter/cleave_envoy.wasm"))
        .expect("make filter builds target/filter/cleave_envoy.wasm");
    let listed: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("envoy-filter/abi-exports.json"))
            .expect("abi-exports.json"),
    )
    .expect("JSON");
    let mut want: Vec<String> = listed
        .iter()
        .map(|n| n["export"].as_str().expect("export").to_string())
        .collect();
    let mut got = wasm_exports(&module);
    want.sort();
    got.sort();
    assert_eq!(got, want);
    // The raw build still has every entry point the SDK defines: the trimming did the work.
    let raw =
        std::fs::read(repo_root().join("target/wasm32-unknown-unknown/release/cleave_envoy.wasm"))
            .expect("the raw build");
    assert!(wasm_exports(&raw).iter().any(|e| e == "proxy_on_log"));
}

#[test]
fn summary_mode_sends_only_the_summary_header() {
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let plugin = serde_json::json!({
        "user_id_headers": ["x-user-id"], "headers": "summary",
        "experiments": (0..20).map(|i| serde_json::json!({
            "id": format!("s{i}"), "key": format!("s{i}"), "name": format!("S {i}"), "status": "running",
            "variants": [{"name": "a"}, {"name": "b"}]})).collect::<Vec<_>>(),
    })
    .to_string();
    let config = cleave_e2e::envoy_example_config(port, admin, echo.port, Some(&plugin));
    let _envoy = Envoy::start("filter-summary", &config, port, admin);
    let seen = upstream_headers(port, &[("x-user-id", "user-123")]);
    let cleave: Vec<&String> = seen.keys().filter(|k| k.starts_with("x-cleave-")).collect();
    assert_eq!(cleave, ["x-cleave-assignments"], "{seen:?}");
    let summary = seen["x-cleave-assignments"].as_str().unwrap_or_default();
    assert_eq!(summary.split(',').count(), 20, "{summary}");
    assert!(summary.starts_with("s0="), "{summary}");
}
