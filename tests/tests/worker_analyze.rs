//! `/analyze` reproduces the public SciPy/statsmodels vectors (two-proportion, Welch,
//! Bayesian, mSPRT) over HTTP, with the tolerances of the reference README.

use cleave_e2e::{Api, repo_root};
use serde_json::{Value, json};

fn cases(file: &str) -> Vec<Value> {
    std::fs::read_to_string(repo_root().join("shared/tests/vectors").join(file))
        .expect("vectors")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

fn close(a: &Value, e: f64, scale: f64, floor: f64) -> bool {
    a.as_f64()
        .is_some_and(|a| (a - e).abs() <= (1e-9 * scale).max(floor))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

#[test]
fn analyze_reproduces_the_reference_vectors() {
    let api = Api::start("analyze");
    let mut failures = Vec::new();
    for c in cases("two_proportion.jsonl") {
        let (i, e) = (&c["input"], &c["expected"]);
        let body = json!({"alpha": i["alpha"], "correction": "none", "variants": [
            {"name": "control", "sample_size": i["control"]["n"], "conversions": i["control"]["conversions"]},
            {"name": "treatment", "sample_size": i["treatment"]["n"], "conversions": i["treatment"]["conversions"]}]});
        let (status, r) = api.public("POST", "/api/v1/analyze", Some(body));
        let cmp = &r["comparisons"][0];
        let ok = status == 200
            && close(
                &cmp["p_value"],
                f(&e["p_value"]),
                f(&e["p_value"]).abs(),
                1e-300,
            )
            && close(&cmp["statistic"], f(&e["z"]), f(&e["z"]).abs(), 1e-9)
            && (0..2).all(|k| {
                let (lo, hi) = (f(&e["diff_ci"][0]), f(&e["diff_ci"][1]));
                close(
                    &cmp["difference_ci"][k],
                    f(&e["diff_ci"][k]),
                    f(&e["diff_ci"][k]).abs().max((hi - lo) / 2.0),
                    1e-15,
                )
            })
            && (cmp["relative_lift"].is_null() == e["relative_lift"].is_null());
        if !ok {
            failures.push(format!("{}: {status} {cmp}", c["id"]));
        }
    }
    for c in cases("welch.jsonl") {
        let (i, e) = (&c["input"], &c["expected"]);
        let variant = |name: &str, g: &Value| json!({"name": name, "sample_size": g["n"], "mean": g["mean"], "variance": g["variance"]});
        let body = json!({"metric_type": "continuous", "alpha": i["alpha"], "correction": "none",
            "variants": [variant("control", &i["control"]), variant("treatment", &i["treatment"])]});
        let (status, r) = api.public("POST", "/api/v1/analyze", Some(body));
        let cmp = &r["comparisons"][0];
        let ok = status == 200
            && close(
                &cmp["p_value"],
                f(&e["p_value"]),
                f(&e["p_value"]).abs(),
                1e-300,
            )
            && close(&cmp["df"], f(&e["df"]), f(&e["df"]).abs(), 0.0)
            && close(&cmp["statistic"], f(&e["t"]), f(&e["t"]).abs(), 1e-9);
        if !ok {
            failures.push(format!("{}: {status} {cmp}", c["id"]));
        }
    }
    for c in cases("bayes_beta.jsonl") {
        let (i, e) = (&c["input"], &c["expected"]);
        let body = json!({"variants": [
            {"name": "control", "sample_size": i["control"]["n"], "conversions": i["control"]["conversions"]},
            {"name": "treatment", "sample_size": i["treatment"]["n"], "conversions": i["treatment"]["conversions"]}]});
        let (status, r) = api.public("POST", "/api/v1/analyze", Some(body));
        let cmp = &r["comparisons"][0];
        let p = f(&e["prob_treatment_better"]);
        let l = f(&e["expected_loss_treatment"]);
        if !(status == 200
            && close(&cmp["probability_to_beat_control"], p, p.abs(), 1e-15)
            && close(&cmp["expected_loss"], l, l.abs(), 1e-15))
        {
            failures.push(format!("{}: {status} {cmp}", c["id"]));
        }
    }
    for c in cases("msprt.jsonl") {
        let (i, e) = (&c["input"], &c["expected"]);
        let body = json!({"sequential_tau2": i["tau2"], "variants": [
            {"name": "control", "sample_size": i["control"]["n"], "conversions": i["control"]["conversions"]},
            {"name": "treatment", "sample_size": i["treatment"]["n"], "conversions": i["treatment"]["conversions"]}]});
        let (status, r) = api.public("POST", "/api/v1/analyze", Some(body));
        let p = f(&e["p_value"]);
        if !(status == 200
            && close(
                &r["comparisons"][0]["sequential_p_value"],
                p,
                p.abs(),
                1e-300,
            ))
        {
            failures.push(format!("{}: {status} {}", c["id"], r["comparisons"][0]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
