//! Named counters (the integrations' outcomes: Plausible events sent, failed and dropped),
//! kept in one object so every isolate adds to, and `/metrics` reads, the same numbers.

use super::V;
use crate::shard::protocol::Counters;
use serde::Deserialize;
use worker::SqlStorage;

#[derive(Deserialize)]
struct Row {
    name: String,
    value: i64,
}

/// Adds `counts` to the named counters; all counters after the addition.
pub fn bump(sql: &SqlStorage, counts: &[(String, u64)]) -> worker::Result<Counters> {
    for (name, n) in counts {
        sql.exec(
            "INSERT INTO counters (name, value) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            vec![
                V::from(name.as_str()),
                V::from(i64::try_from(*n).unwrap_or(i64::MAX)),
            ],
        )?;
    }
    counters(sql)
}

/// Every named counter.
pub fn counters(sql: &SqlStorage) -> worker::Result<Counters> {
    let rows: Vec<Row> = sql
        .exec("SELECT name, value FROM counters ORDER BY name", None)?
        .to_array()?;
    Ok(Counters {
        counters: rows
            .into_iter()
            .map(|r| (r.name, r.value.max(0) as u64))
            .collect(),
    })
}
