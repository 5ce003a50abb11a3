//! A shard's writes: first exposures, events (counted once, the statistics moving with
//! them), and forgetting everything.

use super::{UnitVariant, V, insert_rows, json_answer, json_list, variants_of};
use crate::shard::protocol::{Exposed, TrackedEvents, UnitEvent, UnitExposure};
use crate::store::Tracked;
use cleave_core::analysis::sufficient::add_event;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::{BTreeMap, HashSet};
use worker::SqlStorage;

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

#[derive(Deserialize)]
struct Population {
    units: i64,
}

/// The exposures a shard holding at most `cap` units admits: every unit it already holds,
/// and new ones while there is room; the units refused.
fn admit<'a>(
    sql: &SqlStorage,
    exposures: &'a [UnitExposure],
    cap: u64,
) -> worker::Result<(Vec<&'a UnitExposure>, Vec<String>)> {
    let held: Vec<Population> = sql
        .exec(
            "SELECT COALESCE(SUM(units), 0) AS units FROM arm_units",
            None,
        )?
        .to_array()?;
    let held = held.first().map_or(0, |p| p.units.max(0) as u64);
    let users: Vec<&str> = exposures.iter().map(|x| x.user_id.as_str()).collect();
    let known = variants_of(sql, &users)?;
    let mut room = cap.saturating_sub(held);
    let mut entering = std::collections::HashSet::new();
    let (mut admitted, mut refused) = (Vec::new(), Vec::new());
    for x in exposures {
        let id = x.user_id.as_str();
        if known.contains_key(id) || entering.contains(id) {
            admitted.push(x);
        } else if room > 0 {
            room -= 1;
            entering.insert(id);
            admitted.push(x);
        } else {
            refused.push(x.user_id.clone());
        }
    }
    Ok((admitted, refused))
}

/// Records first exposures; a unit already exposed keeps its first variant, and with a
/// `cap` a new unit beyond it is refused.
pub fn expose(
    sql: &SqlStorage,
    exposures: &[UnitExposure],
    cap: Option<u64>,
) -> worker::Result<Exposed> {
    let (admitted, refused) = match cap {
        Some(cap) => admit(sql, exposures, cap)?,
        None => (exposures.iter().collect(), Vec::new()),
    };
    let rows: Vec<(&str, &str, &str, i64, Option<&str>)> = admitted
        .iter()
        .map(|x| {
            (
                x.user_id.as_str(),
                x.variant.as_str(),
                x.reason.as_str(),
                x.at,
                x.context.as_deref(),
            )
        })
        .collect();
    let inserted: Vec<UnitVariant> = insert_rows(
        sql,
        "units",
        &["user_id", "variant", "reason", "first_at", "context"],
        "ON CONFLICT (user_id) DO NOTHING RETURNING user_id, variant",
        &rows,
    )?;
    let mut per_variant: BTreeMap<String, i64> = BTreeMap::new();
    for row in &inserted {
        *per_variant.entry(row.variant.clone()).or_default() += 1;
    }
    add_units(sql, &per_variant)?;
    Ok(Exposed {
        new: inserted.into_iter().map(|r| r.user_id).collect(),
        refused,
    })
}

#[derive(Deserialize)]
struct UnitMetricTotal {
    user_id: String,
    metric: String,
    total: f64,
}

/// The per-unit totals of `user_ids`, by (unit, metric). (Rows, not one JSON answer:
/// SQLite writes doubles into JSON with 15 digits, which would round the totals.)
fn totals(
    sql: &SqlStorage,
    user_ids: &[&str],
) -> worker::Result<std::collections::HashMap<(String, String), f64>> {
    let rows: Vec<UnitMetricTotal> = sql
        .exec(
            "SELECT user_id, metric, total FROM unit_metrics
             WHERE user_id IN (SELECT value FROM json_each(?))",
            vec![json_list(user_ids)?],
        )?
        .to_array()?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.user_id, r.metric), r.total))
        .collect())
}

/// A `seen_events` row as `insert_rows` sends it: unit, event id, metric, value, time,
/// metadata.
type SeenEventRow<'a> = (&'a str, &'a str, &'a str, f64, i64, Option<&'a str>);

/// Which of `events` (unit, event id) were counted before: their positions in the list,
/// in one statement answering one row.
fn seen_before(sql: &SqlStorage, events: &[&UnitEvent]) -> worker::Result<HashSet<usize>> {
    if events.is_empty() {
        return Ok(HashSet::new());
    }
    let keys: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.user_id.as_str(), e.event_id.as_str()))
        .collect();
    json_answer(
        sql,
        "SELECT json_group_array(j.key) AS json FROM json_each(?) j
         WHERE EXISTS (SELECT 1 FROM seen_events s
                       WHERE s.user_id = j.value->>0 AND s.event_id = j.value->>1)",
        &keys,
        "the events seen before",
    )
}

/// Counts each event of an exposed unit once: the units' totals and their variants' sums
/// move together. Set-based: a request of any size takes a few statements (one exposure
/// lookup, one look for event ids seen before, one insert of the new ones, one totals read
/// and upsert, one upsert per (variant, metric)), not several per event.
pub fn track(sql: &SqlStorage, events: &[UnitEvent]) -> worker::Result<TrackedEvents> {
    let mut users: Vec<&str> = events.iter().map(|e| e.user_id.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let exposed = variants_of(sql, &users)?;
    // Each (unit, id) of an exposed unit once, at its first occurrence in the request.
    let mut first: HashSet<(&str, &str)> = HashSet::new();
    let candidates: Vec<&UnitEvent> = events
        .iter()
        .filter(|e| exposed.contains_key(&e.user_id))
        .filter(|e| first.insert((e.user_id.as_str(), e.event_id.as_str())))
        .collect();
    let before = seen_before(sql, &candidates)?;
    let fresh: Vec<&UnitEvent> = candidates
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !before.contains(i))
        .map(|(_, e)| e)
        .collect();
    let rows: Vec<SeenEventRow> = fresh
        .iter()
        .map(|e| {
            (
                e.user_id.as_str(),
                e.event_id.as_str(),
                e.event_name.as_str(),
                e.value,
                e.at,
                e.metadata.as_deref(),
            )
        })
        .collect();
    let _: Vec<IgnoredAny> = insert_rows(
        sql,
        "seen_events",
        &["user_id", "event_id", "metric", "value", "at", "metadata"],
        "ON CONFLICT (user_id, event_id) DO NOTHING",
        &rows,
    )?;
    // The first occurrence of an inserted (unit, id) is the new one; repeats are duplicates.
    let mut unclaimed: HashSet<(&str, &str)> = fresh
        .iter()
        .map(|e| (e.user_id.as_str(), e.event_id.as_str()))
        .collect();
    let mut outcomes = Vec::with_capacity(events.len());
    // Per (unit, metric): the sum and number of this request's new events.
    let mut added: BTreeMap<(&str, &str), (f64, i64)> = BTreeMap::new();
    for e in events {
        let Some(variant) = exposed.get(&e.user_id) else {
            outcomes.push(Tracked::NotExposed);
            continue;
        };
        if unclaimed.remove(&(e.user_id.as_str(), e.event_id.as_str())) {
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
    let _: Vec<IgnoredAny> = insert_rows(
        sql,
        "unit_metrics",
        &["user_id", "metric", "total", "events"],
        "ON CONFLICT (user_id, metric) DO UPDATE SET total = excluded.total, events = events + excluded.events",
        &rows,
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
