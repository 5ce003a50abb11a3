//! The Worker under a real `wrangler dev`: health checks reach D1 and KV; unknown routes
//! are JSON 404s; the root redirects to the dashboard.

use cleave_e2e::{Wrangler, http, send};
use serde_json::Value;

#[test]
fn health_reports_d1_kv_and_versions_and_unknown_routes_are_json_404s() {
    let w = Wrangler::start("health");
    let (status, body) = send(http().get(&format!("{}/health", w.base)), None);
    assert_eq!(status, 200, "{body}");
    let health: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["checks"]["d1"]["ok"], true);
    assert_eq!(health["checks"]["kv"]["ok"], true);
    assert_eq!(health["assignment_spec"], cleave_core::assign::SPEC_VERSION);
    assert_eq!(health["version"], cleave_core::VERSION);

    let (status, body) = send(http().get(&format!("{}/no/such/route", w.base)), None);
    assert_eq!(status, 404);
    let error: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(error["error"]["code"], "not_found");

    // Without ORIGIN_URL the root leads to the dashboard, which the assets layer serves
    // with its security headers.
    let root = ureq::AgentBuilder::new()
        .redirects(0)
        .build()
        .get(&format!("{}/", w.base))
        .call()
        .expect("a redirect");
    assert_eq!(root.status(), 302);
    assert_eq!(
        root.header("location"),
        Some(format!("{}/admin/", w.base).as_str())
    );
    let page = http()
        .get(&format!("{}/admin/", w.base))
        .call()
        .expect("the dashboard");
    assert_eq!(page.status(), 200);
    let csp = page
        .header("content-security-policy")
        .unwrap_or_default()
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let html = page.into_string().expect("html");
    assert!(
        html.contains("app.js") && html.contains("styles.css"),
        "{html}"
    );
}
