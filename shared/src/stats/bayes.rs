//! Bayesian beta-binomial comparison with a uniform Beta(1, 1) prior.

use super::StatsError;
use super::proportion::Counts;
use super::special::{incomplete_beta, ln_beta};
use libm::{exp, fabs, log, sqrt};

/// Result of [`beta_binomial`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BayesResult {
    /// `P(pT > pC)` under the independent posteriors.
    pub prob_treatment_better: f64,
    /// `E[max(pC − pT, 0)]`: the expected loss of choosing treatment.
    pub expected_loss_treatment: f64,
}

/// A Beta posterior `Beta(alpha, beta)`.
#[derive(Debug, Clone, Copy)]
struct Posterior {
    alpha: f64,
    beta: f64,
}

impl Posterior {
    fn from_counts(c: Counts) -> Self {
        Self {
            alpha: 1.0 + c.conversions as f64,
            beta: 1.0 + (c.n - c.conversions) as f64,
        }
    }
    fn mean(&self) -> f64 {
        self.alpha / (self.alpha + self.beta)
    }
    fn sd(&self) -> f64 {
        let s = self.alpha + self.beta;
        sqrt(self.alpha * self.beta / (s * s * (s + 1.0)))
    }
}

/// Posterior probability that treatment beats control and the expected loss of
/// choosing treatment (Beta(1, 1) priors, independent groups).
///
/// The probability is Evan Miller's finite sum, evaluated with the term ratio
/// recurrence and a running scale so neither overflow nor underflow of the first term
/// matters. The expected loss is `∫ F_T(t)·(1 − F_C(t)) dt`, integrated with adaptive
/// Gauss–Kronrod over the region where both posteriors have mass (the closed form
/// `mC·P1 − mT·P2` cancels catastrophically).
pub fn beta_binomial(control: Counts, treatment: Counts) -> Result<BayesResult, StatsError> {
    control.validate()?;
    treatment.validate()?;
    let c = Posterior::from_counts(control);
    let t = Posterior::from_counts(treatment);
    Ok(BayesResult {
        prob_treatment_better: prob_better(c, t),
        expected_loss_treatment: expected_loss(c, t),
    })
}

/// `P(pT > pC)`; sums whichever of the two equivalent series is shorter.
fn prob_better(c: Posterior, t: Posterior) -> f64 {
    if c.alpha == t.alpha && c.beta == t.beta {
        return 0.5;
    }
    if t.alpha <= c.beta {
        miller_sum(c.alpha, c.beta, t.alpha, t.beta)
    } else {
        // Symmetry: (αT, βT, αC, βC) → (βC, αC, βT, αT).
        miller_sum(t.beta, t.alpha, c.beta, c.alpha)
    }
}

/// `Σ_{i<αT} B(αC+i, βC+βT) / ((βT+i)·B(1+i, βT)·B(αC, βC))`.
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
    exp(log_offset + log(sum)).min(1.0)
}

/// Gauss–Kronrod 15-point abscissae (the 7-point Gauss nodes are the odd indices).
const GK_X: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
/// Kronrod weights for [`GK_X`].
const GK_W: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights for the nodes `GK_X[1], GK_X[3], GK_X[5], GK_X[7]`.
const G_W: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// `F_T(x)·(1 − F_C(x))`, both factors from the complement-aware incomplete beta.
fn loss_integrand(c: Posterior, t: Posterior, x: f64) -> f64 {
    let y = 1.0 - x;
    incomplete_beta(t.alpha, t.beta, x, y).lower * incomplete_beta(c.alpha, c.beta, x, y).upper
}

/// One Gauss–Kronrod step on `[a, b]`: (Kronrod estimate, error estimate).
fn gk15(c: Posterior, t: Posterior, a: f64, b: f64) -> (f64, f64) {
    let mid = 0.5 * (a + b);
    let half = 0.5 * (b - a);
    let f0 = loss_integrand(c, t, mid);
    let mut kronrod = f0 * GK_W[7];
    let mut gauss = f0 * G_W[3];
    for j in 0..7 {
        let dx = half * GK_X[j];
        let pair = loss_integrand(c, t, mid - dx) + loss_integrand(c, t, mid + dx);
        kronrod += GK_W[j] * pair;
        if j % 2 == 1 {
            gauss += G_W[j / 2] * pair;
        }
    }
    (kronrod * half, fabs((kronrod - gauss) * half))
}

/// `E[max(pC − pT, 0)] = ∫₀¹ F_T(x)·(1 − F_C(x)) dx`.
fn expected_loss(c: Posterior, t: Posterior) -> f64 {
    /// Standard deviations beyond which a posterior's tail is treated as empty.
    const REACH: f64 = 50.0;
    const PIECES: usize = 64;
    const MAX_DEPTH: u32 = 40;
    const MAX_INTERVALS: u32 = 20_000;
    // A piece is done when its error estimate is below 1e-12 of its own value: the
    // integrand itself is only accurate to ~1e-14, so a tighter bound chases noise.
    const LOCAL_REL: f64 = 1e-12;
    let lo = (t.mean() - REACH * t.sd()).max(0.0);
    let hi = (c.mean() + REACH * c.sd()).min(1.0);
    if lo >= hi {
        return 0.0;
    }
    let width = (hi - lo) / PIECES as f64;
    let mut coarse = 0.0;
    for k in 0..PIECES {
        coarse += gk15(c, t, lo + k as f64 * width, lo + (k + 1) as f64 * width).0;
    }
    // Relative 1e-13, but never below an absolute 1e-20 (the reference tolerance
    // floor is 1e-15), so a loss that underflows does not refine forever.
    let tol = (coarse * 1e-13).max(1e-20);
    let mut total = 0.0;
    let mut budget = MAX_INTERVALS;
    // Explicit stack of (a, b, depth) so the adaptive refinement needs no recursion.
    let mut stack: alloc::vec::Vec<(f64, f64, u32)> = (0..PIECES)
        .map(|k| (lo + k as f64 * width, lo + (k + 1) as f64 * width, 0))
        .collect();
    while let Some((a, b, depth)) = stack.pop() {
        let (value, err) = gk15(c, t, a, b);
        budget = budget.saturating_sub(1);
        let local_ok = err <= LOCAL_REL * value.abs();
        if local_ok || err <= tol * (b - a) / (hi - lo) || depth >= MAX_DEPTH || budget == 0 {
            total += value;
        } else {
            let m = 0.5 * (a + b);
            stack.push((a, m, depth + 1));
            stack.push((m, b, depth + 1));
        }
    }
    total.max(0.0)
}
