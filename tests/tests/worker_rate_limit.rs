//! The public endpoints' per-client rate limit, with `wrangler.toml` as shipped (600
//! requests per 10 s per client IP, enforced by `wrangler dev`'s rate-limit binding).

use cleave_e2e::{Wrangler, WranglerConfig, http};
use serde_json::{Value, json};

#[test]
fn public_writes_are_limited_per_client_and_trusted_callers_are_not() {
    let w = Wrangler::start_configured("rate-limit", &[], WranglerConfig::Shipped);
    let url = format!("{}/api/v1/sample-size", w.base);
    let body = json!({"base_rate": 0.1, "mde": 0.1});
    // Fixed 10 s windows of 600: within 1,300 requests one window must overflow.
    let mut limited = None;
    for i in 0..1_300 {
        match http().post(&url).send_json(body.clone()) {
            Ok(_) => {}
            Err(ureq::Error::Status(429, r)) => {
                limited = Some((i, r));
                break;
            }
            Err(e) => panic!("request {i}: {e}"),
        }
    }
    let (count, r) = limited.expect("no 429 within 1,300 requests from one client");
    assert!(count >= 600, "limited after only {count} requests");
    assert_eq!(r.header("retry-after"), Some("10"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let e: Value = r.into_json().expect("JSON error");
    assert_eq!(e["error"]["code"], "rate_limited", "{e}");
    // In the same window: a caller with the admin token is not limited, nor are the admin
    // API and the health check.
    let trusted = http()
        .post(&url)
        .set("authorization", &format!("Bearer {}", w.admin_token))
        .send_json(body);
    assert!(trusted.is_ok(), "{trusted:?}");
    let admin = http()
        .get(&format!("{}/api/v1/experiments", w.base))
        .set("authorization", &format!("Bearer {}", w.admin_token))
        .call();
    assert!(admin.is_ok(), "{admin:?}");
    assert!(http().get(&format!("{}/health", w.base)).call().is_ok());
}
