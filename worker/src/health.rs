//! `GET /health`: checks D1 and KV and reports versions.

use serde::Serialize;
use worker::{Date, Env, Response, Result};

/// Outcome of one dependency check.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Check {
    /// Whether the dependency answered.
    pub ok: bool,
    /// Round-trip time in milliseconds.
    pub latency_ms: u64,
    /// What went wrong, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The health document.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: &'static str,
    /// Version of the Worker (and core) crate.
    pub version: &'static str,
    /// Assignment contract version.
    pub assignment_spec: u32,
    /// Per-dependency results.
    pub checks: Checks,
}

/// The dependencies checked.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checks {
    /// D1 (source of truth).
    pub d1: Check,
    /// Workers KV (published snapshot).
    pub kv: Check,
    /// Unleash, when `UNLEASH_URL` is set: how its last fetch went. A failed fetch keeps
    /// the last good copy, so it does not make Cleave degraded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unleash: Option<crate::unleash::UnleashStatus>,
}

async fn timed<F: core::future::Future<Output = Result<()>>>(f: F) -> Check {
    let start = Date::now().as_millis();
    let outcome = f.await;
    let latency_ms = Date::now().as_millis().saturating_sub(start);
    match outcome {
        Ok(()) => Check {
            ok: true,
            latency_ms,
            error: None,
        },
        Err(e) => Check {
            ok: false,
            latency_ms,
            error: Some(e.to_string()),
        },
    }
}

/// The health document in the ab-testing-service's shape (`GET /api/health`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompatHealth {
    /// `healthy` or `unhealthy`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(healthy|unhealthy)$"))]
    pub status: &'static str,
    /// `cleave`.
    pub service: &'static str,
    /// Version of the Worker (and core) crate.
    pub version: &'static str,
    /// Per-dependency results.
    pub checks: Checks,
}

/// Runs both checks; 200 when both pass, 503 otherwise.
pub async fn handle(env: &Env) -> Result<Response> {
    let body = check(env).await;
    let status = if body.status == "ok" { 200 } else { 503 };
    Ok(Response::from_json(&body)?.with_status(status))
}

/// Runs both checks (D1, KV).
pub async fn check(env: &Env) -> Health {
    let d1 = timed(async {
        env.d1("DB")?
            .prepare("SELECT COUNT(*) AS n FROM experiments")
            .first::<serde_json::Value>(None)
            .await?;
        Ok(())
    })
    .await;
    let kv = timed(async {
        env.kv("KV")?
            .get("snapshot")
            .text()
            .await
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        Ok(())
    })
    .await;
    let healthy = d1.ok && kv.ok;
    let unleash = if crate::unleash::configured(env) {
        Some(
            crate::unleash::status(env)
                .await
                .unwrap_or_else(crate::unleash::UnleashStatus::not_fetched),
        )
    } else {
        None
    };
    Health {
        status: if healthy { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        assignment_spec: cleave_core::assign::SPEC_VERSION,
        checks: Checks { d1, kv, unleash },
    }
}
