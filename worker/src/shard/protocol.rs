//! What the Worker asks a shard and what the shard answers (JSON over the object's
//! `fetch`). Both sides use these types, so the two cannot drift apart.

use crate::store::{Tracked, VariantAggregate};
use serde::{Deserialize, Serialize};

/// A unit's first exposure, as a shard stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitExposure {
    /// The unit.
    pub user_id: String,
    /// Variant shown.
    pub variant: String,
    /// Why (`assigned` or `forced`).
    pub reason: String,
    /// When, ms since the epoch.
    pub at: i64,
    /// The attributes, as compact JSON.
    pub context: Option<String>,
}

/// An event for a shard to count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitEvent {
    /// Idempotency key (unique per unit within the experiment).
    pub event_id: String,
    /// The unit.
    pub user_id: String,
    /// Metric.
    pub event_name: String,
    /// Value.
    pub value: f64,
    /// When, ms since the epoch.
    pub at: i64,
}

/// One request to a shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ShardRequest {
    /// Record first exposures (a unit already exposed keeps its variant).
    Expose {
        /// The exposures.
        exposures: Vec<UnitExposure>,
    },
    /// The recorded variant of each unit (null when not exposed).
    Variants {
        /// The units.
        user_ids: Vec<String>,
    },
    /// Count events of exposed units, each at most once.
    Track {
        /// The events.
        events: Vec<UnitEvent>,
    },
    /// Per-variant sufficient statistics of one metric.
    Stats {
        /// The metric.
        metric: String,
    },
    /// Exposed units per variant and events per (variant, metric).
    Counts,
    /// Per-(segment, variant) statistics of a metric by a context attribute (a scan of the
    /// shard's units: segments are not known in advance).
    Segments {
        /// The metric.
        metric: String,
        /// The attribute, as a SQLite JSON path (`$.country`).
        json_path: String,
    },
    /// Forget everything (the experiment was deleted).
    Clear,
}

/// `Expose`'s answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Exposed {
    /// Exposures that were new (the others were already recorded).
    pub new: u64,
}

/// `Variants`' answer: per requested unit, its variant.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Variants {
    /// In request order.
    pub variants: Vec<Option<String>>,
}

/// `Track`'s answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrackedEvents {
    /// In request order.
    pub outcomes: Vec<Tracked>,
}

/// `Stats`' (and, per segment, `Segments`') answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShardStats {
    /// Per variant with exposed units.
    pub arms: Vec<VariantAggregate>,
    /// SQLite rows the shard read to answer.
    pub rows_read: u64,
}

/// `Counts`' answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShardCounts {
    /// Exposed units per variant.
    pub units: Vec<(String, u64)>,
    /// Events per (variant, metric).
    pub events: Vec<(String, String, u64)>,
}

/// `Segments`' answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShardSegments {
    /// Per (segment, variant): the segment is the attribute's JSON text, null when absent.
    pub rows: Vec<(Option<String>, VariantAggregate)>,
}
