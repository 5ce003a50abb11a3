//! One unit at a time: the data-subject deletion and the per-unit export.

use super::{V, variants_of};
use crate::shard::protocol::{ExportPage, Forgotten, MetricTotal, UnitRow};
use cleave_core::analysis::sufficient::remove_unit;
use serde::Deserialize;
use worker::SqlStorage;

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
    let Some(variant) = variants_of(sql, &[user_id])?.remove(user_id) else {
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
