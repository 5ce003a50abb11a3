//! The OpenAPI 3.1 document, generated from the route table and the types (`make openapi`
//! writes `worker/openapi.json`; `make test` fails when the committed file differs). Built
//! natively with the `openapi` feature; the Worker serves the committed file.

mod paths;
mod schemas;

pub use paths::openapi_path;
use serde_json::{Value, json};

/// The whole document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Cleave API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": concat!(
                "A/B testing at the edge: experiments on D1, assignment from the KV snapshot, statistics from the Rust core. ",
                "Generated from the Worker's route table and types (`make openapi`). ",
                "Errors are `{\"error\": {\"code\", \"message\", \"field\"?, \"details\"?}}`; `code` decides the status (the compatibility section adds FastAPI's `\"detail\"`, which its clients read). ",
                "Bodies are limited to 1 MiB (checked from Content-Length before reading); admin routes check the token before reading the body. ",
                "Public endpoints allow 600 requests per 10 s per client IP (429 + Retry-After); requests with the admin token or SNAPSHOT_TOKEN are exempt."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "servers": [{"url": "/", "description": "The Worker serving this document"}],
        "tags": [
            {"name": "experiments", "description": "Experiments: CRUD, lifecycle, results"},
            {"name": "assignment", "description": "Assignment, tracking and the batches"},
            {"name": "analysis", "description": "The stateless calculators"},
            {"name": "operations", "description": "Liveness, health, metrics, documents, the edge snapshot"},
            {"name": "compatibility", "description": "The compatibility API for ab-testing-service clients"},
            {"name": "openfeature", "description": "OpenFeature's remote evaluation protocol (OFREP v0.3.0): flags are experiments by key"},
            {"name": "integrations", "description": "Unleash: gates evaluated by Unleash's engine, its frontend API for Unleash's SDKs"}
        ],
        "paths": paths::paths(),
        "components": {
            "schemas": schemas::components(),
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic",
                    "description": "ADMIN_TOKEN as the password, any user name (the ab-testing-service clients' way)"},
                "bearerAuth": {"type": "http", "scheme": "bearer",
                    "description": "ADMIN_TOKEN; SNAPSHOT_TOKEN for the snapshot; METRICS_TOKEN for /metrics"}
            }
        }
    })
}

/// The document as the committed file holds it: two-space JSON and a final newline.
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
