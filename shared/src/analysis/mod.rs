//! Turning per-variant sufficient statistics into a decision-ready report.

mod compare;
mod error;
mod input;
pub mod limits;
mod recommend;
mod report;
mod segments;
pub mod sufficient;

pub use error::AnalysisError;
pub use input::{AnalysisSettings, MetricType, VariantData, required_sample_size};
pub use report::{Comparison, Report, SrmReport, VariantReport};
pub use segments::correct_across;

use crate::stats::{adjust, sample_ratio_mismatch};
use alloc::format;
use alloc::vec::Vec;
use recommend::{Evidence, verdict};

/// p-value below which the sample-ratio-mismatch check flags a mismatch.
pub const SRM_THRESHOLD: f64 = 0.001;

/// Analyses `variants` (one of them the control) under `settings`.
///
/// Every treatment is compared with the control (z test for binary metrics, Welch for
/// continuous), the p-values are corrected together, the observed split is checked for
/// a sample-ratio mismatch, and [`recommend`](recommend::verdict) rules give the verdict.
pub fn analyze(
    variants: &[VariantData],
    settings: &AnalysisSettings,
) -> Result<Report, AnalysisError> {
    check(variants, settings)?;
    let control_index = match &settings.control {
        Some(name) => variants
            .iter()
            .position(|v| &v.name == name)
            .ok_or_else(|| {
                AnalysisError::new("control", format!("'{name}' is not one of the variants"))
            })?,
        None => 0,
    };
    let alpha = settings.alpha;
    let control = &variants[control_index];
    let mut comparisons: Vec<_> = variants
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != control_index)
        .map(|(_, t)| {
            compare::compare(
                control,
                t,
                settings.metric_type,
                alpha,
                settings.sequential_tau2,
            )
        })
        .collect();
    apply_correction(&mut comparisons, settings)?;

    let users: Vec<u64> = variants.iter().map(|v| v.users).collect();
    let weights = settings
        .weights
        .clone()
        .unwrap_or_else(|| alloc::vec![1.0; variants.len()]);
    let srm = sample_ratio_mismatch(&users, &weights)
        .ok()
        .map(|s| SrmReport {
            chi2: s.chi2,
            df: s.df,
            p_value: s.p_value,
            mismatch: s.p_value < SRM_THRESHOLD,
        });
    let min_users = users.iter().copied().min().unwrap_or(0);
    let total_users: u64 = users.iter().sum();
    let required = settings.required_sample_size;
    let v = verdict(&Evidence {
        control: &control.name,
        comparisons: &comparisons,
        srm: srm.as_ref(),
        min_users,
        required,
    });
    let headline = v.headline.map(|i| &comparisons[i]);
    Ok(Report {
        metric_type: settings.metric_type,
        variants: variants
            .iter()
            .map(|v| compare::describe(v, settings.metric_type, alpha))
            .collect(),
        control_variant: control.name.clone(),
        statistical_significance: comparisons.iter().any(|c| c.significant),
        winner: v.winner,
        p_value: headline.and_then(|c| c.p_value),
        confidence_level: 1.0 - alpha,
        effect_size: headline.and_then(|c| c.relative_lift),
        recommendation: v.recommendation,
        sample_size_per_variant: (total_users as f64 / variants.len() as f64 + 0.5) as u64,
        total_conversions: variants.iter().map(|v| v.conversions).sum(),
        alpha,
        correction: settings.correction,
        comparisons,
        srm,
        required_sample_size: required,
        progress: required.map(|r| progress(min_users, r)),
    })
}

fn apply_correction(
    comparisons: &mut [Comparison],
    settings: &AnalysisSettings,
) -> Result<(), AnalysisError> {
    let tested: Vec<usize> = (0..comparisons.len())
        .filter(|&i| comparisons[i].p_value.is_some())
        .collect();
    let raw: Vec<f64> = tested
        .iter()
        .filter_map(|&i| comparisons[i].p_value)
        .collect();
    let adjusted = adjust(&raw, settings.correction)
        .map_err(|e| AnalysisError::new("p_values", format!("{e}")))?;
    for (&i, p) in tested.iter().zip(adjusted) {
        comparisons[i].adjusted_p_value = Some(p);
        comparisons[i].significant = p < settings.alpha;
    }
    Ok(())
}

fn check(variants: &[VariantData], settings: &AnalysisSettings) -> Result<(), AnalysisError> {
    if variants.len() < 2 {
        return Err(AnalysisError::new(
            "variants",
            "at least two variants are needed",
        ));
    }
    if variants.len() > crate::model::limits::MAX_VARIANTS {
        return Err(AnalysisError::new(
            "variants",
            "at most 20 variants are allowed",
        ));
    }
    if !(crate::stats::MIN_ALPHA..0.5).contains(&settings.alpha) {
        return Err(AnalysisError::new(
            "alpha",
            "must be at least 1e-12 and less than 0.5",
        ));
    }
    if let Some(tau2) = settings.sequential_tau2
        && !(tau2.is_finite() && tau2 > 0.0)
    {
        return Err(AnalysisError::new(
            "sequential_tau2",
            "must be a positive, finite number",
        ));
    }
    if let Some(w) = &settings.weights {
        if w.len() != variants.len() {
            return Err(AnalysisError::new(
                "weights",
                "needs one weight per variant",
            ));
        }
        if let Some(i) = w.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(AnalysisError::new(
                format!("weights[{i}]"),
                "must be positive and finite",
            ));
        }
    }
    for (i, v) in variants.iter().enumerate() {
        if variants[..i].iter().any(|w| w.name == v.name) {
            return Err(AnalysisError::new(
                format!("variants[{i}].name"),
                "duplicate variant name",
            ));
        }
        if v.users > crate::stats::MAX_COUNT {
            return Err(AnalysisError::new(
                format!("variants[{i}].sample_size"),
                "must be at most 2^53 (9007199254740992)",
            ));
        }
        if v.conversions > v.users {
            return Err(AnalysisError::new(
                format!("variants[{i}].conversions"),
                "cannot exceed sample_size",
            ));
        }
        if !v.mean.is_finite() {
            return Err(AnalysisError::new(
                format!("variants[{i}].mean"),
                "must be finite",
            ));
        }
        if !(v.variance.is_finite() && v.variance >= 0.0) {
            return Err(AnalysisError::new(
                format!("variants[{i}].variance"),
                "must be finite and non-negative",
            ));
        }
    }
    Ok(())
}

/// Progress towards the planned sample size: the smallest variant's users over the users
/// needed per variant, capped at 1 (the same number in reports, lists and `/metrics`).
pub fn progress(smallest_variant_users: u64, required_per_variant: u64) -> f64 {
    (smallest_variant_users as f64 / required_per_variant.max(1) as f64).min(1.0)
}
