//! The admin dashboard in headless Chromium (tests/browser/dashboard.mjs, playwright-core)
//! against a real `wrangler dev`: sign in, an invalid and a valid form, lifecycle, traffic,
//! results equal to the API's, exports, list filters, calculators, phone layout, delete.
//! Screenshots go to target/test-artifacts/browser/.

use cleave_e2e::{Wrangler, repo_root, run_node};

#[test]
fn dashboard_works_in_a_real_browser() {
    let worker = Wrangler::start("dashboard-browser");
    let artifacts = repo_root().join("target/test-artifacts/browser");
    let artifacts = artifacts.to_string_lossy().into_owned();
    run_node(
        "tests/browser/dashboard.mjs",
        &[
            ("CLEAVE_URL", &worker.base),
            ("CLEAVE_ADMIN_TOKEN", &worker.admin_token),
            ("ARTIFACTS", &artifacts),
        ],
        "[browser] all steps passed",
    );
}
