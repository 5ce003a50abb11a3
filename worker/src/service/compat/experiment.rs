//! An experiment in the ab-testing-service API's terms: its field names and statuses out,
//! its create and patch bodies in.

use super::time::iso;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::service::input::json_body;
use cleave_core::model::{Experiment, Status};
use cleave_core::stats::MdeType;
use serde::Serialize;
use serde_json::{Map, Value};

/// Lowest `confidence_level` its API accepts.
pub const MIN_CONFIDENCE: f64 = 0.8;
/// Highest `confidence_level` its API accepts.
pub const MAX_CONFIDENCE: f64 = 0.99;

/// Its status names: `draft`, `active` (running), `paused`, `completed` (stopped), and
/// `archived` (Cleave's own, which its SPA shows as it is).
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Draft => "draft",
        Status::Running => "active",
        Status::Paused => "paused",
        Status::Stopped => "completed",
        Status::Archived => "archived",
    }
}

/// The Cleave status of one of its status names (Cleave's own names work too).
pub fn status_of(name: &str) -> Option<Status> {
    match name {
        "active" => Some(Status::Running),
        "completed" => Some(Status::Stopped),
        other => Status::parse(other),
    }
}

/// One variant in its terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbVariant {
    /// Name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Relative weight (an `allocation` given through the v1 API reads as its weight).
    pub weight: f64,
    /// Whether it is the control (the first variant when none is marked).
    pub is_control: bool,
}

/// An experiment in its terms, plus Cleave's `id`, `key` and `metrics`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbExperiment {
    /// Cleave's id (any of id, key or name addresses it).
    pub id: String,
    /// Cleave's key (the name's slug unless set).
    pub key: String,
    /// Name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The arms.
    pub variants: Vec<AbVariant>,
    /// `draft`, `active`, `paused`, `completed` or `archived`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^(draft|active|paused|completed|archived)$"))]
    pub status: &'static str,
    /// Baseline conversion rate of the control.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub base_rate: Option<f64>,
    /// Smallest absolute change to detect (a relative MDE set through the v1 API reads as
    /// `relative × base_rate`; null without a base rate).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub min_detectable_effect: Option<f64>,
    /// Users needed per variant (the planned total divided by the variants, rounded up).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub min_sample_size_per_group: Option<u64>,
    /// 1 − the significance level.
    pub confidence_level: f64,
    /// The most units that may enter.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub total_population: Option<u64>,
    /// Extra settings, as given.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Option<Object>))]
    pub additional_features: Option<Value>,
    /// The metrics (event names) Cleave analyses.
    pub metrics: Vec<String>,
    /// Creation time (ISO 8601, UTC).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub created_at: Option<String>,
    /// Last change (ISO 8601, UTC).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub updated_at: Option<String>,
}

impl From<&Experiment> for AbExperiment {
    fn from(e: &Experiment) -> Self {
        let control = e.control_index();
        let groups = e.variants.len().max(1) as u64;
        let mde = match (e.mde_type, e.min_detectable_effect, e.base_rate) {
            (MdeType::Absolute, mde, _) => mde,
            (MdeType::Relative, Some(mde), Some(base)) => Some(mde * base),
            (MdeType::Relative, _, _) => None,
        };
        Self {
            id: e.id.clone(),
            key: e.key.clone(),
            name: e.name.clone(),
            description: e.description.clone(),
            variants: e
                .variants
                .iter()
                .enumerate()
                .map(|(i, v)| AbVariant {
                    name: v.name.clone(),
                    description: v.description.clone(),
                    weight: v.effective_weight(),
                    is_control: i == control,
                })
                .collect(),
            status: status_name(e.status),
            base_rate: e.base_rate,
            min_detectable_effect: mde,
            min_sample_size_per_group: e.target_sample_size.map(|n| n.div_ceil(groups)),
            confidence_level: 1.0 - e.significance_level,
            total_population: e.total_population,
            additional_features: e.additional_features.clone(),
            metrics: e.metrics.clone(),
            created_at: e.created_at.map(iso),
            updated_at: e.updated_at.map(iso),
        }
    }
}

/// Its experiment names: letters, digits, `_` and `-`.
fn check_name(body: &Map<String, Value>) -> ApiResult<()> {
    let Some(name) = body.get("name") else {
        return Ok(());
    };
    let valid = name.as_str().is_some_and(|n| {
        !n.is_empty()
            && n.len() <= 200
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name",
            "must be 1-200 characters of A-Z, a-z, 0-9, '_' and '-'",
        ))
    }
}

/// Its `confidence_level` range, 0.8 to 0.99 (Cleave then reads it as `1 − α`).
fn check_confidence(body: &Map<String, Value>) -> ApiResult<()> {
    match body.get("confidence_level") {
        None | Some(Value::Null) => Ok(()),
        Some(v)
            if v.as_f64()
                .is_some_and(|c| (MIN_CONFIDENCE..=MAX_CONFIDENCE).contains(&c)) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::invalid(
            "confidence_level",
            format!("must be a number from {MIN_CONFIDENCE} to {MAX_CONFIDENCE}"),
        )),
    }
}

fn object(bytes: &[u8]) -> ApiResult<Map<String, Value>> {
    json_body(bytes)
}

fn to_bytes(body: &Map<String, Value>) -> ApiResult<Vec<u8>> {
    serde_json::to_vec(body).map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
}

/// Its create body as Cleave's (its own names are mapped by the experiment service), and
/// whether to start at once (`"status": "active"`). Checks its name rule and confidence
/// range; a population cap without `shards` gets the one shard it needs.
pub fn create_body(bytes: &[u8]) -> ApiResult<(Vec<u8>, bool)> {
    let mut body = object(bytes)?;
    check_name(&body)?;
    check_confidence(&body)?;
    let start = match body.remove("status") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "draft" => false,
        Some(Value::String(s)) if s == "active" || s == "running" => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "status",
                "a new experiment is 'draft' or 'active' (created and started)",
            ));
        }
    };
    if body.get("total_population").is_some_and(|v| !v.is_null()) {
        body.entry("shards").or_insert(Value::from(1));
    }
    Ok((to_bytes(&body)?, start))
}

/// Its `PATCH` body as Cleave's change, and the status it asks for, if any (applied as a
/// lifecycle step after the change).
pub fn patch_body(bytes: &[u8]) -> ApiResult<(Vec<u8>, Option<Status>)> {
    let mut body = object(bytes)?;
    check_name(&body)?;
    check_confidence(&body)?;
    let status = match body.remove("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(status_of(&s).ok_or_else(|| unknown_status(&s))?),
        Some(_) => return Err(ApiError::bad_request("status", "must be a string")),
    };
    Ok((to_bytes(&body)?, status))
}

/// The 422 for a status name it does not have.
pub fn unknown_status(name: &str) -> ApiError {
    ApiError::invalid(
        "status",
        format!("unknown status '{name}' (draft, active, paused, completed or archived)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_map_both_ways() {
        for s in Status::ALL {
            assert_eq!(status_of(status_name(s)), Some(s));
        }
        assert_eq!(status_of("running"), Some(Status::Running));
        assert_eq!(status_of("finished"), None);
    }

    #[test]
    fn an_experiment_reads_in_its_terms() {
        let e = Experiment {
            id: "e1".into(),
            key: "banner".into(),
            name: "banner".into(),
            status: Status::Stopped,
            variants: vec![
                cleave_core::model::Variant {
                    name: "a".into(),
                    weight: Some(1.0),
                    ..Default::default()
                },
                cleave_core::model::Variant {
                    name: "b".into(),
                    weight: Some(3.0),
                    is_control: true,
                    ..Default::default()
                },
            ],
            base_rate: Some(0.2),
            min_detectable_effect: Some(0.1),
            target_sample_size: Some(1001),
            significance_level: 0.05,
            created_at: Some(0),
            ..Default::default()
        };
        let ab = AbExperiment::from(&e);
        assert_eq!(ab.status, "completed");
        assert_eq!(
            (ab.variants[0].is_control, ab.variants[1].is_control),
            (false, true)
        );
        assert_eq!(ab.variants[1].weight, 3.0);
        // Relative 10 % of a 20 % base rate is 2 points; 1001 over two groups rounds up.
        assert!((ab.min_detectable_effect.unwrap() - 0.02).abs() < 1e-15);
        assert_eq!(ab.min_sample_size_per_group, Some(501));
        assert_eq!(ab.confidence_level, 0.95);
        assert_eq!(ab.created_at.as_deref(), Some("1970-01-01T00:00:00.000Z"));
        let text = serde_json::to_string(&ab).unwrap();
        assert!(
            text.starts_with(r#"{"id":"e1","key":"banner","name":"banner""#),
            "{text}"
        );
    }

    #[test]
    fn create_bodies_follow_its_rules() {
        let ok = json!({"name": "homepage_banner", "status": "active", "confidence_level": 0.9,
                        "total_population": 100});
        let (bytes, start) = create_body(ok.to_string().as_bytes()).unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(start);
        assert_eq!(body["shards"], 1, "a capped experiment gets one shard");
        assert!(body.get("status").is_none());
        for (bad, field) in [
            (json!({"name": "home page"}), "name"),
            (json!({"name": ""}), "name"),
            (
                json!({"name": "x", "confidence_level": 0.5}),
                "confidence_level",
            ),
            (
                json!({"name": "x", "confidence_level": 0.995}),
                "confidence_level",
            ),
            (
                json!({"name": "x", "confidence_level": "high"}),
                "confidence_level",
            ),
            (json!({"name": "x", "status": "completed"}), "status"),
        ] {
            let e = create_body(bad.to_string().as_bytes()).unwrap_err();
            assert_eq!(
                (e.status(), e.field.as_deref()),
                (422, Some(field)),
                "{bad}"
            );
        }
        let keeps = json!({"name": "x", "total_population": 5, "shards": 4});
        let (bytes, _) = create_body(keeps.to_string().as_bytes()).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap()["shards"],
            4
        );
    }

    #[test]
    fn patch_bodies_split_off_the_status() {
        let (bytes, status) =
            patch_body(br#"{"description": "d", "status": "completed"}"#).unwrap();
        assert_eq!(status, Some(Status::Stopped));
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            json!({"description": "d"})
        );
        let e = patch_body(br#"{"status": "done"}"#).unwrap_err();
        assert_eq!((e.status(), e.field.as_deref()), (422, Some("status")));
    }
}
