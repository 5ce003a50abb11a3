//! The wire model: the payloads of the APIs Cleave replaces parse, validation names every bad field,
//! lifecycle transitions are exactly the legal ones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::model::{Action, Experiment, Status, Variant, slugify};
use serde_json::json;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn with_identity(mut e: Experiment) -> Experiment {
    e.id = "exp-1".into();
    e.key = slugify(&e.name);
    e
}

#[test]
fn the_v1_api_create_payload_is_valid() {
    let body = json!({
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
    });
    let e = with_identity(serde_json::from_value(body).unwrap());
    assert_eq!(e.validate(), Ok(()));
    assert_eq!(e.key, "new-feature-test");
    assert_eq!(e.control().map(|v| v.name.as_str()), Some("control"));
    assert_eq!(e.primary_metric(), Some("conversion"));
    assert_eq!(e.status, Status::Draft);
}

#[test]
fn an_ab_testing_service_payload_is_valid_and_honours_is_control() {
    let body = json!({
        "name": "homepage_banner",
        "description": "Testing different homepage banner designs",
        "variants": [
            {"name": "variant_a", "description": "New design A", "weight": 1, "is_control": false},
            {"name": "control", "description": "Current banner", "weight": 1, "is_control": true},
            {"name": "variant_b", "description": "New design B", "weight": 2, "is_control": false}
        ],
        "base_rate": 0.15,
        "min_detectable_effect": 0.03,
        "mde_type": "absolute"
    });
    let e = with_identity(serde_json::from_value(body).unwrap());
    assert_eq!(e.validate(), Ok(()));
    assert_eq!(e.control_index(), 1);
}

#[test]
fn validation_reports_every_problem_with_its_path() {
    let body = json!({
        "name": "",
        "variants": [
            {"name": "control", "allocation": 0.7},
            {"name": "control", "allocation": 0.7},
            {"name": "bad name!", "allocation": -0.4, "is_control": true},
            {"name": "x", "is_control": true, "allocation": 0.0}
        ],
        "significance_level": 0.7,
        "traffic_allocation": 1.5,
        "metrics": ["conversion", "conversion", ""],
        "routes": [{"path_prefix": "checkout"}]
    });
    let e: Experiment = serde_json::from_value(body).unwrap();
    let errors = e.validate().unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for expected in [
        "id",
        "key",
        "name",
        "variants[1].name",
        "variants[2].name",
        "variants[2].allocation",
        "variants[3].is_control",
        "variants[3].allocation",
        "significance_level",
        "traffic_allocation",
        "metrics[1]",
        "metrics[2]",
        "routes[0].path_prefix",
    ] {
        assert!(
            fields.contains(&expected),
            "missing {expected} in {fields:?}"
        );
    }
}

#[test]
fn fractional_allocations_must_sum_to_one_and_not_mix_with_weights() {
    let mk = |variants| -> Experiment {
        with_identity(serde_json::from_value(json!({"name": "A", "variants": variants})).unwrap())
    };
    let sum = mk(json!([{"name": "a", "allocation": 0.5}, {"name": "b", "allocation": 0.49}]));
    assert_eq!(
        sum.validate().unwrap_err()[0].field,
        "variants[1].allocation"
    );
    let ok = mk(
        json!([{"name": "a", "allocation": 0.1}, {"name": "b", "allocation": 0.2}, {"name": "c", "allocation": 0.7}]),
    );
    assert_eq!(ok.validate(), Ok(()));
    let mixed = mk(json!([{"name": "a", "allocation": 0.5}, {"name": "b", "weight": 1}]));
    assert_eq!(mixed.validate().unwrap_err()[0].code, "mixed_weights");
    let one = mk(json!([{"name": "a"}]));
    assert_eq!(one.validate().unwrap_err()[0].code, "too_few");
}

#[test]
fn lifecycle_allows_exactly_the_documented_transitions() {
    use Action::*;
    use Status::*;
    let legal = [
        (Draft, Start, Running),
        (Running, Pause, Paused),
        (Paused, Resume, Running),
        (Running, Stop, Stopped),
        (Paused, Stop, Stopped),
        (Draft, Archive, Archived),
        (Stopped, Archive, Archived),
    ];
    for from in Status::ALL {
        for action in Action::ALL {
            let expected = legal
                .iter()
                .find(|(f, a, _)| *f == from && *a == action)
                .map(|(_, _, to)| *to);
            assert_eq!(from.apply(action).ok(), expected, "{from} + {action:?}");
        }
    }
    let err = Stopped.apply(Start).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot start an experiment that is stopped"
    );
}

#[test]
fn the_wire_form_round_trips() {
    let e = with_identity(serde_json::from_value(json!({
        "name": "Round trip",
        "variants": [{"name": "a", "weight": 1}, {"name": "b", "weight": 3, "config": {"x": [1, 2]}}],
        "forced": {"qa-1": "b"},
        "routes": [{"host": "example.com", "path_prefix": "/shop"}],
        "created_at": 1763880000000i64
    })).unwrap());
    let text = serde_json::to_string(&e).unwrap();
    let back: Experiment = serde_json::from_str(&text).unwrap();
    assert_eq!(back, e);
    assert!(back.applies_to("example.com:443", "/shop/cart"));
    assert!(!back.applies_to("other.com", "/shop"));
}

#[test]
fn slugs_are_url_safe() {
    assert_eq!(slugify("New Feature Test"), "new-feature-test");
    assert_eq!(slugify("  Ünïcode -- Price!! 2 "), "n-code-price-2");
    assert_eq!(slugify("日本"), "");
}

#[test]
fn rust_defaults_equal_json_defaults() {
    let from_json: Experiment = serde_json::from_value(json!({})).unwrap();
    assert_eq!(from_json, Experiment::default());
    assert_eq!(from_json.significance_level, 0.05);
    assert_eq!(from_json.power, 0.8);
    assert_eq!(from_json.traffic_allocation, 1.0);
}

#[test]
fn variant_config_is_any_json_value_kept_as_canonical_text() {
    let spaced = r#"{"name": "a", "config": { "b" : [1.50, -0, 1E2], "a" : "x y" }}"#;
    let read: Variant = serde_json::from_str(spaced).unwrap();
    assert_eq!(read.config.as_str(), r#"{"a":"x y","b":[1.5,-0.0,100.0]}"#);
    let from_value: Variant =
        serde_json::from_value(serde_json::from_str(spaced).unwrap()).unwrap();
    assert_eq!(from_value.config, read.config);
    let written = serde_json::to_string(&read).unwrap();
    assert!(
        written.contains(r#""config":{"a":"x y","b":[1.5,-0.0,100.0]}"#),
        "{written}"
    );
    assert_eq!(
        serde_json::to_value(&read).unwrap()["config"],
        json!({"a": "x y", "b": [1.5, -0.0, 100.0]})
    );
    let bare: Variant = serde_json::from_str(r#"{"name": "a"}"#).unwrap();
    assert_eq!(bare.config.as_str(), "null");
    assert!(
        serde_json::to_string(&bare)
            .unwrap()
            .contains(r#""config":null"#)
    );
    let scalar: Variant = serde_json::from_str(r#"{"name": "a", "config": "text"}"#).unwrap();
    assert_eq!(scalar.config.as_str(), r#""text""#);
    assert!(serde_json::from_str::<Variant>(r#"{"name": "a", "config": [1,]}"#).is_err());
}

#[test]
fn oversized_configs_are_refused_by_their_compact_length() {
    let mk = |len: usize| -> Experiment {
        let config = json!({ "s": "x".repeat(len) });
        with_identity(
            serde_json::from_value(json!({
                "name": "A",
                "variants": [{"name": "a", "config": config}, {"name": "b"}]
            }))
            .unwrap(),
        )
    };
    // `{"s":"…"}` is 8 bytes around the string.
    let limit = cleave_core::model::limits::MAX_CONFIG_BYTES;
    assert_eq!(mk(limit - 8).validate(), Ok(()));
    let errors = mk(limit - 7).validate().unwrap_err();
    assert_eq!(errors[0].field, "variants[0].config");
    assert_eq!(errors[0].code, "too_long");
}
