//! A holdout's own results against a real `wrangler dev`: units decided by `/assign` and
//! by the edge proxy are recorded in their arm, held-out units' events are accepted for
//! the holdout, and `/api/v1/holdouts/{name}/results` compares the arms exactly.

use cleave_core::model::Holdout;
use cleave_e2e::{Api, EchoServer, Wrangler, http};
use serde_json::{Value, json};

#[test]
fn held_out_and_exposed_units_from_assign_and_the_proxy_are_compared() {
    let origin = EchoServer::start();
    let origin_url = format!("http://127.0.0.1:{}", origin.port);
    let api = Api {
        w: Wrangler::start_with("holdout-results", &[("ORIGIN_URL", &origin_url)]),
    };
    let (status, h) = api.admin(
        "PUT",
        "/api/v1/holdouts/longterm",
        Some(json!({"share": 0.4, "metrics": ["buy"]})),
    );
    assert_eq!(status, 200, "{h}");
    let holdout: Holdout = serde_json::from_value(h).expect("holdout");
    let e = api.running(json!({"name": "Promo", "key": "promo", "metrics": ["buy"],
        "variants": [{"name": "a"}, {"name": "b"}], "holdouts": ["longterm"]}));
    let id = e["id"].as_str().unwrap_or_default().to_string();

    let mut users = Vec::new();
    for i in 0..40 {
        let user = format!("api-{i}");
        let (status, r) = api.public(
            "POST",
            &format!("/api/v1/experiments/{id}/assign"),
            Some(json!({"user_id": user})),
        );
        assert_eq!(status, 200, "{r}");
        assert_eq!(
            r["reason"] == "holdout",
            holdout.holds_out(&user),
            "{user}: {r}"
        );
        users.push(user);
    }
    for i in 0..30 {
        let user = format!("edge-{i}");
        let page = http()
            .get(&api.url("/page"))
            .set("cookie", &format!("cleave_uid={user}"))
            .call()
            .expect("proxied");
        let seen: Value = page.into_json().expect("echo");
        assert_eq!(
            seen["headers"].get("x-cleave-promo").is_none(),
            holdout.holds_out(&user),
            "{user}: {seen}"
        );
        users.push(user);
    }

    let (mut held, mut exposed, mut held_buyers, mut exposed_buyers) = (0u64, 0u64, 0u64, 0u64);
    for (i, user) in users.iter().enumerate() {
        let is_held = holdout.holds_out(user);
        if is_held {
            held += 1;
        } else {
            exposed += 1;
        }
        if i % 3 == 0 {
            let (status, r) = api.public(
                "POST",
                &format!("/api/v1/experiments/{id}/track"),
                Some(json!({"user_id": user, "event_name": "buy", "event_id": format!("t{i}")})),
            );
            assert_eq!(status, 200, "{user}: {r}");
            assert_eq!(r["holdouts"], json!(["longterm"]), "{r}");
            assert_eq!(r["variant"].is_null(), is_held, "{r}");
            if is_held {
                held_buyers += 1;
            } else {
                exposed_buyers += 1;
            }
        }
    }
    assert!(
        held >= 10 && exposed >= 25,
        "{held} held out, {exposed} exposed"
    );
    let (status, r) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/track"),
        Some(json!({"user_id": "nobody", "event_name": "buy"})),
    );
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (409, Some("not_assigned"))
    );

    // A batch counts a held-out unit's event for the holdout, once.
    let late = users
        .iter()
        .enumerate()
        .find(|(i, u)| i % 3 != 0 && holdout.holds_out(u))
        .map(|(_, u)| u.clone())
        .expect("a held-out unit that has not bought");
    let (status, b) = api.public(
        "POST",
        "/api/v1/events/batch",
        Some(json!({"events": [
            {"experiment_id": id, "user_id": late, "event_name": "buy", "event_id": "late-1"},
            {"experiment_id": id, "user_id": late, "event_name": "buy", "event_id": "late-1"},
        ]})),
    );
    assert_eq!(
        (status, b["recorded"].as_u64(), b["duplicates"].as_u64()),
        (200, Some(1), Some(1)),
        "{b}"
    );
    held_buyers += 1;

    let (status, r) = api.admin("GET", "/api/v1/holdouts/longterm/results", None);
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["metric"].as_str(), r["control_variant"].as_str()),
        (Some("buy"), Some("held_out"))
    );
    assert_eq!(arm(&r, "held_out"), (Some(held), Some(held_buyers)), "{r}");
    assert_eq!(
        arm(&r, "exposed"),
        (Some(exposed), Some(exposed_buyers)),
        "{r}"
    );

    // Deleting a held-out buyer's data takes its membership and its event out of the
    // holdout's results (they live in the holdout's shards).
    let (status, d) = api.admin("DELETE", &format!("/api/v1/units/{late}"), None);
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["holdout_rows"], 2, "a membership and one event: {d}");
    let (_, r) = api.admin("GET", "/api/v1/holdouts/longterm/results", None);
    assert_eq!(
        arm(&r, "held_out"),
        (Some(held - 1), Some(held_buyers - 1)),
        "{r}"
    );
    assert_eq!(
        arm(&r, "exposed"),
        (Some(exposed), Some(exposed_buyers)),
        "{r}"
    );

    // A new share restarts the holdout's results: every shard is cleared.
    let (status, h) = api.admin(
        "PUT",
        "/api/v1/holdouts/longterm",
        Some(json!({"share": 0.3, "metrics": ["buy"]})),
    );
    assert_eq!(status, 200, "{h}");
    let (status, r) = api.admin("GET", "/api/v1/holdouts/longterm/results", None);
    assert_eq!(status, 200, "{r}");
    let users: u64 = r["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["sample_size"].as_u64())
        .sum();
    assert_eq!(users, 0, "restarted: {r}");

    let (status, _) = api.public("GET", "/api/v1/holdouts/longterm/results", None);
    assert_eq!(status, 401);
    let (status, err) = api.admin("GET", "/api/v1/holdouts/nope/results", None);
    assert_eq!(status, 404, "{err}");
}

/// (users, converters) of one arm of a holdout's results.
fn arm(results: &Value, name: &str) -> (Option<u64>, Option<u64>) {
    let v = results["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["variant"] == name)
        .cloned()
        .unwrap_or_default();
    (v["sample_size"].as_u64(), v["conversions"].as_u64())
}
