//! Special functions the statistics need at a precision statrs does not give.
//!
//! statrs' `beta_reg(a, b, x)` forms `1 - x` internally and evaluates its prefactor
//! with `ln_gamma` differences. Both lose accuracy where the reference vectors live:
//! Welch p-values at df ≈ 1e8 put `x` next to 1, and the Bayesian posteriors have
//! parameters up to 1e5. So the incomplete beta here takes `x` *and* `y = 1 - x` as
//! separate inputs (as Boost's `ibeta` does), returns the function and its complement
//! each computed without cancellation, and evaluates the prefactor
//! `x^a y^b / B(a, b)` with Loader's saddle-point form (deviance `bd0` plus the
//! Stirling remainder), the method R's `dbinom` uses. Everything else (log-gamma of
//! small arguments, erfc, the gamma functions) comes from statrs.

use libm::{exp, fabs, log, log1p};
use statrs::function::gamma::ln_gamma;

/// Largest number of continued-fraction steps before giving up on convergence.
const MAX_CF_STEPS: usize = 100_000;
/// Relative precision targeted by the continued fraction.
const CF_EPS: f64 = 1e-16;
/// Smallest magnitude allowed in Lentz's algorithm before it is nudged off zero.
const TINY: f64 = 1e-300;
/// Largest `b·x` for which the power series is used (cancellation ≤ e^{2·5}).
const SERIES_LIMIT: f64 = 5.0;
/// Smallest complement `1 − I` the power series may imply (below it, `1 −` cancels).
const SERIES_MIN_COMPLEMENT: f64 = 1e-3;

/// `ln(sqrt(2π))`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Stirling remainder `δ(z) = ln Γ(z) − (z − ½) ln z + z − ln √(2π)`.
///
/// Uses the asymptotic series for `z > 15` (accurate to double precision there)
/// and the definition through `ln_gamma` below, where the terms are small.
pub fn stirling_remainder(z: f64) -> f64 {
    if z > 15.0 {
        let z2 = z * z;
        // 1/12z − 1/360z³ + 1/1260z⁵ − 1/1680z⁷ + 1/1188z⁹
        (1.0 / 12.0
            - (1.0 / 360.0 - (1.0 / 1260.0 - (1.0 / 1680.0 - 1.0 / (1188.0 * z2)) / z2) / z2) / z2)
            / z
    } else {
        ln_gamma(z) - (z - 0.5) * log(z) + z - LN_SQRT_2PI
    }
}

/// Loader's deviance term `bd0(k, m) = k ln(k/m) + m − k`, accurate when `k ≈ m`.
pub fn bd0(k: f64, m: f64) -> f64 {
    if fabs(k - m) < 0.1 * (k + m) {
        let v = (k - m) / (k + m);
        let mut s = (k - m) * v;
        let mut ej = 2.0 * k * v;
        let v2 = v * v;
        let mut j = 1.0;
        loop {
            ej *= v2;
            let s1 = s + ej / (2.0 * j + 1.0);
            if s1 == s {
                return s1;
            }
            s = s1;
            j += 1.0;
        }
    }
    k * log(k / m) + m - k
}

/// `ln(x^a · y^b / B(a, b))` for `x + y = 1`, both given exactly.
fn ln_beta_prefix(a: f64, b: f64, x: f64, y: f64) -> f64 {
    let n = a + b;
    // Expected counts n·x and n·y must add up to n: the term n·(x + y − 1) that the
    // deviance form drops is worth ~n·1e-16 otherwise. Derive the larger from the
    // smaller, which carries the relative precision.
    let (mx, my) = if x <= y {
        let mx = n * x;
        (mx, n - mx)
    } else {
        let my = n * y;
        (n - my, my)
    };
    let core = -bd0(a, mx) - bd0(b, my) + stirling_remainder(n)
        - stirling_remainder(a)
        - stirling_remainder(b);
    core + 0.5 * log(a * b / n) - LN_SQRT_2PI
}

/// Continued fraction for `I_x(a, b) · a / prefix` (Lentz's method).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if fabs(d) < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..MAX_CF_STEPS {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ] {
            d = 1.0 + aa * d;
            if fabs(d) < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if fabs(c) < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if fabs(d * c - 1.0) <= CF_EPS {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function and its complement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncompleteBeta {
    /// `I_x(a, b) = P(Beta(a, b) ≤ x)`.
    pub lower: f64,
    /// `1 − I_x(a, b) = P(Beta(a, b) > x)`, computed directly (no cancellation).
    pub upper: f64,
}

/// `I_x(a, b)` and its complement, with `y = 1 − x` supplied by the caller exactly.
///
/// `a, b > 0`, `0 ≤ x ≤ 1`. One of the pair is computed directly from a continued
/// fraction (the side Numerical Recipes picks, unless that fraction is ill-conditioned);
/// the other is one minus it.
pub fn incomplete_beta(a: f64, b: f64, x: f64, y: f64) -> IncompleteBeta {
    if x <= 0.0 {
        return IncompleteBeta {
            lower: 0.0,
            upper: 1.0,
        };
    }
    if y <= 0.0 {
        return IncompleteBeta {
            lower: 1.0,
            upper: 0.0,
        };
    }
    // Shape ½ with a huge partner (Welch at large df) puts x next to the continued
    // fraction's switch-over point, where it is large and loses ~1e-9 to cancellation.
    // The power series is well conditioned there (Boost's BPSER region).
    // Only where the complement it implies is not small (else `1 −` would cancel; the
    // continued fraction is well conditioned there anyway).
    if b <= 1.0 && y <= 0.5 && a * y <= SERIES_LIMIT {
        let upper = power_series(b, a, y);
        if upper <= 1.0 - SERIES_MIN_COMPLEMENT {
            return IncompleteBeta {
                lower: 1.0 - upper,
                upper,
            };
        }
    }
    if a <= 1.0 && x <= 0.5 && b * x <= SERIES_LIMIT {
        let lower = power_series(a, b, x);
        if lower <= 1.0 - SERIES_MIN_COMPLEMENT {
            return IncompleteBeta {
                lower,
                upper: 1.0 - lower,
            };
        }
    }
    if x < (a + 1.0) / (a + b + 2.0) {
        let lower = tail(a, b, x, y);
        IncompleteBeta {
            lower,
            upper: 1.0 - lower,
        }
    } else {
        let upper = tail(b, a, y, x);
        IncompleteBeta {
            lower: 1.0 - upper,
            upper,
        }
    }
}

/// `I_x(a, b)` from the continued fraction.
fn tail(a: f64, b: f64, x: f64, y: f64) -> f64 {
    exp(ln_beta_prefix(a, b, x, y)) * beta_cf(a, b, x) / a
}

/// `I_x(a, b) = x^a/(a·B(a, b))·[1 + a·Σ_{j≥1} (1−b)(2−b)…(j−b)·x^j/(j!·(a+j))]`,
/// for `a ≤ 1`, `x ≤ ½` and `b·x ≤ SERIES_LIMIT` (the alternating terms then stay within
/// `e^{b·x}` of the result).
fn power_series(a: f64, b: f64, x: f64) -> f64 {
    let y = 1.0 - x; // only the prefactor's deviance uses it, and it cancels against log1p
    let front = exp(ln_beta_prefix(a, b, x, y) - b * log1p(-x)) / a;
    let (mut term, mut sum) = (1.0_f64, 0.0_f64);
    let mut j = 1.0;
    loop {
        term *= (j - b) * x / j;
        let piece = term / (a + j);
        sum += piece;
        if fabs(piece) <= 1e-17 * fabs(1.0 + a * sum) && j > b * x || j > 10_000.0 {
            break;
        }
        j += 1.0;
    }
    front * (1.0 + a * sum)
}

/// `ln B(a, b)` accurate for large arguments (Stirling form).
pub fn ln_beta(a: f64, b: f64) -> f64 {
    if a < 15.0 && b < 15.0 {
        return ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    }
    // B is symmetric; with a the smaller shape, a/n is small and log1p(−a/n) exact
    // (the other way round it is log1p of a number next to −1).
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    let n = a + b;
    // ln B = ½ln(2π) + (a−½)ln a + (b−½)ln b − (n−½)ln n + δ(a) + δ(b) − δ(n)
    let terms = (a - 0.5) * log(a / n) + (b - 0.5) * log1p(-a / n) - 0.5 * log(n);
    // (b − ½)·ln(b/n): written with log1p(−a/n) so that a ≪ b stays accurate.
    LN_SQRT_2PI + terms + stirling_remainder(a) + stirling_remainder(b) - stirling_remainder(n)
}
