//! The OpenFeature Remote Evaluation Protocol (OFREP, v0.3.0): a flag is a running
//! experiment, found by key (or id); evaluating it is Cleave's assignment of the context's
//! `targetingKey`, with the context's other fields as the unit's attributes.
//! `docs/openfeature.md` has the mapping; this module is the pure part (request in,
//! protocol shapes out), the route (`routes/ofrep.rs`) reads storage and records.

use super::assign::{AssignRequest, AssignResponse, checked_attributes};
use super::input::identifier;
use cleave_core::model::Experiment;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The protocol's error codes a request can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OfrepErrorCode {
    /// The body is not JSON.
    ParseError,
    /// The context has no `targetingKey`.
    TargetingKeyMissing,
    /// The context is not an object, or breaks the attribute or unit id rules.
    InvalidContext,
    /// No experiment has this key.
    FlagNotFound,
    /// Anything else (e.g. an experiment that cannot be decided).
    General,
}

/// An evaluation request: `{"context": {"targetingKey": "user-1", …attributes}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfrepRequest {
    /// The evaluation context (missing: `TARGETING_KEY_MISSING`).
    #[cfg_attr(feature = "openapi", schema(value_type = OfrepContext, required = true))]
    pub context: Option<Value>,
}

/// The evaluation context as the document describes it: the unit, and any other field as
/// an attribute for targeting (at most 50 keys across all levels, 8 KB and 8 levels, as for
/// `/assign`'s `context`), stored with the exposure.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a schema only: requests are read as JSON values
pub struct OfrepContext {
    /// The unit (user) id.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
    )]
    #[serde(rename = "targetingKey")]
    targeting_key: String,
}

/// Why a flag has its value (OpenFeature's resolution reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OfrepReason {
    /// Assigned by the traffic split (no targeting condition).
    Split,
    /// Assigned after the experiment's targeting condition matched, or forced for the unit.
    TargetingMatch,
    /// The experiment is not running: the control's value.
    Disabled,
    /// The unit is not in the experiment (held out, not targeted, outside its layer range
    /// or its traffic): the control's value.
    Default,
}

/// Cleave's side of an evaluation, as the protocol's flag metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OfrepMetadata {
    /// The experiment's id.
    pub experiment_id: String,
    /// Cleave's reason (`assigned`, `forced`, `not_in_traffic`, `not_running`, `holdout`,
    /// `not_targeted`, `not_in_layer`; `docs/assignment.md`).
    pub cleave_reason: String,
    /// Whether the unit takes part (an exposure is recorded only then).
    pub in_experiment: bool,
}

/// A successful evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfrepEvaluation {
    /// The flag: the experiment's key.
    pub key: String,
    /// The variant's `config` when it has one (any JSON: an object, a boolean, a number, a
    /// string), else the variant's name.
    #[cfg_attr(feature = "openapi", schema(value_type = Value, required = true))]
    pub value: Value,
    /// Why.
    pub reason: OfrepReason,
    /// The variant's name (the control's when the unit is not in the experiment).
    pub variant: String,
    /// Cleave's decision.
    pub metadata: OfrepMetadata,
}

/// A failed evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OfrepFailure {
    /// The flag (absent for a bulk request's failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// What went wrong.
    pub error_code: OfrepErrorCode,
    /// For people: which field and why.
    pub error_details: String,
}

impl OfrepFailure {
    /// A failure of `code` for any flag.
    pub fn new(code: OfrepErrorCode, details: impl Into<String>) -> Self {
        Self {
            key: None,
            error_code: code,
            error_details: details.into(),
        }
    }

    /// The same failure, for flag `key`.
    pub fn for_flag(mut self, key: &str) -> Self {
        self.key = Some(key.to_string());
        self
    }

    /// The HTTP status the protocol gives it.
    pub fn status(&self) -> u16 {
        match self.error_code {
            OfrepErrorCode::FlagNotFound => 404,
            OfrepErrorCode::General => 500,
            _ => 400,
        }
    }
}

/// One flag of a bulk answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum OfrepFlag {
    /// Evaluated.
    Evaluated(OfrepEvaluation),
    /// Could not be evaluated.
    Failed(OfrepFailure),
}

/// A bulk answer: every running experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfrepBulk {
    /// The flags, in experiment order.
    pub flags: Vec<OfrepFlag>,
}

/// The unit an evaluation request is for: the `/assign` request it amounts to.
pub fn parse(body: &[u8]) -> Result<AssignRequest, OfrepFailure> {
    let request: OfrepRequest = if body.iter().all(u8::is_ascii_whitespace) {
        OfrepRequest::default()
    } else {
        serde_json::from_slice(body).map_err(|e| {
            OfrepFailure::new(
                OfrepErrorCode::ParseError,
                format!("the body is not an evaluation request: {e}"),
            )
        })?
    };
    let mut context = match request.context {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(OfrepFailure::new(
                OfrepErrorCode::InvalidContext,
                "context: must be an object",
            ));
        }
    };
    let user_id = match context.remove("targetingKey") {
        None | Some(Value::Null) => {
            return Err(OfrepFailure::new(
                OfrepErrorCode::TargetingKeyMissing,
                "context.targetingKey: the unit (user) id is required",
            ));
        }
        Some(Value::String(s)) if s.is_empty() => {
            return Err(OfrepFailure::new(
                OfrepErrorCode::TargetingKeyMissing,
                "context.targetingKey: the unit (user) id is required",
            ));
        }
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(OfrepFailure::new(
                OfrepErrorCode::InvalidContext,
                "context.targetingKey: must be a string",
            ));
        }
    };
    let invalid = |e: crate::error::ApiError| {
        let field = e.field.map_or("context".to_string(), |f| match f.as_str() {
            "user_id" => "context.targetingKey".to_string(),
            other => other.to_string(),
        });
        OfrepFailure::new(
            OfrepErrorCode::InvalidContext,
            format!("{field}: {}", e.message),
        )
    };
    identifier("user_id", &user_id).map_err(invalid)?;
    checked_attributes(Some(&context), None).map_err(invalid)?;
    Ok(AssignRequest {
        user_id,
        context: Some(context),
        attributes: None,
    })
}

/// The protocol's value of a variant: its config, else its name.
fn value_of(experiment: &Experiment, variant: &str) -> Value {
    experiment
        .variants
        .iter()
        .find(|v| v.name == variant)
        .map(|v| &v.config)
        .and_then(|c| serde_json::from_str::<Value>(c.as_str()).ok())
        .filter(|c| !matches!(c, Value::Null) && c.as_object().is_none_or(|o| !o.is_empty()))
        .unwrap_or_else(|| Value::String(variant.to_string()))
}

/// The evaluation of `experiment` for the unit `assigned` was decided for.
pub fn evaluation(experiment: &Experiment, assigned: &AssignResponse) -> OfrepEvaluation {
    let control = experiment
        .control()
        .map(|v| v.name.clone())
        .unwrap_or_default();
    let (variant, reason) = match (&assigned.variant, assigned.reason) {
        (Some(v), "forced") => (v.clone(), OfrepReason::TargetingMatch),
        (Some(v), _) if experiment.targeting.is_some() => (v.clone(), OfrepReason::TargetingMatch),
        (Some(v), _) => (v.clone(), OfrepReason::Split),
        (None, "not_running") => (control, OfrepReason::Disabled),
        (None, _) => (control, OfrepReason::Default),
    };
    OfrepEvaluation {
        key: experiment.key.clone(),
        value: value_of(experiment, &variant),
        reason,
        variant,
        metadata: OfrepMetadata {
            experiment_id: experiment.id.clone(),
            cleave_reason: assigned.reason.to_string(),
            in_experiment: assigned.in_experiment,
        },
    }
}
