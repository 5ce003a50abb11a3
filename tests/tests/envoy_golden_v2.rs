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
