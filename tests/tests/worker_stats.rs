//! `/stats` on a seeded dataset (exposures and events through the batch endpoints)
//! against reference values computed independently with SciPy from the raw per-user
//! arrays: 3 × 2,000 users; 240 / 290 / 250 converters; converter k spends 1 + (k mod 10).
//!
//! Reference (scipy 1.17, `proportions_ztest`-equivalent pooled z and `ttest_ind(equal_var=False)`):
//! b vs control: z = 2.3318323754456136, p = 0.0197095111320442, Holm p = 0.0394190222640884,
//!               Welch t = 2.034475436051106, p = 0.04197000517383742, mean 0.7975, var 4.948968234117059
//! c vs control: z = 0.4822568414684131, p = 0.6296235021783563 (Holm unchanged),
//!               Welch t = 0.4211251328301715, p = 0.6736863549307597
//! control: mean 0.66, var 4.1864932466233125

use cleave_core::model::Experiment;
use cleave_e2e::Api;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PER_VARIANT: usize = 2000;

fn close(v: &Value, expected: f64, rel: f64) -> bool {
    v.as_f64()
        .is_some_and(|a| (a - expected).abs() <= rel * expected.abs())
}

#[test]
fn stats_on_a_seeded_dataset_match_scipy() {
    let api = Api::start("stats-seeded");
    let created = api.running(json!({
        "name": "Seeded", "metrics": ["purchase", "revenue"],
        "variants": [{"name": "control"}, {"name": "b"}, {"name": "c"}]
    }));
    let id = created["id"].as_str().unwrap_or_default().to_string();
    let model: Experiment = serde_json::from_value(created).expect("model");
    // Fill each variant with exactly 2,000 users, using the core's own assignment.
    let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut i = 0;
    while users.values().map(Vec::len).sum::<usize>() < 3 * PER_VARIANT {
        let user = format!("user-{i}");
        i += 1;
        let variant = model
            .assign(&user)
            .expect("valid")
            .variant_name()
            .expect("full traffic")
            .to_string();
        let list = users.entry(variant).or_default();
        if list.len() < PER_VARIANT {
            list.push(user);
        }
    }
    let id_ref = &id;
    let exposures: Vec<Value> = users
        .iter()
        .flat_map(|(v, list)| {
            list.iter()
                .map(move |u| json!({"experiment_id": id_ref, "user_id": u, "variant": v}))
        })
        .collect();
    for chunk in exposures.chunks(1000) {
        let (status, r) = api.public(
            "POST",
            "/api/v1/exposures/batch",
            Some(json!({"exposures": chunk})),
        );
        assert_eq!(
            (status, r["recorded"].as_u64()),
            (200, Some(chunk.len() as u64)),
            "{}",
            r["results"][0]
        );
    }
    let converters = [("control", 240), ("b", 290), ("c", 250)];
    let mut events = Vec::new();
    for (variant, count) in converters {
        for (k, user) in users[variant].iter().take(count).enumerate() {
            events.push(json!({"experiment_id": id, "user_id": user, "event_name": "purchase", "event_id": format!("p-{user}")}));
            // Revenue 1 + (k mod 10), split over two events to exercise the per-user sum.
            let value = 1.0 + (k % 10) as f64;
            events.push(json!({"experiment_id": id, "user_id": user, "event_name": "revenue", "value": value / 2.0, "event_id": format!("r1-{user}")}));
            events.push(json!({"experiment_id": id, "user_id": user, "event_name": "revenue", "value": value / 2.0, "event_id": format!("r2-{user}")}));
        }
    }
    for chunk in events.chunks(1000) {
        let (status, r) = api.public(
            "POST",
            "/api/v1/events/batch",
            Some(json!({"events": chunk})),
        );
        assert_eq!((status, r["rejected"].as_u64()), (200, Some(0)), "{r}");
    }

    let (status, s) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["metric"], "purchase");
    assert_eq!(s["total_conversions"], 780);
    assert_eq!(s["srm"]["chi2"], 0.0);
    let b = &s["comparisons"][0];
    let c = &s["comparisons"][1];
    assert_eq!(
        (b["variant"].as_str(), c["variant"].as_str()),
        (Some("b"), Some("c"))
    );
    assert!(
        close(&b["statistic"], 2.3318323754456136, 1e-9)
            && close(&b["p_value"], 0.0197095111320442, 1e-9),
        "{b}"
    );
    assert!(
        close(&b["adjusted_p_value"], 0.0394190222640884, 1e-9),
        "{b}"
    );
    assert!(
        close(&c["statistic"], 0.4822568414684131, 1e-9)
            && close(&c["adjusted_p_value"], 0.6296235021783563, 1e-9),
        "{c}"
    );
    assert_eq!(s["winner"], "b", "{}", s["recommendation"]);
    assert!(
        s["recommendation"]
            .as_str()
            .unwrap_or("")
            .contains("b shows +20.8% over control"),
        "{}",
        s["recommendation"]
    );

    let (status, r) = api.admin(
        "GET",
        &format!(
            "/api/v1/experiments/{id}/stats?metric=revenue&metric_type=continuous&correction=none"
        ),
        None,
    );
    assert_eq!(status, 200, "{r}");
    let b = &r["comparisons"][0];
    assert_eq!(b["test"], "welch_t");
    assert!(
        close(&b["statistic"], 2.034475436051106, 1e-9)
            && close(&b["p_value"], 0.04197000517383742, 1e-9),
        "{b}"
    );
    assert!(
        close(&r["comparisons"][1]["p_value"], 0.6736863549307597, 1e-9),
        "{}",
        r["comparisons"][1]
    );
    assert!(
        close(&r["variants"][0]["mean_value"], 0.66, 1e-12),
        "{}",
        r["variants"][0]
    );
    assert!(
        close(
            &r["variants"][1]["std_dev"],
            4.948968234117059_f64.sqrt(),
            1e-9
        ),
        "{}",
        r["variants"][1]
    );
}
