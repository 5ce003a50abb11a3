//! Unleash against `wrangler dev`: the Worker fetches client features from a stand-in
//! server (`UNLEASH_URL`, token, ETag/304) on its cron trigger and on demand; every
//! client-specification file's state loads in the Worker's engine; the specification's tests
//! with a `userId` pass through an experiment's gate (dry run); a gated running experiment
//! admits only the units the toggle is on for (reason `gated`), at `/assign` and through the
//! OpenFeature and Unleash frontend APIs; a failed or invalid fetch keeps the last good copy
//! and shows in `/health` and `/metrics`. Then Unleash's own browser/node SDK
//! (`unleash-proxy-client`) reads Cleave's experiments through the frontend API.

use cleave_e2e::{Api, Features, UnleashStub, Wrangler, http, repo_root, run_node, send, wait_for};
use serde_json::{Value, json};
use std::time::Duration;

const TOKEN: &str = "*:development.cleave-e2e";

fn spec(file: &str) -> Value {
    let path = repo_root()
        .join("worker/tests/unleash-client-specification")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).expect("spec file")).expect("JSON")
}

fn refresh(api: &Api) -> Value {
    let (status, s) = api.admin("POST", "/api/v1/unleash/refresh", None);
    assert_eq!(status, 200, "{s}");
    s
}

/// Creates a draft gated on `toggle` (100% traffic), returns its id.
fn gated_draft(api: &Api, toggle: &str, n: usize) -> String {
    let (status, e) = api.admin(
        "POST",
        "/api/v1/experiments",
        Some(
            json!({"name": format!("Gate {n}"), "variants": [{"name": "control"}, {"name": "b"}],
                    "gate": {"unleash": toggle}}),
        ),
    );
    assert_eq!(status, 201, "{e}");
    e["id"].as_str().unwrap_or_default().to_string()
}

#[test]
fn gates_follow_unleash_and_a_bad_fetch_keeps_the_last_good_copy() {
    let stub = UnleashStub::start(TOKEN);
    let url = stub.url();
    let api = Api {
        w: Wrangler::start_with(
            "unleash",
            &[("UNLEASH_URL", url.as_str()), ("UNLEASH_API_TOKEN", TOKEN)],
        ),
    };
    // Before any fetch: reported, and every gate closed.
    let (status, h) = api.public("GET", "/health", None);
    assert_eq!(
        (status, h["checks"]["unleash"]["last_outcome"].as_str()),
        (200, Some("not_fetched")),
        "{h}"
    );

    // Every specification file's state loads in the Worker (its wasm build of the engine).
    let files: Vec<String> = serde_json::from_value(spec("index.json")).expect("index");
    let (mut checked, mut n) = (0, 0);
    for file in &files {
        let suite = spec(file);
        stub.answer(Features::Serve(suite["state"].to_string()));
        let s = refresh(&api);
        assert_eq!(
            (s["ok"].as_bool(), s["last_outcome"].as_str()),
            (Some(true), Some("updated")),
            "{file}: {s}"
        );
        // The tests with a userId, through a gate: the unit is the userId, the rest of the
        // context its attributes (three userIds with line breaks are no unit ids: Cleave
        // refuses control characters in them; the native suite runs those).
        for t in suite["tests"].as_array().into_iter().flatten() {
            let Some(user) = t["context"]["userId"].as_str() else {
                continue;
            };
            if user.chars().any(char::is_control) {
                continue;
            }
            n += 1;
            let id = gated_draft(&api, t["toggleName"].as_str().unwrap_or_default(), n);
            let mut attributes = t["context"].clone();
            if let Some(map) = attributes.as_object_mut() {
                map.remove("userId");
            }
            let (status, r) = api.admin(
                "POST",
                &format!("/api/v1/experiments/{id}/evaluate"),
                Some(json!({"user_id": user, "attributes": attributes, "assume_running": true})),
            );
            assert_eq!(status, 200, "{r}");
            let expected = t["expectedResult"].as_bool().unwrap_or_default();
            assert_eq!(
                r["in_experiment"].as_bool(),
                Some(expected),
                "{file}: {}: {r}",
                t["description"]
            );
            if !expected {
                assert_eq!(r["reason"], "gated", "{r}");
            }
            let (status, _) = api.admin("DELETE", &format!("/api/v1/experiments/{id}"), None);
            assert_eq!(status, 200);
            checked += 1;
        }
    }
    assert_eq!(
        checked, 53,
        "every specification test with a usable userId ran"
    );

    // A running gated experiment: Feature.D2 is on for users 123, 222 and 88 only.
    stub.answer(Features::Serve(
        spec("02-user-with-id-strategy.json")["state"].to_string(),
    ));
    assert_eq!(refresh(&api)["last_outcome"], "updated");
    let e = api.running(
        json!({"name": "Gated", "variants": [{"name": "control"}, {"name": "b"}],
                                "gate": {"unleash": "Feature.D2"}}),
    );
    let id = e["id"].as_str().unwrap_or_default();
    let assign = |user: &str| {
        api.public(
            "POST",
            &format!("/api/v1/experiments/{id}/assign"),
            Some(json!({"user_id": user})),
        )
    };
    let (_, inside) = assign("123");
    assert_eq!(
        (inside["in_experiment"].as_bool(), inside["reason"].as_str()),
        (Some(true), Some("assigned")),
        "{inside}"
    );
    let (_, outside) = assign("999");
    assert_eq!(
        (
            outside["in_experiment"].as_bool(),
            outside["reason"].as_str()
        ),
        (Some(false), Some("gated")),
        "{outside}"
    );
    let (status, flags) = api.public(
        "POST",
        "/ofrep/v1/evaluate/flags/gated",
        Some(json!({"context": {"targetingKey": "999"}})),
    );
    assert_eq!(
        (status, flags["reason"].as_str()),
        (200, Some("DEFAULT")),
        "{flags}"
    );

    // The same features again: a 304, not re-stored.
    let before = stub.not_modified();
    assert_eq!(refresh(&api)["last_outcome"], "not_modified");
    assert_eq!(stub.not_modified(), before + 1);

    // Unleash failing, then answering garbage: the last good copy stays in use.
    for (features, outcome) in [
        (Features::Fail(500), "failed"),
        (Features::Garbage, "invalid"),
    ] {
        stub.answer(features);
        let s = refresh(&api);
        assert_eq!(
            (s["ok"].as_bool(), s["last_outcome"].as_str()),
            (Some(false), Some(outcome)),
            "{s}"
        );
        assert!(s["last_error"].is_string(), "{s}");
        let (_, again) = assign("222");
        assert_eq!(
            again["reason"], "assigned",
            "the last good copy decides: {again}"
        );
    }
    let (status, h) = api.public("GET", "/health", None);
    assert_eq!(
        status, 200,
        "a failing Unleash does not make Cleave unhealthy: {h}"
    );
    assert_eq!(
        (h["status"].as_str(), h["checks"]["unleash"]["ok"].as_bool()),
        (Some("ok"), Some(false)),
        "{h}"
    );
    let metrics = api.metrics_text();
    for line in [
        "cleave_unleash_fetches_total{outcome=\"failed\"} 1",
        "cleave_unleash_fetches_total{outcome=\"invalid\"} 1",
        "cleave_unleash_fetches_total{outcome=\"not_modified\"} 1",
        "cleave_unleash_up 0",
        "cleave_unleash_toggles 4",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing `{line}` in:\n{metrics}"
        );
    }

    // The cron trigger fetches by itself.
    stub.answer(Features::Serve(
        spec("01-simple-examples.json")["state"].to_string(),
    ));
    let requests = stub.requests();
    let (status, _) = send(http().get(&api.url("/__scheduled?cron=*+*+*+*+*")), None);
    assert_eq!(status, 200);
    wait_for("the cron trigger's fetch", Duration::from_secs(20), || {
        let (_, o) = api.admin("GET", "/api/v1/integrations", None);
        o["unleash"]["status"]["last_outcome"] == "updated" && stub.requests() > requests
    });
    let (_, o) = api.admin("GET", "/api/v1/integrations", None);
    assert!(
        o["unleash"]["toggles"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["name"] == "Feature.A")),
        "{o}"
    );
}

#[test]
fn unleash_sdks_read_cleaves_experiments_through_the_frontend_api() {
    let api = Api::start("unleash-frontend");
    let colors = api.running(json!({"name": "Colors", "key": "colors",
        "variants": [{"name": "blue", "config": {"color": "blue"}}, {"name": "green", "config": {"color": "green"}}]}));
    api.running(json!({"name": "German only", "key": "german-only",
        "variants": [{"name": "control"}, {"name": "b"}], "targeting": {"country": "DE"}}));
    let (status, _) = api.admin(
        "POST",
        "/api/v1/experiments",
        Some(json!({"name": "Draft", "key": "draft", "variants": [{"name": "a"}, {"name": "b"}]})),
    );
    assert_eq!(status, 201);
    let id = colors["id"].as_str().unwrap_or_default();
    let (_, a) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/assign"),
        Some(json!({"user_id": "u1"})),
    );
    let variant = a["variant"].as_str().unwrap_or_default().to_string();

    // The raw protocol: GET with properties[…], POST with {context}, ETag and 304.
    let (status, g) = api.public(
        "GET",
        "/api/frontend?appName=shop&userId=u1&properties%5Bcountry%5D=DE",
        None,
    );
    assert_eq!(status, 200, "{g}");
    let toggle = |name: &str| {
        g["toggles"]
            .as_array()
            .and_then(|t| t.iter().find(|x| x["name"] == name))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(g["toggles"].as_array().map(Vec::len), Some(2), "{g}");
    assert_eq!(toggle("german-only")["enabled"], true, "{g}");
    assert_eq!(toggle("colors")["variant"]["name"], variant.as_str());
    assert_eq!(
        toggle("colors")["variant"]["payload"],
        json!({"type": "json", "value": format!("{{\"color\":\"{variant}\"}}")})
    );
    let (status, p) = api.public(
        "POST",
        "/api/frontend",
        Some(json!({"context": {"userId": "u1", "properties": {"country": "FR"}}})),
    );
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["toggles"].as_array().map(Vec::len), Some(1), "{p}");
    let response = http()
        .get(&api.url("/api/frontend?userId=u1"))
        .call()
        .expect("frontend");
    let tag = response.header("etag").unwrap_or_default().to_string();
    let (status, _) = send(
        http()
            .get(&api.url("/api/frontend?userId=u1"))
            .set("if-none-match", &tag),
        None,
    );
    assert_eq!(status, 304);
    let (status, r) = api.public("GET", "/api/frontend", None);
    assert_eq!(
        (status, r["error"]["field"].as_str()),
        (400, Some("context.userId")),
        "{r}"
    );

    // Unleash's own SDK, unchanged.
    run_node(
        "tests/unleash/frontend.mjs",
        &[
            ("CLEAVE_BASE", api.w.base.as_str()),
            ("EXPECTED_VARIANT", variant.as_str()),
        ],
        "unleash-proxy-client: ok",
    );
}
