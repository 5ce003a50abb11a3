//! A holdout's own results: the units it held out against those exposed to the
//! experiments listing it, on the holdout's metrics (long-term cumulative impact).
//!
//! Who counts: every unit an experiment listing the holdout decided for reaches the
//! holdout's check, and the check's outcome is its arm (`Step::holdout_arm`), recorded at
//! its first decision. Both arms are split by the holdout's own hash alone, so they are
//! comparable; "exposed" units are those the experiments were free to treat. Events: those
//! of the holdout's metrics that members send to an experiment listing it (held-out units
//! too: `/track` accepts them for the holdout), de-duplicated per holdout by event id.

use super::audience;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{EventRecord, HOLDOUT_ARMS, HoldoutEvent, Store, StoreResult};
use cleave_core::analysis::{AnalysisSettings, MetricType, Report, VariantData, analyze};
use cleave_core::model::{Experiment, Holdout};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The holdouts an experiment lists (none when it lists none: no storage read).
pub async fn listed_by<S: Store>(store: &S, experiment: &Experiment) -> ApiResult<Vec<Holdout>> {
    if experiment.holdouts.is_empty() {
        return Ok(Vec::new());
    }
    let (holdouts, _) = audience::load(store).await?;
    Ok(listed_in(experiment, &holdouts))
}

/// The holdouts of `all` that `experiment` lists.
pub fn listed_in(experiment: &Experiment, all: &[Holdout]) -> Vec<Holdout> {
    all.iter()
        .filter(|h| experiment.holdouts.contains(&h.name))
        .cloned()
        .collect()
}

/// Per event (with the holdouts its experiment lists), the holdout events it yields: one
/// for each of those holdouts that measures the event's metric and has its unit as a
/// member. One membership lookup for all events.
pub async fn counted<S: Store>(
    store: &S,
    events: &[(&[Holdout], &EventRecord)],
) -> StoreResult<Vec<Vec<HoldoutEvent>>> {
    let measuring = |holdouts: &[Holdout], metric: &str| -> Vec<String> {
        holdouts
            .iter()
            .filter(|h| h.metrics.iter().any(|m| m == metric))
            .map(|h| h.name.clone())
            .collect()
    };
    let wanted: Vec<Vec<String>> = events
        .iter()
        .map(|(holdouts, ev)| measuring(holdouts, &ev.event_name))
        .collect();
    let names: BTreeSet<&str> = wanted.iter().flatten().map(String::as_str).collect();
    if names.is_empty() {
        return Ok(vec![Vec::new(); events.len()]);
    }
    let users: BTreeSet<&str> = events
        .iter()
        .zip(&wanted)
        .filter(|(_, w)| !w.is_empty())
        .map(|((_, ev), _)| ev.user_id.as_str())
        .collect();
    let names: Vec<&str> = names.into_iter().collect();
    let users: Vec<&str> = users.into_iter().collect();
    let members: BTreeSet<(String, String)> = store
        .holdout_memberships(&names, &users)
        .await?
        .into_iter()
        .collect();
    Ok(events
        .iter()
        .zip(wanted)
        .map(|((_, ev), holdouts)| {
            holdouts
                .into_iter()
                .filter(|h| members.contains(&(h.clone(), ev.user_id.clone())))
                .map(|holdout| HoldoutEvent {
                    holdout,
                    event_id: ev.event_id.clone(),
                    user_id: ev.user_id.clone(),
                    event_name: ev.event_name.clone(),
                    value: ev.value,
                    at: ev.at,
                })
                .collect()
        })
        .collect())
}

/// Query parameters of `GET /api/v1/holdouts/{name}/results`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct HoldoutResultsQuery {
    /// Metric (default: the holdout's first).
    pub metric: Option<String>,
    /// Significance level (default 0.05).
    pub alpha: Option<f64>,
    /// `binary` (default) or `continuous`.
    pub metric_type: Option<MetricType>,
}

/// A holdout's results on one metric.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldoutResults {
    /// The holdout.
    pub holdout: String,
    /// Its share of units held out.
    pub share: f64,
    /// The metric analysed.
    pub metric: String,
    /// Every metric the holdout measures.
    pub metrics: Vec<String>,
    /// The analysis: variant `held_out` (the control) against `exposed`.
    #[serde(flatten)]
    pub report: Report,
}

/// The results of `holdout` on the metric of `query`.
pub async fn results<S: Store>(
    store: &S,
    holdout: &Holdout,
    query: HoldoutResultsQuery,
) -> ApiResult<HoldoutResults> {
    let metric = match query.metric.or_else(|| holdout.metrics.first().cloned()) {
        Some(m) => m,
        None => {
            return Err(ApiError::invalid(
                "metric",
                format!(
                    "holdout '{}' measures no metrics: give ?metric= or add metrics to it",
                    holdout.name
                ),
            ));
        }
    };
    let aggregates = store.holdout_aggregates(&holdout.name, &metric).await?;
    if let Some(bad) = aggregates
        .iter()
        .find(|a| !(a.sum.is_finite() && a.sum_sq.is_finite()))
    {
        return Err(ApiError::new(
            ErrorCode::MetricNotFinite,
            format!(
                "the values of metric '{metric}' in arm '{}' sum to more than a double holds",
                bad.variant
            ),
        )
        .with_field("metric"));
    }
    let data: Vec<VariantData> = HOLDOUT_ARMS
        .iter()
        .map(|arm| match aggregates.iter().find(|a| a.variant == *arm) {
            Some(a) => {
                VariantData::from_sums(arm.to_string(), a.users, a.converters, a.sum, a.sum_sq)
            }
            None => VariantData::binary(arm.to_string(), 0, 0),
        })
        .collect();
    let mut settings = AnalysisSettings {
        control: Some(HOLDOUT_ARMS[0].to_string()),
        weights: Some(vec![holdout.share, 1.0 - holdout.share]),
        ..AnalysisSettings::default()
    };
    if let Some(alpha) = query.alpha {
        settings.alpha = alpha;
    }
    if let Some(t) = query.metric_type {
        settings.metric_type = t;
    }
    let report = analyze(&data, &settings).map_err(|e| ApiError::invalid(e.field, e.message))?;
    Ok(HoldoutResults {
        holdout: holdout.name.clone(),
        share: holdout.share,
        metric,
        metrics: holdout.metrics.clone(),
        report,
    })
}
