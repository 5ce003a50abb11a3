//! GrowthBook's condition conformance suite (`vectors/growthbook/cases.json`, MIT)
//! through `cleave_core::targeting`, with the engine every host uses (`LiteRegex`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::targeting::{
    CachedRegex, Compiled, Context, Groups, LiteRegex as RustRegex, check_condition, matches,
};
use serde_json::Value;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn cases() -> Vec<Value> {
    let text = include_str!("vectors/growthbook/cases.json");
    let doc: Value = serde_json::from_str(text).expect("the suite is JSON");
    doc["evalCondition"]
        .as_array()
        .expect("evalCondition")
        .clone()
}

#[test]
fn every_growthbook_condition_case_passes() {
    let cases = cases();
    assert_eq!(cases.len(), 248, "the vendored suite is complete");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case[0].as_str().unwrap_or_default();
        let groups: Groups = case
            .get(4)
            .and_then(|g| serde_json::from_value(g.clone()).ok())
            .unwrap_or_default();
        let cx = Context {
            groups: &groups,
            regex: &RustRegex,
        };
        let got = matches(&case[1], &case[2], &cx);
        if Some(got) != case[3].as_bool() {
            failures.push(format!("{name}: expected {}, got {got}", case[3]));
        }
        let compiled = Compiled::new(&case[1]).matches(&case[2], &cx);
        if Some(compiled) != case[3].as_bool() {
            failures.push(format!(
                "{name} (compiled): expected {}, got {compiled}",
                case[3]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn without_a_regex_engine_regex_conditions_never_match() {
    let groups = Groups::new();
    let cx = Context {
        groups: &groups,
        regex: &cleave_core::targeting::NoRegex,
    };
    let condition = serde_json::json!({"name": {"$regex": "^a"}});
    assert!(!matches(
        &condition,
        &serde_json::json!({"name": "abc"}),
        &cx
    ));
    assert!(matches(
        &serde_json::json!({}),
        &serde_json::json!({"name": "abc"}),
        &cx
    ));
}

#[test]
fn the_checker_refuses_only_conditions_that_cannot_match() {
    let mut refused = Vec::new();
    for case in cases() {
        if let Err(p) = check_condition(&case[1], &RustRegex) {
            let name = case[0].as_str().unwrap_or_default().to_string();
            assert_eq!(
                case[3].as_bool(),
                Some(false),
                "{name}: refused ({p:?}) although it can match"
            );
            refused.push(name);
        }
    }
    // The suite's unknown operator and invalid patterns are refused up front.
    assert!(
        refused.iter().any(|n| n.contains("unknown")),
        "refused: {refused:?}"
    );
}

#[test]
fn the_cached_engine_agrees_with_the_uncached_one_on_every_case() {
    let cached = CachedRegex::default();
    for case in cases() {
        let groups: Groups = case
            .get(4)
            .and_then(|g| serde_json::from_value(g.clone()).ok())
            .unwrap_or_default();
        let plain = Context {
            groups: &groups,
            regex: &RustRegex,
        };
        let kept = Context {
            groups: &groups,
            regex: &cached,
        };
        // Twice through the cache: the second time every pattern is a hit.
        for _ in 0..2 {
            assert_eq!(
                matches(&case[1], &case[2], &kept),
                matches(&case[1], &case[2], &plain),
                "{}",
                case[0]
            );
        }
    }
}
