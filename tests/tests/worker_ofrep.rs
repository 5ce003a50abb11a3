//! OpenFeature's remote evaluation protocol (`docs/openfeature.md`) against `wrangler dev`:
//! single and bulk evaluation decide exactly as the core does, record the exposure (unless
//! asked not to), map reasons and errors as the protocol says, and the bulk answer's ETag
//! gives 304; then OpenFeature's own server SDK with its OFREP provider (npm) evaluates the
//! same flags, its web SDK with the OFREP web provider does in Chromium (polling), and its
//! Rust SDK with the OFREP provider crate does here.

use cleave_core::model::{Audience, Experiment};
use cleave_e2e::{Api, contract, exposed_users, http, run_node};
use open_feature::{EvaluationContext, EvaluationErrorCode, OpenFeature, StructValue};
use open_feature_ofrep::{OfrepOptions, OfrepProvider};
use serde_json::{Value, json};

/// `POST path` with `body` and extra headers: (status, ETag, JSON body), checked against
/// the OpenAPI document like every response.
fn post(api: &Api, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, String, Value) {
    let mut req = http()
        .post(&api.url(path))
        .set("content-type", "application/json");
    for (name, value) in headers {
        req = req.set(name, value);
    }
    let response = match req.send_string(body) {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = response.status();
    let etag = response.header("etag").unwrap_or_default().to_string();
    let text = response.into_string().unwrap_or_default();
    contract::assert_conforms("POST", &api.url(path), status, &text);
    (
        status,
        etag,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn evaluate(api: &Api, key: &str, context: Value) -> (u16, Value) {
    let (status, _, body) = post(
        api,
        &format!("/ofrep/v1/evaluate/flags/{key}"),
        &json!({ "context": context }).to_string(),
        &[],
    );
    (status, body)
}

fn users(api: &Api, id: &str) -> u64 {
    let (status, stats) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    assert_eq!(status, 200, "{stats}");
    exposed_users(&stats)
}

#[test]
fn ofrep_evaluates_experiments_as_flags_for_raw_requests_and_the_openfeature_sdk() {
    let api = Api::start("ofrep");
    let checkout: Experiment = serde_json::from_value(api.running(json!({
        "name": "Checkout button", "key": "checkout-button",
        "variants": [{"name": "control", "config": {"color": "blue"}},
                     {"name": "green", "config": {"color": "green"}}]
    })))
    .expect("model");
    let nav: Experiment = serde_json::from_value(api.running(json!({
        "name": "New nav", "key": "new-nav",
        "variants": [{"name": "off", "config": false}, {"name": "on", "config": true}]
    })))
    .expect("model");
    let de: Experiment = serde_json::from_value(api.running(json!({
        "name": "DE only", "key": "de-only", "targeting": {"country": "DE"},
        "variants": [{"name": "a"}, {"name": "b"}]
    })))
    .expect("model");
    let (status, _) = api.admin(
        "POST",
        "/api/v1/experiments",
        Some(json!({"name": "Later", "key": "later", "variants": [{"name": "control"}, {"name": "x"}]})),
    );
    assert_eq!(status, 201);
    // What the core decides for a unit in Germany (the only attribute these flags read).
    let in_germany = json!({"country": "DE"});
    let groups = cleave_core::targeting::Groups::new();
    let audience = Audience {
        attributes: &in_germany,
        holdouts: &[],
        groups: &groups,
        regex: &cleave_core::targeting::LiteRegex,
        gates: &cleave_core::model::NoGates,
    };
    let variant_of = |e: &Experiment, user: &str| {
        let allocation = e.allocation().expect("valid");
        e.decide(&allocation, user, None, &audience, &mut |_| {})
            .variant_name()
            .map(str::to_string)
            .expect("assigned")
    };

    // One flag: the core's variant, its config as the value, SPLIT, recorded.
    let (status, r) = evaluate(&api, "checkout-button", json!({"targetingKey": "raw-1"}));
    assert_eq!(status, 200, "{r}");
    let v = variant_of(&checkout, "raw-1");
    let color = if v == "control" { "blue" } else { "green" };
    assert_eq!(
        r,
        json!({"key": "checkout-button", "value": {"color": color}, "reason": "SPLIT", "variant": v,
               "metadata": {"experimentId": checkout.id, "cleaveReason": "assigned", "inExperiment": true}})
    );
    assert_eq!(users(&api, &checkout.id), 1, "the evaluation was recorded");
    let (status, t) = api.public(
        "POST",
        &format!("/api/v1/experiments/{}/track", checkout.id),
        Some(json!({"user_id": "raw-1", "event_name": "buy"})),
    );
    assert_eq!(
        (status, t["variant"].as_str()),
        (200, Some(v.as_str())),
        "{t}"
    );
    // With `x-cleave-record-exposure: false` nothing is recorded.
    let (status, _, r) = post(
        &api,
        "/ofrep/v1/evaluate/flags/checkout-button",
        r#"{"context": {"targetingKey": "raw-2"}}"#,
        &[("x-cleave-record-exposure", "false")],
    );
    assert_eq!(
        (status, r["variant"].as_str()),
        (200, Some(variant_of(&checkout, "raw-2").as_str()))
    );
    assert_eq!(users(&api, &checkout.id), 1, "not recorded");

    // Reasons: targeting match, default outside the audience, disabled when not running.
    let (_, r) = evaluate(
        &api,
        "de-only",
        json!({"targetingKey": "raw-1", "country": "DE"}),
    );
    assert_eq!(
        (r["reason"].as_str(), r["value"].clone()),
        (Some("TARGETING_MATCH"), json!(variant_of(&de, "raw-1"))),
        "{r}"
    );
    let (_, r) = evaluate(
        &api,
        "de-only",
        json!({"targetingKey": "raw-1", "country": "FR"}),
    );
    assert_eq!(
        (
            r["reason"].as_str(),
            r["variant"].as_str(),
            r["metadata"]["cleaveReason"].as_str()
        ),
        (Some("DEFAULT"), Some("a"), Some("not_targeted")),
        "{r}"
    );
    let (_, r) = evaluate(&api, "later", json!({"targetingKey": "raw-1"}));
    assert_eq!(
        (r["reason"].as_str(), r["value"].as_str()),
        (Some("DISABLED"), Some("control")),
        "{r}"
    );

    // Errors, in the protocol's shape and statuses.
    let (status, r) = evaluate(&api, "nope", json!({"targetingKey": "raw-1"}));
    assert_eq!(
        (status, r["errorCode"].as_str(), r["key"].as_str()),
        (404, Some("FLAG_NOT_FOUND"), Some("nope")),
        "{r}"
    );
    let (status, r) = evaluate(&api, "de-only", json!({"country": "DE"}));
    assert_eq!(
        (status, r["errorCode"].as_str()),
        (400, Some("TARGETING_KEY_MISSING")),
        "{r}"
    );
    let (status, r) = evaluate(&api, "de-only", json!("DE"));
    assert_eq!(
        (status, r["errorCode"].as_str()),
        (400, Some("INVALID_CONTEXT")),
        "{r}"
    );
    let (status, r) = evaluate(&api, "de-only", json!({"targetingKey": "bad\u{7}id"}));
    assert_eq!(
        (status, r["errorCode"].as_str()),
        (400, Some("INVALID_CONTEXT")),
        "{r}"
    );
    assert!(
        r["errorDetails"]
            .as_str()
            .is_some_and(|d| d.starts_with("context.targetingKey")),
        "{r}"
    );
    let wide: serde_json::Map<String, Value> =
        (0..60).map(|i| (format!("k{i}"), json!(i))).collect();
    let mut context = wide.clone();
    context.insert("targetingKey".into(), json!("raw-1"));
    let (status, r) = evaluate(&api, "de-only", Value::Object(context));
    assert_eq!(
        (status, r["errorCode"].as_str()),
        (400, Some("INVALID_CONTEXT")),
        "{r}"
    );
    let (status, _, r) = post(&api, "/ofrep/v1/evaluate/flags/de-only", "{not json", &[]);
    assert_eq!(
        (status, r["errorCode"].as_str()),
        (400, Some("PARSE_ERROR")),
        "{r}"
    );

    // Bulk: every running experiment (not the draft), an ETag, 304 while it holds.
    let body = r#"{"context": {"targetingKey": "bulk-1", "country": "DE"}}"#;
    let (status, tag, r) = post(&api, "/ofrep/v1/evaluate/flags", body, &[]);
    assert_eq!(status, 200, "{r}");
    assert!(tag.starts_with('"') && tag.len() > 10, "ETag {tag}");
    let mut keys: Vec<&str> = r["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["key"].as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["checkout-button", "de-only", "new-nav"], "{r}");
    let nav_flag = r["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["key"] == "new-nav")
        .cloned()
        .unwrap_or_default();
    let nav_variant = variant_of(&nav, "bulk-1");
    assert_eq!(nav_flag["value"], json!(nav_variant == "on"), "{nav_flag}");
    assert_eq!(users(&api, &nav.id), 1, "bulk evaluations are recorded");
    let (status, again, r) = post(
        &api,
        "/ofrep/v1/evaluate/flags",
        body,
        &[("if-none-match", &tag)],
    );
    assert_eq!((status, again.as_str()), (304, tag.as_str()), "{r}");
    let (status, other, _) = post(
        &api,
        "/ofrep/v1/evaluate/flags",
        r#"{"context": {"targetingKey": "bulk-1", "country": "FR"}}"#,
        &[("if-none-match", &tag)],
    );
    assert_eq!(status, 200, "another context is another answer");
    assert_ne!(other, tag);
    let (status, _, r) = post(&api, "/ofrep/v1/evaluate/flags", "{}", &[]);
    assert_eq!(
        (status, r["errorCode"].as_str()),
        (400, Some("TARGETING_KEY_MISSING")),
        "{r}"
    );

    // OpenFeature's own server SDK and OFREP provider, unchanged, against the same flags.
    let user = "sdk-user-7";
    let checkout_variant = variant_of(&checkout, user);
    let nav_variant = variant_of(&nav, user);
    let expected = json!({
        "user": user,
        "checkout": {"variant": checkout_variant,
                     "color": if checkout_variant == "control" { "blue" } else { "green" }},
        "nav": {"variant": nav_variant, "value": nav_variant == "on"},
        "de": {"variant": variant_of(&de, user)},
        "de_id": de.id,
    });
    let log = run_node(
        "tests/openfeature/server.mjs",
        &[
            ("CLEAVE_URL", &api.w.base),
            ("EXPECTED", &expected.to_string()),
        ],
        "[ofrep-node] ok",
    );

    // OpenFeature's Rust SDK with its OFREP provider (crates.io), as a Rust service uses it.
    let rust_user = "rust-user-3";
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let provider = OfrepProvider::new(OfrepOptions {
            base_url: api.w.base.clone(),
            ..Default::default()
        })
        .await
        .expect("provider");
        let mut features = OpenFeature::singleton_mut().await;
        features.set_provider(provider).await;
        let client = features.create_client();
        drop(features);
        let context = EvaluationContext::default()
            .with_targeting_key(rust_user)
            .with_custom_field("country", "DE");
        let de_only = client
            .get_string_details("de-only", Some(&context), None)
            .await
            .expect("de-only");
        assert_eq!(de_only.value, variant_of(&de, rust_user));
        assert_eq!(de_only.variant.as_deref(), Some(de_only.value.as_str()));
        let on = client
            .get_bool_value("new-nav", Some(&context), None)
            .await
            .expect("new-nav");
        assert_eq!(on, variant_of(&nav, rust_user) == "on");
        let button = client
            .get_struct_details::<StructValue>("checkout-button", Some(&context), None)
            .await
            .expect("checkout-button");
        let v = variant_of(&checkout, rust_user);
        assert_eq!(button.variant.as_deref(), Some(v.as_str()));
        let color = button
            .value
            .fields
            .get("color")
            .and_then(|c| c.as_str().map(str::to_string));
        assert_eq!(
            color.as_deref(),
            Some(if v == "control" { "blue" } else { "green" })
        );
        // The wrong type is an evaluation error the caller handles, not a crash.
        let wrong = client
            .get_bool_value("checkout-button", Some(&context), None)
            .await
            .expect_err("an object flag read as a boolean");
        assert!(
            matches!(
                wrong.code,
                EvaluationErrorCode::ParseError | EvaluationErrorCode::TypeMismatch
            ),
            "{wrong:?}"
        );
        let missing = client
            .get_string_value("no-such-flag", Some(&context), None)
            .await
            .expect_err("unknown flag");
        assert_eq!(missing.code, EvaluationErrorCode::FlagNotFound);
    });
    assert_eq!(
        users(&api, &checkout.id),
        4,
        "raw-1, bulk-1 and the node and Rust SDKs' units: {log}"
    );

    // OpenFeature's web SDK and OFREP web provider in Chromium: bulk, polling, a change.
    run_node(
        "tests/openfeature/web.mjs",
        &[
            ("CLEAVE_URL", &api.w.base),
            ("CLEAVE_ADMIN_TOKEN", &api.w.admin_token),
            ("EXPECTED", &expected.to_string()),
        ],
        "[ofrep-web] ok",
    );
}
