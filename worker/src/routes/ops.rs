//! Operational and stateless routes: ping, health, metrics, calculators, OpenAPI, docs, the fallback.

use super::{Ctx, Routes, public, setting, store, with_cors};
use crate::auth::require;
use crate::error::{ApiError, ApiResult};
use crate::service::{calculators, metrics, progress};
use crate::store::Store;
use worker::{Env, Method, Request, Response, Result};

/// The OpenAPI 3.1 document (checked against the router by `worker/tests/openapi.rs`).
const OPENAPI: &str = include_str!("../../openapi.json");
/// The human-readable docs page; renders [`OPENAPI`] in the browser, no external assets.
const DOCS_PAGE: &str = include_str!("../../docs.html");

/// Adds this module's routes.
pub(super) fn routes(r: Routes) -> Routes {
    r.get_async("/ping", |_req, _c| async move { Response::ok("pong") })
        .get_async("/health", |_req, c| async move {
            crate::health::handle(&c.env).await
        })
        .get_async("/metrics", |req, c| async move {
            let auth = req.headers().get("authorization").ok().flatten();
            if let Some(token) = setting(&c.env, "METRICS_TOKEN")
                && let Err(e) = require(auth.as_deref(), &[Some(token)], "metrics")
            {
                return e.into_response();
            }
            match metrics_text(&c.env).await {
                Ok(text) => {
                    let mut r = Response::ok(text)?;
                    r.headers_mut()
                        .set("content-type", "text/plain; version=0.0.4; charset=utf-8")?;
                    Ok(r)
                }
                Err(e) => e.into_response(),
            }
        })
        .post_async("/api/v1/analyze", |mut req, _c| async move {
            let body = req.bytes().await?;
            public(&req, calculators::analyze_request(&body).map(|r| (200, r)))
        })
        .post_async("/api/v1/sample-size", |mut req, _c| async move {
            let body = req.bytes().await?;
            public(
                &req,
                calculators::sample_size_request(&body).map(|r| (200, r)),
            )
        })
        .get_async("/openapi.json", |_req, _c| async move {
            static_file(OPENAPI, "application/json")
        })
        .get_async("/docs", |_req, _c| async move {
            static_file(DOCS_PAGE, "text/html; charset=utf-8")
        })
        .options("/api/v1/*rest", |req, _| {
            with_cors(&req, Response::empty()?.with_status(204))
        })
        // The catch-all does not match the bare root, so it is routed explicitly.
        .or_else_any_method_async("/", fallback)
        .or_else_any_method_async("/*path", fallback)
}

/// Any other path: proxied to `ORIGIN_URL` when set; else the root redirects to the
/// dashboard and everything else is a JSON 404.
async fn fallback(req: Request, c: Ctx) -> Result<Response> {
    match setting(&c.env, "ORIGIN_URL") {
        Some(origin) if !crate::proxy::is_cleave_path(&req.path()) => {
            crate::proxy::forward(req, &c.env, &c.data, &origin).await
        }
        None if req.path() == "/" && req.method() == Method::Get => {
            Response::redirect_with_status(req.url()?.join("/admin/")?, 302)
        }
        _ => ApiError::not_found(format!("no route for {} {}", method_name(&req), req.path()))
            .into_response(),
    }
}

/// The Prometheus text: counts from storage plus each experiment's sample-size progress.
async fn metrics_text(env: &Env) -> ApiResult<String> {
    let store = store(env)?;
    let data = store.metrics().await?;
    let experiments = store.experiments(None).await?;
    Ok(metrics::render(
        &data,
        &progress::compute(&experiments, &data.assignments),
    ))
}

fn static_file(body: &str, content_type: &str) -> Result<Response> {
    let mut r = Response::ok(body)?;
    r.headers_mut().set("content-type", content_type)?;
    Ok(r)
}

fn method_name(req: &Request) -> &'static str {
    match req.method() {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Patch => "PATCH",
        _ => "request",
    }
}
