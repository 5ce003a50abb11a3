//! Assignments in the ab-testing-service API's terms: `{subid, experiment_id, variant,
//! created_at}`, one or a few experiments at a time, and a unit's assignments looked up.

use super::time::iso;
use crate::error::{ApiError, ApiResult};
use crate::service::assign::AssignRequest;
use crate::store::Exposure;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most experiments one bulk request may name.
pub const MAX_BULK: usize = 100;

/// `POST /api/assignments/get` (and the impression and conversion endpoints): the unit
/// and the experiment (its name, key or id), with the unit's attributes for targeting.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectRequest {
    /// The unit (user).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub subid: String,
    /// Experiment name, key or id.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub experiment_id: String,
    /// The unit's attributes for targeting, stored with its exposure (as `/assign`'s).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub context: Option<Map<String, Value>>,
}

impl SubjectRequest {
    /// The `/assign` request for this unit.
    pub fn assign_request(&self) -> AssignRequest {
        AssignRequest {
            user_id: self.subid.clone(),
            context: self.context.clone(),
            attributes: None,
        }
    }
}

/// `POST /api/assignments/bulk`: one unit, several experiments.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkRequest {
    /// The unit (user).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub subid: String,
    /// Experiment names, keys or ids (1–100, none twice).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub experiment_ids: Vec<String>,
    /// The unit's attributes for targeting.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub context: Option<Map<String, Value>>,
}

impl BulkRequest {
    /// Checks the list's size (1–100) and that no experiment is named twice.
    pub fn check(&self) -> ApiResult<()> {
        if self.experiment_ids.is_empty() || self.experiment_ids.len() > MAX_BULK {
            return Err(ApiError::invalid(
                "experiment_ids",
                format!("must name 1 to {MAX_BULK} experiments"),
            ));
        }
        for (i, id) in self.experiment_ids.iter().enumerate() {
            if self.experiment_ids[..i].contains(id) {
                return Err(ApiError::invalid(
                    format!("experiment_ids[{i}]"),
                    format!("'{id}' is named twice"),
                ));
            }
        }
        Ok(())
    }

    /// The request for one of its experiments.
    pub fn subject(&self, experiment_id: &str) -> SubjectRequest {
        SubjectRequest {
            subid: self.subid.clone(),
            experiment_id: experiment_id.to_string(),
            context: self.context.clone(),
        }
    }
}

/// One assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbAssignment {
    /// The unit.
    pub subid: String,
    /// The experiment's name.
    pub experiment_id: String,
    /// Its variant, or null when the unit is not in the experiment.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub variant: Option<String>,
    /// When the unit was first exposed (ISO 8601, UTC); null when not in the experiment.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub created_at: Option<String>,
    /// Why (Cleave's reason: `assigned`, `forced`, `not_running`, `not_targeted`, …).
    pub reason: String,
}

impl AbAssignment {
    /// The assignment a recorded first exposure describes.
    pub fn recorded(name: &str, x: &Exposure) -> Self {
        Self {
            subid: x.user_id.clone(),
            experiment_id: name.to_string(),
            variant: Some(x.variant.clone()),
            created_at: Some(iso(x.at)),
            reason: x.reason.clone(),
        }
    }

    /// A unit not in the experiment, and why.
    pub fn outside(name: &str, subid: &str, reason: &str) -> Self {
        Self {
            subid: subid.to_string(),
            experiment_id: name.to_string(),
            variant: None,
            created_at: None,
            reason: reason.to_string(),
        }
    }
}
