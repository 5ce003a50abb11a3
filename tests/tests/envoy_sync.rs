//! Envoy + the Worker: the singleton polls the snapshot, the filter serves it, exposures
//! flow back to the Worker; the filter fails open and keeps the last good snapshot.

use cleave_e2e::{Api, EchoServer, Envoy, Wrangler, free_port, http, send};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SNAPSHOT_TOKEN: &str = "snap-token";

/// The shipped config wired to this test's ports, with QA overrides allowed.
fn config(listen: u16, admin: u16, upstream: u16, worker: u16) -> String {
    cleave_e2e::envoy_synced_config(listen, admin, upstream, worker, SNAPSHOT_TOKEN).replace(
        "\"generate_user_id\": true,",
        "\"generate_user_id\": true, \"allow_force_header\": true,",
    )
}

/// Users per variant in an experiment's `/stats`.
fn users_by_variant(api: &Api, id: &str) -> std::collections::BTreeMap<String, u64> {
    let (_, s) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    s["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            (
                v["variant"].as_str().unwrap_or_default().to_string(),
                v["sample_size"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn upstream_headers(port: u16, user: &str) -> Option<serde_json::Map<String, Value>> {
    let (status, body) = send(
        http()
            .get(&format!("http://127.0.0.1:{port}/page"))
            .set("x-user-id", user),
        None,
    );
    (status == 200)
        .then(|| {
            serde_json::from_str::<Value>(&body).ok()?["headers"]
                .as_object()
                .cloned()
        })
        .flatten()
}

fn eventually(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn experiments_reach_envoy_leave_when_stopped_and_exposures_come_back() {
    let api = Api {
        w: Wrangler::start_with("envoy-sync", &[("SNAPSHOT_TOKEN", SNAPSHOT_TOKEN)]),
    };
    let echo = EchoServer::start();
    let worker_port = api.w.port();
    let (port, admin) = (free_port(), free_port());
    let envoy = Envoy::start(
        "envoy-sync",
        &config(port, admin, echo.port, worker_port),
        port,
        admin,
    );

    let created = api.running(
        json!({"name": "Synced", "key": "synced", "variants": [{"name": "a"}, {"name": "b"}]}),
    );
    let id = created["id"].as_str().unwrap_or_default().to_string();
    let model: cleave_core::model::Experiment = serde_json::from_value(created).expect("model");
    let expected = model
        .assign("user-7")
        .expect("valid")
        .variant_name()
        .expect("assigned")
        .to_string();
    // Refresh 2 s + the filter's 0.5 s version check.
    eventually(
        "the new experiment reaches Envoy",
        Duration::from_secs(10),
        || {
            upstream_headers(port, "user-7").and_then(|h| h.get("x-cleave-synced").cloned())
                == Some(json!(expected))
        },
    );
    // The exposure made by Envoy shows up in the Worker's stats.
    eventually(
        "Envoy's exposure reaches /stats",
        Duration::from_secs(10),
        || {
            let (_, s) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
            cleave_e2e::exposed_users(&s) >= 1
        },
    );
    // A QA override at the edge: the forced variant's exposure is accepted (the filter
    // sends the edge token) and counted for that variant, not the hashed one.
    let before = users_by_variant(&api, &id);
    let hashed = model
        .assign("qa-user")
        .expect("valid")
        .variant_name()
        .map(str::to_string);
    let forced = if hashed.as_deref() == Some("a") {
        "b"
    } else {
        "a"
    };
    let (status, _) = send(
        http()
            .get(&format!("http://127.0.0.1:{port}/page"))
            .set("x-user-id", "qa-user")
            .set("x-cleave-force", &format!("synced={forced}")),
        None,
    );
    assert_eq!(status, 200);
    eventually(
        "the forced exposure reaches /stats",
        Duration::from_secs(10),
        || users_by_variant(&api, &id).get(forced) > before.get(forced),
    );
    api.admin("POST", &format!("/api/v1/experiments/{id}/stop"), None);
    eventually(
        "the stopped experiment leaves Envoy",
        Duration::from_secs(10),
        || upstream_headers(port, "user-7").is_some_and(|h| !h.contains_key("x-cleave-synced")),
    );
    let stats = http()
        .get(&format!(
            "http://127.0.0.1:{}/stats/prometheus",
            envoy.admin
        ))
        .call()
        .expect("stats")
        .into_string()
        .expect("text");
    assert!(
        stats.contains("cleave_snapshot_version") || stats.contains("cleave.snapshot.version"),
        "{}",
        &stats[..stats.len().min(2000)]
    );
}

#[test]
fn worker_down_at_start_fails_open_and_down_later_keeps_the_last_snapshot() {
    // Down at start: nothing listens on the Worker port.
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let _cold = Envoy::start(
        "envoy-cold",
        &config(port, admin, echo.port, free_port()),
        port,
        admin,
    );
    let seen = upstream_headers(port, "user-1").expect("requests pass while the Worker is down");
    assert!(
        seen.contains_key("x-cleave-checkout-button"),
        "inline experiments are still served: {seen:?}"
    );
    drop(_cold);

    // Down later: the last good snapshot keeps serving.
    let api = Api {
        w: Wrangler::start_with("envoy-last-good", &[("SNAPSHOT_TOKEN", SNAPSHOT_TOKEN)]),
    };
    let worker_port = api.w.port();
    api.running(json!({"name": "Kept", "key": "kept", "variants": [{"name": "a"}, {"name": "b"}]}));
    let (port, admin) = (free_port(), free_port());
    let _envoy = Envoy::start(
        "envoy-last-good",
        &config(port, admin, echo.port, worker_port),
        port,
        admin,
    );
    eventually(
        "the experiment reaches Envoy",
        Duration::from_secs(10),
        || upstream_headers(port, "user-2").is_some_and(|h| h.contains_key("x-cleave-kept")),
    );
    drop(api); // the Worker goes away
    std::thread::sleep(Duration::from_secs(5)); // two refresh periods
    let seen = upstream_headers(port, "user-2").expect("requests still pass");
    assert!(
        seen.contains_key("x-cleave-kept"),
        "the last good snapshot keeps serving: {seen:?}"
    );
}

#[test]
fn envoy_reports_holdout_arms_for_the_holdouts_own_results() {
    let api = Api {
        w: Wrangler::start_with("envoy-holdout", &[("SNAPSHOT_TOKEN", SNAPSHOT_TOKEN)]),
    };
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let _envoy = Envoy::start(
        "envoy-holdout",
        &config(port, admin, echo.port, api.w.port()),
        port,
        admin,
    );
    let (status, h) = api.admin(
        "PUT",
        "/api/v1/holdouts/mesh",
        Some(json!({"share": 0.5, "metrics": ["buy"]})),
    );
    assert_eq!(status, 200, "{h}");
    let holdout: cleave_core::model::Holdout = serde_json::from_value(h).expect("holdout");
    api.running(
        json!({"name": "Meshed", "key": "meshed", "holdouts": ["mesh"],
        "variants": [{"name": "a"}, {"name": "b"}]}),
    );
    let users: Vec<String> = (0..30).map(|i| format!("mesh-{i}")).collect();
    let exposed_user = users
        .iter()
        .find(|u| !holdout.holds_out(u))
        .expect("someone not held out");
    eventually(
        "the experiment reaches Envoy",
        Duration::from_secs(10),
        || upstream_headers(port, exposed_user).is_some_and(|h| h.contains_key("x-cleave-meshed")),
    );
    // Each Envoy worker thread re-reads the shared snapshot on its own 500 ms tick, so the
    // thread that answered above may have it before the others: give them all one more tick.
    std::thread::sleep(Duration::from_millis(1_200));
    for u in &users {
        let headers = upstream_headers(port, u).expect("proxied");
        assert_eq!(
            headers.contains_key("x-cleave-meshed"),
            !holdout.holds_out(u),
            "{u}"
        );
    }
    let held = users.iter().filter(|u| holdout.holds_out(u)).count() as u64;
    let arms = || {
        let (_, r) = api.admin("GET", "/api/v1/holdouts/mesh/results", None);
        let size = |name: &str| {
            r["variants"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|v| v["variant"] == name)
                .and_then(|v| v["sample_size"].as_u64())
        };
        (size("held_out"), size("exposed"))
    };
    eventually(
        "every unit's arm reaches the holdout's results",
        Duration::from_secs(15),
        || arms() == (Some(held), Some(30 - held)),
    );
}
