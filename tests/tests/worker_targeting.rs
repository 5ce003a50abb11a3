//! Who may enter, through a real `wrangler dev`: contract v2's golden vectors and
//! GrowthBook's condition suite through the dry run, and the API around them (holdouts,
//! saved groups, layer ranges, `/assign` with a context, results of targeted experiments).

use cleave_e2e::{Api, http, parallel, repo_root};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn lines(path: &str) -> Vec<Value> {
    std::fs::read_to_string(repo_root().join(path))
        .expect("vectors")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// The draft experiment a v2 vector describes.
fn v2_experiment(case: &Value, n: usize) -> Value {
    let variants: Vec<Value> = case["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .zip(case["weights"].as_array().expect("weights"))
        .map(|(name, w)| json!({"name": name, "weight": w}))
        .collect();
    let holdouts: Vec<&Value> = case["holdouts"]
        .as_array()
        .expect("holdouts")
        .iter()
        .map(|h| &h["name"])
        .collect();
    let mut body = json!({
        "name": format!("V2 {n}"), "key": format!("v2-{n}"), "salt": case["salt"],
        "traffic_allocation": case["traffic_allocation"], "variants": variants,
        "holdouts": holdouts,
    });
    for field in ["layer", "targeting"] {
        if !case[field].is_null() {
            body[field] = case[field].clone();
        }
    }
    body
}

fn evaluate(api: &Api, id: &str, user: &Value, attributes: &Value) -> (u16, Value) {
    api.admin(
        "POST",
        &format!("/api/v1/experiments/{id}/evaluate"),
        Some(json!({"user_id": user, "attributes": attributes, "assume_running": true})),
    )
}

#[test]
fn v2_vectors_and_the_growthbook_suite_through_the_dry_run() {
    let api = Api::start("targeting-vectors");
    let cases = lines("shared/tests/vectors/assignment-v2.jsonl");
    assert!(cases.len() >= 2000);
    // Holdouts are global (one share per name): create each the vectors list.
    let mut holdouts: BTreeMap<String, Value> = BTreeMap::new();
    for c in &cases {
        for h in c["holdouts"].as_array().expect("holdouts") {
            holdouts.insert(
                h["name"].as_str().unwrap_or_default().into(),
                h["share"].clone(),
            );
        }
    }
    assert!(holdouts.len() >= 4, "{holdouts:?}");
    for (name, share) in &holdouts {
        let (status, body) = api.admin(
            "PUT",
            &format!("/api/v1/holdouts/{name}"),
            Some(json!({"share": share})),
        );
        assert_eq!(status, 200, "{body}");
    }
    // One experiment per configuration (consecutive lines share one), then its units.
    let config_of = |c: &Value| {
        [
            "salt",
            "weights",
            "traffic_allocation",
            "layer",
            "holdouts",
            "targeting",
        ]
        .map(|f| c[f].to_string())
        .join("|")
    };
    let mut configs: Vec<usize> = Vec::new(); // first case of each configuration
    let mut config_index: Vec<usize> = Vec::with_capacity(cases.len());
    for (k, c) in cases.iter().enumerate() {
        match configs
            .iter()
            .position(|&f| config_of(&cases[f]) == config_of(c))
        {
            Some(i) => config_index.push(i),
            None => {
                configs.push(k);
                config_index.push(configs.len() - 1);
            }
        }
    }
    assert!(configs.len() >= 200, "{} configurations", configs.len());
    let experiment_ids = parallel(configs.len(), |i| {
        let k = configs[i];
        let (status, e) = api.admin(
            "POST",
            "/api/v1/experiments",
            Some(v2_experiment(&cases[k], i)),
        );
        assert_eq!(status, 201, "case {k}: {e}");
        e["id"].as_str().unwrap_or_default().to_string()
    });
    let ids: Vec<&String> = config_index.iter().map(|&i| &experiment_ids[i]).collect();
    let check = |k: usize, r: &Value| {
        let want = &cases[k]["expected"];
        (r["reason"] != want["reason"] || r["variant"] != want["variant"]).then(|| {
            format!(
                "case {k}: got {} {}, expected {want}",
                r["reason"], r["variant"]
            )
        })
    };
    let mismatches: Vec<String> = parallel(cases.len(), |k| {
        let (status, r) = evaluate(&api, ids[k], &cases[k]["unit_id"], &cases[k]["attributes"]);
        assert_eq!(status, 200, "{r}");
        check(k, &r)
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );

    // GrowthBook's evalCondition cases: a condition the API refuses (422) must be one that
    // never matches; the others decide `assigned` exactly when the suite says true.
    let suite: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("shared/tests/vectors/growthbook/cases.json"))
            .expect("suite"),
    )
    .expect("json");
    let gb = suite["evalCondition"].as_array().expect("cases");
    assert_eq!(gb.len(), 248);
    let mut failures = Vec::new();
    let mut refused = 0;
    for (n, case) in gb.iter().enumerate() {
        for (name, values) in case.get(4).and_then(Value::as_object).into_iter().flatten() {
            let (status, body) = api.admin(
                "PUT",
                &format!("/api/v1/groups/{name}"),
                Some(json!({"values": values})),
            );
            assert_eq!(status, 200, "{body}");
        }
        let body = json!({"name": format!("GB {n}"), "key": format!("gb-{n}"), "targeting": case[1],
                          "variants": [{"name": "a"}, {"name": "b"}]});
        let (status, e) = api.admin("POST", "/api/v1/experiments", Some(body));
        let expected = case[3].as_bool().unwrap_or_default();
        if status == 422 {
            refused += 1;
            if expected {
                failures.push(format!(
                    "{}: refused ({}) but the suite says it matches",
                    case[0], e["error"]["field"]
                ));
            }
            continue;
        }
        assert_eq!(status, 201, "{}: {e}", case[0]);
        let (status, r) = evaluate(
            &api,
            e["id"].as_str().unwrap_or_default(),
            &json!("gb-user"),
            &case[2],
        );
        assert_eq!(status, 200, "{}: {r}", case[0]);
        let got = r["reason"] == "assigned";
        if got != expected {
            failures.push(format!(
                "{}: expected {expected}, the dry run said {}",
                case[0], r["reason"]
            ));
        }
        for name in case
            .get(4)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            // Free the group for the next case that defines it differently.
            api.admin(
                "DELETE",
                &format!(
                    "/api/v1/experiments/{}",
                    e["id"].as_str().unwrap_or_default()
                ),
                None,
            );
            api.admin("DELETE", &format!("/api/v1/groups/{name}"), None);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 248 fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(refused > 0 && refused < 30, "{refused} refused");
}

#[test]
fn holdouts_groups_layers_and_context_through_the_api() {
    let api = Api::start("targeting-api");
    // Holdouts and groups: create, read, list, validation naming the field.
    let (status, h) = api.admin(
        "PUT",
        "/api/v1/holdouts/global",
        Some(json!({"share": 0.2, "metrics": ["buy"]})),
    );
    assert_eq!((status, h["name"].as_str()), (200, Some("global")));
    let (status, err) = api.admin("PUT", "/api/v1/holdouts/global", Some(json!({"share": 2})));
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("share"))
    );
    let (status, list) = api.admin("GET", "/api/v1/holdouts", None);
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(1)));
    let (status, _) = api.admin(
        "PUT",
        "/api/v1/groups/staff",
        Some(json!({"values": ["alice", "bob"]})),
    );
    assert_eq!(status, 200);
    let (status, _) = api.public("GET", "/api/v1/groups", None);
    assert_eq!(status, 401, "admin only");

    // An invalid condition names the place inside it.
    let bad = json!({"name": "Bad", "variants": [{"name": "a"}, {"name": "b"}],
                     "targeting": {"$and": [{"x": 1}, {"country": {"$in": "DE"}}]}});
    let (status, err) = api.admin("POST", "/api/v1/experiments", Some(bad));
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("targeting.$and[1].country.$in"))
    );

    // Hostile conditions: too deep, too large; never a 500.
    let mut deep = json!({"x": 1});
    for _ in 0..40 {
        deep = json!({"$not": deep});
    }
    let (status, err) = api.admin(
        "POST",
        "/api/v1/experiments",
        Some(
            json!({"name": "Deep", "variants": [{"name": "a"}, {"name": "b"}], "targeting": deep}),
        ),
    );
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("deeper than 32"),
        "{err}"
    );
    let huge: serde_json::Map<String, Value> = (0..2000)
        .map(|i| (format!("attribute{i}"), json!("value")))
        .collect();
    let (status, err) = api.admin(
        "POST",
        "/api/v1/experiments",
        Some(
            json!({"name": "Huge", "variants": [{"name": "a"}, {"name": "b"}], "targeting": huge}),
        ),
    );
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("targeting")),
        "{err}"
    );
    let (status, err) = api.admin(
        "POST",
        "/api/v1/targeting/check",
        Some(json!({"targeting": {"email": {"$regex": "(unclosed"}}})),
    );
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("targeting.email.$regex")),
        "{err}"
    );

    // Layers: an overlapping start is refused naming the other experiment.
    let layered = |name: &str, start: f64, end: f64| {
        json!({"name": name, "variants": [{"name": "a"}, {"name": "b"}],
               "layer": {"name": "checkout", "start": start, "end": end}})
    };
    let first = api.running(layered("Checkout A", 0.0, 0.5));
    let (status, second) = api.admin(
        "POST",
        "/api/v1/experiments",
        Some(layered("Checkout B", 0.4, 1.0)),
    );
    assert_eq!(status, 201);
    let id = second["id"].as_str().unwrap_or_default();
    let (status, err) = api.admin("POST", &format!("/api/v1/experiments/{id}/start"), None);
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("layer_overlap"))
    );
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("checkout-a"),
        "{err}"
    );
    let (status, _) = api.admin(
        "PUT",
        &format!("/api/v1/experiments/{id}"),
        Some(json!({"layer": {"name": "checkout", "start": 0.5, "end": 1.0}})),
    );
    assert_eq!(status, 200);
    let (status, _) = api.admin("POST", &format!("/api/v1/experiments/{id}/start"), None);
    assert_eq!(status, 200, "adjoining ranges may both run");
    // No unit is in both.
    let both = parallel(200, |i| {
        let user = format!("layer-user-{i}");
        let assigned = |eid: &str| {
            let (_, r) = api.public(
                "POST",
                &format!("/api/v1/experiments/{eid}/assign"),
                Some(json!({"user_id": user})),
            );
            r["in_experiment"] == true
        };
        (
            assigned(first["id"].as_str().unwrap_or_default()),
            assigned(id),
        )
    });
    assert!(
        both.iter().all(|(a, b)| !(a & b)),
        "a unit in two experiments of one layer"
    );
    assert!(
        both.iter().all(|(a, b)| a | b),
        "adjoining ranges cover the layer"
    );

    // Targeted /assign with a context: stored, the holdout applies, reasons are honest.
    let targeted = api.running(json!({
        "name": "Staff DE", "variants": [{"name": "a"}, {"name": "b"}], "metrics": ["buy"],
        "holdouts": ["global"],
        "targeting": {"country": "DE", "user": {"$inGroup": "staff"}}}));
    let tid = targeted["id"].as_str().unwrap_or_default().to_string();
    let assign = |body: Value| {
        api.public(
            "POST",
            &format!("/api/v1/experiments/{tid}/assign"),
            Some(body),
        )
    };
    let (status, r) =
        assign(json!({"user_id": "alice", "context": {"country": "FR", "user": "alice"}}));
    assert_eq!(status, 200);
    assert!(
        ["not_targeted", "holdout"].contains(&r["reason"].as_str().unwrap_or_default()),
        "{r}"
    );
    let mut reasons = BTreeMap::new();
    for i in 0..60 {
        let (_, r) = assign(
            json!({"user_id": format!("alice-{i}"), "attributes": {"country": "DE", "user": "alice"}}),
        );
        *reasons
            .entry(r["reason"].as_str().unwrap_or_default().to_string())
            .or_insert(0) += 1;
    }
    assert!(
        reasons.get("assigned").copied().unwrap_or(0) > 30,
        "{reasons:?}"
    );
    assert!(
        reasons.get("holdout").copied().unwrap_or(0) > 2,
        "a 20 % holdout: {reasons:?}"
    );
    let (status, err) = assign(
        json!({"user_id": "u", "context": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}}),
    );
    assert_eq!(status, 422);
    assert!(
        err["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .starts_with("context.a"),
        "{err}"
    );
    let (status, _) = assign(json!({"user_id": "u", "context": {}, "attributes": {}}));
    assert_eq!(status, 400);
    // The v1 API's form still works: an ignored-before context that now matters.
    let (status, r) = http()
        .post(&api.url(&format!("/api/v1/experiments/{tid}/assign")))
        .send_json(json!({"user_id": "user123", "context": {"source": "web"}}))
        .map(|r| (r.status(), r.into_json::<Value>().unwrap_or_default()))
        .expect("assign");
    assert_eq!((status, r["in_experiment"].as_bool()), (200, Some(false)));

    // The dry run explains; deleting what is in use is refused.
    let (status, dry) = evaluate(
        &api,
        &tid,
        &json!("alice-1"),
        &json!({"country": "DE", "user": "alice"}),
    );
    assert_eq!(status, 200);
    let checks: Vec<&str> = dry["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["check"].as_str())
        .collect();
    assert_eq!(&checks[..3], ["running", "forced", "holdout"], "{dry}");
    let (status, err) = api.admin("DELETE", "/api/v1/groups/staff", None);
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("in_use"))
    );
    let (status, err) = api.admin("DELETE", "/api/v1/holdouts/global", None);
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("in_use"))
    );
    // Results by segment, from the stored contexts (D1's JSON operators).
    let seg = api.running(json!({"name": "Segmented", "variants": [{"name": "a"}, {"name": "b"}], "metrics": ["buy"]}));
    let sid = seg["id"].as_str().unwrap_or_default().to_string();
    parallel(120, |i| {
        let country = ["DE", "FR", "US"][i % 3];
        let user = format!("seg-{i}");
        let (status, _) = api.public(
            "POST",
            &format!("/api/v1/experiments/{sid}/assign"),
            Some(json!({"user_id": user, "context": {"geo": {"country": country}, "n": i}})),
        );
        assert_eq!(status, 200);
    });
    parallel(40, |i| {
        let (status, body) = api.public(
            "POST",
            &format!("/api/v1/experiments/{sid}/track"),
            Some(json!({"user_id": format!("seg-{}", i * 3), "event_name": "buy"})),
        );
        assert_eq!(status, 200, "{body}");
    });
    let (status, stats) = api.admin(
        "GET",
        &format!("/api/v1/experiments/{sid}/stats?metric=buy&dimension=geo.country"),
        None,
    );
    assert_eq!(status, 200, "{stats}");
    let segments = stats["segments"]["segments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut users: BTreeMap<String, u64> = BTreeMap::new();
    for s in &segments {
        users.insert(
            s["value"].as_str().unwrap_or_default().into(),
            s["users"].as_u64().unwrap_or(0),
        );
    }
    assert_eq!(
        users,
        BTreeMap::from([("DE".into(), 40), ("FR".into(), 40), ("US".into(), 40)]),
        "{stats}"
    );
    let de = segments
        .iter()
        .find(|s| s["value"] == "DE")
        .cloned()
        .unwrap_or_default();
    let conversions: u64 = de["report"]["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["conversions"].as_u64())
        .sum();
    assert_eq!(conversions, 40, "every DE user (i % 3 == 0) bought: {de}");
    let (status, numeric) = api.admin(
        "GET",
        &format!("/api/v1/experiments/{sid}/stats?metric=buy&dimension=n"),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(
        numeric["segments"]["segments"].as_array().map(Vec::len),
        Some(6),
        "5 values and other: {numeric}"
    );

    // The snapshot carries holdouts and groups to edges.
    let (status, snap) = api.admin("GET", "/api/v1/snapshot", None);
    assert_eq!(status, 200);
    assert_eq!(snap["holdouts"][0]["name"], "global");
    assert_eq!(snap["groups"][0]["name"], "staff");
}
