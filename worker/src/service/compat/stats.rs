//! `GET /api/experiments/{name}/stats` in the ab-testing-service API's shape: per variant
//! the counts of `impression`, `conversion` and `assignments`, and an `analysis` whose
//! variants are `{"conversions", "impressions", "rate", "confidence_interval"}` in that key
//! order (its scripts read the compact JSON). Counted per user, as Cleave counts: a
//! variant's impressions are its exposed users, its conversions the users with at least one
//! `conversion` event; the analysis is Cleave's (two-proportion z-test, Wilson intervals,
//! Holm across treatments), not the Yates chi-square on event counts it used to run.

use super::experiment::status_name;
use crate::store::VariantAggregate;
use cleave_core::analysis::Report;
use cleave_core::model::Experiment;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// The metric whose users convert.
pub const CONVERSION: &str = "conversion";
/// The metric an impression is recorded as (beside the exposure it implies).
pub const IMPRESSION: &str = "impression";

/// Entries serialised as a JSON object in their order (the experiment's variant order).
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A variant's counts, in users.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbCounts {
    /// Users with at least one impression event.
    pub impression: u64,
    /// Users with at least one conversion event.
    pub conversion: u64,
    /// Users assigned (exposed).
    pub assignments: u64,
}

/// A variant's analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbVariantStats {
    /// Users who converted.
    pub conversions: u64,
    /// Users exposed.
    pub impressions: u64,
    /// `conversions / impressions` (0 without impressions).
    pub rate: f64,
    /// Wilson interval of the rate at the experiment's confidence level, `[lower, upper]`.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Option<Vec<f64>>))]
    pub confidence_interval: Option<[f64; 2]>,
}

/// One treatment against the control.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbComparison {
    /// The control it is compared with.
    pub control: String,
    /// Treatment rate minus control rate.
    pub difference: f64,
    /// `difference / control rate` (null when the control's rate is 0).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub relative_lift: Option<f64>,
    /// Two-sided p-value.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub p_value: Option<f64>,
    /// After Holm's correction across the treatments.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub adjusted_p_value: Option<f64>,
    /// Whether the adjusted p-value is below 1 − confidence level.
    pub significant: bool,
    /// Interval of the difference, `[lower, upper]`.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Option<Vec<f64>>))]
    pub confidence_interval: Option<[f64; 2]>,
}

/// The analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbAnalysis {
    /// Per variant, in the experiment's order.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, AbVariantStats>))]
    pub variants: Ordered<AbVariantStats>,
    /// Per treatment.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, AbComparison>))]
    pub comparisons: Ordered<AbComparison>,
    /// The control variant.
    pub control: String,
    /// The experiment's confidence level.
    pub confidence_level: f64,
    /// The significant best treatment, if any.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub winner: Option<String>,
    /// What to do, in words.
    pub recommendation: String,
    /// Whether the split differs from the configured weights (sample-ratio mismatch).
    pub sample_ratio_mismatch: bool,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbStats {
    /// The experiment's name.
    pub experiment_id: String,
    /// Cleave's id.
    pub id: String,
    /// Its status.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: &'static str,
    /// Per variant, in the experiment's order.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, AbCounts>))]
    pub variants: Ordered<AbCounts>,
    /// The analysis of conversions.
    pub analysis: AbAnalysis,
}

/// Users of `variant` in `arms` and those with the metric, or zeros.
fn users(arms: &[VariantAggregate], variant: &str) -> (u64, u64) {
    arms.iter()
        .find(|a| a.variant == variant)
        .map_or((0, 0), |a| (a.users, a.converters))
}

/// The answer from Cleave's report of the `conversion` metric and the per-variant
/// aggregates of `impression`.
pub fn compat_stats(
    experiment: &Experiment,
    report: &Report,
    impressions: &[VariantAggregate],
) -> AbStats {
    let mut counts = Vec::new();
    let mut variants = Vec::new();
    for v in &experiment.variants {
        let r = report.variants.iter().find(|r| r.variant == v.name);
        let (exposed, converted) = r.map_or((0, 0), |r| (r.sample_size, r.conversions));
        counts.push((
            v.name.clone(),
            AbCounts {
                impression: users(impressions, &v.name).1,
                conversion: converted,
                assignments: exposed,
            },
        ));
        variants.push((
            v.name.clone(),
            AbVariantStats {
                conversions: converted,
                impressions: exposed,
                rate: r.map_or(0.0, |r| r.conversion_rate),
                confidence_interval: r.and_then(|r| r.confidence_interval),
            },
        ));
    }
    let comparisons = report
        .comparisons
        .iter()
        .map(|c| {
            let compared = AbComparison {
                control: report.control_variant.clone(),
                difference: c.difference,
                relative_lift: c.relative_lift,
                p_value: c.p_value,
                adjusted_p_value: c.adjusted_p_value,
                significant: c.significant,
                confidence_interval: c.difference_ci,
            };
            (c.variant.clone(), compared)
        })
        .collect();
    AbStats {
        experiment_id: experiment.name.clone(),
        id: experiment.id.clone(),
        status: status_name(experiment.status),
        variants: Ordered(counts),
        analysis: AbAnalysis {
            variants: Ordered(variants),
            comparisons: Ordered(comparisons),
            control: report.control_variant.clone(),
            confidence_level: report.confidence_level,
            winner: report.winner.clone(),
            recommendation: report.recommendation.clone(),
            sample_ratio_mismatch: report.srm.as_ref().is_some_and(|s| s.mismatch),
        },
    }
}
