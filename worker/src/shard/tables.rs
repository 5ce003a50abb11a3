//! A shard's tables and the statements of each request. Runs inside one synchronous
//! storage transaction (see `object.rs`): a request is applied whole or not at all.

use super::protocol::{
    ExportPage, Exposed, Forgotten, MetricTotal, ShardCounts, ShardSegments, ShardStats,
    TrackedEvents, UnitEvent, UnitExposure, UnitRow, Variants,
};
use crate::store::{Tracked, VariantAggregate};
use cleave_core::analysis::sufficient::{add_event, remove_unit};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;
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
  at INTEGER NOT NULL, PRIMARY KEY (user_id, event_id));
CREATE TABLE IF NOT EXISTS arm_units (variant TEXT PRIMARY KEY, units INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS arm_metrics (
  variant TEXT NOT NULL, metric TEXT NOT NULL, converters INTEGER NOT NULL,
  events INTEGER NOT NULL, sum REAL NOT NULL, sum_sq REAL NOT NULL,
  sum_x REAL NOT NULL DEFAULT 0, sum_x2 REAL NOT NULL DEFAULT 0, sum_xy REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (variant, metric));
";

#[derive(Deserialize)]
struct VariantRow {
    variant: String,
}

fn variant_of(sql: &SqlStorage, user_id: &str) -> worker::Result<Option<String>> {
    let rows: Vec<VariantRow> = sql
        .exec(
            "SELECT variant FROM units WHERE user_id = ?",
            vec![V::from(user_id)],
        )?
        .to_array()?;
    Ok(rows.into_iter().next().map(|r| r.variant))
}

/// Bound parameters per statement (Durable Object SQL allows 100).
const MAX_PARAMS: usize = 100;

/// Runs `head VALUES (…), (…) tail` over `rows` in as few statements as the parameter
/// limit allows (`width` values per row, appended by `bind`); the rows each returns.
fn insert_many<T, R: serde::de::DeserializeOwned>(
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
struct UnitVariant {
    user_id: String,
    variant: String,
}

/// The recorded variants of `user_ids` (absent: not exposed), in a few statements.
fn variants_of(
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

/// Adds `n` to each variant's unit count.
fn add_units(sql: &SqlStorage, per_variant: &BTreeMap<String, i64>) -> worker::Result<()> {
    for (variant, n) in per_variant {
        sql.exec(
            "INSERT INTO arm_units (variant, units) VALUES (?, ?)
             ON CONFLICT (variant) DO UPDATE SET units = units + excluded.units",
            vec![V::from(variant.as_str()), V::from(*n)],
        )?;
    }
    Ok(())
}

/// Records first exposures; a unit already exposed keeps its first variant.
pub fn expose(sql: &SqlStorage, exposures: &[UnitExposure]) -> worker::Result<Exposed> {
    let inserted: Vec<UnitVariant> = insert_many(
        sql,
        "INSERT INTO units (user_id, variant, reason, first_at, context)",
        "ON CONFLICT (user_id) DO NOTHING RETURNING user_id, variant",
        5,
        exposures,
        |x, v| {
            v.push(V::from(x.user_id.as_str()));
            v.push(V::from(x.variant.as_str()));
            v.push(V::from(x.reason.as_str()));
            v.push(V::from(x.at));
            v.push(V::from(x.context.clone()));
        },
    )?;
    let mut per_variant: BTreeMap<String, i64> = BTreeMap::new();
    for row in &inserted {
        *per_variant.entry(row.variant.clone()).or_default() += 1;
    }
    add_units(sql, &per_variant)?;
    Ok(Exposed {
        new: inserted.len() as u64,
    })
}

/// The variant of each unit.
pub fn variants(sql: &SqlStorage, user_ids: &[String]) -> worker::Result<Variants> {
    let ids: Vec<&str> = user_ids.iter().map(String::as_str).collect();
    let found = variants_of(sql, &ids)?;
    Ok(Variants {
        variants: user_ids.iter().map(|u| found.get(u).cloned()).collect(),
    })
}

#[derive(Deserialize)]
struct SeenRow {
    user_id: String,
    event_id: String,
}

#[derive(Deserialize)]
struct UnitMetricTotal {
    user_id: String,
    metric: String,
    total: f64,
}

/// The per-unit totals of `user_ids`, by (unit, metric).
fn totals(
    sql: &SqlStorage,
    user_ids: &[&str],
) -> worker::Result<std::collections::HashMap<(String, String), f64>> {
    let mut found = std::collections::HashMap::new();
    for chunk in user_ids.chunks(MAX_PARAMS) {
        let list = vec!["?"; chunk.len()].join(", ");
        let rows: Vec<UnitMetricTotal> = sql
            .exec(
                &format!(
                    "SELECT user_id, metric, total FROM unit_metrics WHERE user_id IN ({list})"
                ),
                chunk.iter().map(|u| V::from(*u)).collect::<Vec<_>>(),
            )?
            .to_array()?;
        found.extend(rows.into_iter().map(|r| ((r.user_id, r.metric), r.total)));
    }
    Ok(found)
}

/// Counts each event of an exposed unit once: the units' totals and their variants' sums
/// move together. Set-based: a request of any size takes a few statements per hundred
/// events (one exposure lookup, one de-duplicating insert, one totals read and upsert, one
/// upsert per (variant, metric)), not several per event.
pub fn track(sql: &SqlStorage, events: &[UnitEvent]) -> worker::Result<TrackedEvents> {
    let mut users: Vec<&str> = events.iter().map(|e| e.user_id.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let exposed = variants_of(sql, &users)?;
    let candidates: Vec<&UnitEvent> = events
        .iter()
        .filter(|e| exposed.contains_key(&e.user_id))
        .collect();
    let fresh: Vec<SeenRow> = insert_many(
        sql,
        "INSERT INTO seen_events (user_id, event_id, metric, value, at)",
        "ON CONFLICT (user_id, event_id) DO NOTHING RETURNING user_id, event_id",
        5,
        &candidates,
        |e, v| {
            v.push(V::from(e.user_id.as_str()));
            v.push(V::from(e.event_id.as_str()));
            v.push(V::from(e.event_name.as_str()));
            v.push(V::from(e.value));
            v.push(V::from(e.at));
        },
    )?;
    // The first occurrence of an inserted (unit, id) is the new one; repeats are duplicates.
    let mut unclaimed: std::collections::HashSet<(String, String)> =
        fresh.into_iter().map(|r| (r.user_id, r.event_id)).collect();
    let mut outcomes = Vec::with_capacity(events.len());
    // Per (unit, metric): the sum and number of this request's new events.
    let mut added: BTreeMap<(&str, &str), (f64, i64)> = BTreeMap::new();
    for e in events {
        let Some(variant) = exposed.get(&e.user_id) else {
            outcomes.push(Tracked::NotExposed);
            continue;
        };
        if unclaimed.remove(&(e.user_id.clone(), e.event_id.clone())) {
            let slot = added
                .entry((e.user_id.as_str(), e.event_name.as_str()))
                .or_default();
            slot.0 += e.value;
            slot.1 += 1;
            outcomes.push(Tracked::Recorded(variant.clone()));
        } else {
            outcomes.push(Tracked::Duplicate(variant.clone()));
        }
    }
    if added.is_empty() {
        return Ok(TrackedEvents { outcomes });
    }
    let touched: Vec<&str> = {
        let mut t: Vec<&str> = added.keys().map(|(u, _)| *u).collect();
        t.dedup();
        t
    };
    let previous = totals(sql, &touched)?;
    // Per (variant, metric): converters, events, Σy and Σy² changes.
    let mut arms: BTreeMap<(&str, &str), (i64, i64, f64, f64)> = BTreeMap::new();
    let mut rows: Vec<(&str, &str, f64, i64)> = Vec::with_capacity(added.len());
    for (&(user, metric), &(sum, count)) in &added {
        let old = previous
            .get(&(user.to_string(), metric.to_string()))
            .copied();
        let (total, delta) = add_event(old, sum);
        let variant = exposed.get(user).map_or("", String::as_str);
        let arm = arms.entry((variant, metric)).or_default();
        arm.0 += delta.converters as i64;
        arm.1 += count;
        arm.2 += delta.sum;
        arm.3 += delta.sum_sq;
        rows.push((user, metric, total, count));
    }
    let _: Vec<IgnoredAny> = insert_many(
        sql,
        "INSERT INTO unit_metrics (user_id, metric, total, events)",
        "ON CONFLICT (user_id, metric) DO UPDATE SET total = excluded.total, events = events + excluded.events",
        4,
        &rows,
        |r, v| {
            v.push(V::from(r.0));
            v.push(V::from(r.1));
            v.push(V::from(r.2));
            v.push(V::from(r.3));
        },
    )?;
    for ((variant, metric), (converters, count, sum, sum_sq)) in arms {
        sql.exec(
            "INSERT INTO arm_metrics (variant, metric, converters, events, sum, sum_sq) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (variant, metric) DO UPDATE SET converters = converters + excluded.converters,
               events = events + excluded.events, sum = sum + excluded.sum, sum_sq = sum_sq + excluded.sum_sq",
            vec![
                V::from(variant),
                V::from(metric),
                V::from(converters),
                V::from(count),
                V::from(sum),
                V::from(sum_sq),
            ],
        )?;
    }
    Ok(TrackedEvents { outcomes })
}

#[derive(Deserialize)]
struct ArmRow {
    variant: String,
    users: u64,
    converters: Option<u64>,
    sum: Option<f64>,
    sum_sq: Option<f64>,
}

impl ArmRow {
    fn aggregate(self) -> VariantAggregate {
        VariantAggregate {
            variant: self.variant,
            users: self.users,
            converters: self.converters.unwrap_or(0),
            sum: self.sum.unwrap_or(0.0),
            sum_sq: self.sum_sq.unwrap_or(0.0),
        }
    }
}

/// The sufficient statistics of one metric: one row per variant, whatever the data size.
pub fn stats(sql: &SqlStorage, metric: &str) -> worker::Result<ShardStats> {
    let cursor = sql.exec(
        "SELECT u.variant AS variant, u.units AS users, m.converters AS converters, m.sum AS sum, m.sum_sq AS sum_sq
         FROM arm_units u LEFT JOIN arm_metrics m ON m.variant = u.variant AND m.metric = ?",
        vec![V::from(metric)],
    )?;
    let rows: Vec<ArmRow> = cursor.to_array()?;
    Ok(ShardStats {
        arms: rows.into_iter().map(ArmRow::aggregate).collect(),
        rows_read: cursor.rows_read() as u64,
    })
}

#[derive(Deserialize)]
struct UnitCount {
    variant: String,
    units: u64,
}

#[derive(Deserialize)]
struct EventCount {
    variant: String,
    metric: String,
    events: u64,
}

/// Exposed units per variant and events per (variant, metric).
pub fn counts(sql: &SqlStorage) -> worker::Result<ShardCounts> {
    let units: Vec<UnitCount> = sql
        .exec("SELECT variant, units FROM arm_units", None)?
        .to_array()?;
    let events: Vec<EventCount> = sql
        .exec("SELECT variant, metric, events FROM arm_metrics", None)?
        .to_array()?;
    Ok(ShardCounts {
        units: units.into_iter().map(|u| (u.variant, u.units)).collect(),
        events: events
            .into_iter()
            .map(|e| (e.variant, e.metric, e.events))
            .collect(),
    })
}

#[derive(Deserialize)]
struct SegmentRow {
    segment: Option<String>,
    variant: String,
    users: u64,
    converters: u64,
    sum: f64,
    sum_sq: f64,
}

/// Per-(segment, variant) statistics: a scan of this shard's units joined to their totals.
pub fn segments(sql: &SqlStorage, metric: &str, json_path: &str) -> worker::Result<ShardSegments> {
    // `->` gives the value's JSON text (strings quoted), as the memory store does.
    let rows: Vec<SegmentRow> = sql
        .exec(
            "SELECT u.context -> ? AS segment, u.variant AS variant, COUNT(*) AS users,
                    COUNT(m.total) AS converters, COALESCE(SUM(m.total), 0.0) AS sum,
                    COALESCE(SUM(m.total * m.total), 0.0) AS sum_sq
             FROM units u LEFT JOIN unit_metrics m ON m.user_id = u.user_id AND m.metric = ?
             GROUP BY segment, u.variant",
            vec![V::from(json_path), V::from(metric)],
        )?
        .to_array()?;
    Ok(ShardSegments {
        rows: rows
            .into_iter()
            .map(|r| {
                let aggregate = VariantAggregate {
                    variant: r.variant,
                    users: r.users,
                    converters: r.converters,
                    sum: r.sum,
                    sum_sq: r.sum_sq,
                };
                (r.segment, aggregate)
            })
            .collect(),
    })
}

/// Forgets every unit and event.
pub fn clear(sql: &SqlStorage) -> worker::Result<()> {
    for table in [
        "units",
        "unit_metrics",
        "seen_events",
        "arm_units",
        "arm_metrics",
    ] {
        sql.exec(&format!("DELETE FROM {table}"), None)?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct UnitTotal {
    metric: String,
    total: f64,
    events: u64,
}

fn totals_of(sql: &SqlStorage, user_id: &str) -> worker::Result<Vec<UnitTotal>> {
    sql.exec(
        "SELECT metric, total, events FROM unit_metrics WHERE user_id = ? ORDER BY metric",
        vec![V::from(user_id)],
    )?
    .to_array()
}

/// Removes one unit and takes its share out of the statistics.
pub fn forget(sql: &SqlStorage, user_id: &str) -> worker::Result<Forgotten> {
    let Some(variant) = variant_of(sql, user_id)? else {
        return Ok(Forgotten::default());
    };
    let mut events = 0;
    for t in totals_of(sql, user_id)? {
        let d = remove_unit(t.total);
        events += t.events;
        sql.exec(
            "UPDATE arm_metrics SET converters = converters - ?, events = events - ?,
               sum = sum + ?, sum_sq = sum_sq + ? WHERE variant = ? AND metric = ?",
            vec![
                V::from(d.converters as i64),
                V::from(t.events as i64),
                V::from(d.sum),
                V::from(d.sum_sq),
                V::from(variant.as_str()),
                V::from(t.metric.as_str()),
            ],
        )?;
    }
    sql.exec(
        "UPDATE arm_units SET units = units - 1 WHERE variant = ?",
        vec![V::from(variant.as_str())],
    )?;
    for table in ["unit_metrics", "seen_events", "units"] {
        sql.exec(
            &format!("DELETE FROM {table} WHERE user_id = ?"),
            vec![V::from(user_id)],
        )?;
    }
    Ok(Forgotten {
        exposed: true,
        events,
    })
}

#[derive(Deserialize)]
struct UnitRecord {
    user_id: String,
    variant: String,
    reason: String,
    first_at: i64,
    context: Option<String>,
}

/// A page of per-unit rows after `after`, in unit id order.
pub fn export(sql: &SqlStorage, after: Option<&str>, limit: u32) -> worker::Result<ExportPage> {
    let limit = limit.clamp(1, 1_000);
    let units: Vec<UnitRecord> = sql
        .exec(
            "SELECT user_id, variant, reason, first_at, context FROM units
             WHERE user_id > ? ORDER BY user_id LIMIT ?",
            vec![V::from(after.unwrap_or("")), V::from(i64::from(limit))],
        )?
        .to_array()?;
    let full = units.len() == limit as usize;
    let mut rows = Vec::with_capacity(units.len());
    for u in units {
        let metrics = totals_of(sql, &u.user_id)?
            .into_iter()
            .map(|t| {
                let total = MetricTotal {
                    total: t.total,
                    events: t.events,
                };
                (t.metric, total)
            })
            .collect();
        rows.push(UnitRow {
            context: u.context.and_then(|c| serde_json::from_str(&c).ok()),
            user_id: u.user_id,
            variant: u.variant,
            reason: u.reason,
            first_exposure_at: u.first_at,
            metrics,
        });
    }
    let next = if full {
        rows.last().map(|r| r.user_id.clone())
    } else {
        None
    };
    Ok(ExportPage { rows, next })
}
