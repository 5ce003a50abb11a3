//! Unleash's client-specification suites (`unleash-client-specification/`, Apache-2.0),
//! every test and variant test, through the functions Cleave's experiment gates use:
//! `Toggles::load` of each file's state, `context` of each test's context, and
//! `Toggles::enabled` / `Toggles::variant`. The files are the vendored ones (SHA-256 in the
//! README beside them).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_worker::service::unleash::{Toggles, context};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/unleash-client-specification")
}

/// The files `index.json` lists, each checked against the README's SHA-256.
fn suites() -> Vec<(String, Value)> {
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    let digest_of = |name: &str| {
        let text = std::fs::read(dir().join(name)).unwrap();
        let hex: String = Sha256::digest(&text)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            readme.contains(&format!("| {name} | `{hex}` |")),
            "{name} is not the vendored file (SHA-256 {hex})"
        );
        text
    };
    let index: Vec<String> = serde_json::from_slice(&digest_of("index.json")).unwrap();
    index
        .into_iter()
        .map(|name| {
            let suite = serde_json::from_slice(&digest_of(&name)).unwrap();
            (name, suite)
        })
        .collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[test]
fn every_client_specification_test_passes_through_the_gate_functions() {
    let (mut tests, mut variant_tests, mut failures) = (0, 0, Vec::new());
    let all = suites();
    assert_eq!(all.len(), 22);
    for (name, suite) in &all {
        let toggles = Toggles::load(&suite["state"].to_string())
            .unwrap_or_else(|e| panic!("{name}: the state does not load: {e}"));
        for t in suite["tests"].as_array().into_iter().flatten() {
            tests += 1;
            let cx = context(None, &t["context"], now_ms());
            let toggle = t["toggleName"].as_str().unwrap();
            let got = toggles.enabled(toggle, &cx);
            if Some(got) != t["expectedResult"].as_bool() {
                failures.push(format!("{name}: {} (got {got})", t["description"]));
            }
        }
        for t in suite["variantTests"].as_array().into_iter().flatten() {
            variant_tests += 1;
            let cx = context(None, &t["context"], now_ms());
            let toggle = t["toggleName"].as_str().unwrap();
            let got = toggles.variant(toggle, &cx);
            let want = &t["expectedResult"];
            let payload = got
                .payload
                .as_ref()
                .map(|p| serde_json::json!({"type": p.payload_type, "value": p.value}));
            let same = want["name"] == got.name.as_str()
                && want["enabled"] == got.enabled
                && want["feature_enabled"] == got.feature_enabled
                && want.get("payload").cloned() == payload;
            if !same {
                failures.push(format!(
                    "{name}: {} (got {} {:?} enabled {} feature_enabled {})",
                    t["description"], got.name, payload, got.enabled, got.feature_enabled
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!((tests, variant_tests), (227, 52), "every test ran");
}

#[test]
fn a_changed_expectation_fails() {
    // The check above can fail: the first test of the first file, expectation flipped.
    let (name, suite) = &suites()[0];
    let toggles = Toggles::load(&suite["state"].to_string()).unwrap();
    let t = &suite["tests"][0];
    let got = toggles.enabled(
        t["toggleName"].as_str().unwrap(),
        &context(None, &t["context"], now_ms()),
    );
    assert_ne!(Some(!got), t["expectedResult"].as_bool(), "{name}");
}
