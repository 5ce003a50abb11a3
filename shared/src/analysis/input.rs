//! Inputs of an analysis: per-variant sufficient statistics and the settings.

use crate::model::Experiment;
use crate::stats::{Correction, SampleSizeInput, sample_size};
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Whether the metric is a per-user conversion (0/1) or a per-user value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MetricType {
    /// Users who converted out of users exposed: two-proportion z test.
    #[default]
    Binary,
    /// A per-user value (revenue, time): Welch's t test.
    Continuous,
}

/// Sufficient statistics of one variant for one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantData {
    /// Variant name.
    pub name: String,
    /// Users exposed.
    pub users: u64,
    /// Users who converted (had at least one event of the metric).
    pub conversions: u64,
    /// Mean per-user value (users without events count as 0).
    pub mean: f64,
    /// Sample variance of the per-user value (denominator `users − 1`).
    pub variance: f64,
}

impl VariantData {
    /// A binary metric: the per-user value is 1 for converters, else 0.
    pub fn binary(name: impl Into<String>, users: u64, conversions: u64) -> Self {
        let c = conversions as f64;
        Self::from_sums(name, users, conversions, c, c)
    }

    /// From SQL-style aggregates: `sum` and `sum_sq` of per-user values over exposed
    /// users (users without events contribute 0).
    pub fn from_sums(
        name: impl Into<String>,
        users: u64,
        conversions: u64,
        sum: f64,
        sum_sq: f64,
    ) -> Self {
        let n = users as f64;
        let mean = if users > 0 { sum / n } else { 0.0 };
        let variance = if users > 1 {
            ((sum_sq - sum * mean) / (n - 1.0)).max(0.0)
        } else {
            0.0
        };
        Self {
            name: name.into(),
            users,
            conversions,
            mean,
            variance,
        }
    }

    /// A continuous metric given by its mean and sample variance.
    pub fn continuous(name: impl Into<String>, users: u64, mean: f64, variance: f64) -> Self {
        Self {
            name: name.into(),
            users,
            conversions: 0,
            mean,
            variance,
        }
    }
}

/// Everything an analysis needs besides the data.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisSettings {
    /// Binary or continuous.
    pub metric_type: MetricType,
    /// Two-sided significance level.
    pub alpha: f64,
    /// Multiple-testing correction across the treatment-vs-control comparisons.
    pub correction: Correction,
    /// Name of the control variant (default: the first).
    pub control: Option<String>,
    /// Expected allocation for the sample-ratio-mismatch test (default: equal).
    pub weights: Option<Vec<f64>>,
    /// Mixture variance for the always-valid sequential p-value (binary only).
    pub sequential_tau2: Option<f64>,
    /// Users needed per variant (planned); enables "keep collecting" and progress.
    pub required_sample_size: Option<u64>,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        Self {
            metric_type: MetricType::Binary,
            alpha: crate::model::DEFAULT_ALPHA,
            correction: Correction::Holm,
            control: None,
            weights: None,
            sequential_tau2: None,
            required_sample_size: None,
        }
    }
}

impl AnalysisSettings {
    /// Settings taken from an experiment: its alpha, control, weights and planned size.
    pub fn for_experiment(experiment: &Experiment) -> Self {
        Self {
            alpha: experiment.significance_level,
            control: experiment.control().map(|v| v.name.clone()),
            weights: Some(
                experiment
                    .variants
                    .iter()
                    .map(|v| v.effective_weight())
                    .collect(),
            ),
            required_sample_size: required_sample_size(experiment),
            ..Self::default()
        }
    }
}

/// Users needed per variant for an experiment: from its planning fields (base rate,
/// MDE, alpha, power) when set, else `target_sample_size` split over the variants.
pub fn required_sample_size(experiment: &Experiment) -> Option<u64> {
    if let (Some(base_rate), Some(mde)) = (experiment.base_rate, experiment.min_detectable_effect) {
        let planned = sample_size(SampleSizeInput {
            base_rate,
            mde,
            mde_type: experiment.mde_type,
            alpha: experiment.significance_level,
            power: experiment.power,
        });
        if let Ok(s) = planned {
            return Some(s.per_group);
        }
    }
    let k = experiment.variants.len().max(1) as u64;
    experiment.target_sample_size.map(|total| total.div_ceil(k))
}
