//! `GET /experiments/{id}/stats`: SQL aggregates → the core's analysis.

use super::Host;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{AnalysisRun, Store, StoreError, VariantAggregate};
use cleave_core::analysis::{
    AnalysisSettings, MetricType, Report, VariantData, analyze, correct_across,
};
use cleave_core::model::Experiment;
use cleave_core::stats::Correction;
use serde::{Deserialize, Serialize};

/// Query parameters.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct StatsQuery {
    /// Metric (default: the primary one, else `conversion`).
    pub metric: Option<String>,
    /// Significance level (default: the experiment's).
    pub alpha: Option<f64>,
    /// `none`, `holm` (default) or `bh`.
    pub correction: Option<Correction>,
    /// `binary` (default) or `continuous`.
    pub metric_type: Option<MetricType>,
    /// A stored context attribute (dot path) to break the results down by.
    pub dimension: Option<String>,
}

/// Most segments reported by value (the largest by users); the rest are one `other`.
pub const TOP_SEGMENTS: usize = 5;

/// One segment's results.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentReport {
    /// The attribute's value (JSON text for non-strings), `(none)` for units without it, or
    /// `other` for every value beyond the largest ones.
    pub value: String,
    /// Exposed users in the segment.
    pub users: u64,
    /// The analysis, its p-values adjusted across all segments' comparisons.
    pub report: Report,
}

/// Results by segment.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Segments {
    /// The attribute.
    pub dimension: String,
    /// The correction, applied across every comparison of every segment.
    pub correction: Correction,
    /// The largest segments by users (at most 5), then `(none)` and `other` when they occur.
    pub segments: Vec<SegmentReport>,
}

/// The v1 API's `/stats` shape: experiment identity plus the core's report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatsResponse {
    /// Experiment id.
    pub experiment_id: String,
    /// Experiment name.
    pub experiment_name: String,
    /// Its status.
    pub status: String,
    /// Metric analysed.
    pub metric: String,
    /// The analysis.
    #[serde(flatten)]
    pub report: Report,
    /// Results by segment, when `dimension` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Segments>,
    /// Storage rows read for the headline statistics (the `x-cleave-rows-read` header):
    /// a few per shard, however many units and events there are.
    #[serde(skip)]
    pub rows_read: u64,
}

/// Computes the report from per-variant aggregates; variants without exposures count as 0.
pub async fn stats<S: Store>(
    store: &S,
    experiment: &Experiment,
    query: StatsQuery,
) -> ApiResult<StatsResponse> {
    let metric = query
        .metric
        .or_else(|| experiment.primary_metric().map(str::to_string))
        .unwrap_or_else(|| "conversion".to_string());
    let stats = store.aggregates(experiment, &metric).await?;
    let mut settings = AnalysisSettings::for_experiment(experiment);
    if let Some(alpha) = query.alpha {
        settings.alpha = alpha;
    }
    if let Some(c) = query.correction {
        settings.correction = c;
    }
    if let Some(t) = query.metric_type {
        settings.metric_type = t;
    }
    let report = report_of(experiment, &metric, &stats.arms, &settings)?;
    let segments = match &query.dimension {
        Some(dimension) => Some(segments(store, experiment, &metric, dimension, &settings).await?),
        None => None,
    };
    Ok(StatsResponse {
        experiment_id: experiment.id.clone(),
        experiment_name: experiment.name.clone(),
        status: experiment.status.to_string(),
        metric,
        report,
        segments,
        rows_read: stats.rows_read,
    })
}

/// The analysis of per-variant aggregates (variants without exposures count as 0).
fn report_of(
    experiment: &Experiment,
    metric: &str,
    aggregates: &[VariantAggregate],
    settings: &AnalysisSettings,
) -> ApiResult<Report> {
    if let Some(bad) = aggregates
        .iter()
        .find(|a| !(a.sum.is_finite() && a.sum_sq.is_finite()))
    {
        return Err(ApiError::new(ErrorCode::MetricNotFinite,
            format!(
                "the stored values of metric '{metric}' in variant '{}' sum to more than a double holds (events recorded before values were limited to ±1e15); this metric cannot be analysed, other metrics can",
                bad.variant
            ),
        )
        .with_field("metric"));
    }
    let data: Vec<VariantData> = experiment
        .variants
        .iter()
        .map(|v| match aggregates.iter().find(|a| a.variant == v.name) {
            Some(a) => {
                VariantData::from_sums(v.name.clone(), a.users, a.converters, a.sum, a.sum_sq)
            }
            None => VariantData::binary(v.name.clone(), 0, 0),
        })
        .collect();
    analyze(&data, settings).map_err(|e| ApiError::invalid(e.field, e.message))
}

/// Whether `dimension` is a dot path of attribute names (`country`, `query.utm_source`).
fn valid_dimension(dimension: &str) -> bool {
    !dimension.is_empty()
        && dimension.len() <= 128
        && dimension.split('.').all(cleave_core::model::is_valid_name)
}

/// The results by segment of `dimension`: the largest [`TOP_SEGMENTS`] values, `(none)`,
/// and `other`, corrected across all their comparisons.
async fn segments<S: Store>(
    store: &S,
    experiment: &Experiment,
    metric: &str,
    dimension: &str,
    settings: &AnalysisSettings,
) -> ApiResult<Segments> {
    if !valid_dimension(dimension) {
        return Err(ApiError::invalid(
            "dimension",
            "must be an attribute name or dot path (A-Z, a-z, 0-9, '.', '_', '-')",
        ));
    }
    let rows = store
        .segment_aggregates(experiment, metric, &format!("$.{dimension}"))
        .await?;
    let label = |segment: &Option<String>| match segment {
        None => "(none)".to_string(),
        Some(json) => match serde_json::from_str::<serde_json::Value>(json) {
            Ok(serde_json::Value::String(s)) => s,
            _ => json.clone(),
        },
    };
    let mut by_value: Vec<(String, Vec<VariantAggregate>)> = Vec::new();
    for (segment, aggregate) in rows {
        let value = label(&segment);
        match by_value.iter_mut().find(|(v, _)| *v == value) {
            Some((_, list)) => list.push(aggregate),
            None => by_value.push((value, vec![aggregate])),
        }
    }
    let users = |list: &[VariantAggregate]| list.iter().map(|a| a.users).sum::<u64>();
    by_value.sort_by(|a, b| users(&b.1).cmp(&users(&a.1)).then_with(|| a.0.cmp(&b.0)));
    let (mut kept, rest): (Vec<_>, Vec<_>) = by_value
        .into_iter()
        .enumerate()
        .partition(|(i, (value, _))| *i < TOP_SEGMENTS || value == "(none)");
    let mut other: Vec<VariantAggregate> = Vec::new();
    for (_, (_, list)) in rest {
        for a in list {
            match other.iter_mut().find(|o| o.variant == a.variant) {
                Some(o) => {
                    o.users += a.users;
                    o.converters += a.converters;
                    o.sum += a.sum;
                    o.sum_sq += a.sum_sq;
                }
                None => other.push(a),
            }
        }
    }
    if !other.is_empty() {
        kept.push((usize::MAX, ("other".to_string(), other)));
    }
    let mut reports = Vec::with_capacity(kept.len());
    let mut values = Vec::with_capacity(kept.len());
    for (_, (value, list)) in &kept {
        reports.push(report_of(experiment, metric, list, settings)?);
        values.push((value.clone(), users(list)));
    }
    correct_across(&mut reports, settings.correction, settings.alpha)
        .map_err(|e| ApiError::invalid(e.field, e.message))?;
    Ok(Segments {
        dimension: dimension.to_string(),
        correction: settings.correction,
        segments: values
            .into_iter()
            .zip(reports)
            .map(|((value, users), report)| SegmentReport {
                value,
                users,
                report,
            })
            .collect(),
    })
}

/// What viewing an experiment's results produced.
#[derive(Debug)]
pub struct Viewed {
    /// The report as asked for.
    pub response: StatsResponse,
    /// Whether storing the run for `/metrics` worked (failing it does not fail the view).
    pub recorded: Result<(), StoreError>,
}

/// `GET /stats`: the report as asked for, and the latest analysis run stored for
/// `/metrics`. The run is always the experiment's own analysis (its alpha, correction and
/// metric type), so a viewer's `alpha` or `correction` never changes what `/metrics`
/// reports; it is refreshed on every view.
pub async fn view<S: Store>(
    store: &S,
    host: &impl Host,
    experiment: &Experiment,
    query: StatsQuery,
) -> ApiResult<Viewed> {
    let started = host.now_ms();
    let overridden =
        query.alpha.is_some() || query.correction.is_some() || query.metric_type.is_some();
    let own_query = StatsQuery {
        metric: query.metric.clone(),
        ..StatsQuery::default()
    };
    let response = stats(store, experiment, query).await?;
    let own = if overridden {
        stats(store, experiment, own_query).await?
    } else {
        response.clone()
    };
    let now = host.now_ms();
    let run = AnalysisRun {
        experiment_id: experiment.id.clone(),
        metric: own.metric.clone(),
        analyzed_at: now,
        duration_seconds: (now - started) as f64 / 1000.0,
        significant_results: own
            .report
            .comparisons
            .iter()
            .filter(|c| c.significant)
            .count() as u64,
        p_value: own.report.p_value,
    };
    let recorded = store.record_analysis(&run).await;
    Ok(Viewed { response, recorded })
}
