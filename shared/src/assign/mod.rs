//! Assignment contract v1: who is in an experiment and which variant they see.
//!
//! The contract is specified byte for byte in `docs/assignment.md`; the golden
//! vectors in `shared/tests/vectors/assignment-v1.jsonl` were produced from that
//! specification by an independent Python script.

mod allocation;
mod hash;

pub use allocation::{
    Allocation, AllocationError, Draw, MAX_VARIANTS, MAX_WEIGHT, WEIGHT_SCALE, weight_units,
};
pub use hash::{SEPARATOR, UnitHash, unit_hash};

/// Version of the assignment contract implemented here.
pub const SPEC_VERSION: u32 = 1;

/// Why a unit got (or did not get) a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Reason {
    /// A forced variant (QA override) for this unit id.
    Forced,
    /// Hash-based assignment.
    Assigned,
    /// The unit is outside the traffic allocation.
    NotInTraffic,
    /// The experiment is not running.
    NotRunning,
}

impl Reason {
    /// The snake_case name used on the wire and in headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forced => "forced",
            Self::Assigned => "assigned",
            Self::NotInTraffic => "not_in_traffic",
            Self::NotRunning => "not_running",
        }
    }
}
