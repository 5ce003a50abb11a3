//! The stateless calculators: `POST /analyze` and `POST /sample-size`.

use super::input::json_body;
use crate::error::{ApiError, ApiResult};
use cleave_core::analysis::limits::{
    MAX_ABS_MEAN, MAX_SEQUENTIAL_TAU2, MAX_VARIANCE, MAX_WEIGHT, MIN_WEIGHT,
};
use cleave_core::analysis::{AnalysisSettings, MetricType, Report, VariantData, analyze};
use cleave_core::stats::{Correction, MdeType, SampleSizeInput, StatsError, sample_size};
use serde::{Deserialize, Serialize};

/// One variant of an `/analyze` request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyzeVariant {
    /// Name.
    pub name: String,
    /// Users, at most 2^53.
    #[serde(deserialize_with = "cleave_core::model::integer::u64")]
    #[cfg_attr(feature = "openapi", schema(maximum = 9007199254740992.0))]
    pub sample_size: u64,
    /// Converting users (binary), at most `sample_size`.
    #[serde(default, deserialize_with = "cleave_core::model::integer::opt_u64")]
    #[cfg_attr(feature = "openapi", schema(maximum = 9007199254740992.0))]
    pub conversions: Option<u64>,
    /// Mean (continuous), within ±1e15.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = -1000000000000000.0, maximum = 1000000000000000.0))]
    pub mean: Option<f64>,
    /// Sample variance (continuous), within [0, 1e30].
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 1000000000000000000000000000000.0)
    )]
    pub variance: Option<f64>,
}

/// The `/analyze` request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyzeRequest {
    /// `binary` (default) or `continuous`.
    #[serde(default)]
    pub metric_type: MetricType,
    /// Significance level (default 0.05).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0.000000000001, exclusive_maximum = 0.5)
    )]
    pub alpha: Option<f64>,
    /// Control variant name (default: the first).
    #[serde(default)]
    pub control: Option<String>,
    /// The variants.
    #[cfg_attr(feature = "openapi", schema(min_items = 2, max_items = 20))]
    pub variants: Vec<AnalyzeVariant>,
    /// Expected allocation for the SRM check (default: equal).
    #[serde(default)]
    pub weights: Option<Vec<f64>>,
    /// `none`, `holm` (default) or `bh`.
    #[serde(default)]
    pub correction: Correction,
    /// Enables the mSPRT sequential p-value.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0, maximum = 1))]
    pub sequential_tau2: Option<f64>,
}

/// Refuses values outside the documented ranges (`cleave_core::analysis::limits`), naming
/// the field; the core's own checks (counts, alpha, conversions ≤ sample size) follow.
fn check_ranges(req: &AnalyzeRequest) -> ApiResult<()> {
    let within = |x: f64, lo: f64, hi: f64| x.is_finite() && lo <= x && x <= hi;
    for (i, v) in req.variants.iter().enumerate() {
        if let Some(mean) = v.mean.filter(|m| !within(*m, -MAX_ABS_MEAN, MAX_ABS_MEAN)) {
            return Err(ApiError::invalid(
                format!("variants[{i}].mean"),
                format!("must lie within ±{MAX_ABS_MEAN:e} (got {mean:e})"),
            ));
        }
        if let Some(var) = v.variance.filter(|x| !within(*x, 0.0, MAX_VARIANCE)) {
            return Err(ApiError::invalid(
                format!("variants[{i}].variance"),
                format!("must lie within [0, {MAX_VARIANCE:e}] (got {var:e})"),
            ));
        }
    }
    if let Some(tau2) = req.sequential_tau2
        && !(within(tau2, 0.0, MAX_SEQUENTIAL_TAU2) && tau2 > 0.0)
    {
        return Err(ApiError::invalid(
            "sequential_tau2",
            format!("must be greater than 0 and at most {MAX_SEQUENTIAL_TAU2}"),
        ));
    }
    if let Some(weights) = &req.weights
        && let Some(i) = weights
            .iter()
            .position(|w| !within(*w, MIN_WEIGHT, MAX_WEIGHT))
    {
        return Err(ApiError::invalid(
            format!("weights[{i}]"),
            format!("must lie within [{MIN_WEIGHT:e}, {MAX_WEIGHT:e}]"),
        ));
    }
    Ok(())
}

/// `POST /analyze`.
pub fn analyze_request(bytes: &[u8]) -> ApiResult<Report> {
    let req: AnalyzeRequest = json_body(bytes)?;
    check_ranges(&req)?;
    let mut data = Vec::with_capacity(req.variants.len());
    for (i, v) in req.variants.iter().enumerate() {
        let d = match req.metric_type {
            MetricType::Binary => {
                let c = v.conversions.ok_or_else(|| {
                    ApiError::invalid(
                        format!("variants[{i}].conversions"),
                        "is required for binary metrics",
                    )
                })?;
                VariantData::binary(v.name.clone(), v.sample_size, c)
            }
            MetricType::Continuous => {
                let mean = v.mean.ok_or_else(|| {
                    ApiError::invalid(
                        format!("variants[{i}].mean"),
                        "is required for continuous metrics",
                    )
                })?;
                let variance = v.variance.ok_or_else(|| {
                    ApiError::invalid(
                        format!("variants[{i}].variance"),
                        "is required for continuous metrics",
                    )
                })?;
                VariantData::continuous(v.name.clone(), v.sample_size, mean, variance)
            }
        };
        data.push(d);
    }
    let settings = AnalysisSettings {
        metric_type: req.metric_type,
        alpha: req.alpha.unwrap_or(cleave_core::model::DEFAULT_ALPHA),
        correction: req.correction,
        control: req.control,
        weights: req.weights,
        sequential_tau2: req.sequential_tau2,
        required_sample_size: None,
    };
    analyze(&data, &settings).map_err(|e| ApiError::invalid(e.field, e.message))
}

/// The `/sample-size` request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleSizeRequest {
    /// Baseline rate.
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0, exclusive_maximum = 1)
    )]
    pub base_rate: f64,
    /// Minimum detectable effect.
    pub mde: f64,
    /// `relative` (default) or `absolute`.
    #[serde(default)]
    pub mde_type: MdeType,
    /// Significance level (default 0.05).
    #[serde(default = "default_alpha")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0.000000000001, exclusive_maximum = 1)
    )]
    pub alpha: f64,
    /// Power (default 0.8).
    #[serde(default = "default_power")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0.5, exclusive_maximum = 1))]
    pub power: f64,
    /// Number of variants, control included (default 2).
    #[serde(
        default = "default_variants",
        deserialize_with = "cleave_core::model::integer::u32"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 2, maximum = 20))]
    pub variants: u32,
}

fn default_alpha() -> f64 {
    cleave_core::model::DEFAULT_ALPHA
}
fn default_power() -> f64 {
    cleave_core::model::DEFAULT_POWER
}
fn default_variants() -> u32 {
    2
}

/// The `/sample-size` response.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleSizeResponse {
    /// Users per variant.
    pub sample_size_per_variant: u64,
    /// Users over all variants.
    pub total_sample_size: u64,
    /// The unrounded per-variant value.
    pub raw_sample_size_per_variant: f64,
    /// Baseline rate.
    pub base_rate: f64,
    /// The treatment rate the effect implies.
    pub treatment_rate: f64,
    /// The effect as given.
    pub mde: f64,
    /// How it was read.
    pub mde_type: MdeType,
    /// Significance level.
    pub alpha: f64,
    /// Power.
    pub power: f64,
    /// Variants.
    pub variants: u32,
}

/// `POST /sample-size`: per-variant size from the two-proportion formula; total = per variant × variants.
pub fn sample_size_request(bytes: &[u8]) -> ApiResult<SampleSizeResponse> {
    let req: SampleSizeRequest = json_body(bytes)?;
    if !(2..=20).contains(&req.variants) {
        return Err(ApiError::invalid("variants", "must be between 2 and 20"));
    }
    let s = sample_size(SampleSizeInput {
        base_rate: req.base_rate,
        mde: req.mde,
        mde_type: req.mde_type,
        alpha: req.alpha,
        power: req.power,
    })
    .map_err(|e| {
        let field = match e {
            StatsError::InvalidAlpha => "alpha",
            StatsError::InvalidPower => "power",
            StatsError::InvalidEffect | StatsError::SampleSizeTooLarge => "mde",
            _ if req.base_rate > 0.0 && req.base_rate < 1.0 => "mde",
            _ => "base_rate",
        };
        let message = if field == "mde" && e == StatsError::InvalidRate {
            "implies a treatment rate outside (0, 1) or equal to the base rate".to_string()
        } else {
            e.to_string()
        };
        ApiError::invalid(field, message)
    })?;
    Ok(SampleSizeResponse {
        sample_size_per_variant: s.per_group,
        total_sample_size: s.per_group * u64::from(req.variants),
        raw_sample_size_per_variant: s.raw,
        base_rate: req.base_rate,
        treatment_rate: s.treatment_rate,
        mde: req.mde,
        mde_type: req.mde_type,
        alpha: req.alpha,
        power: req.power,
        variants: req.variants,
    })
}
