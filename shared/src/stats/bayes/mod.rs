//! Bayesian beta-binomial comparison with a uniform Beta(1, 1) prior.
//!
//! Both quantities cost a bounded amount of work whatever the counts: Evan Miller's exact
//! finite sum when it has at most [`MAX_EXACT_TERMS`] terms (and no shape above
//! [`MAX_EXACT_SHAPE`]), else a fixed panel quadrature over the two posteriors
//! (`quadrature.rs`). The expected loss always uses the quadrature.

mod miller;
mod posterior;
mod quadrature;

use super::StatsError;
use super::proportion::Counts;
use posterior::Posterior;

/// Longest exact sum used for `P(pT > pC)`; beyond it the quadrature answers (same
/// tolerance, fixed cost). The reference vectors' largest sums have about 1e5 terms.
pub const MAX_EXACT_TERMS: u64 = 100_000;
/// Largest posterior shape for which the exact sum is used: its first term is a ratio of
/// beta functions whose logarithms grow with the shapes, and past ~1e6 their difference
/// keeps fewer digits than the quadrature delivers.
pub const MAX_EXACT_SHAPE: u64 = 1_000_000;

/// Result of [`beta_binomial`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BayesResult {
    /// `P(pT > pC)` under the independent posteriors.
    pub prob_treatment_better: f64,
    /// `E[max(pC − pT, 0)]`: the expected loss of choosing treatment.
    pub expected_loss_treatment: f64,
}

/// Posterior probability that treatment beats control and the expected loss of
/// choosing treatment (Beta(1, 1) priors, independent groups).
///
/// Counts up to [`MAX_COUNT`](super::MAX_COUNT) are accepted; the work done is bounded
/// by a constant (about 2,000 density evaluations, or [`MAX_EXACT_TERMS`] sum terms).
pub fn beta_binomial(control: Counts, treatment: Counts) -> Result<BayesResult, StatsError> {
    control.validate()?;
    treatment.validate()?;
    let c = Posterior::from_counts(control);
    let t = Posterior::from_counts(treatment);
    let q = quadrature::integrate(&c, &t);
    let prob = miller::prob_better(control, treatment).unwrap_or(q.prob_treatment_better);
    Ok(BayesResult {
        prob_treatment_better: prob,
        expected_loss_treatment: q.expected_loss_treatment,
    })
}

/// The quadrature alone (tests compare it with the exact sums and the reference vectors).
#[doc(hidden)]
pub fn beta_binomial_quadrature(
    control: Counts,
    treatment: Counts,
) -> Result<BayesResult, StatsError> {
    control.validate()?;
    treatment.validate()?;
    Ok(quadrature::integrate(
        &Posterior::from_counts(control),
        &Posterior::from_counts(treatment),
    ))
}
