//! Schemathesis against a real `wrangler dev` and the Worker's own `/openapi.json`: every
//! check, a fixed seed, once with the admin token and once without. The gate: no server
//! errors, no response outside the document, no undocumented status, no schema-valid
//! request refused and no schema-violating one accepted. The only exceptions are in
//! `tests/schemathesis/schemathesis.toml`, each with its reason.

use cleave_e2e::{Wrangler, repo_root};
use std::process::Command;

/// Seconds each run may take (it stops generating then; the coverage phase comes first).
/// `CLEAVE_ST_SECONDS` overrides it for a deeper local run.
const MAX_SECONDS: &str = "120";
/// Examples per operation in the fuzzing and stateful phases (`CLEAVE_ST_EXAMPLES`; the
/// seed, fixed so a failure reproduces, is `CLEAVE_ST_SEED`).
const EXAMPLES: &str = "5";

/// `name` from the environment, else `default`.
fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// Runs schemathesis and returns how many test cases it generated; panics on any failure.
fn run(base: &str, token: Option<&str>, name: &str) -> u64 {
    let st = repo_root().join(".venv/bin/st");
    let mut cmd = Command::new(&st);
    cmd.arg("--config-file")
        .arg(repo_root().join("tests/schemathesis/schemathesis.toml"))
        .args(["run", &format!("{base}/openapi.json"), "--url", base])
        // One worker: with two, Hypothesis races on a shared cache (a KeyError in its lambda
        // source cache) and schemathesis reports a runtime error that is not the API's.
        .args([
            "--checks",
            "all",
            "-n",
            &setting("CLEAVE_ST_EXAMPLES", EXAMPLES),
            "--seed",
            &setting("CLEAVE_ST_SEED", "20261201"),
            "-w",
            "1",
        ])
        .args([
            "--max-time",
            &setting("CLEAVE_ST_SECONDS", MAX_SECONDS),
            "--no-color",
        ]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e} (make tools installs it)", st.display()));
    let text = String::from_utf8_lossy(&out.stdout);
    let log = repo_root().join(format!("target/e2e-logs/schemathesis-{name}.log"));
    let _ = std::fs::write(&log, text.as_bytes());
    assert!(
        out.status.success(),
        "schemathesis ({name}) found failures (full output in {}):\n{}",
        log.display(),
        report(&text)
    );
    // The summary line: "4980 generated, 4980 passed, 26 skipped".
    let generated = text
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" generated,")
                .map(|(n, _)| n.to_string())
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    println!("schemathesis ({name}): {generated} test cases, every check passed");
    generated
}

/// What to show of a failed run: its FAILURES section (each failing operation with its
/// reproducing curl) and the summary; CI keeps only the end of a log, so this goes first.
fn report(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let header = |word: &str| {
        lines
            .iter()
            .position(|l| l.starts_with("===") && l.contains(word))
    };
    let failures = match (header(" FAILURES "), header(" WARNINGS ")) {
        (Some(a), Some(b)) if a < b => lines[a..b].join("\n"),
        (Some(a), _) => lines[a..]
            .iter()
            .take(80)
            .copied()
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    let summary = header(" SUMMARY ").map_or_else(
        || {
            lines
                .iter()
                .rev()
                .take(40)
                .rev()
                .copied()
                .collect::<Vec<_>>()
                .join("\n")
        },
        |s| lines[s..].join("\n"),
    );
    format!("{failures}\n{summary}")
}

#[test]
fn the_api_matches_its_document_under_schemathesis() {
    let w = Wrangler::start("schemathesis");
    let with_token = run(&w.base, Some(&w.admin_token), "admin");
    let without = run(&w.base, None, "public");
    assert!(
        with_token + without >= 1_000,
        "only {with_token} + {without} test cases were generated"
    );
}
