//! The route table: every endpoint once, with its method, path and access class. The
//! dispatcher (`routes/mod.rs`) reads auth, rate limiting, CORS, `Allow` and the 405
//! answers from it, so no endpoint can differ from its neighbours by accident.

use super::{Call, compat, edge, experiments, ops};
use crate::error::ApiResult;
use futures_util::future::LocalBoxFuture;
use worker::{Method, Response};

/// Who may call an endpoint, checked before its body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, not rate limited (liveness, documents).
    Open,
    /// Anyone, rate limited per client IP unless the request carries an edge or admin
    /// token; CORS from any origin (browsers call these).
    Public,
    /// `ADMIN_TOKEN`; CORS only from `ADMIN_ORIGINS`.
    Admin,
    /// `ADMIN_TOKEN` or `SNAPSHOT_TOKEN` (edges, the Envoy filter).
    Edge,
    /// `METRICS_TOKEN` or `ADMIN_TOKEN`, unless `METRICS_PUBLIC=true`.
    Metrics,
}

impl Access {
    /// Whether browsers on other origins may call it (any origin), as opposed to only the
    /// configured `ADMIN_ORIGINS`.
    pub fn any_origin(self) -> bool {
        matches!(self, Self::Open | Self::Public)
    }
}

/// A handler: the call in, a response (or an API error) out.
pub type Handler = fn(Call) -> LocalBoxFuture<'static, ApiResult<Response>>;

/// One endpoint.
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path pattern (`:name` segments are parameters).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// What answers it.
    pub handler: Handler,
}

const fn route(method: Method, path: &'static str, access: Access, handler: Handler) -> Route {
    Route {
        method,
        path,
        access,
        handler,
    }
}

use Access::{Admin, Edge, Metrics, Open, Public};
use Method::{Delete, Get, Post, Put};

/// Every endpoint the Worker serves (anything else falls through to the edge proxy, the
/// dashboard redirect or a JSON 404).
pub static ROUTES: [Route; 31] = [
    route(Get, "/ping", Open, |c| Box::pin(ops::ping(c))),
    route(Get, "/health", Open, |c| Box::pin(ops::health(c))),
    route(Get, "/metrics", Metrics, |c| Box::pin(ops::metrics(c))),
    route(Get, "/openapi.json", Open, |c| Box::pin(ops::openapi(c))),
    route(Get, "/docs", Open, |c| Box::pin(ops::docs(c))),
    route(Post, "/api/v1/analyze", Public, |c| {
        Box::pin(ops::analyze(c))
    }),
    route(Post, "/api/v1/sample-size", Public, |c| {
        Box::pin(ops::sample_size(c))
    }),
    route(Get, "/api/v1/experiments", Admin, |c| {
        Box::pin(experiments::list(c))
    }),
    route(Post, "/api/v1/experiments", Admin, |c| {
        Box::pin(experiments::create(c))
    }),
    route(Get, "/api/v1/progress", Admin, |c| {
        Box::pin(experiments::progress(c))
    }),
    route(Get, "/api/v1/experiments/:id", Admin, |c| {
        Box::pin(experiments::get(c))
    }),
    route(Put, "/api/v1/experiments/:id", Admin, |c| {
        Box::pin(experiments::update(c))
    }),
    route(Delete, "/api/v1/experiments/:id", Admin, |c| {
        Box::pin(experiments::delete(c))
    }),
    route(Get, "/api/v1/experiments/:id/stats", Admin, |c| {
        Box::pin(experiments::stats(c))
    }),
    route(Post, "/api/v1/experiments/:id/start", Admin, |c| {
        Box::pin(experiments::start(c))
    }),
    route(Post, "/api/v1/experiments/:id/pause", Admin, |c| {
        Box::pin(experiments::pause(c))
    }),
    route(Post, "/api/v1/experiments/:id/resume", Admin, |c| {
        Box::pin(experiments::resume(c))
    }),
    route(Post, "/api/v1/experiments/:id/stop", Admin, |c| {
        Box::pin(experiments::stop(c))
    }),
    route(Post, "/api/v1/experiments/:id/archive", Admin, |c| {
        Box::pin(experiments::archive(c))
    }),
    route(Post, "/api/v1/experiments/:id/assign", Public, |c| {
        Box::pin(edge::assign(c))
    }),
    route(Post, "/api/v1/experiments/:id/track", Public, |c| {
        Box::pin(edge::track(c))
    }),
    route(Post, "/api/v1/events/batch", Public, |c| {
        Box::pin(edge::events_batch(c))
    }),
    route(Post, "/api/v1/exposures/batch", Public, |c| {
        Box::pin(edge::exposures_batch(c))
    }),
    route(Get, "/api/v1/snapshot", Edge, |c| {
        Box::pin(edge::snapshot(c))
    }),
    route(Post, "/api/experiments", Admin, |c| {
        Box::pin(compat::create(c))
    }),
    route(Get, "/api/experiments/:name", Admin, |c| {
        Box::pin(compat::get(c))
    }),
    route(Post, "/api/experiments/:name/status", Admin, |c| {
        Box::pin(compat::status(c))
    }),
    route(Get, "/api/experiments/:name/stats", Admin, |c| {
        Box::pin(compat::stats(c))
    }),
    route(Post, "/api/assignments/get", Public, |c| {
        Box::pin(compat::assignment(c))
    }),
    route(Post, "/api/events/impression", Public, |c| {
        Box::pin(compat::impression(c))
    }),
    route(Post, "/api/events/conversion", Public, |c| {
        Box::pin(compat::conversion(c))
    }),
];
