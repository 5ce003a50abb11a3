//! Every golden assignment vector through the Worker's `/assign` on real running
//! experiments (in groups, so the published snapshot stays small).

use cleave_e2e::{Api, http, parallel, repo_root};
use serde_json::{Value, json};

const GROUP: usize = 100;

fn experiment_body(case: &Value, n: usize) -> Value {
    let style = case["weight_style"].as_str().unwrap_or("weight");
    let variants: Vec<Value> = case["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .zip(case["weights"].as_array().expect("weights"))
        .map(|(name, w)| json!({"name": name, style: w}))
        .collect();
    json!({
        "name": format!("Golden {n}"),
        "key": format!("golden-{n}"),
        "salt": case["salt"],
        "traffic_allocation": case["traffic_allocation"],
        "variants": variants
    })
}

#[test]
fn golden_vectors_through_assign_match_the_contract() {
    let api = Api::start("golden");
    let text =
        std::fs::read_to_string(repo_root().join("shared/tests/vectors/assignment-v1.jsonl"))
            .expect("vectors");
    let cases: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert!(cases.len() >= 2000);
    let mut mismatches = Vec::new();
    for (g, group) in cases.chunks(GROUP).enumerate() {
        let ids = parallel(group.len(), |k| {
            api.running(experiment_body(&group[k], g * GROUP + k))["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        });
        let results = parallel(group.len(), |k| {
            let url = api.url(&format!("/api/v1/experiments/{}/assign", ids[k]));
            http()
                .post(&url)
                .send_json(json!({"user_id": group[k]["unit_id"]}))
                .expect("assign")
                .into_json::<Value>()
                .expect("json")
        });
        for (k, r) in results.into_iter().enumerate() {
            let expected = &group[k]["expected"];
            let want_reason = if expected["in_traffic"] == true {
                "assigned"
            } else {
                "not_in_traffic"
            };
            if r["variant"] != expected["variant"] || r["reason"] != want_reason {
                mismatches.push(format!(
                    "case {}: got {r}, expected {expected}",
                    g * GROUP + k
                ));
            }
        }
        parallel(ids.len(), |k| {
            api.admin(
                "POST",
                &format!("/api/v1/experiments/{}/stop", ids[k]),
                None,
            )
            .0
        });
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
