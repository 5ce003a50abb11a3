//! `POST /experiments/{id}/evaluate`: a dry run of the whole decision for one unit, with
//! the outcome of every check, recording nothing.

use super::assign::{AudienceConfig, checked_attributes};
use super::audience;
use super::input::identifier;
use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use cleave_core::model::{Experiment, Gates, Status, is_valid_variant_name};
use cleave_core::targeting::LiteRegex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvaluateRequest {
    /// The unit to evaluate.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub user_id: String,
    /// The unit's attributes (as `/assign` takes them).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub context: Option<Map<String, Value>>,
    /// A synonym of `context`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Map<String, Value>>,
    /// A QA override to try (a variant name, as the edge's `x-cleave-force` sends it); a name
    /// no variant has is ignored, as at the edge.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]+$")
    )]
    pub force: Option<String>,
    /// Decide as if the experiment were running (to try a draft's targeting before it starts).
    #[serde(default)]
    pub assume_running: bool,
}

/// One check of the decision, in order.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvaluatedStep {
    /// `running`, `forced`, `holdout`, `targeting`, `gate`, `layer` or `traffic`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^(running|forced|holdout|targeting|gate|layer|traffic)$"))]
    pub check: &'static str,
    /// The holdout, gate toggle or layer it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Whether the unit went on (for `forced` and `holdout`: that they did not apply).
    pub passed: bool,
}

/// The response body.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvaluateResponse {
    /// Experiment id.
    pub experiment_id: String,
    /// Experiment key.
    pub experiment_key: String,
    /// The unit.
    pub user_id: String,
    /// The variant it would see, or null.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub variant: Option<String>,
    /// Whether it would take part.
    pub in_experiment: bool,
    /// Why (`docs/assignment.md`, *Precedence and reasons*).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^(assigned|forced|not_in_traffic|not_running|holdout|not_targeted|gated|not_in_layer)$"))]
    pub reason: &'static str,
    /// Whether it was decided as if running (`assume_running` on a non-running experiment).
    pub assumed_running: bool,
    /// Every check made, up to the one that decided.
    pub steps: Vec<EvaluatedStep>,
}

/// Decides `req` against `experiment` with the stored holdouts and groups and the host's
/// `gates`.
pub async fn evaluate<S: Store>(
    store: &S,
    experiment: &Experiment,
    req: &EvaluateRequest,
    gates: &dyn Gates,
) -> ApiResult<EvaluateResponse> {
    identifier("user_id", &req.user_id)?;
    if let Some(force) = req.force.as_deref()
        && !is_valid_variant_name(force)
    {
        return Err(ApiError::invalid(
            "force",
            "must be a variant name: 1 to 64 of A-Z a-z 0-9 . _ -",
        ));
    }
    let attributes = checked_attributes(req.context.as_ref(), req.attributes.as_ref())?;
    let (holdouts, groups) = audience::load(store).await?;
    let groups = audience::groups_of(&groups);
    let config = AudienceConfig {
        holdouts: &holdouts,
        groups: &groups,
        regex: &LiteRegex,
        gates,
    };
    let assumed = req.assume_running && experiment.status != Status::Running;
    let mut e = experiment.clone();
    if assumed {
        e.status = Status::Running;
    }
    let allocation = e
        .allocation()
        .map_err(|err| ApiError::invalid("variants", err.to_string()))?;
    let mut steps = Vec::new();
    let a = e.decide(
        &allocation,
        &req.user_id,
        req.force.as_deref(),
        &config.with(&attributes),
        &mut |s| {
            steps.push(EvaluatedStep {
                check: s.check.as_str(),
                subject: s.subject.map(String::from),
                passed: s.passed,
            });
        },
    );
    Ok(EvaluateResponse {
        experiment_id: e.id.clone(),
        experiment_key: e.key.clone(),
        user_id: req.user_id.clone(),
        variant: a.variant_name().map(String::from),
        in_experiment: a.in_experiment(),
        reason: a.reason.as_str(),
        assumed_running: assumed,
        steps,
    })
}

/// `POST /api/v1/targeting/check`: a condition to check, as an experiment's `targeting`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckRequest {
    /// The condition (GrowthBook syntax).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub targeting: Value,
}

/// The answer when the condition would be accepted.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckResponse {
    /// Always `true` (a refused condition is a 422 naming the place inside it).
    pub valid: bool,
    /// The attribute paths the condition reads, sorted, each once.
    pub attributes: Vec<String>,
}

/// Checks a condition with the very rule experiments are validated by (the dashboard's
/// targeting editor calls it as the user types).
pub fn check(req: &CheckRequest) -> ApiResult<CheckResponse> {
    let probe = Experiment {
        targeting: Some(req.targeting.clone()),
        ..Experiment::default()
    };
    let mut problems = Vec::new();
    if let Err(all) = probe.validate() {
        problems.extend(all.into_iter().filter(|p| p.field.starts_with("targeting")));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let mut attributes = Vec::new();
    collect_paths(&req.targeting, &mut attributes);
    attributes.sort();
    Ok(CheckResponse {
        valid: true,
        attributes,
    })
}

fn collect_paths(condition: &Value, out: &mut Vec<String>) {
    match condition {
        Value::Object(map) => {
            for (key, value) in map {
                if key.starts_with('$') {
                    collect_paths(value, out);
                } else if !out.contains(key) {
                    out.push(key.clone());
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_paths(v, out)),
        _ => {}
    }
}
