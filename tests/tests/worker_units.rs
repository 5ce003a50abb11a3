//! Per-unit data against `wrangler dev`: the NDJSON export of an experiment's units (every
//! shard, page by page) and the data-subject deletion, with the statistics following.

use cleave_e2e::{Api, http};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn export(api: &Api, id: &str) -> (u16, String, Vec<Value>) {
    let response = http()
        .get(&api.url(&format!("/api/v1/experiments/{id}/export")))
        .set("authorization", &format!("Bearer {}", api.w.admin_token))
        .call();
    match response {
        Ok(r) => {
            let kind = r.content_type().to_string();
            let text = r.into_string().unwrap_or_default();
            let rows = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
                .collect();
            (200, kind, rows)
        }
        Err(ureq::Error::Status(code, _)) => (code, String::new(), Vec::new()),
        Err(e) => panic!("export: {e}"),
    }
}

#[test]
fn export_lists_every_unit_and_a_deleted_unit_leaves_the_results() {
    let api = Api::start("units");
    // 3 shards and 1,100 units: more than two export pages in some shards.
    let created = api.running(json!({
        "name": "Units", "metrics": ["buy"], "shards": 3,
        "variants": [{"name": "control"}, {"name": "b"}]
    }));
    let id = created["id"].as_str().unwrap_or_default().to_string();
    let units = 1_100;
    let variants: Vec<String> = cleave_e2e::parallel(units, |i| {
        let (status, a) = api.public(
            "POST",
            &format!("/api/v1/experiments/{id}/assign"),
            Some(json!({"user_id": format!("u-{i}"), "context": {"plan": if i % 2 == 0 { "pro" } else { "free" }}})),
        );
        assert_eq!(status, 200, "{a}");
        a["variant"].as_str().unwrap_or_default().to_string()
    });
    // Unit i buys i mod 3 times, 2.5 each.
    let events: Vec<Value> = (0..units)
        .flat_map(|i| {
            let id = id.clone();
            (0..i % 3).map(move |k| json!({"experiment_id": id, "user_id": format!("u-{i}"), "event_name": "buy", "value": 2.5, "event_id": format!("b{k}")}))
        })
        .collect();
    for chunk in events.chunks(1_000) {
        let (status, r) = api.public(
            "POST",
            "/api/v1/events/batch",
            Some(json!({"events": chunk})),
        );
        assert_eq!(status, 200, "{r}");
    }

    let (status, kind, rows) = export(&api, &id);
    assert_eq!(status, 200);
    assert_eq!(kind, "application/x-ndjson");
    assert_eq!(rows.len(), units, "one line per exposed unit");
    let by_unit: BTreeMap<String, &Value> = rows
        .iter()
        .map(|r| (r["user_id"].as_str().unwrap_or_default().to_string(), r))
        .collect();
    assert_eq!(by_unit.len(), units, "no unit twice");
    for (i, variant) in variants.iter().enumerate() {
        let row = by_unit[&format!("u-{i}")];
        assert_eq!(row["variant"], variant.as_str(), "{row}");
        assert_eq!(row["reason"], "assigned");
        assert_eq!(
            row["context"]["plan"],
            if i % 2 == 0 { "pro" } else { "free" }
        );
        let buys = (i % 3) as f64;
        if buys == 0.0 {
            assert!(row["metrics"].get("buy").is_none(), "{row}");
        } else {
            assert_eq!(row["metrics"]["buy"]["total"], json!(2.5 * buys), "{row}");
            assert_eq!(row["metrics"]["buy"]["events"], json!(i % 3), "{row}");
        }
    }

    // u-5 bought twice: deleting it takes one unit and one converter out of its variant.
    let before = api
        .admin("GET", &format!("/api/v1/experiments/{id}/stats"), None)
        .1;
    let (status, deleted) = api.admin("DELETE", "/api/v1/units/u-5", None);
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["experiments"], 1, "{deleted}");
    assert_eq!(deleted["events"], 2, "{deleted}");
    let after = api
        .admin("GET", &format!("/api/v1/experiments/{id}/stats"), None)
        .1;
    let arm = |s: &Value, v: &str| -> (u64, u64) {
        let a = s["variants"]
            .as_array()
            .and_then(|vs| vs.iter().find(|x| x["variant"] == v).cloned())
            .unwrap_or(Value::Null);
        (
            a["sample_size"].as_u64().unwrap_or(0),
            a["conversions"].as_u64().unwrap_or(0),
        )
    };
    let v5 = variants[5].as_str();
    let (users, converters) = arm(&before, v5);
    assert_eq!(arm(&after, v5), (users - 1, converters - 1), "{after}");
    let (_, _, rows) = export(&api, &id);
    assert_eq!(rows.len(), units - 1);
    assert!(rows.iter().all(|r| r["user_id"] != "u-5"));
    // A /track for it now is not_assigned; deleting again removes nothing.
    let (status, _) = api.public(
        "POST",
        &format!("/api/v1/experiments/{id}/track"),
        Some(json!({"user_id": "u-5", "event_name": "buy"})),
    );
    assert_eq!(status, 409);
    let (_, again) = api.admin("DELETE", "/api/v1/units/u-5", None);
    // A unit id that needs percent-encoding in the path is decoded before it is looked up.
    let (status, odd) = api.admin("DELETE", "/api/v1/units/caf%C3%A9%20%2F%201", None);
    assert_eq!(
        (status, odd["user_id"].clone()),
        (200, json!("café / 1")),
        "{odd}"
    );
    assert_eq!(
        (again["experiments"].clone(), again["events"].clone()),
        (json!(0), json!(0))
    );
    let (status, _, _) = export(&api, "no-such-experiment");
    assert_eq!(status, 404);
}
