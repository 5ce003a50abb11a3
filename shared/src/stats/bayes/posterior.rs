//! A Beta posterior and its log-density, evaluated at an offset from a reference point.

use super::super::proportion::Counts;
use super::super::special::{bd0, stirling_remainder};
use libm::{log, sqrt};

/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// `Beta(a, b)` with `a = 1 + conversions`, `b = 1 + n − conversions`.
#[derive(Debug, Clone, Copy)]
pub struct Posterior {
    /// Shape `a` (exact integer while counts stay below 2^53).
    pub a: f64,
    /// Shape `b`.
    pub b: f64,
    /// `a + b`.
    pub n: f64,
    /// `a` as an exact integer, for the difference of means.
    pub a_exact: u128,
    /// `a + b` as an exact integer.
    pub n_exact: u128,
    /// Standard deviation `√(ab / (n²(n + 1)))`.
    pub sd: f64,
    /// The part of the log-density that does not depend on `x`.
    ln_constant: f64,
}

impl Posterior {
    /// The posterior after `c.conversions` successes in `c.n` trials.
    pub fn from_counts(c: Counts) -> Self {
        let a_exact = u128::from(c.conversions) + 1;
        let n_exact = u128::from(c.n) + 2;
        let a = a_exact as f64;
        let n = n_exact as f64;
        let b = (n_exact - a_exact) as f64;
        // ln(x^a y^b / B(a, b)) = −bd0(a, nx) − bd0(b, ny) + ln_constant (Loader's form).
        let ln_constant = stirling_remainder(n) - stirling_remainder(a) - stirling_remainder(b)
            + 0.5 * log(a * b / n)
            - LN_SQRT_2PI;
        Self {
            a,
            b,
            n,
            a_exact,
            n_exact,
            sd: sqrt(a * b / (n * n * (n + 1.0))),
            ln_constant,
        }
    }

    /// The mean `a / n` minus `other`'s mean, from exact integers (one rounding).
    pub fn mean_minus(&self, other: &Self) -> f64 {
        let lhs = self.a_exact * other.n_exact;
        let rhs = other.a_exact * self.n_exact;
        let denominator = (self.n_exact * other.n_exact) as f64;
        if lhs >= rhs {
            (lhs - rhs) as f64 / denominator
        } else {
            -((rhs - lhs) as f64 / denominator)
        }
    }

    /// The density at `x = mean + offset` (`offset` relative to this posterior's own mean),
    /// accurate to a few ulps however large `a` and `b` are: `n·x = a + n·offset` and
    /// `n·y = b − n·offset` are formed without rounding `x` or `1 − x`.
    pub fn density_at_offset(&self, offset: f64) -> f64 {
        let shift = self.n * offset;
        let nx = self.a + shift;
        let ny = self.b - shift;
        if !(nx > 0.0 && ny > 0.0) {
            return 0.0;
        }
        // f = x^(a−1) y^(b−1) / B = prefix / (x·y), with x·y = (nx)(ny)/n².
        let ln_f = self.ln_constant - bd0(self.a, nx) - bd0(self.b, ny) - log(nx) - log(ny)
            + 2.0 * log(self.n);
        libm::exp(ln_f)
    }
}
