//! The upgrade from the single-database layout (`docs/data-plane.md`, *Upgrading*):
//! exposures and events, holdout members and holdout events planted in D1's old tables move
//! into the shards with `deploy/upgrade-data-plane.sh`, and `/stats` and the holdout's
//! results then equal what the old schema's own aggregate queries compute over the planted
//! rows.

use cleave_core::model::Experiment;
use cleave_e2e::{Api, repo_root};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Command;

/// Per variant: (users, converters, Σ per-user totals) by the old layout's queries.
fn old_aggregates(api: &Api, id: &str) -> BTreeMap<String, (u64, u64, f64)> {
    let mut out: BTreeMap<String, (u64, u64, f64)> = BTreeMap::new();
    for row in api.w.d1_query(&format!(
        "SELECT variant, COUNT(*) AS users FROM assignments WHERE experiment_id = '{id}' GROUP BY variant"
    )) {
        let v = row["variant"].as_str().unwrap_or_default().to_string();
        out.entry(v).or_default().0 = row["users"].as_u64().unwrap_or(0);
    }
    for row in api.w.d1_query(&format!(
        "SELECT variant, COUNT(*) AS converters, SUM(total) AS sum FROM
           (SELECT variant, user_id, SUM(value) AS total FROM events
            WHERE experiment_id = '{id}' AND event_name = 'buy' GROUP BY variant, user_id)
         GROUP BY variant"
    )) {
        let v = row["variant"].as_str().unwrap_or_default().to_string();
        let slot = out.entry(v).or_default();
        slot.1 = row["converters"].as_u64().unwrap_or(0);
        slot.2 = row["sum"].as_f64().unwrap_or(0.0);
    }
    out
}

/// Per holdout arm: (users, converters, Σ per-user totals) by the old layout's query.
fn old_holdout_aggregates(api: &Api) -> BTreeMap<String, (u64, u64, f64)> {
    api.w
        .d1_query(
            "SELECT m.held_out AS held_out, COUNT(*) AS users, COUNT(e.total) AS converters,
                    COALESCE(SUM(e.total), 0.0) AS sum
             FROM holdout_members m
             LEFT JOIN (SELECT user_id, SUM(value) AS total FROM holdout_events
                        WHERE holdout = 'legacy' AND event_name = 'buy' GROUP BY user_id) e
               ON e.user_id = m.user_id
             WHERE m.holdout = 'legacy'
             GROUP BY m.held_out",
        )
        .into_iter()
        .map(|row| {
            let arm = if row["held_out"] == 1 {
                "held_out"
            } else {
                "exposed"
            };
            (
                arm.to_string(),
                (
                    row["users"].as_u64().unwrap_or(0),
                    row["converters"].as_u64().unwrap_or(0),
                    row["sum"].as_f64().unwrap_or(0.0),
                ),
            )
        })
        .collect()
}

/// Per variant of a report: (users, converters, Σ per-user totals).
fn reported(report: &Value) -> BTreeMap<String, (u64, u64, f64)> {
    let mut got = BTreeMap::new();
    for v in report["variants"].as_array().cloned().unwrap_or_default() {
        let users = v["sample_size"].as_u64().unwrap_or(0);
        let mean = v["mean_value"].as_f64().unwrap_or(0.0);
        got.insert(
            v["variant"].as_str().unwrap_or_default().to_string(),
            (
                users,
                v["conversions"].as_u64().unwrap_or(0),
                mean * users as f64,
            ),
        );
    }
    got
}

fn assert_same(expected: &BTreeMap<String, (u64, u64, f64)>, report: &Value) {
    let got = reported(report);
    assert_eq!(got.len(), expected.len(), "{report}");
    for (variant, (users, converters, sum)) in expected {
        let (u, c, s) = got[variant];
        assert_eq!((u, c), (*users, *converters), "{variant}: {report}");
        assert!(
            (s - sum).abs() <= 1e-9 * sum.abs(),
            "{variant}: Σ {s} vs {sum}"
        );
    }
}

fn upgrade(api: &Api) -> String {
    let out = Command::new(repo_root().join("deploy/upgrade-data-plane.sh"))
        .env("CLEAVE_URL", &api.w.base)
        .env("ADMIN_TOKEN", &api.w.admin_token)
        .output()
        .expect("the upgrade script runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "upgrade failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn rows_kept_in_d1_by_earlier_versions_move_into_the_shards_with_the_same_results() {
    let api = Api::start("upgrade");
    let created = api.running(json!({
        "name": "Upgraded", "metrics": ["buy"],
        "variants": [{"name": "control"}, {"name": "b"}]
    }));
    let id = created["id"].as_str().unwrap_or_default().to_string();
    let model: Experiment = serde_json::from_value(created).expect("model");
    // 1,200 units in the old `assignments` table (three upgrade steps of 500); unit i buys
    // i mod 4 times for 1.5 + (i mod 7); one stray event of a unit never exposed.
    let units = 1_200;
    let mut assignments = Vec::new();
    let mut events = Vec::new();
    for i in 0..units {
        let user = format!("old-{i}");
        let variant = model
            .assign(&user)
            .ok()
            .and_then(|a| a.variant_name().map(str::to_string))
            .unwrap_or_default();
        assignments.push(format!(
            "('{id}', '{user}', '{variant}', 'assigned', {i}, '{{\"plan\":\"p{}\"}}')",
            i % 3
        ));
        for k in 0..i % 4 {
            let value = 1.5 + (i % 7) as f64;
            events.push(format!(
                "('ev-{i}-{k}', '{id}', '{user}', '{variant}', 'buy', {value}, {i})"
            ));
        }
    }
    events.push(format!("('stray', '{id}', 'nobody', '', 'buy', 1.0, 0)"));
    for chunk in assignments.chunks(400) {
        api.w.d1_execute(&format!(
            "INSERT INTO assignments (experiment_id, user_id, variant, reason, assigned_at, context) VALUES {}",
            chunk.join(", ")
        ));
    }
    for chunk in events.chunks(400) {
        api.w.d1_execute(&format!(
            "INSERT INTO events (event_id, experiment_id, user_id, variant, event_name, value, occurred_at) VALUES {}",
            chunk.join(", ")
        ));
    }
    // A holdout's members and events in the old tables: 700 members (every tenth held
    // out, two steps of 500), member i buys i mod 3 times for 2 + (i mod 5); one stray
    // event of a non-member.
    let (status, h) = api.admin(
        "PUT",
        "/api/v1/holdouts/legacy",
        Some(json!({"share": 0.1, "metrics": ["buy"]})),
    );
    assert!(status == 200 || status == 201, "{h}");
    let mut members = Vec::new();
    let mut holdout_events = Vec::new();
    for i in 0..700 {
        members.push(format!(
            "('legacy', 'old-{i}', {}, {i})",
            i32::from(i % 10 == 0)
        ));
        for k in 0..i % 3 {
            let value = 2.0 + (i % 5) as f64;
            holdout_events.push(format!(
                "('legacy', 'hev-{i}-{k}', 'old-{i}', 'buy', {value}, {i})"
            ));
        }
    }
    holdout_events.push("('legacy', 'stray', 'nobody', 'buy', 1.0, 0)".to_string());
    for chunk in members.chunks(400) {
        api.w.d1_execute(&format!(
            "INSERT INTO holdout_members (holdout, user_id, held_out, first_at) VALUES {}",
            chunk.join(", ")
        ));
    }
    for chunk in holdout_events.chunks(400) {
        api.w.d1_execute(&format!(
            "INSERT INTO holdout_events (holdout, event_id, user_id, event_name, value, occurred_at) VALUES {}",
            chunk.join(", ")
        ));
    }
    let expected_holdout = old_holdout_aggregates(&api);
    assert_eq!(expected_holdout.values().map(|a| a.0).sum::<u64>(), 700);

    // The stray event's empty variant has no users: the old results never showed it.
    let mut expected = old_aggregates(&api, &id);
    expected.retain(|_, a| a.0 > 0);
    assert_eq!(expected.values().map(|a| a.0).sum::<u64>(), units as u64);

    let log = upgrade(&api);
    assert!(
        log.matches("[upgrade]").count() >= 5,
        "several steps:\n{log}"
    );
    let (status, stats) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    assert_eq!(status, 200, "{stats}");
    assert_same(&expected, &stats);
    let (status, results) = api.admin("GET", "/api/v1/holdouts/legacy/results", None);
    assert_eq!(status, 200, "{results}");
    assert_same(&expected_holdout, &results);
    // Nothing is left in D1, a second run has nothing to do, and the moved units keep
    // their context and can be tracked.
    let left = api
        .w
        .d1_query(
            "SELECT (SELECT COUNT(*) FROM assignments) + (SELECT COUNT(*) FROM events)
                  + (SELECT COUNT(*) FROM holdout_members) + (SELECT COUNT(*) FROM holdout_events) AS n",
        );
    assert_eq!(left[0]["n"], 0, "{left:?}");
    let again = upgrade(&api);
    assert!(
        again.contains("\"moved_exposures\":0")
            && again.contains("\"moved_holdout_members\":0")
            && again.contains("\"done\":true"),
        "{again}"
    );
    let (status, t) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/track"),
        Some(json!({"user_id": "old-5", "event_name": "buy", "event_id": "ev-5-0"})),
    );
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["recorded"], false, "the moved event de-duplicates: {t}");
    let _: Value = t;
}
