//! `POST /experiments/{id}/assign`: the core decides; the host records the first exposure.

use super::input::identifier;
use crate::error::{ApiError, ApiResult};
use crate::store::{Exposure, HoldoutMember};
use cleave_core::assign::Allocation;
use cleave_core::model::{Audience, Experiment, Gates, Holdout, JsonText};
use cleave_core::targeting::{Compiled, Groups, RegexEngine, check_attributes};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The request body.
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
    /// The unit's attributes for targeting (the v1 API's `context`): a JSON object of at
    /// most 50 keys in all, 8 KB and 8 levels. Stored with the exposure.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub context: Option<Map<String, Value>>,
    /// A synonym of `context` (send one of them).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Map<String, Value>>,
}

impl AssignRequest {
    /// The attributes sent (`context` or `attributes`), checked against the limits: 400
    /// when both are sent, 422 naming the field (and the place inside it) when too large.
    pub fn attributes(&self) -> ApiResult<Value> {
        checked_attributes(self.context.as_ref(), self.attributes.as_ref())
    }
}

/// The attributes of a request that may send `context` or `attributes` (not both), checked
/// against the core's limits; `{}` when neither is sent.
pub fn checked_attributes(
    context: Option<&Map<String, Value>>,
    attributes: Option<&Map<String, Value>>,
) -> ApiResult<Value> {
    let (field, map) = match (context, attributes) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "attributes",
                "send either context or attributes, not both",
            ));
        }
        (Some(m), None) => ("context", m.clone()),
        (None, Some(m)) => ("attributes", m.clone()),
        (None, None) => ("context", Map::new()),
    };
    let value = Value::Object(map);
    check_attributes(&value).map_err(|p| {
        let at = if p.path.is_empty() {
            field.to_string()
        } else {
            format!("{field}.{}", p.path)
        };
        ApiError::invalid(at, p.message)
    })?;
    Ok(value)
}

/// The response body.
#[derive(Debug, Clone, Serialize)]
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
    /// Why (`docs/assignment.md`, *Precedence and reasons*).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^(assigned|forced|not_in_traffic|not_running|holdout|not_targeted|gated|not_in_layer|population_full)$"))]
    pub reason: &'static str,
}

/// The configuration every decision shares: holdouts, saved groups, the regex engine and
/// the gates' evaluation.
pub struct AudienceConfig<'a> {
    /// Every holdout.
    pub holdouts: &'a [Holdout],
    /// Saved groups by name.
    pub groups: &'a Groups,
    /// The regex engine.
    pub regex: &'a dyn RegexEngine,
    /// How gates (Unleash toggles) are evaluated.
    pub gates: &'a dyn Gates,
}

impl<'a> AudienceConfig<'a> {
    /// The core's audience for one unit's attributes.
    pub fn with<'v>(&self, attributes: &'v Value) -> Audience<'v>
    where
        'a: 'v,
    {
        Audience {
            attributes,
            holdouts: self.holdouts,
            groups: self.groups,
            regex: self.regex,
            gates: self.gates,
        }
    }
}

/// The attributes as stored with an exposure: compact JSON, none when empty.
pub fn stored_context(attributes: &Value) -> Option<String> {
    match attributes {
        Value::Object(m) if !m.is_empty() => Some(attributes.to_string()),
        _ => None,
    }
}

/// What assigning one unit produced: the response and what to record.
#[derive(Debug)]
pub struct Assigned {
    /// The response body.
    pub response: AssignResponse,
    /// The first exposure to record (when the unit is in the experiment).
    pub exposure: Option<Exposure>,
    /// The unit's arm in each holdout the decision checked, for the holdouts' results.
    pub members: Vec<HoldoutMember>,
}

/// The 422 for a new unit of an experiment whose `total_population` is reached.
pub fn population_full(experiment: &Experiment) -> ApiError {
    ApiError::new(
        crate::error::ErrorCode::PopulationFull,
        format!(
            "experiment '{}' has reached its total_population of {} units; new units are not admitted",
            experiment.name,
            experiment.total_population.unwrap_or_default()
        ),
    )
    .with_field("total_population")
}

impl AssignResponse {
    /// The answer once the experiment's population cap refused the unit: not in the
    /// experiment, reason `population_full`.
    pub fn refused(&self) -> Self {
        Self {
            variant: None,
            config: None,
            in_experiment: false,
            reason: POPULATION_FULL,
            ..self.clone()
        }
    }
}

impl Assigned {
    /// The decision as it stands once the experiment's population cap refused the unit:
    /// not in the experiment (reason `population_full`), nothing to record.
    pub fn refused(mut self) -> Self {
        self.response = self.response.refused();
        self.exposure = None;
        self
    }
}

/// The reason of a unit a full population refused (not a decision of the core: the cap
/// depends on how many units the experiment holds).
pub const POPULATION_FULL: &str = "population_full";

/// Assigns the unit of `req` (validated) with the experiment's prepared `allocation` (and
/// its compiled `targeting`, when prepared) and returns the response and what to record.
pub fn assign(
    experiment: &Experiment,
    allocation: &Allocation,
    targeting: Option<&Compiled>,
    req: &AssignRequest,
    config: &AudienceConfig<'_>,
    now_ms: i64,
) -> ApiResult<Assigned> {
    let user_id = req.user_id.as_str();
    identifier("user_id", user_id)?;
    let attributes = req.attributes()?;
    let mut members = Vec::new();
    let a = experiment.decide_compiled(
        allocation,
        targeting,
        user_id,
        None,
        &config.with(&attributes),
        &mut |step| {
            if let Some((holdout, held_out)) = step.holdout_arm() {
                members.push(HoldoutMember {
                    holdout: holdout.to_string(),
                    user_id: user_id.to_string(),
                    held_out,
                    at: now_ms,
                });
            }
        },
    );
    let exposure = a.variant.map(|v| Exposure {
        experiment_id: experiment.id.clone(),
        user_id: user_id.to_string(),
        variant: v.name.clone(),
        reason: a.reason.as_str().to_string(),
        at: now_ms,
        context: stored_context(&attributes),
    });
    Ok(Assigned {
        response: AssignResponse {
            experiment_id: experiment.id.clone(),
            experiment_key: experiment.key.clone(),
            user_id: user_id.to_string(),
            variant: a.variant.map(|v| v.name.clone()),
            config: a.variant.map(|v| v.config.clone()),
            in_experiment: a.in_experiment(),
            reason: a.reason.as_str(),
        },
        exposure,
        members,
    })
}
