//! The Unleash integration's admin endpoints: what is loaded and how fetching goes, and a
//! fetch now (the cron trigger fetches every minute).

use super::{Call, call::json};
use crate::error::{ApiError, ApiResult, ErrorCode};
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

/// `GET /api/v1/unleash`'s answer.
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

/// `GET /api/v1/unleash`.
pub async fn overview(c: Call) -> ApiResult<Response> {
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
    json(
        200,
        &UnleashOverview {
            configured: configured(&c.env),
            status: status(&c.env).await,
            toggles,
        },
    )
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
