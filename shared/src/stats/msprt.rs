//! Mixture sequential probability ratio test (Johari, Pekelis & Walsh 2017,
//! "Always valid inference") for a difference of proportions, normal mixture.

use super::StatsError;
use super::proportion::Counts;
use libm::{exp, log};

/// Largest likelihood ratio reported; larger values are capped here.
pub const LAMBDA_CAP: f64 = 1e300;

/// Result of [`msprt`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MsprtResult {
    /// The mixture likelihood ratio `Λ`, capped at [`LAMBDA_CAP`]; `None` when the
    /// variance estimate is zero (every rate is exactly 0 or 1).
    pub lambda: Option<f64>,
    /// Always-valid p-value `min(1, 1/Λ)` from the uncapped `Λ`.
    pub p_value: f64,
}

/// `Λ = sqrt(V/(V + nτ²))·exp(n²τ²θ² / (2V(V + nτ²)))` with `n = min(nC, nT)`,
/// `θ = pT − pC`, `V = pC(1−pC) + pT(1−pT)`; evaluated in log space.
pub fn msprt(control: Counts, treatment: Counts, tau2: f64) -> Result<MsprtResult, StatsError> {
    control.validate()?;
    treatment.validate()?;
    if !(tau2.is_finite() && tau2 > 0.0) {
        return Err(StatsError::InvalidTau2);
    }
    let (pc, pt) = (control.rate(), treatment.rate());
    let v = pc * control.rate_complement() + pt * treatment.rate_complement();
    if v == 0.0 {
        return Ok(MsprtResult {
            lambda: None,
            p_value: 1.0,
        });
    }
    let n = control.n.min(treatment.n) as f64;
    let theta = pt - pc;
    let spread = v + n * tau2;
    let log_lambda = 0.5 * log(v / spread) + n * n * tau2 * theta * theta / (2.0 * v * spread);
    let lambda = exp(log_lambda).min(LAMBDA_CAP);
    let p_value = if log_lambda > 0.0 {
        exp(-log_lambda)
    } else {
        1.0
    };
    Ok(MsprtResult {
        lambda: Some(lambda),
        p_value,
    })
}
