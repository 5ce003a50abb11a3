//! Sample-ratio mismatch: a chi-square goodness-of-fit test of the observed group
//! sizes against the configured allocation.

use super::StatsError;
use super::distributions::chi2_sf;

/// Result of [`sample_ratio_mismatch`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SrmResult {
    /// `Σ (o − e)² / e`.
    pub chi2: f64,
    /// Degrees of freedom `k − 1`.
    pub df: u32,
    /// `P(χ²_df > chi2)`.
    pub p_value: f64,
}

/// SciPy `chisquare(observed, f_exp = total·w/Σw)`. Weights need not sum to 1.
pub fn sample_ratio_mismatch(observed: &[u64], weights: &[f64]) -> Result<SrmResult, StatsError> {
    if observed.len() < 2 {
        return Err(StatsError::TooFewGroups);
    }
    if weights.len() != observed.len() || weights.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(StatsError::InvalidWeights);
    }
    if observed.iter().any(|&o| o > super::MAX_COUNT) {
        return Err(StatsError::CountTooLarge);
    }
    // At most 2^53 each: the sum overflows u64 only past 2,048 groups.
    let total = observed
        .iter()
        .try_fold(0_u64, |sum, &o| sum.checked_add(o))
        .ok_or(StatsError::CountTooLarge)?;
    if total == 0 {
        return Err(StatsError::TooFewGroups);
    }
    let weight_sum: f64 = weights.iter().sum();
    let total = total as f64;
    let chi2: f64 = observed
        .iter()
        .zip(weights)
        .map(|(&o, &w)| {
            let e = total * w / weight_sum;
            let d = o as f64 - e;
            d * d / e
        })
        .sum();
    let df = (observed.len() - 1) as u32;
    Ok(SrmResult {
        chi2,
        df,
        p_value: chi2_sf(chi2, f64::from(df)),
    })
}
