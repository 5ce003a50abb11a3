//! Storage behind a trait: in production D1 (the control plane) with the data plane on
//! sharded Durable Objects (`crate::shard`); memory in native tests.

mod d1;
mod memory;

pub use d1::{CloudStore, UpgradeProgress};
pub use memory::MemoryStore;

use cleave_core::model::{Experiment, Status};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A storage failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// A uniqueness rule was violated (e.g. the experiment key is taken).
    Conflict(String),
    /// The row changed since it was read (a conditional write matched nothing).
    Stale(String),
    /// The backend failed.
    Backend(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Conflict(m) | Self::Stale(m) | Self::Backend(m) => f.write_str(m),
        }
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Every experiment that can hold data-plane data: all but drafts (a draft never assigns).
pub async fn experiments_with_data<S: Store>(store: &S) -> StoreResult<Vec<Experiment>> {
    Ok(store
        .experiments(None)
        .await?
        .into_iter()
        .filter(|e| e.status != Status::Draft)
        .collect())
}

/// A first exposure of a user to an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    /// Experiment id.
    pub experiment_id: String,
    /// User (unit) id.
    pub user_id: String,
    /// Variant shown.
    pub variant: String,
    /// Why (`assigned` or `forced`).
    pub reason: String,
    /// When, ms since the epoch.
    pub at: i64,
    /// The attributes it was assigned with, as compact JSON (none when none were sent).
    #[serde(default)]
    pub context: Option<String>,
}

/// What recording first exposures did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposed {
    /// The units exposed for the first time by this call (a unit already exposed keeps its
    /// first variant and is not listed).
    pub new: Vec<String>,
    /// The units refused because the experiment's `total_population` is reached: nothing
    /// was recorded for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<String>,
}

impl Exposed {
    /// Adds another call's outcome.
    pub fn merge(&mut self, other: Exposed) {
        self.new.extend(other.new);
        self.refused.extend(other.refused);
    }
}

/// Named control-plane configuration kept beside the experiments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Catalog {
    /// Holdouts (`cleave_core::model::Holdout`).
    Holdouts,
    /// Saved groups (`cleave_core::model::SavedGroup`).
    Groups,
}

impl Catalog {
    /// The D1 table.
    pub fn table(self) -> &'static str {
        match self {
            Self::Holdouts => "holdouts",
            Self::Groups => "saved_groups",
        }
    }
}

/// A tracked event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Idempotency key.
    pub event_id: String,
    /// Experiment id.
    pub experiment_id: String,
    /// User id.
    pub user_id: String,
    /// The variant the user was exposed to (copied from the exposure).
    pub variant: String,
    /// Metric (event) name.
    pub event_name: String,
    /// Value (1.0 for conversions).
    pub value: f64,
    /// When, ms since the epoch.
    pub at: i64,
    /// A JSON object (compact) the client sent with it, kept with the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

/// Which events a listing returns (every field given must match).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Only this unit's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Only this metric (event name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Only events of units in this variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Only events at or after this time (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// Only events at or before this time (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
    /// At most this many (the oldest first).
    pub limit: u32,
}

/// What recording one event did: the store checks the exposure, de-duplicates and counts
/// in one step, so an event can never be counted without its unit's exposure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "variant", rename_all = "snake_case")]
pub enum Tracked {
    /// The unit has no exposure: nothing was recorded.
    NotExposed,
    /// Counted for the unit's variant.
    Recorded(String),
    /// Its `event_id` was already counted for this unit (nothing counted twice).
    Duplicate(String),
}

impl Tracked {
    /// The unit's variant, when exposed.
    pub fn variant(&self) -> Option<&str> {
        match self {
            Self::NotExposed => None,
            Self::Recorded(v) | Self::Duplicate(v) => Some(v),
        }
    }
}

/// Per-variant statistics of one metric, and what reading them cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArmStats {
    /// Per variant with exposed units.
    pub arms: Vec<VariantAggregate>,
    /// Storage rows read to compute them.
    pub rows_read: u64,
}

/// A unit's arm in a holdout, recorded at its first decision by an experiment listing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldoutMember {
    /// The holdout.
    pub holdout: String,
    /// The unit.
    pub user_id: String,
    /// Held out (true) or exposed to the experiments listing the holdout (false).
    pub held_out: bool,
    /// When, ms since the epoch.
    pub at: i64,
}

/// An event counted for a holdout: one of its metrics, sent by a member to an experiment
/// listing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutEvent {
    /// The holdout.
    pub holdout: String,
    /// Idempotency key (unique per holdout).
    pub event_id: String,
    /// The unit.
    pub user_id: String,
    /// Metric (event) name.
    pub event_name: String,
    /// Value.
    pub value: f64,
    /// When, ms since the epoch.
    pub at: i64,
}

/// What removing a unit removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitForgotten {
    /// Experiments the unit had been exposed to.
    pub experiments: u64,
    /// Its events removed from them.
    pub events: u64,
    /// Holdout memberships and holdout events removed.
    pub holdout_rows: u64,
}

/// The arm names of a holdout's results (the held-out arm is the control).
pub const HOLDOUT_ARMS: [&str; 2] = ["held_out", "exposed"];

/// Per-variant sufficient statistics of one metric, from SQL aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantAggregate {
    /// Variant name.
    pub variant: String,
    /// Exposed users.
    pub users: u64,
    /// Exposed users with at least one event of the metric.
    pub converters: u64,
    /// Sum over exposed users of their summed event values.
    #[serde(deserialize_with = "number_or_nan")]
    pub sum: f64,
    /// Sum over exposed users of the square of their summed event values.
    #[serde(deserialize_with = "number_or_nan")]
    pub sum_sq: f64,
}

/// A sum that overflowed (values stored before they were limited) is written by JSON as
/// `null`: read it back as NaN, so the analysis refuses that one metric (422
/// `metric_not_finite`) instead of the shard's answer failing to parse.
fn number_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// The latest analysis of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRun {
    /// Experiment id.
    pub experiment_id: String,
    /// Metric analysed.
    pub metric: String,
    /// When, ms since the epoch.
    pub analyzed_at: i64,
    /// Wall time of the aggregate query plus the analysis, in seconds.
    pub duration_seconds: f64,
    /// Comparisons significant after correction.
    pub significant_results: u64,
    /// The headline p-value (the report's `p_value`), if there was one.
    #[serde(default)]
    pub p_value: Option<f64>,
}

/// Counts behind `/metrics`, all from storage so they survive isolate restarts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsData {
    /// Experiments per status.
    pub experiments_by_status: Vec<(String, u64)>,
    /// Assignments per (experiment id, variant).
    pub assignments: Vec<(String, String, u64)>,
    /// Events per (experiment id, variant, event name).
    pub events: Vec<(String, String, String, u64)>,
    /// The latest analysis per experiment.
    pub analyses: Vec<AnalysisRun>,
}

/// What Cleave stores. Every method is one round trip (or one batch).
#[allow(async_fn_in_trait)]
pub trait Store {
    /// An experiment by id or key.
    async fn experiment(&self, id_or_key: &str) -> StoreResult<Option<Experiment>>;
    /// All experiments, optionally of one status, newest first.
    async fn experiments(&self, status: Option<Status>) -> StoreResult<Vec<Experiment>>;
    /// Inserts a new experiment; `Conflict` if its id or key exists.
    async fn insert_experiment(&self, experiment: &Experiment) -> StoreResult<()>;
    /// Replaces an existing experiment if it is still at revision `read_version` (the one
    /// the change was based on); `Stale` if it is not (or is gone), `Conflict` if the new key
    /// is taken. `experiment.version` is the revision written.
    async fn update_experiment(
        &self,
        experiment: &Experiment,
        read_version: u64,
    ) -> StoreResult<()>;
    /// Deletes an experiment with its exposures and events; false if absent.
    async fn delete_experiment(&self, experiment: &Experiment) -> StoreResult<bool>;
    /// Records first exposures to `experiment` (a unit already exposed keeps its first
    /// variant; a new unit beyond its `total_population` is refused). Durable when it
    /// returns `Ok`.
    async fn record_exposures(
        &self,
        experiment: &Experiment,
        exposures: &[Exposure],
    ) -> StoreResult<Exposed>;
    /// The recorded variant of a user, if exposed.
    async fn exposure(&self, experiment: &Experiment, user_id: &str)
    -> StoreResult<Option<String>>;
    /// Records events of `experiment` (their `variant` is ignored: the store takes the
    /// unit's recorded one); per event, in order, what it did. A repeated `event_id` of the
    /// same unit is a duplicate, also within one call. Durable when it returns `Ok`.
    async fn record_events(
        &self,
        experiment: &Experiment,
        events: &[EventRecord],
    ) -> StoreResult<Vec<Tracked>>;
    /// Each unit's first exposure to `experiment` (none when not exposed), in order.
    async fn exposures_of(
        &self,
        experiment: &Experiment,
        user_ids: &[String],
    ) -> StoreResult<Vec<Option<Exposure>>>;
    /// The events of `experiment` matching `filter` with their units' variants, oldest first,
    /// at most `filter.limit`.
    async fn events(
        &self,
        experiment: &Experiment,
        filter: &EventFilter,
    ) -> StoreResult<Vec<EventRecord>>;
    /// Stores the latest analysis of an experiment (replacing the previous one).
    async fn record_analysis(&self, run: &AnalysisRun) -> StoreResult<()>;
    /// Exposed users per (experiment id, variant).
    async fn assignment_counts(&self) -> StoreResult<Vec<(String, String, u64)>>;
    /// Everything `/metrics` reports, in one round trip.
    async fn metrics(&self) -> StoreResult<MetricsData>;
    /// Per-(segment, variant) aggregates of one metric: the segment of a user is the JSON
    /// text of the value at `json_path` (`$.country`) of its stored context, `None` when
    /// absent.
    async fn segment_aggregates(
        &self,
        experiment: &Experiment,
        metric: &str,
        json_path: &str,
    ) -> StoreResult<Vec<(Option<String>, VariantAggregate)>>;
    /// Records holdout arms (a (holdout, unit) pair already recorded keeps its arm).
    async fn record_holdout_members(&self, members: &[HoldoutMember]) -> StoreResult<()>;
    /// The `(holdout, unit)` pairs among `holdouts` × `user_ids` that are recorded members.
    async fn holdout_memberships(
        &self,
        holdouts: &[&str],
        user_ids: &[&str],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Inserts holdout events; per event, whether it was new for its holdout.
    async fn record_holdout_events(&self, events: &[HoldoutEvent]) -> StoreResult<Vec<bool>>;
    /// Per-arm aggregates of one metric of a holdout (`variant` is one of
    /// [`HOLDOUT_ARMS`]; an arm without members is absent).
    async fn holdout_aggregates(
        &self,
        holdout: &str,
        metric: &str,
    ) -> StoreResult<Vec<VariantAggregate>>;
    /// Forgets a holdout's members and events (it was deleted, or its share changed).
    async fn clear_holdout(&self, holdout: &str) -> StoreResult<()>;
    /// Removes one unit from each of `experiments` (exposure, events and their share of the
    /// statistics) and from every holdout's results: a data-subject deletion.
    async fn forget_unit(
        &self,
        experiments: &[Experiment],
        user_id: &str,
    ) -> StoreResult<UnitForgotten>;
    /// Every entry of a catalog as stored JSON, by name.
    async fn catalog(&self, kind: Catalog) -> StoreResult<Vec<String>>;
    /// Every holdout and every saved group (stored JSON, by name), in one round trip.
    async fn audience(&self) -> StoreResult<(Vec<String>, Vec<String>)>;
    /// Creates or replaces the entry `name` of a catalog.
    async fn put_catalog(
        &self,
        kind: Catalog,
        name: &str,
        config: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// Deletes the entry `name` of a catalog; false if absent.
    async fn delete_catalog(&self, kind: Catalog, name: &str) -> StoreResult<bool>;
    /// Per-variant aggregates of one metric over exposed users.
    async fn aggregates(&self, experiment: &Experiment, metric: &str) -> StoreResult<ArmStats>;
}
