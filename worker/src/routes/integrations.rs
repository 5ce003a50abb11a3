//! The integrations' admin endpoints: how Unleash and Plausible are doing (for the
//! dashboard's Integrations page), and an Unleash fetch now (the cron trigger fetches every
//! minute).

use super::{Call, call::json, store};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::outbox::{DROPPED, FAILED, SENT, plausible_config};
use crate::service::metrics::counter;
use crate::unleash::{UnleashStatus, configured, current, refresh, status};
use serde::Serialize;
use worker::Response;

/// One toggle Cleave's gates can name.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KnownToggle {
    /// Its name (an experiment's `gate.unleash`).
    pub name: String,
    /// Whether it is on at all in Unleash (its strategies still decide per unit).
    pub enabled: bool,
    /// Its project.
    pub project: String,
}

/// The Unleash integration.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnleashOverview {
    /// Whether `UNLEASH_URL` is set.
    pub configured: bool,
    /// How fetching goes (none before the first fetch).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub status: Option<UnleashStatus>,
    /// The toggles of the copy in use, by name.
    pub toggles: Vec<KnownToggle>,
}

/// The Plausible integration.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlausibleOverview {
    /// Whether `PLAUSIBLE_URL` and `PLAUSIBLE_DOMAIN` are set.
    pub configured: bool,
    /// `PLAUSIBLE_DOMAIN`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub domain: Option<String>,
    /// Events Plausible accepted.
    pub sent: u64,
    /// Events Plausible refused or did not answer.
    pub failed: u64,
    /// Events not sendable (no client `User-Agent` or IP).
    pub dropped: u64,
}

/// `GET /api/v1/integrations`' answer.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Integrations {
    /// Unleash: gates and its frontend API.
    pub unleash: UnleashOverview,
    /// Plausible: exposures and conversions as custom events.
    pub plausible: PlausibleOverview,
}

/// `GET /api/v1/integrations`.
pub async fn overview(c: Call) -> ApiResult<Response> {
    let counters = store(&c.env)?.plane().counters().await?;
    let count = |name: &str| counter(&counters, name);
    let config = plausible_config(&c.env);
    let plausible = PlausibleOverview {
        configured: config.is_some(),
        domain: config.map(|p| p.domain),
        sent: count(SENT),
        failed: count(FAILED),
        dropped: count(DROPPED),
    };
    let toggles = current(&c.env)
        .await
        .map(|t| {
            t.known()
                .into_iter()
                .map(|(name, enabled, project)| KnownToggle {
                    name,
                    enabled,
                    project,
                })
                .collect()
        })
        .unwrap_or_default();
    let unleash = UnleashOverview {
        configured: configured(&c.env),
        status: status(&c.env).await,
        toggles,
    };
    json(200, &Integrations { unleash, plausible })
}

/// `POST /api/v1/unleash/refresh`: fetches now; the status (a failed or invalid fetch is a
/// 200 too: the last good copy stays, and the status says why).
pub async fn refresh_now(c: Call) -> ApiResult<Response> {
    if !configured(&c.env) {
        return Err(ApiError::new(
            ErrorCode::NotConfigured,
            "UNLEASH_URL is not set: there is nothing to fetch",
        )
        .with_field("UNLEASH_URL"));
    }
    json(200, &refresh(&c.env).await)
}
