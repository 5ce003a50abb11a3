//! The one CORS policy: endpoints anyone may call allow any origin; admin, edge and metrics
//! endpoints allow only the origins in `ADMIN_ORIGINS` (default none: the dashboard is
//! same-origin), each with the methods its path really accepts.

use super::table::Access;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::host::setting;
use worker::{Cors, Env, Method, Response};

/// How long browsers may cache a preflight answer, in seconds.
const MAX_AGE: u32 = 86_400;
/// Response headers scripts on other origins may read.
const EXPOSED: [&str; 2] = ["etag", "retry-after"];

/// The origins allowed on admin-class endpoints (`ADMIN_ORIGINS`, comma-separated).
fn admin_origins(env: &Env) -> Vec<String> {
    setting(env, "ADMIN_ORIGINS")
        .map(|v| {
            v.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The policy for a request from `origin` to an endpoint of class `access`, or `None`
/// when that origin gets no CORS headers.
fn policy(env: &Env, access: Access, origin: Option<&str>, methods: &[Method]) -> Option<Cors> {
    let mut methods = methods.to_vec();
    methods.push(Method::Options);
    let cors = Cors::new()
        .with_methods(methods)
        .with_max_age(MAX_AGE)
        .with_exposed_headers(EXPOSED);
    if access.any_origin() {
        // Unleash's browser SDK sends its client key and these headers to /api/frontend.
        return Some(cors.with_origins(["*"]).with_allowed_headers([
            "content-type",
            "if-none-match",
            super::ofrep::RECORD_HEADER,
            "authorization",
            "unleash-appname",
            "unleash-sdk",
            "unleash-connection-id",
        ]));
    }
    let origin = origin?;
    admin_origins(env).iter().any(|o| o == origin).then(|| {
        cors.with_origins([origin]).with_allowed_headers([
            "authorization",
            "content-type",
            "if-match",
        ])
    })
}

/// Answers an `OPTIONS` request: a preflight (with `Origin`) per the policy, or a plain
/// `Allow` listing otherwise. A preflight from an origin that is not allowed is a 403.
pub fn preflight(
    env: &Env,
    access: Access,
    methods: &[Method],
    origin: Option<&str>,
) -> ApiResult<Response> {
    let mut response = Response::empty()?.with_status(204);
    response
        .headers_mut()
        .set("allow", &super::allow_header(methods))?;
    if origin.is_none() {
        return Ok(response);
    }
    let Some(cors) = policy(env, access, origin, methods) else {
        return Err(ApiError::new(
            ErrorCode::OriginNotAllowed,
            "this origin may not call admin endpoints (see ADMIN_ORIGINS)",
        ));
    };
    cors.apply_headers(response.headers_mut())?;
    vary_origin(&mut response, access)?;
    Ok(response)
}

/// Adds the CORS headers an actual (non-preflight) response gets.
pub fn decorate(
    mut response: Response,
    env: &Env,
    access: Access,
    methods: &[Method],
    origin: Option<&str>,
) -> ApiResult<Response> {
    if let Some(cors) = policy(env, access, origin, methods) {
        cors.apply_headers(response.headers_mut())?;
    }
    vary_origin(&mut response, access)?;
    Ok(response)
}

/// Admin-class answers depend on the request's `Origin`, so caches must key on it.
fn vary_origin(response: &mut Response, access: Access) -> ApiResult<()> {
    if !access.any_origin() {
        response.headers_mut().append("vary", "origin")?;
    }
    Ok(())
}
