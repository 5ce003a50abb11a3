//! Every golden assignment vector through a real Envoy running the filter: 2,400 inline
//! experiments, each on its own path prefix, one request per vector with the unit id in
//! `x-user-id` (raw UTF-8). The Worker's `/assign` is held to the same file by
//! `worker_golden.rs`, so core, Worker and Envoy agree case by case.

use cleave_e2e::{EchoServer, Envoy, RawClient, free_port, repo_root};
use serde_json::{Value, json};

#[test]
fn golden_vectors_through_envoy_match_the_contract() {
    let text =
        std::fs::read_to_string(repo_root().join("shared/tests/vectors/assignment-v1.jsonl"))
            .expect("vectors");
    let cases: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let experiments: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let style = c["weight_style"].as_str().unwrap_or("weight");
            let variants: Vec<Value> = c["variants"]
                .as_array()
                .expect("variants")
                .iter()
                .zip(c["weights"].as_array().expect("weights"))
                .map(|(name, w)| json!({"name": name, style: w}))
                .collect();
            json!({"id": format!("golden-{n}"), "key": format!("g{n}"), "name": format!("Golden {n}"), "status": "running",
                   "salt": c["salt"], "traffic_allocation": c["traffic_allocation"], "variants": variants,
                   "routes": [{"path_prefix": format!("/g/{n}/")}]})
        })
        .collect();
    let plugin = json!({"user_id_headers": ["x-user-id"], "experiments": experiments}).to_string();
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let config = cleave_e2e::envoy_example_config(port, admin, echo.port, Some(&plugin));
    let _envoy = Envoy::start("envoy-golden", &config, port, admin);

    let mut client = RawClient::connect(port).expect("connect");
    let mut mismatches = Vec::new();
    for (n, c) in cases.iter().enumerate() {
        let user = c["unit_id"].as_str().expect("unit id");
        let (status, body) = client
            .get(&format!("/g/{n}/"), &[("x-user-id", user)])
            .expect("request");
        assert_eq!(status, 200, "{body}");
        let seen: Value = serde_json::from_str(&body).expect("echo json");
        let got = &seen["headers"][format!("x-cleave-g{n}")];
        let want = &c["expected"]["variant"];
        if got != want {
            mismatches.push(format!("case {n} ({user:?}): envoy {got}, expected {want}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
