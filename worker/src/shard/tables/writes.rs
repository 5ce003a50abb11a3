//! A shard's writes: first exposures, events (counted once, the statistics moving with
//! them), and forgetting everything.

use super::{MAX_PARAMS, UnitVariant, V, insert_many, variants_of};
use crate::shard::protocol::{Exposed, TrackedEvents, UnitEvent, UnitExposure};
use crate::store::Tracked;
use cleave_core::analysis::sufficient::add_event;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::BTreeMap;
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
    let inserted: Vec<UnitVariant> = insert_many(
        sql,
        "INSERT INTO units (user_id, variant, reason, first_at, context)",
        "ON CONFLICT (user_id) DO NOTHING RETURNING user_id, variant",
        5,
        &admitted,
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
        new: inserted.into_iter().map(|r| r.user_id).collect(),
        refused,
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
    // The metadata column only when an event carries some (fewer values per row otherwise).
    let with_metadata = candidates.iter().any(|e| e.metadata.is_some());
    let (columns, width) = if with_metadata {
        ("(user_id, event_id, metric, value, at, metadata)", 6)
    } else {
        ("(user_id, event_id, metric, value, at)", 5)
    };
    let fresh: Vec<SeenRow> = insert_many(
        sql,
        &format!("INSERT INTO seen_events {columns}"),
        "ON CONFLICT (user_id, event_id) DO NOTHING RETURNING user_id, event_id",
        width,
        &candidates,
        |e, v| {
            v.push(V::from(e.user_id.as_str()));
            v.push(V::from(e.event_id.as_str()));
            v.push(V::from(e.event_name.as_str()));
            v.push(V::from(e.value));
            v.push(V::from(e.at));
            if with_metadata {
                v.push(V::from(e.metadata.clone()));
            }
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
