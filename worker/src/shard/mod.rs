//! The data plane: every experiment's exposures and events live in SQLite-backed Durable
//! Objects, one per (experiment, shard). A unit's shard is `cleave_core::assign::shard_of`
//! of its id (`docs/assignment.md`, *Shards*), so every isolate and every host finds the
//! unit in the same place, and a `/track` reaches the shard its `/assign` wrote to.
//!
//! Each shard keeps, for its units, the exposure, per-unit totals per metric, the events
//! seen (their ids de-duplicate retries) and per-(variant, metric) sufficient statistics
//! maintained on every write, so results merge a few rows per shard and never scan.

pub mod client;
// The Durable Object macro generates undocumented exports.
#[allow(missing_docs)]
mod object;
pub mod protocol;
mod tables;

pub use client::{HOLDOUT_SHARDS, ShardPlane, Sharded};
pub use object::Shard;
