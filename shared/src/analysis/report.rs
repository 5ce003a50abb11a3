//! The analysis report: a superset of the v1 API's `/stats` response.

use super::input::MetricType;
use crate::stats::{Correction, Interval};
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

/// Per-variant descriptive statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariantReport {
    /// Variant name.
    pub variant: String,
    /// Users exposed.
    pub sample_size: u64,
    /// Users who converted.
    pub conversions: u64,
    /// `conversions / sample_size` (0 without users).
    pub conversion_rate: f64,
    /// Mean per-user value.
    pub mean_value: f64,
    /// Standard deviation of the per-user value.
    pub std_dev: f64,
    /// Wilson interval of the rate (binary) or t interval of the mean (continuous).
    #[cfg_attr(feature = "openapi", schema(required = true, schema_with = optional_interval))]
    pub confidence_interval: Option<Interval>,
}

/// One treatment compared against the control.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comparison {
    /// Treatment variant name.
    pub variant: String,
    /// `two_proportion_z` or `welch_t`.
    pub test: &'static str,
    /// z or t statistic.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub statistic: Option<f64>,
    /// Degrees of freedom (Welch only; `null` for z).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub df: Option<f64>,
    /// Raw two-sided p-value.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub p_value: Option<f64>,
    /// p-value after the multiple-testing correction.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub adjusted_p_value: Option<f64>,
    /// Treatment minus control (rate or mean).
    pub difference: f64,
    /// Interval of the difference at `1 − alpha`.
    #[cfg_attr(feature = "openapi", schema(required = true, schema_with = optional_interval))]
    pub difference_ci: Option<Interval>,
    /// `difference / control` (undefined when the control is 0).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub relative_lift: Option<f64>,
    /// `adjusted_p_value < alpha`.
    pub significant: bool,
    /// Bayesian `P(treatment > control)` (binary only).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub probability_to_beat_control: Option<f64>,
    /// Bayesian expected loss of choosing the treatment (binary only).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub expected_loss: Option<f64>,
    /// Always-valid mSPRT p-value when `sequential_tau2` is given (binary only).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub sequential_p_value: Option<f64>,
}

/// Sample-ratio-mismatch check of the observed users against the expected split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SrmReport {
    /// Chi-square statistic.
    pub chi2: f64,
    /// Degrees of freedom.
    pub df: u32,
    /// p-value.
    pub p_value: f64,
    /// `p_value < 0.001`.
    pub mismatch: bool,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// Binary or continuous.
    pub metric_type: MetricType,
    /// Per-variant statistics, in input order.
    pub variants: Vec<VariantReport>,
    /// Name of the control.
    pub control_variant: String,
    /// The variant to roll out, if the evidence supports one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub winner: Option<String>,
    /// Whether any comparison is significant after correction.
    pub statistical_significance: bool,
    /// Raw p-value of the headline comparison (the winner's, else the smallest).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub p_value: Option<f64>,
    /// `1 − alpha`.
    pub confidence_level: f64,
    /// Relative lift of the headline comparison.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub effect_size: Option<f64>,
    /// What to do, in one sentence.
    pub recommendation: String,
    /// Mean users per variant (rounded).
    pub sample_size_per_variant: u64,
    /// Converting users over all variants.
    pub total_conversions: u64,
    /// Alpha used.
    pub alpha: f64,
    /// Correction used.
    pub correction: Correction,
    /// Each treatment against the control.
    pub comparisons: Vec<Comparison>,
    /// Sample-ratio mismatch check (absent without users).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub srm: Option<SrmReport>,
    /// Planned users per variant, when known.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub required_sample_size: Option<u64>,
    /// Smallest variant's users over the planned size, capped at 1.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub progress: Option<f64>,
}

/// `[lower, upper]` or `null`, in the OpenAPI document.
#[cfg(feature = "openapi")]
fn optional_interval() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(ObjectBuilder::new().schema_type(Type::Number))
        .min_items(Some(2))
        .max_items(Some(2))
        .description(Some("[lower, upper], or null when undefined"))
        .build()
}
