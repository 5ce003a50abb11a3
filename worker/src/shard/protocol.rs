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
    /// Free JSON object the client sent with it (compact), kept with the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

pub use crate::store::EventFilter;

/// One stored event, as a listing returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// The unit.
    pub user_id: String,
    /// Its idempotency key.
    pub event_id: String,
    /// Metric (event name).
    pub metric: String,
    /// Value.
    pub value: f64,
    /// When, ms since the epoch.
    pub at: i64,
    /// The unit's variant.
    pub variant: String,
    /// The JSON object sent with it, if any.
    #[serde(default)]
    pub metadata: Option<String>,
}

/// `Events`' answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EventRows {
    /// Oldest first.
    pub events: Vec<EventRow>,
}

/// `Exposures`' answer: per requested unit, its first exposure.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UnitExposures {
    /// In request order (null when not exposed).
    pub exposures: Vec<Option<UnitExposure>>,
}

/// One request to a shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ShardRequest {
    /// Record first exposures (a unit already exposed keeps its variant).
    Expose {
        /// The exposures.
        exposures: Vec<UnitExposure>,
        /// The most units the shard may hold (the experiment's `total_population`, which
        /// needs a single shard): new units beyond it are refused.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<u64>,
    },
    /// The recorded variant of each unit (null when not exposed).
    Variants {
        /// The units.
        user_ids: Vec<String>,
    },
    /// Each unit's first exposure (null when not exposed).
    Exposures {
        /// The units.
        user_ids: Vec<String>,
    },
    /// The stored events matching a filter.
    Events {
        /// Which.
        filter: EventFilter,
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
    /// Add to named counters (the integrations' outcomes, kept in one object of their own).
    Bump {
        /// Counter names and how much to add.
        counts: Vec<(String, u64)>,
    },
    /// Every named counter.
    Counters,
    /// Forget everything (the experiment was deleted).
    Clear,
    /// Remove one unit: its exposure, totals and events, and its share of the statistics.
    Forget {
        /// The unit.
        user_id: String,
    },
    /// A page of per-unit rows, in unit id order.
    Export {
        /// Start after this unit id (none: from the first).
        after: Option<String>,
        /// Most rows.
        limit: u32,
    },
}

/// `Forget`'s answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Forgotten {
    /// Whether the unit was exposed here.
    pub exposed: bool,
    /// Its events removed.
    pub events: u64,
}

/// One unit's row of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitRow {
    /// The unit.
    pub user_id: String,
    /// Its variant.
    pub variant: String,
    /// Why it got it (`assigned` or `forced`).
    pub reason: String,
    /// Its first exposure, ms since the epoch.
    pub first_exposure_at: i64,
    /// The attributes it was first assigned with (none when none were sent).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub context: Option<serde_json::Value>,
    /// Per metric with events: the unit's total and its number of events.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metrics: std::collections::BTreeMap<String, MetricTotal>,
}

/// A unit's total of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricTotal {
    /// The sum of its events' values.
    pub total: f64,
    /// How many events.
    pub events: u64,
}

/// `Export`'s answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExportPage {
    /// The rows, in unit id order.
    pub rows: Vec<UnitRow>,
    /// Where the next page starts (none: this was the last).
    pub next: Option<String>,
}

/// `Expose`'s answer: the units new to the shard and those its cap refused.
pub use crate::store::Exposed;

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

/// `Counters`' answer (and `Bump`'s: the counters after the addition).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counters {
    /// By name.
    pub counters: Vec<(String, u64)>,
}

/// `Segments`' answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShardSegments {
    /// Per (segment, variant): the segment is the attribute's JSON text, null when absent.
    pub rows: Vec<(Option<String>, VariantAggregate)>,
}
