//! `GET /experiments/{id}/stats`: SQL aggregates → the core's analysis.

use super::Host;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{AnalysisRun, Store, StoreError};
use cleave_core::analysis::{AnalysisSettings, MetricType, Report, VariantData, analyze};
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
    let aggregates = store.aggregates(&experiment.id, &metric).await?;
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
    let report = analyze(&data, &settings).map_err(|e| ApiError::invalid(e.field, e.message))?;
    Ok(StatsResponse {
        experiment_id: experiment.id.clone(),
        experiment_name: experiment.name.clone(),
        status: experiment.status.to_string(),
        metric,
        report,
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
