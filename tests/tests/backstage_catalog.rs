//! The Backstage example (`deploy/backstage/catalog-info.yaml`, docs/backstage.md): a
//! valid catalog entity whose `fawkes.io/experiments` annotation names experiments that
//! exist in `make dev`'s demo data, read through the API as Backstage's proxy would.

use cleave_e2e::{Api, repo_root};
use std::process::Command;

#[test]
fn the_catalog_example_names_experiments_the_api_serves() {
    let out = Command::new("node")
        .arg("tests/backstage/catalog.mjs")
        .current_dir(repo_root())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "deploy/backstage/catalog-info.yaml: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys: Vec<String> = serde_json::from_slice(&out.stdout).expect("a JSON array of keys");
    let api = Api::start("backstage");
    api.w
        .d1_execute_file(&repo_root().join("deploy/demo/demo.sql"));
    for key in &keys {
        let (status, e) = api.admin("GET", &format!("/api/v1/experiments/{key}"), None);
        assert_eq!(
            (status, e["key"].as_str()),
            (200, Some(key.as_str())),
            "{key}: {e}"
        );
        let (status, stats) = api.admin("GET", &format!("/api/v1/experiments/{key}/stats"), None);
        assert_eq!(status, 200, "{stats}");
        assert!(stats["recommendation"].is_string(), "{stats}");
    }
}
