//! Sample size per group for comparing two proportions.

use super::distributions::normal_isf;
use super::{StatsError, check_alpha};
use libm::{ceil, sqrt};

/// How a minimum detectable effect is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MdeType {
    /// `p2 = p1·(1 + mde)` (the v1 API, Cleave's default).
    #[default]
    Relative,
    /// `p2 = p1 + mde` (the ab-testing-service API's `min_detectable_effect`).
    Absolute,
}

/// Planning inputs for [`sample_size`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSizeInput {
    /// Baseline (control) conversion rate `p1`, in (0, 1).
    pub base_rate: f64,
    /// Minimum detectable effect, relative or absolute per `mde_type`.
    pub mde: f64,
    /// How `mde` is expressed.
    pub mde_type: MdeType,
    /// Two-sided significance level.
    pub alpha: f64,
    /// Desired power, in [0.5, 1).
    pub power: f64,
}

/// Result of [`sample_size`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSize {
    /// Users needed in each group: `ceil(raw)`.
    pub per_group: u64,
    /// The unrounded value of the formula.
    pub raw: f64,
    /// The treatment rate `p2` the effect implies.
    pub treatment_rate: f64,
}

/// Users per group for a two-sided two-proportion test:
///
/// `n = (zα·sqrt(2·p̄(1−p̄)) + zβ·sqrt(p1(1−p1) + p2(1−p2)))² / (p2 − p1)²`
/// with `p̄ = (p1 + p2)/2`, `zα = Φ⁻¹(1 − α/2)`, `zβ = Φ⁻¹(power)`; refused with
/// [`StatsError::SampleSizeTooLarge`] above [`MAX_COUNT`](super::MAX_COUNT) per group.
pub fn sample_size(input: SampleSizeInput) -> Result<SampleSize, StatsError> {
    let SampleSizeInput {
        base_rate: p1,
        mde,
        mde_type,
        alpha,
        power,
    } = input;
    check_alpha(alpha)?;
    if !(0.5..1.0).contains(&power) {
        return Err(StatsError::InvalidPower);
    }
    if !(p1 > 0.0 && p1 < 1.0) {
        return Err(StatsError::InvalidRate);
    }
    if !mde.is_finite() || mde == 0.0 {
        return Err(StatsError::InvalidEffect);
    }
    let p2 = match mde_type {
        MdeType::Relative => p1 * (1.0 + mde),
        MdeType::Absolute => p1 + mde,
    };
    if !(p2 > 0.0 && p2 < 1.0) || p2 == p1 {
        return Err(StatsError::InvalidRate);
    }
    let z_alpha = normal_isf(0.5 * alpha);
    let z_beta = if power == 0.5 {
        0.0
    } else {
        normal_isf(1.0 - power)
    };
    let pbar = 0.5 * (p1 + p2);
    let num = z_alpha * sqrt(2.0 * pbar * (1.0 - pbar))
        + z_beta * sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2));
    let d = p2 - p1;
    let raw = num * num / (d * d);
    // Also refuses a NaN `raw`.
    if raw.is_nan() || raw > super::MAX_COUNT as f64 {
        return Err(StatsError::SampleSizeTooLarge);
    }
    Ok(SampleSize {
        per_group: ceil(raw) as u64,
        raw,
        treatment_rate: p2,
    })
}
