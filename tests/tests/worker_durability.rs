//! Acknowledged means durable (`docs/data-plane.md`): exposures and events
//! answered 2xx survive a `kill -9` of the whole `wrangler dev` process group, nothing
//! unacknowledged is half-counted, and a `/track` right after its `/assign` (another
//! connection) always finds the exposure.

use cleave_e2e::{Api, Wrangler, http};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A POST that never panics on a transport error (the server may be killed meanwhile):
/// `None` when there was no answer.
fn try_post(base: &str, path: &str, body: &Value) -> Option<(u16, Value)> {
    let agent = http();
    match agent.post(&format!("{base}{path}")).send_json(body.clone()) {
        Ok(r) => Some((r.status(), r.into_json().unwrap_or(Value::Null))),
        Err(ureq::Error::Status(code, r)) => Some((code, r.into_json().unwrap_or(Value::Null))),
        Err(_) => None,
    }
}

fn experiment(api: &Api, name: &str) -> String {
    let created = api.running(json!({
        "name": name, "metrics": ["buy"],
        "variants": [{"name": "control"}, {"name": "b"}]
    }));
    created["id"].as_str().unwrap_or_default().to_string()
}

fn stats(api: &Api, id: &str) -> Value {
    let (status, s) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    assert_eq!(status, 200, "{s}");
    s
}

/// Per variant: (exposed users, converters) of the `/stats` report.
fn arms(stats: &Value) -> BTreeMap<String, (u64, u64)> {
    stats["variants"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .map(|v| {
                    let name = v["variant"].as_str().unwrap_or_default().to_string();
                    let users = v["sample_size"].as_u64().unwrap_or(0);
                    let conversions = v["conversions"].as_u64().unwrap_or(0);
                    (name, (users, conversions))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `f(k)` for `k in 0..n` on `threads` threads (each with its own connections).
fn on_threads<T: Send>(threads: usize, n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || (t..n).step_by(threads).map(f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

#[test]
fn acknowledged_exposures_survive_kill_9() {
    let mut api = Api::start("durable-exposures");
    let id = experiment(&api, "Durable exposures");
    let base = api.w.base.clone();
    // 1,000 /assign calls on 8 connections; the server dies right after the last 200.
    let acknowledged: Vec<Option<(String, String)>> = on_threads(8, 1_000, |i| {
        let user = format!("unit-{i}");
        let body = json!({"user_id": user});
        match try_post(&base, &format!("/api/v1/experiments/{id}/assign"), &body) {
            Some((200, a)) => Some((user, a["variant"].as_str()?.to_string())),
            _ => None,
        }
    });
    api.w.process.kill();
    let acknowledged: Vec<(String, String)> = acknowledged.into_iter().flatten().collect();
    assert_eq!(acknowledged.len(), 1_000, "every /assign was answered 200");
    let state = api.w.state.clone();
    api = Api {
        w: Wrangler::serve("durable-exposures-restarted", state),
    };
    let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (_, variant) in &acknowledged {
        expected.entry(variant.clone()).or_default().0 += 1;
    }
    assert_eq!(
        arms(&stats(&api, &id)),
        expected,
        "every acknowledged exposure is there"
    );
    // And each one is an exposure a /track finds.
    let base = api.w.base.clone();
    let tracked = on_threads(8, 200, |k| {
        let (user, variant) = &acknowledged[k * 5];
        let body = json!({"user_id": user, "event_name": "buy", "event_id": format!("e-{user}")});
        let answer = try_post(&base, &format!("/api/v1/experiments/{id}/track"), &body);
        matches!(answer, Some((200, ref t)) if t["variant"] == variant.as_str())
    });
    assert!(
        tracked.iter().all(|&ok| ok),
        "a /track finds every exposure"
    );
}

/// What one sent event's answers were, before and after the crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Counted (`recorded`, or `duplicate` for a retry of an event already counted).
    Acknowledged,
    /// No 2xx: the server died first.
    Unanswered,
}

#[test]
fn acknowledged_events_survive_kill_9_exactly_once() {
    let mut api = Api::start("durable-events");
    let id = experiment(&api, "Durable events");
    // 500 exposed units.
    let base = api.w.base.clone();
    let units: Vec<(String, String)> = on_threads(8, 500, |i| {
        let user = format!("unit-{i}");
        let path = format!("/api/v1/experiments/{id}/assign");
        let answer = try_post(&base, &path, &json!({"user_id": user}));
        let variant = answer.and_then(|(_, a)| a["variant"].as_str().map(str::to_string));
        (user, variant.unwrap_or_default())
    });
    assert!(
        units.iter().all(|(_, v)| !v.is_empty()),
        "every unit assigned"
    );
    // 20,000 events: unit i's events are e-<i>-<n>; 16,000 in batches of 100 and 4,000 by
    // single /track, from 32 clients; every tenth request is sent twice (the same ids).
    const EVENTS: usize = 20_000;
    const PER_BATCH: usize = 100;
    const BATCHES: usize = 160;
    let event = |n: usize| {
        let (user, _) = &units[n % units.len()];
        json!({"experiment_id": id, "user_id": user, "event_name": "buy", "event_id": format!("e-{n}")})
    };
    let answers: Mutex<Vec<Answer>> = Mutex::new(vec![Answer::Unanswered; EVENTS]);
    let acknowledged = AtomicUsize::new(0);
    let dead = AtomicBool::new(false);
    let requests = BATCHES + (EVENTS - BATCHES * PER_BATCH);
    let process = &mut api.w.process;
    std::thread::scope(|s| {
        // The crash, with requests in flight: once half of the events are acknowledged.
        s.spawn(|| {
            while acknowledged.load(Ordering::SeqCst) < EVENTS / 2 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            process.kill();
            dead.store(true, Ordering::SeqCst);
        });
        on_threads(32, requests, |r| {
            if dead.load(Ordering::SeqCst) {
                return;
            }
            let (path, body, covered): (String, Value, Vec<usize>) = if r < BATCHES {
                let covered: Vec<usize> = (r * PER_BATCH..(r + 1) * PER_BATCH).collect();
                let events: Vec<Value> = covered.iter().map(|&n| event(n)).collect();
                (
                    "/api/v1/events/batch".into(),
                    json!({"events": events}),
                    covered,
                )
            } else {
                let n = BATCHES * PER_BATCH + (r - BATCHES);
                let mut body = event(n);
                if let Some(o) = body.as_object_mut() {
                    o.remove("experiment_id");
                }
                (format!("/api/v1/experiments/{id}/track"), body, vec![n])
            };
            let sends = if r % 10 == 0 { 2 } else { 1 };
            for _ in 0..sends {
                let Some((200, answer)) = try_post(&base, &path, &body) else {
                    continue;
                };
                let statuses: Vec<bool> = match answer["results"].as_array() {
                    Some(items) => items
                        .iter()
                        .map(|i| i["status"] == "recorded" || i["status"] == "duplicate")
                        .collect(),
                    None => vec![answer["event_id"].is_string()],
                };
                let mut all = answers.lock().unwrap_or_else(|e| e.into_inner());
                for (&n, ok) in covered.iter().zip(statuses) {
                    if ok && all[n] == Answer::Unanswered {
                        all[n] = Answer::Acknowledged;
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        });
    });
    let answers = answers.into_inner().unwrap_or_else(|e| e.into_inner());
    let acked: Vec<usize> = (0..EVENTS)
        .filter(|&n| answers[n] == Answer::Acknowledged)
        .collect();
    assert!(acked.len() >= EVENTS / 2, "{} acknowledged", acked.len());
    let state = api.w.state.clone();
    api = Api {
        w: Wrangler::serve("durable-events-restarted", state),
    };
    let base = api.w.base.clone();
    // Every event again, by the same ids: an acknowledged one must be a duplicate; an
    // unanswered one is either (it was counted whole before the crash, or not at all).
    let resent: Vec<Vec<(usize, String)>> = on_threads(8, EVENTS / 1_000, |b| {
        let covered: Vec<usize> = (b * 1_000..(b + 1) * 1_000).collect();
        let events: Vec<Value> = covered.iter().map(|&n| event(n)).collect();
        let answer = try_post(&base, "/api/v1/events/batch", &json!({"events": events}));
        let Some((200, answer)) = answer else {
            return Vec::new();
        };
        let statuses = answer["results"].as_array().cloned().unwrap_or_default();
        covered
            .into_iter()
            .zip(statuses)
            .map(|(n, s)| (n, s["status"].as_str().unwrap_or_default().to_string()))
            .collect()
    });
    let resent: BTreeMap<usize, String> = resent.into_iter().flatten().collect();
    assert_eq!(resent.len(), EVENTS, "every resent event answered");
    for &n in &acked {
        assert_eq!(resent[&n], "duplicate", "acknowledged event e-{n} was kept");
    }
    // Now every event is counted, each exactly once: per variant, the converters are the
    // units with events and /metrics counts every event once.
    let s = stats(&api, &id);
    let users_per_arm = arms(&s);
    let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (_, variant) in &units {
        let slot = expected.entry(variant.clone()).or_default();
        slot.0 += 1;
        slot.1 += 1; // 20,000 events over 500 units: every unit has some
    }
    assert_eq!(users_per_arm, expected, "{s}");
    let metrics = api.metrics_text();
    let counted: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("experimentation_events_total{") && l.contains(&id))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum();
    assert_eq!(
        counted, EVENTS as u64,
        "each event counted exactly once:\n{metrics}"
    );
}

#[test]
fn a_track_right_after_its_assign_on_another_connection_finds_the_exposure() {
    let api = Api::start("assign-then-track");
    let id = experiment(&api, "Assign then track");
    let base = api.w.base.clone();
    let outcomes = on_threads(8, 200, |i| {
        let user = format!("fresh-{i}");
        let assign = try_post(
            &base,
            &format!("/api/v1/experiments/{id}/assign"),
            &json!({"user_id": user}),
        );
        // `try_post` opens a new agent, so the /track goes over another connection.
        let track = try_post(
            &base,
            &format!("/api/v1/experiments/{id}/track"),
            &json!({"user_id": user, "event_name": "buy"}),
        );
        (
            assign.map(|a| a.0),
            track.map(|t| (t.0, t.1["error"]["code"].clone())),
        )
    });
    for (assign, track) in outcomes {
        assert_eq!(assign, Some(200));
        assert_eq!(track.map(|t| t.0), Some(200), "never not_assigned");
    }
}

#[test]
fn stats_read_the_same_rows_at_ten_times_the_data() {
    let api = Api::start("stats-rows-read");
    let rows_read = |units: usize| -> (u64, Value) {
        let id = experiment(&api, &format!("Rows read {units}"));
        let base = api.w.base.clone();
        on_threads(8, units, |i| {
            let user = format!("u{units}-{i}");
            let path = format!("/api/v1/experiments/{id}/assign");
            try_post(&base, &path, &json!({"user_id": user}));
        });
        // Two events per unit, in batches of 1,000.
        let events: Vec<Value> = (0..units * 2)
            .map(|n| json!({"experiment_id": id, "user_id": format!("u{units}-{}", n % units), "event_name": "buy", "event_id": format!("e{n}")}))
            .collect();
        for chunk in events.chunks(1_000) {
            let answer = try_post(&base, "/api/v1/events/batch", &json!({"events": chunk}));
            assert!(matches!(answer, Some((200, _))), "{answer:?}");
        }
        let response = http()
            .get(&format!("{base}/api/v1/experiments/{id}/stats"))
            .set("authorization", &format!("Bearer {}", api.w.admin_token))
            .call()
            .map_err(|e| e.to_string());
        let response = match response {
            Ok(r) => r,
            Err(e) => panic!("/stats: {e}"),
        };
        let read = response
            .header("x-cleave-rows-read")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        (read, response.into_json().unwrap_or(Value::Null))
    };
    let (small, small_stats) = rows_read(200);
    let (large, large_stats) = rows_read(2_000);
    assert_eq!(
        cleave_e2e::exposed_users(&small_stats),
        200,
        "{small_stats}"
    );
    assert_eq!(
        cleave_e2e::exposed_users(&large_stats),
        2_000,
        "{large_stats}"
    );
    // A few rows per shard and variant (8 shards, 2 variants), however much data.
    assert!(small > 0 && small <= 64, "{small} rows read");
    assert_eq!(small, large, "rows read at 200 and 2,000 units");
}
