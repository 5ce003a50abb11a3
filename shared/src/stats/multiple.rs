//! Multiple-testing adjustments (statsmodels `multipletests`).

use super::StatsError;
use alloc::vec::Vec;

/// A multiple-testing correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Correction {
    /// No adjustment.
    None,
    /// Holm's step-down (family-wise error rate). The default.
    #[default]
    Holm,
    /// Benjamini–Hochberg (false discovery rate).
    Bh,
}

/// Adjusts `p_values` (returned in input order) with the chosen correction.
pub fn adjust(p_values: &[f64], correction: Correction) -> Result<Vec<f64>, StatsError> {
    match correction {
        Correction::None => check(p_values).map(|()| p_values.to_vec()),
        Correction::Holm => holm(p_values),
        Correction::Bh => benjamini_hochberg(p_values),
    }
}

fn check(p_values: &[f64]) -> Result<(), StatsError> {
    if p_values.iter().all(|p| (0.0..=1.0).contains(p)) {
        Ok(())
    } else {
        Err(StatsError::InvalidPValue)
    }
}

/// Indices of `p_values` in ascending order of value (stable).
fn ascending_order(p_values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    order
}

/// Holm: `adj(j) = min(1, max_{i ≤ j} (m − i + 1)·p(i))` over the sorted values.
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>, StatsError> {
    check(p_values)?;
    let m = p_values.len();
    let mut adjusted = alloc::vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, &i) in ascending_order(p_values).iter().enumerate() {
        running = running.max((m - rank) as f64 * p_values[i]);
        adjusted[i] = running.min(1.0);
    }
    Ok(adjusted)
}

/// Benjamini–Hochberg: `adj(j) = min(1, min_{i ≥ j} p(i) / (i/m))` over the sorted values.
pub fn benjamini_hochberg(p_values: &[f64]) -> Result<Vec<f64>, StatsError> {
    check(p_values)?;
    let m = p_values.len();
    let mut adjusted = alloc::vec![0.0; m];
    let mut running = 1.0_f64;
    for (rank, &i) in ascending_order(p_values).iter().enumerate().rev() {
        running = running.min(p_values[i] / ((rank + 1) as f64 / m as f64));
        adjusted[i] = running;
    }
    Ok(adjusted)
}
