//! The statistics engine: hypothesis tests, intervals, sample size, sample-ratio
//! mismatch, multiple-testing corrections, Bayesian and sequential measures.
//!
//! Every function follows the definitions in `shared/tests/vectors/STATS-README.md` (the
//! SciPy/statsmodels reference) and is tested against its vectors. Nothing returns NaN
//! or infinity: undefined quantities are `None`, invalid inputs are [`StatsError`]s.

mod bayes;
pub mod distributions;
mod error;
mod gauss_legendre;
#[cfg(test)]
mod gauss_legendre_check;
mod msprt;
mod multiple;
mod proportion;
mod sample_size;
pub mod special;
mod srm;
mod welch;

pub use bayes::{
    BayesResult, MAX_EXACT_SHAPE, MAX_EXACT_TERMS, beta_binomial, beta_binomial_quadrature,
};
pub use error::StatsError;
pub use msprt::{MsprtResult, msprt};
pub use multiple::{Correction, adjust, benjamini_hochberg, holm};
pub use proportion::{Counts, TwoProportionTest, two_proportion, wilson_interval};
pub use sample_size::{MdeType, SampleSize, SampleSizeInput, sample_size};
pub use srm::{SrmResult, sample_ratio_mismatch};
pub use welch::{Summary, WelchTest, welch};

/// Largest count (users, conversions, observations) any statistic accepts: 2^53, the
/// largest range of integers a double (and a JSON number in JavaScript) holds exactly.
/// Every statistic costs a bounded amount of work up to it.
pub const MAX_COUNT: u64 = 1 << 53;

/// A closed interval `[lower, upper]`, serialized as a two-element array.
pub type Interval = [f64; 2];

/// Smallest significance level accepted: below it `Φ⁻¹(1 − α/2)` leaves the double range
/// (at a subnormal α every interval would be `[−∞, ∞]`), and no decision needs it.
pub const MIN_ALPHA: f64 = 1e-12;

/// Checks that a significance level lies in `[MIN_ALPHA, 1)`.
fn check_alpha(alpha: f64) -> Result<(), StatsError> {
    if (MIN_ALPHA..1.0).contains(&alpha) {
        Ok(())
    } else {
        Err(StatsError::InvalidAlpha)
    }
}
