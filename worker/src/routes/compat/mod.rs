//! The compatibility API for ab-testing-service clients (`/api/...`): its paths, field
//! names, statuses and `{"detail": …}` errors (rendered by the dispatcher for this
//! section), over the same decisions, stores and analysis as the v1 API.

mod assignments;
mod events;
mod experiments;

pub use assignments::{assignment, bulk, lookup, user_assignments};
pub use events::{conversion, event, events, impression};
pub use experiments::{StatusRequest, create, delete, get, list, patch, stats, status};

use super::Call;
use crate::error::ApiResult;
use worker::Response;

/// `GET /api/health`: the health checks in its shape (`{"status": "healthy" |
/// "unhealthy", …}`), 200 or 503.
pub async fn health(c: Call) -> ApiResult<Response> {
    let report = crate::health::check(&c.env).await;
    let healthy = report.status == "ok";
    let body = crate::health::CompatHealth {
        status: if healthy { "healthy" } else { "unhealthy" },
        service: "cleave",
        version: report.version,
        checks: report.checks,
    };
    Ok(Response::from_json(&body)?.with_status(if healthy { 200 } else { 503 }))
}

/// `GET /api/docs`: the API reference (Swagger UI at `/docs/`, opened at this section).
pub async fn docs(_c: Call) -> ApiResult<Response> {
    let mut response = Response::empty()?.with_status(302);
    response
        .headers_mut()
        .set("location", "/docs/#/compatibility")?;
    Ok(response)
}
