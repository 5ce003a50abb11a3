//! HTTP routes: parse, check auth, call the service, map the result. Nothing else.
//! One file per area; the helpers shared by all of them live here.

mod compat;
mod edge;
mod experiments;
mod ops;

use crate::auth::require;
use crate::error::{ApiError, ApiResult};
use crate::host::setting;
use crate::store::D1Store;
use serde::Serialize;
use std::rc::Rc;
use worker::{Context, Env, Headers, Request, Response, Result, RouteContext, Router};

/// The context every handler gets: the Workers `Context` (for `wait_until`).
type Ctx = RouteContext<Rc<Context>>;
/// The router being built.
type Routes = Router<'static, Rc<Context>>;

/// Builds the router.
pub fn router(ctx: Rc<Context>) -> Routes {
    let r = Router::with_data(ctx);
    let r = ops::routes(r);
    let r = experiments::routes(r);
    let r = edge::routes(r);
    compat::routes(r)
}

pub(super) fn param(c: &Ctx, name: &str) -> String {
    c.param(name).cloned().unwrap_or_default()
}

pub(super) fn store(env: &Env) -> ApiResult<D1Store> {
    env.d1("DB")
        .map(D1Store::new)
        .map_err(|e| ApiError::new(503, "storage_unavailable", format!("D1 binding: {e}")))
}

pub(super) fn query_string(req: &Request) -> String {
    req.url()
        .ok()
        .and_then(|u| u.query().map(str::to_string))
        .unwrap_or_default()
}

/// Rebuilds the snapshot from D1 and writes it to KV (logged, not fatal, on failure).
pub(super) async fn publish(env: &Env, store: &D1Store) {
    if let Err(e) = crate::cache::publish(env, store).await {
        worker::console_error!("publishing the snapshot failed: {e}");
    }
}

/// Runs an admin handler after checking `ADMIN_TOKEN`.
pub(super) async fn admin<T: Serialize>(
    req: &Request,
    env: &Env,
    f: impl Future<Output = ApiResult<(u16, T)>>,
) -> Result<Response> {
    let auth = req.headers().get("authorization").ok().flatten();
    match require(auth.as_deref(), &[setting(env, "ADMIN_TOKEN")], "admin") {
        Ok(()) => respond(f.await),
        Err(e) => e.into_response(),
    }
}

/// A public endpoint's response, with CORS.
pub(super) fn public<T: Serialize>(req: &Request, result: ApiResult<(u16, T)>) -> Result<Response> {
    with_cors(req, respond(result)?)
}

pub(super) fn respond<T: Serialize>(result: ApiResult<(u16, T)>) -> Result<Response> {
    match result {
        Ok((status, body)) => Ok(Response::from_json(&body)?.with_status(status)),
        Err(e) => e.into_response(),
    }
}

pub(super) fn with_cors(req: &Request, mut response: Response) -> Result<Response> {
    let origin = req
        .headers()
        .get("origin")
        .ok()
        .flatten()
        .unwrap_or_else(|| "*".to_string());
    let headers: &mut Headers = response.headers_mut();
    headers.set("access-control-allow-origin", &origin)?;
    headers.set("access-control-allow-methods", "GET, POST, OPTIONS")?;
    headers.set(
        "access-control-allow-headers",
        "content-type, authorization",
    )?;
    headers.set("vary", "origin")?;
    Ok(response)
}

/// A query string as a JSON object body, so one body parser (and its field-named errors)
/// serves both forms: the `numeric` keys become numbers when they parse as JSON numbers,
/// everything else stays a string.
pub(super) fn query_as_json(query: &str, numeric: &[&str]) -> Vec<u8> {
    let map: serde_json::Map<String, serde_json::Value> =
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| {
                let number = numeric
                    .contains(&k.as_ref())
                    .then(|| serde_json::from_str::<serde_json::Number>(&v).ok())
                    .flatten();
                let value = number.map_or_else(
                    || serde_json::Value::String(v.to_string()),
                    serde_json::Value::Number,
                );
                (k.into_owned(), value)
            })
            .collect();
    serde_json::Value::Object(map).to_string().into_bytes()
}
