//! A shard's tables and the statements of each request. Runs inside one synchronous
//! storage transaction (see `object.rs`): a request is applied whole or not at all.

mod counters;
mod lookups;
mod reads;
mod units;
mod writes;

pub use counters::{bump, counters};
pub use lookups::{events, exposures};
pub use reads::{counts, segments, stats, variants};
pub use units::{export, forget};
pub use writes::{clear, expose, track};

use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue as V};

/// The schema, created when an object first starts. `seen_events` keeps every counted
/// event (its id de-duplicates retries for as long as the experiment exists); `arm_units`
/// and `arm_metrics` are the sufficient statistics, updated by every write (the covariate
/// sums are kept for CUPED and stay 0 until it uses them).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS units (
  user_id TEXT PRIMARY KEY, variant TEXT NOT NULL, reason TEXT NOT NULL,
  first_at INTEGER NOT NULL, context TEXT);
CREATE TABLE IF NOT EXISTS unit_metrics (
  user_id TEXT NOT NULL, metric TEXT NOT NULL, total REAL NOT NULL, events INTEGER NOT NULL,
  PRIMARY KEY (user_id, metric));
CREATE TABLE IF NOT EXISTS seen_events (
  user_id TEXT NOT NULL, event_id TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL,
  at INTEGER NOT NULL, metadata TEXT, PRIMARY KEY (user_id, event_id));
CREATE TABLE IF NOT EXISTS arm_units (variant TEXT PRIMARY KEY, units INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS arm_metrics (
  variant TEXT NOT NULL, metric TEXT NOT NULL, converters INTEGER NOT NULL,
  events INTEGER NOT NULL, sum REAL NOT NULL, sum_sq REAL NOT NULL,
  sum_x REAL NOT NULL DEFAULT 0, sum_x2 REAL NOT NULL DEFAULT 0, sum_xy REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (variant, metric));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

/// Columns added after a shard's tables were first created, each applied once to shards
/// that predate it (on a newer shard the statement fails as a duplicate and is skipped).
pub const ADDED_COLUMNS: [&str; 1] = ["ALTER TABLE seen_events ADD COLUMN metadata TEXT"];

/// Bound parameters per statement (Durable Object SQL allows 100).
pub(super) const MAX_PARAMS: usize = 100;

/// Runs `head VALUES (…), (…) tail` over `rows` in as few statements as the parameter
/// limit allows (`width` values per row, appended by `bind`); the rows each returns.
pub(super) fn insert_many<T, R: serde::de::DeserializeOwned>(
    sql: &SqlStorage,
    head: &str,
    tail: &str,
    width: usize,
    rows: &[T],
    bind: impl Fn(&T, &mut Vec<V>),
) -> worker::Result<Vec<R>> {
    let tuple = format!("({})", vec!["?"; width].join(", "));
    let mut out = Vec::new();
    for chunk in rows.chunks(MAX_PARAMS / width) {
        let mut values = Vec::with_capacity(chunk.len() * width);
        for row in chunk {
            bind(row, &mut values);
        }
        let placeholders = vec![tuple.as_str(); chunk.len()].join(", ");
        let cursor = sql.exec(&format!("{head} VALUES {placeholders} {tail}"), values)?;
        out.extend(cursor.to_array::<R>()?);
    }
    Ok(out)
}

#[derive(Deserialize)]
pub(super) struct UnitVariant {
    pub(super) user_id: String,
    pub(super) variant: String,
}

/// The recorded variants of `user_ids` (absent: not exposed), in a few statements.
pub(super) fn variants_of(
    sql: &SqlStorage,
    user_ids: &[&str],
) -> worker::Result<std::collections::HashMap<String, String>> {
    let mut found = std::collections::HashMap::new();
    for chunk in user_ids.chunks(MAX_PARAMS) {
        let list = vec!["?"; chunk.len()].join(", ");
        let rows: Vec<UnitVariant> = sql
            .exec(
                &format!("SELECT user_id, variant FROM units WHERE user_id IN ({list})"),
                chunk.iter().map(|u| V::from(*u)).collect::<Vec<_>>(),
            )?
            .to_array()?;
        found.extend(rows.into_iter().map(|r| (r.user_id, r.variant)));
    }
    Ok(found)
}
