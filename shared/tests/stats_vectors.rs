//! Every case of the SciPy/statsmodels reference vectors (`vectors/*.jsonl`), compared
//! with the tolerances of `vectors/STATS-README.md`. Runs natively and under wasm.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::stats::{
    BayesResult, Counts, MdeType, SampleSizeInput, StatsError, Summary, benjamini_hochberg,
    beta_binomial, beta_binomial_quadrature, holm, msprt, sample_ratio_mismatch, sample_size,
    two_proportion, welch,
};
use serde_json::Value;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Relative tolerance of every float comparison.
const REL: f64 = 1e-9;
/// Absolute floor for p-values.
const P_FLOOR: f64 = 1e-300;

/// Failures collected over one file, reported together.
#[derive(Default)]
struct Check(Vec<String>);

impl Check {
    fn float(&mut self, id: &str, field: &str, actual: f64, expected: f64, scale: f64, floor: f64) {
        let ok = actual.is_finite() && (actual - expected).abs() <= (REL * scale).max(floor);
        if !ok {
            self.0.push(format!(
                "{id} {field}: got {actual:e}, expected {expected:e}"
            ));
        }
    }
    fn interval(&mut self, id: &str, field: &str, actual: [f64; 2], expected: &Value, floor: f64) {
        let e = [f(&expected[0]), f(&expected[1])];
        let half = (e[1] - e[0]) / 2.0;
        for k in 0..2 {
            self.float(
                id,
                &format!("{field}[{k}]"),
                actual[k],
                e[k],
                e[k].abs().max(half),
                floor,
            );
        }
    }
    fn finish(self, file: &str, cases: usize) {
        self.finish_with(file, cases, 120);
    }
    fn finish_with(self, file: &str, cases: usize, min_cases: usize) {
        assert!(cases >= min_cases, "{file}: only {cases} cases read");
        assert!(
            self.0.is_empty(),
            "{file}: {} mismatches:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}
fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}
fn counts(v: &Value) -> Counts {
    Counts {
        n: u(&v["n"]),
        conversions: u(&v["conversions"]),
    }
}
fn cases(text: &str) -> Vec<(String, Value, Value)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("valid JSON line");
            (
                v["id"].as_str().expect("id").to_string(),
                v["input"].clone(),
                v["expected"].clone(),
            )
        })
        .collect()
}

#[test]
fn two_proportion_vectors() {
    let all = cases(include_str!("vectors/two_proportion.jsonl"));
    let mut c = Check::default();
    for (id, i, e) in &all {
        let r = two_proportion(
            counts(&i["control"]),
            counts(&i["treatment"]),
            f(&i["alpha"]),
        )
        .expect("valid input");
        let (pc, pt) = (f(&e["control_rate"]), f(&e["treatment_rate"]));
        c.float(id, "control_rate", r.control_rate, pc, pc.abs(), 0.0);
        c.float(id, "treatment_rate", r.treatment_rate, pt, pt.abs(), 0.0);
        let diff = f(&e["diff"]);
        c.float(id, "diff", r.diff, diff, diff.abs().max(pc).max(pt), 0.0);
        let z = f(&e["z"]);
        c.float(id, "z", r.z, z, z.abs(), 1e-9);
        let p = f(&e["p_value"]);
        c.float(id, "p_value", r.p_value, p, p.abs(), P_FLOOR);
        c.interval(id, "diff_ci", r.diff_ci, &e["diff_ci"], 1e-15);
        c.interval(id, "control_ci", r.control_ci, &e["control_ci"], 1e-15);
        c.interval(
            id,
            "treatment_ci",
            r.treatment_ci,
            &e["treatment_ci"],
            1e-15,
        );
        match (r.relative_lift, e["relative_lift"].as_f64()) {
            (None, None) => {}
            (Some(a), Some(x)) => {
                c.float(id, "relative_lift", a, x, x.abs().max(pc.max(pt) / pc), 0.0)
            }
            (a, x) => {
                c.0.push(format!("{id} relative_lift: got {a:?}, expected {x:?}"))
            }
        }
    }
    c.finish("two_proportion", all.len());
}

#[test]
fn welch_vectors() {
    let all = cases(include_str!("vectors/welch.jsonl"));
    let mut c = Check::default();
    let summary = |v: &Value| Summary {
        n: u(&v["n"]),
        mean: f(&v["mean"]),
        variance: f(&v["variance"]),
    };
    for (id, i, e) in &all {
        let (sc, st) = (summary(&i["control"]), summary(&i["treatment"]));
        let r = welch(sc, st, f(&i["alpha"])).expect("valid input");
        let diff = f(&e["diff"]);
        c.float(
            id,
            "diff",
            r.diff,
            diff,
            diff.abs().max(sc.mean.abs()).max(st.mean.abs()),
            0.0,
        );
        let t = f(&e["t"]);
        c.float(id, "t", r.t, t, t.abs(), 1e-9);
        let df = f(&e["df"]);
        c.float(id, "df", r.df, df, df.abs(), 0.0);
        let p = f(&e["p_value"]);
        c.float(id, "p_value", r.p_value, p, p.abs(), P_FLOOR);
        c.interval(id, "diff_ci", r.diff_ci, &e["diff_ci"], 0.0);
    }
    c.finish("welch", all.len());
}

#[test]
fn sample_size_vectors() {
    let all = cases(include_str!("vectors/sample_size.jsonl"));
    let mut c = Check::default();
    for (id, i, e) in &all {
        let r = sample_size(SampleSizeInput {
            base_rate: f(&i["base_rate"]),
            mde: f(&i["mde"]),
            mde_type: MdeType::Relative,
            alpha: f(&i["alpha"]),
            power: f(&i["power"]),
        })
        .expect("valid input");
        if r.per_group != u(&e["n_per_group"]) {
            c.0.push(format!(
                "{id} n_per_group: got {}, expected {}",
                r.per_group, e["n_per_group"]
            ));
        }
        let raw = f(&e["n_per_group_raw"]);
        c.float(id, "n_per_group_raw", r.raw, raw, raw.abs(), 0.0);
    }
    c.finish("sample_size", all.len());
}

#[test]
fn srm_vectors() {
    let all = cases(include_str!("vectors/srm.jsonl"));
    let mut c = Check::default();
    for (id, i, e) in &all {
        let observed: Vec<u64> = i["observed"]
            .as_array()
            .expect("array")
            .iter()
            .map(u)
            .collect();
        let weights: Vec<f64> = i["weights"]
            .as_array()
            .expect("array")
            .iter()
            .map(f)
            .collect();
        let r = sample_ratio_mismatch(&observed, &weights).expect("valid input");
        let chi2 = f(&e["chi2"]);
        c.float(id, "chi2", r.chi2, chi2, chi2.abs(), 1e-12);
        if u64::from(r.df) != u(&e["df"]) {
            c.0.push(format!("{id} df: got {}, expected {}", r.df, e["df"]));
        }
        let p = f(&e["p_value"]);
        c.float(id, "p_value", r.p_value, p, p.abs(), P_FLOOR);
    }
    c.finish("srm", all.len());
}

fn check_adjustment(
    file: &str,
    text: &str,
    adjust: fn(&[f64]) -> Result<Vec<f64>, cleave_core::stats::StatsError>,
) {
    let all = cases(text);
    let mut c = Check::default();
    for (id, i, e) in &all {
        let p: Vec<f64> = i["p_values"]
            .as_array()
            .expect("array")
            .iter()
            .map(f)
            .collect();
        let expected: Vec<f64> = e["adjusted"]
            .as_array()
            .expect("array")
            .iter()
            .map(f)
            .collect();
        let r = adjust(&p).expect("valid input");
        assert_eq!(r.len(), expected.len(), "{id}: length");
        for (k, (a, x)) in r.iter().zip(&expected).enumerate() {
            c.float(id, &format!("adjusted[{k}]"), *a, *x, x.abs(), P_FLOOR);
        }
    }
    c.finish(file, all.len());
}

#[test]
fn holm_vectors() {
    check_adjustment("holm", include_str!("vectors/holm.jsonl"), holm);
}

#[test]
fn bh_vectors() {
    check_adjustment("bh", include_str!("vectors/bh.jsonl"), benjamini_hochberg);
}

/// Checks a Bayesian vector file against `bayes` (`min_cases` lines at least).
fn check_bayes(
    file: &str,
    text: &str,
    min_cases: usize,
    bayes: fn(Counts, Counts) -> Result<BayesResult, StatsError>,
) {
    let all = cases(text);
    let mut c = Check::default();
    for (id, i, e) in &all {
        let r = bayes(counts(&i["control"]), counts(&i["treatment"])).expect("valid input");
        let p = f(&e["prob_treatment_better"]);
        c.float(
            id,
            "prob_treatment_better",
            r.prob_treatment_better,
            p,
            p.abs(),
            1e-15,
        );
        let l = f(&e["expected_loss_treatment"]);
        c.float(
            id,
            "expected_loss_treatment",
            r.expected_loss_treatment,
            l,
            l.abs(),
            1e-15,
        );
    }
    c.finish_with(file, all.len(), min_cases);
}

#[test]
fn bayes_beta_vectors() {
    check_bayes(
        "bayes_beta",
        include_str!("vectors/bayes_beta.jsonl"),
        120,
        beta_binomial,
    );
}

/// The fixed-cost quadrature alone (used past `MAX_EXACT_TERMS`) meets the same
/// tolerances on every reference case, including n ≤ 3 and the skewed 0-conversion ones.
#[test]
fn bayes_beta_vectors_by_quadrature_alone() {
    check_bayes(
        "bayes_beta",
        include_str!("vectors/bayes_beta.jsonl"),
        120,
        beta_binomial_quadrature,
    );
}

/// Up to a billion users (`gen/bayes_large.py`, 60-digit exact sums), where
/// `beta_binomial` answers by quadrature.
#[test]
fn bayes_large_vectors() {
    check_bayes(
        "bayes_large",
        include_str!("vectors/bayes_large.jsonl"),
        12,
        beta_binomial,
    );
}

#[test]
fn msprt_vectors() {
    let all = cases(include_str!("vectors/msprt.jsonl"));
    let mut c = Check::default();
    for (id, i, e) in &all {
        let r = msprt(
            counts(&i["control"]),
            counts(&i["treatment"]),
            f(&i["tau2"]),
        )
        .expect("valid input");
        match (r.lambda, e["lambda"].as_f64()) {
            (None, None) => {}
            (Some(a), Some(x)) => c.float(id, "lambda", a, x, x.abs(), 0.0),
            (a, x) => c.0.push(format!("{id} lambda: got {a:?}, expected {x:?}")),
        }
        let p = f(&e["p_value"]);
        c.float(id, "p_value", r.p_value, p, p.abs(), P_FLOOR);
    }
    c.finish("msprt", all.len());
}
