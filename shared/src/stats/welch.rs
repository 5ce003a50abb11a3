//! Welch's unequal-variance t test from summary statistics.

use super::distributions::{t_two_sided_p, t_two_sided_quantile};
use super::{Interval, StatsError, check_alpha};
use libm::sqrt;

/// Summary statistics of one group of a continuous metric.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Summary {
    /// Number of observations.
    pub n: u64,
    /// Sample mean.
    pub mean: f64,
    /// Sample variance with denominator `n − 1`.
    pub variance: f64,
}

/// Result of [`welch`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchTest {
    /// `meanT − meanC`.
    pub diff: f64,
    /// `diff / sqrt(varC/nC + varT/nT)`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom (real-valued).
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// `diff ± t_{1−α/2, df}·se`.
    pub diff_ci: Interval,
}

/// `(aC + aT)² / (aC²/(nC−1) + aT²/(nT−1))`, written with the shares `a/(aC + aT)` so
/// that neither tiny nor huge variances under- or overflow; exactly `n − 1` of the other
/// group when one variance is zero.
fn satterthwaite(ac: f64, nc: u64, at: f64, nt: u64) -> f64 {
    if ac == 0.0 {
        return (nt - 1) as f64;
    }
    if at == 0.0 {
        return (nc - 1) as f64;
    }
    let var = ac + at;
    let (sc, st) = (ac / var, at / var);
    1.0 / (sc * sc / (nc - 1) as f64 + st * st / (nt - 1) as f64)
}

/// Welch's t test of treatment against control (SciPy
/// `ttest_ind_from_stats(equal_var=False)`), with the interval of the difference.
///
/// `df = (aC + aT)² / (aC²/(nC−1) + aT²/(nT−1))` with `a = var/n`.
pub fn welch(control: Summary, treatment: Summary, alpha: f64) -> Result<WelchTest, StatsError> {
    check_alpha(alpha)?;
    for s in [&control, &treatment] {
        if s.n < 2 {
            return Err(StatsError::TooFewObservations);
        }
        if s.n > super::MAX_COUNT {
            return Err(StatsError::CountTooLarge);
        }
        if !s.mean.is_finite() {
            return Err(StatsError::InvalidMean);
        }
        if !(s.variance.is_finite() && s.variance >= 0.0) {
            return Err(StatsError::InvalidVariance);
        }
    }
    let ac = control.variance / control.n as f64;
    let at = treatment.variance / treatment.n as f64;
    let var = ac + at;
    if var <= 0.0 {
        return Err(StatsError::InvalidVariance);
    }
    let se = sqrt(var);
    let diff = treatment.mean - control.mean;
    let t = diff / se;
    let df = satterthwaite(ac, control.n, at, treatment.n);
    let p_value = t_two_sided_p(t, df);
    let c = t_two_sided_quantile(alpha, df);
    Ok(WelchTest {
        diff,
        t,
        df,
        p_value,
        diff_ci: [diff - c * se, diff + c * se],
    })
}
