//! `POST /experiments/{id}/track`: idempotent event recording for exposed users.

use super::input::{event_value, identifier};
use super::{Host, holdout_results};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{EventRecord, Store, Tracked};
use cleave_core::model::Experiment;
use serde::{Deserialize, Serialize};

fn one() -> f64 {
    1.0
}

/// The request body (or the v1 API's query-string form).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackRequest {
    /// The user; must have been exposed.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub user_id: String,
    /// The metric.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub event_name: String,
    /// The value (1.0 for a conversion).
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", schema(minimum = -1000000000000000.0, maximum = 1000000000000000.0))]
    pub value: f64,
    /// Idempotency key; generated when absent.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub event_id: Option<String>,
    /// When it happened, ms since the epoch (default: now), within ±8.64e15 (JavaScript's
    /// `Date` range).
    #[serde(default, deserialize_with = "cleave_core::model::integer::opt_i64")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = -8_640_000_000_000_000_i64, maximum = 8_640_000_000_000_000_i64)
    )]
    pub timestamp: Option<i64>,
    /// Free JSON object kept with the event (the ab-testing-service API's `metadata`; its
    /// event listing returns it): at most 50 keys, 8 KB and 8 levels, like a context.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl TrackRequest {
    /// The rules every tracking endpoint applies: ids of 1–256 characters without control
    /// characters, a finite value with `|value| ≤ 1e15`, a timestamp in `Date`'s range.
    pub fn validate(&self) -> ApiResult<()> {
        identifier("user_id", &self.user_id)?;
        identifier("event_name", &self.event_name)?;
        event_value("value", self.value)?;
        super::input::timestamp("timestamp", self.timestamp)?;
        if let Some(metadata) = &self.metadata {
            super::assign::checked_attributes(None, Some(metadata)).map_err(|e| ApiError {
                field: e.field.map(|f| f.replacen("attributes", "metadata", 1)),
                ..e
            })?;
        }
        match &self.event_id {
            Some(id) => identifier("event_id", id),
            None => Ok(()),
        }
    }
}

/// The response body.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackResponse {
    /// Experiment id.
    pub experiment_id: String,
    /// The user.
    pub user_id: String,
    /// The user's variant; null for a unit the experiment held out, whose event counts only
    /// for the holdouts in `holdouts`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub variant: Option<String>,
    /// The metric.
    pub event_name: String,
    /// The value recorded.
    pub value: f64,
    /// The idempotency key.
    pub event_id: String,
    /// False when this `event_id` was already recorded (nothing counted twice).
    pub recorded: bool,
    /// Whether `event_name` is one of the experiment's metrics.
    pub known_metric: bool,
    /// The holdouts the event also counts for (those the experiment lists that measure
    /// `event_name` and count the user).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub holdouts: Vec<String>,
    /// Set when the metric is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The 409 for a unit that is neither exposed nor counted by a holdout.
pub fn not_assigned(user_id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotAssigned,
        format!("user '{user_id}' was never assigned to this experiment; call /assign first"),
    )
    .with_field("user_id")
}

/// Records one event; 409 `not_assigned` for a user never exposed (unless a holdout the
/// experiment lists counts the user and measures the metric: then it counts for that).
pub async fn track<S: Store>(
    store: &S,
    host: &impl Host,
    experiment: &Experiment,
    req: TrackRequest,
) -> ApiResult<TrackResponse> {
    req.validate()?;
    let event_id = req.event_id.unwrap_or_else(|| host.new_id());
    let record = EventRecord {
        event_id: event_id.clone(),
        experiment_id: experiment.id.clone(),
        user_id: req.user_id.clone(),
        variant: String::new(), // the store takes the unit's recorded variant
        event_name: req.event_name.clone(),
        value: req.value,
        at: req.timestamp.unwrap_or_else(|| host.now_ms()),
        metadata: req
            .metadata
            .as_ref()
            .map(|m| serde_json::Value::Object(m.clone()).to_string()),
    };
    let tracked = store
        .record_events(experiment, std::slice::from_ref(&record))
        .await?
        .pop()
        .unwrap_or(Tracked::NotExposed);
    let variant = tracked.variant().map(str::to_string);
    let holdouts = holdout_results::listed_by(store, experiment).await?;
    let for_holdouts = holdout_results::counted(store, &[(&holdouts, &record)])
        .await?
        .pop()
        .unwrap_or_default();
    if variant.is_none() && for_holdouts.is_empty() {
        return Err(not_assigned(&req.user_id));
    }
    let mut recorded = matches!(tracked, Tracked::Recorded(_));
    if !for_holdouts.is_empty() {
        let new = store.record_holdout_events(&for_holdouts).await?;
        recorded = recorded || (variant.is_none() && new.contains(&true));
    }
    let known_metric =
        experiment.metrics.is_empty() || experiment.metrics.contains(&req.event_name);
    Ok(TrackResponse {
        experiment_id: experiment.id.clone(),
        user_id: req.user_id,
        variant,
        warning: (!known_metric).then(|| format!("'{}' is not one of this experiment's metrics; it is stored but not analysed by default", req.event_name)),
        event_name: req.event_name,
        value: req.value,
        event_id,
        recorded,
        known_metric,
        holdouts: for_holdouts.into_iter().map(|h| h.holdout).collect(),
    })
}
