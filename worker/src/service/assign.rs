//! `POST /experiments/{id}/assign`: the core decides; the host records the first exposure.

use super::input::identifier;
use crate::store::Exposure;
use cleave_core::assign::Allocation;
use cleave_core::model::{Experiment, JsonText};
use serde::{Deserialize, Serialize};

/// The request body (`context` is accepted and ignored by the core).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignRequest {
    /// The unit to assign.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub user_id: String,
    /// Free context: a JSON object (accepted as the v1 API does; not used for assignment yet).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The response body.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignResponse {
    /// Experiment id.
    pub experiment_id: String,
    /// Experiment key.
    pub experiment_key: String,
    /// The unit.
    pub user_id: String,
    /// The variant, or null.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub variant: Option<String>,
    /// The variant's config, or null.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Value))]
    pub config: Option<JsonText>,
    /// Whether the unit takes part.
    pub in_experiment: bool,
    /// `assigned`, `forced`, `not_in_traffic` or `not_running`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^(assigned|forced|not_in_traffic|not_running)$"))]
    pub reason: &'static str,
}

/// Assigns `user_id` (validated) with the experiment's prepared `allocation` and returns
/// the response and the exposure to record.
pub fn assign(
    experiment: &Experiment,
    allocation: &Allocation,
    user_id: &str,
    now_ms: i64,
) -> crate::error::ApiResult<(AssignResponse, Option<Exposure>)> {
    identifier("user_id", user_id)?;
    let a = experiment.assign_with(allocation, user_id);
    let exposure = a.variant.map(|v| Exposure {
        experiment_id: experiment.id.clone(),
        user_id: user_id.to_string(),
        variant: v.name.clone(),
        reason: a.reason.as_str().to_string(),
        at: now_ms,
    });
    Ok((
        AssignResponse {
            experiment_id: experiment.id.clone(),
            experiment_key: experiment.key.clone(),
            user_id: user_id.to_string(),
            variant: a.variant.map(|v| v.name.clone()),
            config: a.variant.map(|v| v.config.clone()),
            in_experiment: a.in_experiment(),
            reason: a.reason.as_str(),
        },
        exposure,
    ))
}
