//! GrowthBook's suite (`vectors/growthbook/cases.json`, MIT) beyond conditions: the file is
//! the one vendored (SHA-256), and the hash-independent range cases that map onto Cleave's
//! contract hold as per-variant shares of units. Every other case is listed in
//! `EXCLUDED.md` with its reason. Runs natively and under wasm.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::assign::{Allocation, Draw};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const SUITE: &str = include_str!("vectors/growthbook/cases.json");
const EXCLUDED: &str = include_str!("vectors/growthbook/EXCLUDED.md");
const SHA256: &str = "1422cb1bfc6f6035f78aa21e5181ab91f758e37f1688e2c6142aface7d953886";

fn suite() -> Value {
    serde_json::from_str(SUITE).expect("the suite is JSON")
}

/// Whether `EXCLUDED.md` lists `case` in a table row.
fn excluded(case: &str) -> bool {
    EXCLUDED
        .lines()
        .any(|l| l.starts_with(&format!("| {case} |")))
}

#[test]
fn the_vendored_suite_is_unchanged() {
    let digest = Sha256::digest(SUITE.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, SHA256);
    assert_eq!(suite()["specVersion"], "0.8.0");
}

/// The exact share of units an allocation gives each variant, found from its draw: the
/// first bucket of each variant (binary search over the 64-bit bucket) and the traffic
/// threshold, each to 2^-64.
fn shares(allocation: &Allocation, variants: usize) -> Vec<f64> {
    let first_bucket_of = |i: usize| -> u128 {
        if i == 0 {
            return 0;
        }
        let (mut lo, mut hi) = (0u128, 1u128 << 64);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match allocation.draw(0, mid as u64) {
                Draw::Variant(v) if v >= i => hi = mid,
                _ => lo = mid + 1,
            }
        }
        lo
    };
    let (mut lo, mut hi) = (0u128, 1u128 << 64);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if allocation.draw(mid as u64, 0) == Draw::NotInTraffic {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let coverage = lo as f64 / 2f64.powi(64);
    (0..variants)
        .map(|i| {
            let width = first_bucket_of(i + 1) - first_bucket_of(i);
            coverage * width as f64 / 2f64.powi(64)
        })
        .collect()
}

#[test]
fn bucket_ranges_hold_as_shares_of_units() {
    let suite = suite();
    let cases = suite["getBucketRange"].as_array().expect("getBucketRange");
    let mut ran = 0;
    for case in cases {
        let name = case[0].as_str().expect("name");
        if excluded(name) {
            continue;
        }
        let n = case[1][0].as_u64().expect("variations") as usize;
        let coverage = case[1][1].as_f64().expect("coverage");
        let weights: Vec<f64> = match case[1][2].as_array() {
            Some(w) => w.iter().map(|x| x.as_f64().expect("weight")).collect(),
            None => vec![1.0; n],
        };
        let allocation = Allocation::new(coverage, &weights).expect(name);
        let got = shares(&allocation, n);
        let want: Vec<f64> = case[2]
            .as_array()
            .expect("ranges")
            .iter()
            .map(|r| r[1].as_f64().expect("end") - r[0].as_f64().expect("start"))
            .collect();
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() < 1e-9,
                "{name}: shares {got:?}, expected widths {want:?}"
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 7, "the mapped cases ran");
}

#[test]
fn equal_weights_give_equal_shares() {
    let suite = suite();
    let mut ran = 0;
    for case in suite["getEqualWeights"]
        .as_array()
        .expect("getEqualWeights")
    {
        let n = case[0].as_i64().expect("n");
        if excluded(&n.to_string()) {
            continue;
        }
        let allocation = Allocation::new(1.0, &vec![1.0; n as usize]).expect("allocation");
        let got = shares(&allocation, n as usize);
        for (g, w) in got.iter().zip(case[1].as_array().expect("weights")) {
            assert!(
                (g - w.as_f64().expect("weight")).abs() < 1e-8,
                "{n}: {got:?}"
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 4);
}

#[test]
fn every_case_not_run_is_listed_with_a_reason() {
    let suite = suite();
    let sections = suite.as_object().expect("object");
    let run = [
        "evalCondition",
        "getBucketRange",
        "getEqualWeights",
        "specVersion",
    ];
    for section in sections.keys().filter(|s| !run.contains(&s.as_str())) {
        assert!(
            EXCLUDED
                .lines()
                .any(|l| l.starts_with("| ") && l.contains(section.as_str())),
            "section {section} is neither run nor listed in EXCLUDED.md"
        );
    }
}
