//! Contract v2's golden vectors (layers, holdouts, targeting) through a real Envoy running
//! the filter: one inline experiment per configuration, each on its own path prefix, the
//! holdouts inline, and the attributes the vectors' conditions read (`country`, `plan`)
//! passed as headers through the filter's `attributes` mappings. Vectors whose conditions
//! read typed or nested attributes (numbers, booleans, `user.tier`) cannot travel as header
//! strings; they are marked `"edge": false` and checked by the core and the Worker.

use cleave_e2e::{EchoServer, Envoy, RawClient, free_port, repo_root};
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[test]
fn v2_vectors_through_envoy_match_the_contract() {
    let text =
        std::fs::read_to_string(repo_root().join("shared/tests/vectors/assignment-v2.jsonl"))
            .expect("vectors");
    let cases: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .filter(|c: &Value| c["edge"] == true)
        .collect();
    assert!(cases.len() >= 2000, "{} edge vectors", cases.len());
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
    let mut configs: Vec<String> = Vec::new();
    let mut experiments: Vec<Value> = Vec::new();
    let mut holdouts: BTreeMap<String, Value> = BTreeMap::new();
    let mut index_of = Vec::with_capacity(cases.len());
    for c in &cases {
        let key = config_of(c);
        let n = match configs.iter().position(|k| *k == key) {
            Some(n) => n,
            None => {
                let n = configs.len();
                configs.push(key);
                let variants: Vec<Value> = c["variants"]
                    .as_array()
                    .expect("variants")
                    .iter()
                    .zip(c["weights"].as_array().expect("weights"))
                    .map(|(name, w)| json!({"name": name, "weight": w}))
                    .collect();
                let mut e = json!({"id": format!("v2-{n}"), "key": format!("v{n}"), "name": format!("V2 {n}"),
                    "status": "running", "salt": c["salt"], "traffic_allocation": c["traffic_allocation"],
                    "variants": variants, "routes": [{"path_prefix": format!("/v2/{n}/")}],
                    "holdouts": c["holdouts"].as_array().expect("holdouts").iter().map(|h| h["name"].clone()).collect::<Vec<_>>()});
                for field in ["layer", "targeting"] {
                    if !c[field].is_null() {
                        e[field] = c[field].clone();
                    }
                }
                experiments.push(e);
                n
            }
        };
        for h in c["holdouts"].as_array().expect("holdouts") {
            holdouts.insert(h["name"].as_str().unwrap_or_default().into(), h.clone());
        }
        index_of.push(n);
    }
    let plugin = json!({
        "user_id_headers": ["x-user-id"],
        "attributes": {"country": {"header": "x-country"}, "plan": {"header": "x-plan"}},
        "holdouts": holdouts.values().collect::<Vec<_>>(),
        "experiments": experiments,
    })
    .to_string();
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let config = cleave_e2e::envoy_example_config(port, admin, echo.port, Some(&plugin));
    let _envoy = Envoy::start("envoy-golden-v2", &config, port, admin);

    let mut client = RawClient::connect(port).expect("connect");
    let mut mismatches = Vec::new();
    for (c, &n) in cases.iter().zip(&index_of) {
        let user = c["unit_id"].as_str().expect("unit id");
        let mut headers = vec![("x-user-id", user)];
        for name in ["country", "plan"] {
            if let Some(v) = c["attributes"][name].as_str() {
                headers.push(if name == "country" {
                    ("x-country", v)
                } else {
                    ("x-plan", v)
                });
            }
        }
        let (status, body) = client.get(&format!("/v2/{n}/"), &headers).expect("request");
        assert_eq!(status, 200, "{body}");
        let seen: Value = serde_json::from_str(&body).expect("echo json");
        let got = &seen["headers"][format!("x-cleave-v{n}")];
        let want = &c["expected"]["variant"];
        if got != want {
            mismatches.push(format!(
                "{user:?} in v{n}: envoy {got}, expected {want} ({})",
                c["expected"]["reason"]
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// JSON with every non-ASCII character escaped, so it travels in a header value.
fn ascii_json(v: &Value) -> String {
    let mut out = String::new();
    for ch in v.to_string().chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Renames saved groups per case (`$inGroup: "group_id"` → `"group_id-<n>"`): a group's name
/// is only a lookup key, and the suite defines one name with different members in two cases.
fn rename_groups(condition: &Value, n: usize) -> Value {
    match condition {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("$inGroup" | "$notInGroup", Value::String(g)) => json!(format!("{g}-{n}")),
                        _ => rename_groups(v, n),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| rename_groups(v, n)).collect()),
        other => other.clone(),
    }
}

#[test]
fn the_growthbook_condition_suite_through_envoy() {
    let text =
        std::fs::read_to_string(repo_root().join("shared/tests/vectors/growthbook/cases.json"))
            .expect("suite");
    let suite: Value = serde_json::from_str(&text).expect("json");
    let cases = suite["evalCondition"].as_array().expect("cases");
    assert_eq!(cases.len(), 248);
    let mut experiments = Vec::new();
    let mut groups = Vec::new();
    let mut served = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let condition = rename_groups(&case[1], n);
        // A condition the core refuses cannot be configured; it must be one that never matches.
        if cleave_core::targeting::check_condition(&condition, &cleave_core::targeting::LiteRegex)
            .is_err()
        {
            assert_eq!(case[3], false, "{} is refused but matches", case[0]);
            continue;
        }
        for (name, values) in case.get(4).and_then(Value::as_object).into_iter().flatten() {
            groups.push(json!({"name": format!("{name}-{n}"), "values": values}));
        }
        experiments.push(
            json!({"id": format!("gb-{n}"), "key": format!("gb{n}"), "name": format!("GB {n}"),
            "status": "running", "targeting": condition, "variants": [{"name": "a"}, {"name": "b"}],
            "routes": [{"path_prefix": format!("/gb/{n}/")}]}),
        );
        served.push(n);
    }
    assert!(served.len() > 220, "{} served", served.len());
    let plugin =
        json!({"user_id_headers": ["x-user-id"], "attributes_header": "x-cleave-attributes",
                        "groups": groups, "experiments": experiments})
        .to_string();
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let config = cleave_e2e::envoy_example_config(port, admin, echo.port, Some(&plugin));
    let _envoy = Envoy::start("envoy-growthbook", &config, port, admin);
    let mut client = RawClient::connect(port).expect("connect");
    let mut failures = Vec::new();
    for n in served {
        let case = &cases[n];
        let attributes = ascii_json(&case[2]);
        let (status, body) = client
            .get(
                &format!("/gb/{n}/"),
                &[
                    ("x-user-id", "gb-user"),
                    ("x-cleave-attributes", &attributes),
                ],
            )
            .expect("request");
        assert_eq!(status, 200, "{body}");
        let seen: Value = serde_json::from_str(&body).expect("echo json");
        let assigned = !seen["headers"][format!("x-cleave-gb{n}")].is_null();
        if Some(assigned) != case[3].as_bool() {
            failures.push(format!(
                "{}: expected {}, envoy assigned: {assigned}",
                case[0], case[3]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
