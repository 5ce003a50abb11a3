//! The assignment contract (v2): who is in an experiment and which variant they see.
//!
//! The contract is specified byte for byte in `docs/assignment.md`; the golden
//! vectors in `shared/tests/vectors/assignment-v1.jsonl` (experiments without layers,
//! holdouts or targeting, unchanged since v1) and `assignment-v2.jsonl` were produced
//! from that specification by independent Python scripts.

mod allocation;
mod hash;
mod shard;
mod share;

pub use allocation::{
    Allocation, AllocationError, Draw, MAX_VARIANTS, MAX_WEIGHT, WEIGHT_SCALE, weight_units,
};
pub use hash::{SEPARATOR, UnitHash, unit_hash};
pub use shard::{DEFAULT_SHARDS, MAX_SHARDS, SHARD_DOMAIN, shard_of};
pub use share::{HOLDOUT_DOMAIN, LAYER_DOMAIN, in_range, share_bound, share_point};

/// Version of the assignment contract implemented here. v2 added layers, holdouts and
/// targeting; an experiment without them assigns exactly as in v1.
pub const SPEC_VERSION: u32 = 2;

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
    /// The unit is in a holdout the experiment lists.
    Holdout,
    /// The unit's attributes do not satisfy the experiment's targeting condition.
    NotTargeted,
    /// The unit's point in the experiment's layer is outside the experiment's range.
    NotInLayer,
    /// The experiment's gate (an Unleash toggle) is off for the unit.
    Gated,
}

impl Reason {
    /// The snake_case name used on the wire and in headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forced => "forced",
            Self::Assigned => "assigned",
            Self::NotInTraffic => "not_in_traffic",
            Self::NotRunning => "not_running",
            Self::Holdout => "holdout",
            Self::NotTargeted => "not_targeted",
            Self::NotInLayer => "not_in_layer",
            Self::Gated => "gated",
        }
    }
}

/// Every reason, in the order of precedence (`not_running` first, `assigned` last).
pub const REASONS: [Reason; 8] = [
    Reason::NotRunning,
    Reason::Forced,
    Reason::Holdout,
    Reason::NotTargeted,
    Reason::Gated,
    Reason::NotInLayer,
    Reason::NotInTraffic,
    Reason::Assigned,
];
