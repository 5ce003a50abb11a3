//! Evan Miller's exact finite sum for `P(pT > pC)`, used while it is short.

use super::super::proportion::Counts;
use super::super::special::ln_beta;
use super::{MAX_EXACT_SHAPE, MAX_EXACT_TERMS};
use libm::{exp, log};

/// `P(pT > pC)` from the shortest of the four equivalent sums, or `None` when even the
/// shortest has more than [`MAX_EXACT_TERMS`] terms or a shape exceeds
/// [`MAX_EXACT_SHAPE`] (the log-beta prefactor then loses digits to cancellation).
///
/// With `αC = 1 + xC`, `βC = 1 + nC − xC` (likewise for treatment), the sum over
/// `i < αT` and its mirror over `i < βC` give the probability directly; the sums over
/// `i < αC` and `i < βT` give `P(pC > pT)`, whose complement is within 1e-16 absolute.
pub fn prob_better(control: Counts, treatment: Counts) -> Option<f64> {
    let (ac, bc) = shapes(control);
    let (at, bt) = shapes(treatment);
    if control == treatment {
        return Some(0.5);
    }
    let shortest = at.min(bc).min(ac).min(bt);
    let largest = at.max(bc).max(ac).max(bt);
    if shortest > MAX_EXACT_TERMS || largest > MAX_EXACT_SHAPE {
        return None;
    }
    let f = |v: u64| v as f64;
    Some(if shortest == at {
        miller_sum(f(ac), f(bc), f(at), f(bt))
    } else if shortest == bc {
        // Symmetry: (αT, βT, αC, βC) → (βC, αC, βT, αT).
        miller_sum(f(bt), f(at), f(bc), f(ac))
    } else if shortest == ac {
        1.0 - miller_sum(f(at), f(bt), f(ac), f(bc))
    } else {
        1.0 - miller_sum(f(bc), f(ac), f(bt), f(at))
    })
}

/// `(α, β)` of the posterior after `c`.
fn shapes(c: Counts) -> (u64, u64) {
    (c.conversions + 1, c.n - c.conversions + 1)
}

/// `Σ_{i<αT} B(αC+i, βC+βT) / ((βT+i)·B(1+i, βT)·B(αC, βC))`, with the term ratio
/// recurrence and a running scale so neither overflow nor underflow of the first term
/// matters.
fn miller_sum(ac: f64, bc: f64, at: f64, bt: f64) -> f64 {
    /// Rescaling step that keeps the running terms inside the double range.
    const SCALE: f64 = 1e250;
    const LN_SCALE: f64 = 575.646_273_248_511_4; // ln(1e250)
    let mut log_offset = ln_beta(ac, bc + bt) - ln_beta(ac, bc);
    let terms = at as u64;
    let (mut term, mut sum) = (1.0_f64, 0.0_f64);
    for i in 0..terms {
        sum += term;
        let i = i as f64;
        term *= (ac + i) * (bt + i) / ((ac + bc + bt + i) * (1.0 + i));
        if term > SCALE {
            term /= SCALE;
            sum /= SCALE;
            log_offset += LN_SCALE;
        }
    }
    exp(log_offset + log(sum)).clamp(0.0, 1.0)
}
