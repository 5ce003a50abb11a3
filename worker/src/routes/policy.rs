//! Who gets in, decided from the headers alone, before any body is read: tokens for the
//! admin, edge and metrics classes; a per-client rate limit for public endpoints.

use super::table::Access;
use crate::auth::{Scheme, bearer, constant_time_eq, require, require_with};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::host::setting;
use worker::{Env, Request};

/// The rate-limit binding (`[[ratelimits]]` in `wrangler.toml`).
pub const RATE_LIMIT_BINDING: &str = "PUBLIC_RATE_LIMIT";
/// The binding's period, sent as `Retry-After` (keep equal to `simple.period` in
/// `wrangler.toml`; Cloudflare allows 10 or 60 seconds).
pub const RATE_LIMIT_PERIOD_SECONDS: u32 = 10;

/// Admits a request to an endpoint of the given access class, or says why not.
pub async fn admit(req: &Request, env: &Env, access: Access) -> ApiResult<()> {
    let auth = req.headers().get("authorization").ok().flatten();
    let auth = auth.as_deref();
    match access {
        Access::Open => Ok(()),
        Access::Admin => require(auth, &[setting(env, "ADMIN_TOKEN")], "admin"),
        Access::AdminOrBasic => require_with(
            auth,
            &[setting(env, "ADMIN_TOKEN")],
            "admin",
            Scheme::BearerOrBasic,
        ),
        Access::Edge => require(
            auth,
            &[setting(env, "ADMIN_TOKEN"), setting(env, "SNAPSHOT_TOKEN")],
            "snapshot",
        ),
        Access::Metrics if metrics_public(env) => Ok(()),
        Access::Metrics => require(
            auth,
            &[setting(env, "METRICS_TOKEN"), setting(env, "ADMIN_TOKEN")],
            "metrics",
        ),
        Access::Public if trusted(auth, env) => Ok(()),
        Access::Public => rate_limit(req, env).await,
    }
}

/// `METRICS_PUBLIC=true` opens `/metrics` to anyone (local development).
fn metrics_public(env: &Env) -> bool {
    setting(env, "METRICS_PUBLIC").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether the request carries the admin or the edge token (a server-side client).
pub fn trusted_caller(req: &Request, env: &Env) -> bool {
    trusted(
        req.headers().get("authorization").ok().flatten().as_deref(),
        env,
    )
}

/// A public request carrying the admin or the edge token (a server-side client such as
/// your backend or the Envoy filter) is not rate limited.
fn trusted(auth: Option<&str>, env: &Env) -> bool {
    let Some(token) = bearer(auth) else {
        return false;
    };
    [setting(env, "ADMIN_TOKEN"), setting(env, "SNAPSHOT_TOKEN")]
        .iter()
        .flatten()
        .fold(false, |ok, t| {
            constant_time_eq(token.as_bytes(), t.as_bytes()) | ok
        })
}

/// One hit on the client's bucket (keyed by `CF-Connecting-IP`); 429 when it is full.
/// Without the binding, or when it fails, requests pass (logged): availability first.
async fn rate_limit(req: &Request, env: &Env) -> ApiResult<()> {
    let Ok(limiter) = env.rate_limiter(RATE_LIMIT_BINDING) else {
        return Ok(());
    };
    let client = req
        .headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".to_string());
    match limiter.limit(client).await {
        Ok(outcome) if !outcome.success => Err(ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "too many requests from this client; retry after {RATE_LIMIT_PERIOD_SECONDS} s"
            ),
        )
        .with_retry_after(RATE_LIMIT_PERIOD_SECONDS)),
        Ok(_) => Ok(()),
        Err(e) => {
            worker::console_error!("rate limiter failed, request allowed: {e}");
            Ok(())
        }
    }
}
