//! Helpers for Cleave's end-to-end tests: real servers on 127.0.0.1, started by the
//! tests and torn down with their whole process group.

mod api;
pub mod contract;
mod echo;
mod envoy;
mod node;
mod parallel;
mod plausible;
mod process;
pub mod promql;
mod raw;
mod unleash;
mod wrangler;

pub use api::Api;
pub use echo::EchoServer;
pub use envoy::{
    Envoy, envoy_binary as envoy_binary_path, example_config as envoy_example_config,
    synced_config as envoy_synced_config,
};
pub use node::{run_node, run_python};
pub use parallel::{THREADS, parallel};
pub use plausible::{PlausibleEvent, PlausibleStub};
pub use process::{Process, free_port, repo_root, wait_for};
pub use raw::RawClient;
pub use unleash::{Features, UnleashStub};
pub use wrangler::{Config as WranglerConfig, Wrangler};

/// A blocking HTTP agent that never treats 4xx/5xx as transport errors.
pub fn http() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(30))
        .build()
}

/// Sends a request and returns (status, body), whatever the status. A response from a
/// Worker must be one its OpenAPI document allows ([`contract::assert_conforms`]).
pub fn send(req: ureq::Request, body: Option<&serde_json::Value>) -> (u16, String) {
    let method = req.method().to_string();
    let result = match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    };
    // A followed redirect answered from its final URL: that is the response checked.
    let (status, text, url) = match result {
        Ok(r) => {
            let at = r.get_url().to_string();
            (r.status(), r.into_string().unwrap_or_default(), at)
        }
        Err(ureq::Error::Status(code, r)) => {
            let at = r.get_url().to_string();
            (code, r.into_string().unwrap_or_default(), at)
        }
        Err(e) => panic!("transport error: {e}"),
    };
    contract::assert_conforms(&method, &url, status, &text);
    (status, text)
}

/// Exposed users over all variants of a `/stats` report.
pub fn exposed_users(stats: &serde_json::Value) -> u64 {
    stats["variants"].as_array().map_or(0, |v| {
        v.iter()
            .map(|x| x["sample_size"].as_u64().unwrap_or(0))
            .sum()
    })
}

/// The user id in a `Set-Cookie: cleave_uid=<id>; ...` value.
pub fn cleave_uid(set_cookie: &str) -> String {
    set_cookie
        .trim_start_matches("cleave_uid=")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string()
}
