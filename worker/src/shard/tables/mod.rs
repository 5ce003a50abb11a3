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

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
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

/// A list as one statement parameter: its JSON, which `json_each(?)` reads back element
/// by element. A statement may bind only 100 parameters; this way one statement takes a
/// list of any length, so a batch costs a few statements rather than one per hundred
/// values (ingest measured in `docs/benchmarks.md`, *The sharded data plane*).
pub(super) fn json_list<T: Serialize + ?Sized>(list: &T) -> worker::Result<V> {
    serde_json::to_string(list)
        .map(V::from)
        .map_err(|e| worker::Error::RustError(e.to_string()))
}

/// Inserts `rows` into `columns` of `table` in one statement, `INSERT INTO table (columns)
/// SELECT j.value->>0, … FROM json_each(?) j WHERE true tail`, each row serialized as a
/// JSON array of its values in `columns`' order; the rows it returns. (`WHERE true` keeps
/// an `ON CONFLICT` tail from being read as part of the `SELECT`.) JSON numbers come back
/// exactly: a double's shortest form parses to the same double.
pub(super) fn insert_rows<T: Serialize, R: DeserializeOwned>(
    sql: &SqlStorage,
    table: &str,
    columns: &[&str],
    tail: &str,
    rows: &[T],
) -> worker::Result<Vec<R>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<String> = (0..columns.len())
        .map(|i| format!("j.value->>{i}"))
        .collect();
    let statement = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM json_each(?) j WHERE true {tail}",
        columns.join(", "),
        values.join(", ")
    );
    sql.exec(&statement, vec![json_list(rows)?])?.to_array()
}

#[derive(Deserialize)]
struct JsonAnswer {
    json: Option<String>,
}

/// Runs `query`, which answers one row whose `json` column holds a JSON document built
/// by SQLite (`json_group_object`, `json_group_array`), with `list` as its parameter, and
/// parses the document (`what` names it in errors). Only for text and integers: SQLite
/// writes doubles into JSON with 15 digits.
pub(super) fn json_answer<L: Serialize + ?Sized, T: DeserializeOwned + Default>(
    sql: &SqlStorage,
    query: &str,
    list: &L,
    what: &str,
) -> worker::Result<T> {
    let rows: Vec<JsonAnswer> = sql.exec(query, vec![json_list(list)?])?.to_array()?;
    match rows.into_iter().next().and_then(|row| row.json) {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| worker::Error::RustError(format!("{what}: {e}"))),
        None => Ok(T::default()),
    }
}

#[derive(Deserialize)]
pub(super) struct UnitVariant {
    pub(super) user_id: String,
    pub(super) variant: String,
}

/// The recorded variants of `user_ids` (absent: not exposed), in one statement answering
/// one row (a JSON object of unit → variant).
pub(super) fn variants_of(
    sql: &SqlStorage,
    user_ids: &[&str],
) -> worker::Result<std::collections::HashMap<String, String>> {
    if user_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    json_answer(
        sql,
        "SELECT json_group_object(user_id, variant) AS json FROM units
         WHERE user_id IN (SELECT value FROM json_each(?))",
        user_ids,
        "the units' variants",
    )
}
