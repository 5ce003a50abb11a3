//! Results by segment: one report per value of an attribute, with the multiple-testing
//! correction applied across every comparison of every segment (looking at many segments
//! is many tests, so no segment's p-value is read alone).

use super::recommend::{Evidence, verdict};
use super::{AnalysisError, Report};
use crate::stats::{Correction, adjust};
use alloc::format;
use alloc::vec::Vec;

/// Re-adjusts the raw p-values of all `reports` together with `correction` at `alpha`:
/// each comparison's `adjusted_p_value` and `significant`, and each report's
/// `statistical_significance`, winner, headline and recommendation, which then describe
/// the family of all segments.
pub fn correct_across(
    reports: &mut [Report],
    correction: Correction,
    alpha: f64,
) -> Result<(), AnalysisError> {
    let mut raw = Vec::new();
    for (r, report) in reports.iter().enumerate() {
        for (c, comparison) in report.comparisons.iter().enumerate() {
            if let Some(p) = comparison.p_value {
                raw.push((r, c, p));
            }
        }
    }
    let values: Vec<f64> = raw.iter().map(|&(_, _, p)| p).collect();
    let adjusted =
        adjust(&values, correction).map_err(|e| AnalysisError::new("p_values", format!("{e}")))?;
    for (&(r, c, _), p) in raw.iter().zip(adjusted) {
        let comparison = &mut reports[r].comparisons[c];
        comparison.adjusted_p_value = Some(p);
        comparison.significant = p < alpha;
    }
    for report in reports.iter_mut() {
        report.statistical_significance = report.comparisons.iter().any(|c| c.significant);
        let min_users = report
            .variants
            .iter()
            .map(|v| v.sample_size)
            .min()
            .unwrap_or(0);
        let v = verdict(&Evidence {
            control: &report.control_variant,
            comparisons: &report.comparisons,
            srm: report.srm.as_ref(),
            min_users,
            required: report.required_sample_size,
        });
        let headline = v.headline.map(|i| &report.comparisons[i]);
        report.p_value = headline.and_then(|c| c.p_value);
        report.effect_size = headline.and_then(|c| c.relative_lift);
        report.winner = v.winner;
        report.recommendation = v.recommendation;
        report.correction = correction;
    }
    Ok(())
}
