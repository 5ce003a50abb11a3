//! The admin dashboard in headless Chromium (tests/browser/dashboard.mjs, playwright-core)
//! against a real `wrangler dev`: sign in, an invalid and a valid form, lifecycle, traffic,
//! results equal to the API's, exports, list filters, calculators, phone layout, delete.
//! Screenshots go to target/test-artifacts/browser/.

use cleave_e2e::{Wrangler, repo_root};
use std::process::Command;

#[test]
fn dashboard_works_in_a_real_browser() {
    let worker = Wrangler::start("dashboard-browser");
    let artifacts = repo_root().join("target/test-artifacts/browser");
    let output = Command::new("node")
        .arg("tests/browser/dashboard.mjs")
        .current_dir(repo_root())
        .env("CLEAVE_URL", &worker.base)
        .env("CLEAVE_ADMIN_TOKEN", &worker.admin_token)
        .env("ARTIFACTS", &artifacts)
        .output()
        .expect("node runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{log}");
    assert!(output.status.success(), "browser test failed:\n{log}");
    assert!(log.contains("[browser] all steps passed"), "{log}");
}
