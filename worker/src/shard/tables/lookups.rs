//! Reads by unit and by event: units' first exposures and filtered event listings (the
//! ab-testing-service API's assignment and event lookups).

use super::{V, json_list};
use crate::shard::protocol::{EventFilter, EventRows, UnitExposure, UnitExposures};
use std::collections::HashMap;
use worker::SqlStorage;

/// Most events one listing returns.
pub const MAX_EVENTS: u32 = 1_000;

/// Each unit's first exposure, in request order.
pub fn exposures(sql: &SqlStorage, user_ids: &[String]) -> worker::Result<UnitExposures> {
    let rows: Vec<UnitExposure> = sql
        .exec(
            "SELECT user_id, variant, reason, first_at AS at, context FROM units
             WHERE user_id IN (SELECT value FROM json_each(?))",
            vec![json_list(user_ids)?],
        )?
        .to_array()?;
    let found: HashMap<String, UnitExposure> =
        rows.into_iter().map(|r| (r.user_id.clone(), r)).collect();
    Ok(UnitExposures {
        exposures: user_ids.iter().map(|u| found.get(u).cloned()).collect(),
    })
}

/// The events matching `filter`, oldest first (then by unit and id), at most its limit.
pub fn events(sql: &SqlStorage, filter: &EventFilter) -> worker::Result<EventRows> {
    let mut clauses: Vec<&str> = Vec::new();
    let mut values: Vec<V> = Vec::new();
    let mut when = |clause: &'static str, value: Option<V>| {
        if let Some(v) = value {
            clauses.push(clause);
            values.push(v);
        }
    };
    when("e.user_id = ?", filter.user_id.as_deref().map(V::from));
    when("e.metric = ?", filter.metric.as_deref().map(V::from));
    when("u.variant = ?", filter.variant.as_deref().map(V::from));
    when("e.at >= ?", filter.from.map(V::from));
    when("e.at <= ?", filter.to.map(V::from));
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    values.push(V::from(i64::from(filter.limit.clamp(1, MAX_EVENTS))));
    let events = sql
        .exec(
            &format!(
                "SELECT e.user_id AS user_id, e.event_id AS event_id, e.metric AS metric,
                        e.value AS value, e.at AS at, u.variant AS variant, e.metadata AS metadata
                 FROM seen_events e JOIN units u ON u.user_id = e.user_id
                 {filter_sql} ORDER BY e.at, e.user_id, e.event_id LIMIT ?"
            ),
            values,
        )?
        .to_array()?;
    Ok(EventRows { events })
}
