//! Operational and stateless routes: ping, health, metrics, calculators, the OpenAPI
//! document (its viewer is the static `/docs/`), and the fallback for paths outside the table.

use super::{Call, call::json, store};
use crate::error::{ApiError, ApiResult};
use crate::host::setting;
use crate::service::{calculators, metrics, progress};
use crate::store::Store;
use worker::{Context, Env, Method, Request, Response, Result};

/// The OpenAPI 3.1 document, generated from the route table and the types (`make openapi`).
const OPENAPI: &str = include_str!("../../openapi.json");

/// `GET /ping`.
pub async fn ping(_c: Call) -> ApiResult<Response> {
    Ok(Response::ok("pong")?)
}

/// `GET /health`.
pub async fn health(c: Call) -> ApiResult<Response> {
    Ok(crate::health::handle(&c.env).await?)
}

/// `GET /metrics`: Prometheus text (access checked by the dispatcher).
pub async fn metrics(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    let (data, counters) =
        futures_util::future::join(store.metrics(), store.plane().counters()).await;
    let data = data?;
    let experiments = store.experiments(None).await?;
    let unleash = if crate::unleash::configured(&c.env) {
        Some(
            crate::unleash::status(&c.env)
                .await
                .unwrap_or_else(crate::unleash::UnleashStatus::not_fetched),
        )
    } else {
        None
    };
    let integrations = metrics::Integrations {
        counters: counters?,
        unleash,
        now_ms: crate::service::Host::now_ms(&crate::host::WorkerHost),
    };
    let text = metrics::render(
        &data,
        &progress::compute(&experiments, &data.assignments),
        crate::host::wasm_memory_bytes(),
        &integrations,
    );
    text_response(&text, "text/plain; version=0.0.4; charset=utf-8")
}

/// `POST /api/v1/analyze`.
pub async fn analyze(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    json(200, &calculators::analyze_request(&body)?)
}

/// `POST /api/v1/sample-size`.
pub async fn sample_size(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    json(200, &calculators::sample_size_request(&body)?)
}

/// `GET /openapi.json`.
pub async fn openapi(_c: Call) -> ApiResult<Response> {
    text_response(OPENAPI, "application/json")
}

fn text_response(body: &str, content_type: &str) -> ApiResult<Response> {
    let mut r = Response::ok(body)?;
    r.headers_mut().set("content-type", content_type)?;
    Ok(r)
}

/// Any path outside the table: proxied to `ORIGIN_URL` when set; else the root redirects
/// to the dashboard and everything else is a JSON 404.
pub async fn fallback(req: Request, env: Env, ctx: &Context) -> Result<Response> {
    match setting(&env, "ORIGIN_URL") {
        Some(origin) if !crate::proxy::is_cleave_path(&req.path()) => {
            crate::proxy::forward(req, &env, ctx, &origin).await
        }
        None if req.path() == "/" && req.method() == Method::Get => {
            Response::redirect_with_status(req.url()?.join("/admin/")?, 302)
        }
        _ => ApiError::not_found(format!(
            "no route for {} {}",
            req.method().as_ref(),
            req.path()
        ))
        .into_response(),
    }
}
