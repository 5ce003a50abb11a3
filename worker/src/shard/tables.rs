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

#[derive(Deserialize)]
struct TotalRow {
    total: f64,
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

/// Records first exposures; a unit already exposed keeps its first variant.
pub fn expose(sql: &SqlStorage, exposures: &[UnitExposure]) -> worker::Result<Exposed> {
    let mut new = 0;
    for x in exposures {
        let inserted: Vec<IgnoredAny> = sql
            .exec(
                "INSERT INTO units (user_id, variant, reason, first_at, context) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (user_id) DO NOTHING RETURNING variant",
                vec![
                    V::from(x.user_id.as_str()),
                    V::from(x.variant.as_str()),
                    V::from(x.reason.as_str()),
                    V::from(x.at),
                    V::from(x.context.clone()),
                ],
            )?
            .to_array()?;
        if !inserted.is_empty() {
            new += 1;
            sql.exec(
                "INSERT INTO arm_units (variant, units) VALUES (?, 1)
                 ON CONFLICT (variant) DO UPDATE SET units = units + 1",
                vec![V::from(x.variant.as_str())],
            )?;
        }
    }
    Ok(Exposed { new })
}

/// The variant of each unit.
pub fn variants(sql: &SqlStorage, user_ids: &[String]) -> worker::Result<Variants> {
    let variants = user_ids
        .iter()
        .map(|u| variant_of(sql, u))
        .collect::<worker::Result<_>>()?;
    Ok(Variants { variants })
}

/// Counts each event of an exposed unit once: the unit's total of the metric and its
/// variant's sums move together.
pub fn track(sql: &SqlStorage, events: &[UnitEvent]) -> worker::Result<TrackedEvents> {
    let mut outcomes = Vec::with_capacity(events.len());
    for ev in events {
        let Some(variant) = variant_of(sql, &ev.user_id)? else {
            outcomes.push(Tracked::NotExposed);
            continue;
        };
        let fresh: Vec<IgnoredAny> = sql
            .exec(
                "INSERT INTO seen_events (user_id, event_id, metric, value, at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (user_id, event_id) DO NOTHING RETURNING event_id",
                vec![
                    V::from(ev.user_id.as_str()),
                    V::from(ev.event_id.as_str()),
                    V::from(ev.event_name.as_str()),
                    V::from(ev.value),
                    V::from(ev.at),
                ],
            )?
            .to_array()?;
        if fresh.is_empty() {
            outcomes.push(Tracked::Duplicate(variant));
            continue;
        }
        let previous: Vec<TotalRow> = sql
            .exec(
                "SELECT total FROM unit_metrics WHERE user_id = ? AND metric = ?",
                vec![
                    V::from(ev.user_id.as_str()),
                    V::from(ev.event_name.as_str()),
                ],
            )?
            .to_array()?;
        let (total, delta) = add_event(previous.first().map(|r| r.total), ev.value);
        sql.exec(
            "INSERT INTO unit_metrics (user_id, metric, total, events) VALUES (?, ?, ?, 1)
             ON CONFLICT (user_id, metric) DO UPDATE SET total = excluded.total, events = events + 1",
            vec![
                V::from(ev.user_id.as_str()),
                V::from(ev.event_name.as_str()),
                V::from(total),
            ],
        )?;
        sql.exec(
            "INSERT INTO arm_metrics (variant, metric, converters, events, sum, sum_sq) VALUES (?, ?, ?, 1, ?, ?)
             ON CONFLICT (variant, metric) DO UPDATE SET converters = converters + excluded.converters,
               events = events + 1, sum = sum + excluded.sum, sum_sq = sum_sq + excluded.sum_sq",
            vec![
                V::from(variant.as_str()),
                V::from(ev.event_name.as_str()),
                V::from(delta.converters as i64),
                V::from(delta.sum),
                V::from(delta.sum_sq),
            ],
        )?;
        outcomes.push(Tracked::Recorded(variant));
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
