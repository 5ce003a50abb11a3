//! A shard's reads: units' variants, the sufficient statistics, counts and segments.

use super::{V, variants_of};
use crate::shard::protocol::{ShardCounts, ShardSegments, ShardStats, Variants};
use crate::store::VariantAggregate;
use serde::Deserialize;
use worker::SqlStorage;

/// The variant of each unit.
pub fn variants(sql: &SqlStorage, user_ids: &[String]) -> worker::Result<Variants> {
    let ids: Vec<&str> = user_ids.iter().map(String::as_str).collect();
    let found = variants_of(sql, &ids)?;
    Ok(Variants {
        variants: user_ids.iter().map(|u| found.get(u).cloned()).collect(),
    })
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
