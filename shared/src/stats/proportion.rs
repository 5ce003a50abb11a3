//! Two-proportion z test (pooled), the Wald interval of the difference, Wilson
//! intervals per group and the relative lift.

use super::distributions::{normal_isf, normal_two_sided_p};
use super::{Interval, StatsError, check_alpha};
use libm::sqrt;

/// Users and converting users of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Counts {
    /// Number of users (trials).
    pub n: u64,
    /// Number of users who converted (successes), `≤ n`.
    pub conversions: u64,
}

impl Counts {
    /// Checks `1 ≤ n ≤ MAX_COUNT` and `conversions ≤ n`.
    pub fn validate(&self) -> Result<(), StatsError> {
        if self.n == 0 {
            Err(StatsError::TooFewObservations)
        } else if self.n > super::MAX_COUNT {
            Err(StatsError::CountTooLarge)
        } else if self.conversions > self.n {
            Err(StatsError::ConversionsExceedSampleSize)
        } else {
            Ok(())
        }
    }

    /// The conversion rate `x / n` (0 when `n = 0`).
    pub fn rate(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.conversions as f64 / self.n as f64
        }
    }

    /// `1 − rate`, as `(n − x) / n` from the exact difference: near 2^53 users, `1 − x/n`
    /// rounds to 0 while `n − x` is still a positive count.
    pub fn rate_complement(&self) -> f64 {
        if self.n == 0 {
            1.0
        } else {
            self.n.saturating_sub(self.conversions) as f64 / self.n as f64
        }
    }
}

/// Result of [`two_proportion`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoProportionTest {
    /// `pC = xC / nC`.
    pub control_rate: f64,
    /// `pT = xT / nT`.
    pub treatment_rate: f64,
    /// `pT − pC`.
    pub diff: f64,
    /// Pooled z statistic; 0 when the pooled rate is 0 or 1.
    pub z: f64,
    /// Two-sided p-value `2·Q(|z|)`; 1 when the pooled rate is 0 or 1.
    pub p_value: f64,
    /// Unpooled Wald interval of `diff` at level `1 − alpha` (not clipped).
    pub diff_ci: Interval,
    /// `diff / pC`; `None` when the control has no conversions.
    pub relative_lift: Option<f64>,
    /// Wilson score interval of the control rate.
    pub control_ci: Interval,
    /// Wilson score interval of the treatment rate.
    pub treatment_ci: Interval,
}

/// Pooled two-proportion z test of treatment against control at level `alpha`.
///
/// `z = (pT − pC) / sqrt(p(1−p)(1/nC + 1/nT))` with the pooled `p`; the p-value is
/// `erfc(|z|/√2)`. The difference interval is the unpooled Wald interval
/// `diff ± Φ⁻¹(1 − α/2)·sqrt(pC(1−pC)/nC + pT(1−pT)/nT)`.
pub fn two_proportion(
    control: Counts,
    treatment: Counts,
    alpha: f64,
) -> Result<TwoProportionTest, StatsError> {
    control.validate()?;
    treatment.validate()?;
    check_alpha(alpha)?;
    let (nc, nt) = (control.n as f64, treatment.n as f64);
    let (pc, pt) = (control.rate(), treatment.rate());
    let diff = pt - pc;
    let total_x = control.conversions + treatment.conversions;
    let total_n = control.n + treatment.n;
    let (z, p_value) = if total_x == 0 || total_x == total_n {
        (0.0, 1.0)
    } else {
        let pooled = Counts {
            n: total_n,
            conversions: total_x,
        };
        let spread = pooled.rate() * pooled.rate_complement();
        let z = diff / sqrt(spread * (1.0 / nc + 1.0 / nt));
        (z, normal_two_sided_p(z))
    };
    let c = normal_isf(0.5 * alpha);
    let se = sqrt(pc * control.rate_complement() / nc + pt * treatment.rate_complement() / nt);
    let relative_lift = if control.conversions == 0 {
        None
    } else {
        Some(diff / pc)
    };
    Ok(TwoProportionTest {
        control_rate: pc,
        treatment_rate: pt,
        diff,
        z,
        p_value,
        diff_ci: [diff - c * se, diff + c * se],
        relative_lift,
        control_ci: wilson_with_critical(control, c),
        treatment_ci: wilson_with_critical(treatment, c),
    })
}

/// Wilson score interval for one group's rate at level `1 − alpha`, clipped to [0, 1]
/// (statsmodels `proportion_confint(method="wilson")`).
pub fn wilson_interval(counts: Counts, alpha: f64) -> Result<Interval, StatsError> {
    counts.validate()?;
    check_alpha(alpha)?;
    Ok(wilson_with_critical(counts, normal_isf(0.5 * alpha)))
}

fn wilson_with_critical(counts: Counts, c: f64) -> Interval {
    let n = counts.n as f64;
    let q = counts.rate();
    let c2 = c * c;
    let denom = 1.0 + c2 / n;
    let center = (q + c2 / (2.0 * n)) / denom;
    let half = c * sqrt(q * counts.rate_complement() / n + c2 / (4.0 * n * n)) / denom;
    [
        (center - half).clamp(0.0, 1.0),
        (center + half).clamp(0.0, 1.0),
    ]
}
