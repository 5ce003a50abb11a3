//! A small client for the Worker's API used by the end-to-end tests.

use crate::{Wrangler, http, send};
use serde_json::Value;

/// The API of one running `wrangler dev`.
pub struct Api {
    /// The server.
    pub w: Wrangler,
}

impl Api {
    /// Starts a fresh `wrangler dev` for a test.
    pub fn start(name: &str) -> Self {
        Self {
            w: Wrangler::start(name),
        }
    }

    /// Absolute URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.w.base)
    }

    /// A request with the admin token; returns status and parsed JSON (null if none).
    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let req = http()
            .request(method, &self.url(path))
            .set("authorization", &format!("Bearer {}", self.w.admin_token));
        let (status, text) = send(req, body.as_ref());
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A request without credentials.
    pub fn public(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, text) = send(http().request(method, &self.url(path)), body.as_ref());
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET /metrics` with the admin token (it is closed by default); panics unless 200.
    pub fn metrics_text(&self) -> String {
        let req = http()
            .get(&self.url("/metrics"))
            .set("authorization", &format!("Bearer {}", self.w.admin_token));
        let (status, text) = send(req, None);
        assert_eq!(status, 200, "/metrics: {text}");
        text
    }

    /// Creates and starts an experiment from a JSON body; returns it (panics on failure).
    pub fn running(&self, body: Value) -> Value {
        let (status, created) = self.admin("POST", "/api/v1/experiments", Some(body));
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().unwrap_or_default();
        let (status, started) =
            self.admin("POST", &format!("/api/v1/experiments/{id}/start"), None);
        assert_eq!(status, 200, "{started}");
        started
    }
}
