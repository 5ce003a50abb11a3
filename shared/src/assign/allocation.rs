//! A prepared traffic split: the traffic threshold and cumulative variant weights in
//! the integer form the contract specifies, so deciding a unit is two comparisons and
//! one 128-bit multiply, with no heap allocation.

use super::hash::unit_hash;
use core::fmt;

/// Most variants an experiment may have.
pub const MAX_VARIANTS: usize = 20;
/// Weights are converted to integer units of 1e-6: `units = trunc(w·1e6 + 0.5)`.
pub const WEIGHT_SCALE: f64 = 1_000_000.0;
/// Largest accepted weight (keeps the total of units far below 2^64).
pub const MAX_WEIGHT: f64 = 1e9;
/// `2^64` as an `f64` (exact).
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

/// Why weights or a traffic allocation cannot be prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllocationError {
    /// Fewer than one or more than [`MAX_VARIANTS`] weights.
    VariantCount,
    /// A weight (at this index) rounds to zero units, is above [`MAX_WEIGHT`] or is not finite.
    Weight(usize),
    /// The traffic allocation is not within [0, 1].
    Traffic,
}

impl fmt::Display for AllocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::VariantCount => write!(f, "an experiment needs 1 to {MAX_VARIANTS} variants"),
            Self::Weight(i) => write!(
                f,
                "weight {i} must be finite, at least 1e-6 and at most 1e9"
            ),
            Self::Traffic => f.write_str("traffic allocation must be within [0, 1]"),
        }
    }
}

impl core::error::Error for AllocationError {}

/// Which units take part: `traffic < threshold`, or everybody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    All,
    Below(u64),
}

/// The hash-based outcome for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draw {
    /// The unit is in the experiment's traffic and gets the variant at this index.
    Variant(usize),
    /// The unit falls outside the traffic allocation.
    NotInTraffic,
}

/// A prepared split of traffic over weighted variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    admission: Admission,
    cumulative: [u64; MAX_VARIANTS],
    len: usize,
}

/// Integer weight units of one weight, per the contract.
pub fn weight_units(weight: f64) -> Option<u64> {
    if !(weight.is_finite() && weight <= MAX_WEIGHT) {
        return None;
    }
    let units = (weight * WEIGHT_SCALE + 0.5) as u64;
    (units > 0).then_some(units)
}

impl Allocation {
    /// Prepares `traffic_allocation` (in [0, 1]) and the variant `weights` (any positive scale).
    pub fn new(traffic_allocation: f64, weights: &[f64]) -> Result<Self, AllocationError> {
        if weights.is_empty() || weights.len() > MAX_VARIANTS {
            return Err(AllocationError::VariantCount);
        }
        if !(0.0..=1.0).contains(&traffic_allocation) {
            return Err(AllocationError::Traffic);
        }
        let admission = if traffic_allocation >= 1.0 {
            Admission::All
        } else {
            // Exact: scaling by 2^64 is exact and the cast truncates.
            Admission::Below((traffic_allocation * TWO_POW_64) as u64)
        };
        let mut cumulative = [0u64; MAX_VARIANTS];
        let mut total = 0u64;
        for (i, &w) in weights.iter().enumerate() {
            total += weight_units(w).ok_or(AllocationError::Weight(i))?;
            cumulative[i] = total;
        }
        Ok(Self {
            admission,
            cumulative,
            len: weights.len(),
        })
    }

    /// Number of variants.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: an allocation has at least one variant.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Decides a unit from its hash draws.
    pub fn draw(&self, traffic: u64, bucket: u64) -> Draw {
        if let Admission::Below(threshold) = self.admission
            && traffic >= threshold
        {
            return Draw::NotInTraffic;
        }
        let total = self.cumulative[self.len - 1];
        let point = ((u128::from(bucket) * u128::from(total)) >> 64) as u64;
        let index = self.cumulative[..self.len]
            .iter()
            .position(|&c| point < c)
            .unwrap_or(self.len - 1);
        Draw::Variant(index)
    }

    /// Hashes `unit_id` with `salt` and decides it.
    pub fn decide(&self, salt: &str, unit_id: &str) -> Draw {
        let h = unit_hash(salt, unit_id);
        self.draw(h.traffic, h.bucket)
    }
}
