//! OFREP's pure part: requests parsed into the unit and attributes (or the protocol's
//! error), decisions mapped to value, variant, reason and metadata.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::model::Experiment;
use cleave_worker::service::assign::AssignResponse;
use cleave_worker::service::ofrep::{OfrepErrorCode, OfrepReason, evaluation, parse};
use serde_json::json;

fn code_of(body: &str) -> OfrepErrorCode {
    parse(body.as_bytes()).expect_err(body).error_code
}

#[test]
fn a_request_becomes_the_unit_and_its_attributes_or_the_protocols_error() {
    let req =
        parse(br#"{"context": {"targetingKey": "u1", "country": "DE", "plan": {"tier": 2}}}"#)
            .unwrap();
    assert_eq!(req.user_id, "u1");
    assert_eq!(
        serde_json::Value::Object(req.context.unwrap()),
        json!({"country": "DE", "plan": {"tier": 2}})
    );
    assert_eq!(code_of("{nope"), OfrepErrorCode::ParseError);
    assert_eq!(code_of(r#"{"context": 3}"#), OfrepErrorCode::InvalidContext);
    assert_eq!(code_of(""), OfrepErrorCode::TargetingKeyMissing);
    assert_eq!(
        code_of(r#"{"context": {}}"#),
        OfrepErrorCode::TargetingKeyMissing
    );
    assert_eq!(
        code_of(r#"{"context": {"targetingKey": ""}}"#),
        OfrepErrorCode::TargetingKeyMissing
    );
    assert_eq!(
        code_of(r#"{"context": {"targetingKey": 7}}"#),
        OfrepErrorCode::InvalidContext
    );
    let bad = parse(b"{\"context\": {\"targetingKey\": \"a\\u0007b\"}}").unwrap_err();
    assert_eq!(bad.error_code, OfrepErrorCode::InvalidContext);
    assert!(
        bad.error_details.starts_with("context.targetingKey:"),
        "{}",
        bad.error_details
    );
    let deep = json!({"context": {"targetingKey": "u", "a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}});
    let too_deep = parse(deep.to_string().as_bytes()).unwrap_err();
    assert_eq!(too_deep.error_code, OfrepErrorCode::InvalidContext);
    assert!(
        too_deep.error_details.starts_with("context"),
        "{}",
        too_deep.error_details
    );
    assert_eq!(bad.status(), 400);
}

fn experiment(v: serde_json::Value) -> Experiment {
    serde_json::from_value(v).unwrap()
}

fn decided(variant: Option<&str>, reason: &'static str) -> AssignResponse {
    AssignResponse {
        experiment_id: "e1".into(),
        experiment_key: "k".into(),
        user_id: "u".into(),
        variant: variant.map(str::to_string),
        config: None,
        in_experiment: variant.is_some(),
        reason,
    }
}

#[test]
fn decisions_map_to_the_protocols_value_variant_and_reason() {
    let e = experiment(json!({"id": "e1", "key": "k", "name": "K", "variants": [
        {"name": "control", "config": {"color": "blue"}}, {"name": "b"}, {"name": "c", "config": false}]}));
    let split = evaluation(&e, &decided(Some("control"), "assigned"));
    assert_eq!(
        (split.value.clone(), split.reason, split.variant.as_str()),
        (json!({"color": "blue"}), OfrepReason::Split, "control")
    );
    assert_eq!(
        evaluation(&e, &decided(Some("b"), "assigned")).value,
        json!("b"),
        "no config: the name"
    );
    assert_eq!(
        evaluation(&e, &decided(Some("c"), "assigned")).value,
        json!(false),
        "a boolean config"
    );
    assert_eq!(
        evaluation(&e, &decided(Some("b"), "forced")).reason,
        OfrepReason::TargetingMatch
    );
    let off = evaluation(&e, &decided(None, "not_running"));
    assert_eq!(
        (off.reason, off.variant.as_str(), off.value),
        (OfrepReason::Disabled, "control", json!({"color": "blue"}))
    );
    let out = evaluation(&e, &decided(None, "not_in_traffic"));
    assert_eq!(
        (
            out.reason,
            out.metadata.in_experiment,
            out.metadata.cleave_reason.as_str()
        ),
        (OfrepReason::Default, false, "not_in_traffic")
    );
    let targeted = experiment(
        json!({"id": "e2", "key": "t", "name": "T", "targeting": {"country": "DE"},
        "variants": [{"name": "a"}, {"name": "b"}]}),
    );
    assert_eq!(
        evaluation(&targeted, &decided(Some("b"), "assigned")).reason,
        OfrepReason::TargetingMatch
    );
    assert_eq!(
        serde_json::to_value(OfrepReason::TargetingMatch).unwrap(),
        json!("TARGETING_MATCH")
    );
}
