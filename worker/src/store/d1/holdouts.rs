//! The D1 queries behind a holdout's own results: its members' arms, the events of its
//! metrics, and per-arm aggregates.

use super::{CloudStore, backend};
use crate::store::{HoldoutEvent, HoldoutMember, StoreError, StoreResult, VariantAggregate};
use serde::Deserialize;
use std::collections::HashSet;
use worker::query;
use worker::wasm_bindgen::JsValue;

/// Members per multi-row insert (4 parameters each, within D1's 100 bound parameters).
const MEMBERS_PER_INSERT: usize = 24;
/// Events per multi-row insert (6 parameters each).
const EVENTS_PER_INSERT: usize = 16;
/// Units per membership lookup (one more parameter for the holdout).
const IDS_PER_LOOKUP: usize = 90;

impl CloudStore {
    pub(super) async fn insert_holdout_members(
        &self,
        members: &[HoldoutMember],
    ) -> StoreResult<()> {
        let statements = self.multi_row_inserts(
            "INSERT OR IGNORE INTO holdout_members (holdout, user_id, held_out, first_at)",
            4,
            "",
            MEMBERS_PER_INSERT,
            members,
            |m, values| {
                values.push(m.holdout.as_str().into());
                values.push(m.user_id.as_str().into());
                values.push(i32::from(m.held_out).into());
                values.push((m.at as f64).into());
            },
        )?;
        self.run_batch(statements).await?;
        Ok(())
    }

    pub(super) async fn read_holdout_memberships(
        &self,
        holdouts: &[&str],
        user_ids: &[&str],
    ) -> StoreResult<Vec<(String, String)>> {
        #[derive(Deserialize)]
        struct Row {
            holdout: String,
            user_id: String,
        }
        let mut statements = Vec::new();
        for holdout in holdouts {
            for chunk in user_ids.chunks(IDS_PER_LOOKUP) {
                let placeholders = vec!["?"; chunk.len()].join(", ");
                let sql = format!(
                    "SELECT holdout, user_id FROM holdout_members WHERE holdout = ? AND user_id IN ({placeholders})"
                );
                let mut values: Vec<JsValue> = vec![(*holdout).into()];
                values.extend(chunk.iter().map(|u| JsValue::from(*u)));
                statements.push(self.db.prepare(sql).bind(&values).map_err(backend)?);
            }
        }
        let mut found = Vec::new();
        for result in self.run_batch(statements).await? {
            for row in result.results::<Row>().map_err(backend)? {
                found.push((row.holdout, row.user_id));
            }
        }
        Ok(found)
    }

    pub(super) async fn insert_holdout_events(
        &self,
        events: &[HoldoutEvent],
    ) -> StoreResult<Vec<bool>> {
        #[derive(Deserialize, PartialEq, Eq, Hash)]
        struct Row {
            holdout: String,
            event_id: String,
        }
        let statements = self.multi_row_inserts(
            "INSERT OR IGNORE INTO holdout_events (holdout, event_id, user_id, event_name, value, occurred_at)",
            6,
            " RETURNING holdout, event_id",
            EVENTS_PER_INSERT,
            events,
            |ev, values| {
                values.push(ev.holdout.as_str().into());
                values.push(ev.event_id.as_str().into());
                values.push(ev.user_id.as_str().into());
                values.push(ev.event_name.as_str().into());
                values.push(ev.value.into());
                values.push((ev.at as f64).into());
            },
        )?;
        let mut inserted = HashSet::new();
        for result in self.run_batch(statements).await? {
            inserted.extend(result.results::<Row>().map_err(backend)?);
        }
        Ok(events
            .iter()
            .map(|ev| {
                inserted.remove(&Row {
                    holdout: ev.holdout.clone(),
                    event_id: ev.event_id.clone(),
                })
            })
            .collect())
    }

    pub(super) async fn read_holdout_aggregates(
        &self,
        holdout: &str,
        metric: &str,
    ) -> StoreResult<Vec<VariantAggregate>> {
        #[derive(Deserialize)]
        struct Row {
            held_out: i64,
            users: u64,
            converters: u64,
            sum: Option<f64>,
            sum_sq: Option<f64>,
        }
        // Members per arm, left-joined to their per-unit totals of the metric.
        let rows = query!(
            &self.db,
            "SELECT m.held_out AS held_out, COUNT(*) AS users, COUNT(e.total) AS converters,
                    COALESCE(SUM(e.total), 0.0) AS sum, COALESCE(SUM(e.total * e.total), 0.0) AS sum_sq
             FROM holdout_members m
             LEFT JOIN (SELECT user_id, SUM(value) AS total FROM holdout_events
                        WHERE holdout = ?1 AND event_name = ?2 GROUP BY user_id) e
               ON e.user_id = m.user_id
             WHERE m.holdout = ?1
             GROUP BY m.held_out",
            holdout,
            metric
        )
        .map_err(backend)?
        .all()
        .await
        .map_err(backend)?
        .results::<Row>()
        .map_err(backend)?;
        rows.into_iter()
            .map(|r| {
                let arm = match r.held_out {
                    1 => crate::store::HOLDOUT_ARMS[0],
                    0 => crate::store::HOLDOUT_ARMS[1],
                    other => {
                        return Err(StoreError::Backend(format!(
                            "holdout_members.held_out is {other}, not 0 or 1"
                        )));
                    }
                };
                Ok(VariantAggregate {
                    variant: arm.to_string(),
                    users: r.users,
                    converters: r.converters,
                    sum: r.sum.unwrap_or(f64::NAN),
                    sum_sq: r.sum_sq.unwrap_or(f64::NAN),
                })
            })
            .collect()
    }

    pub(super) async fn delete_holdout_results(&self, holdout: &str) -> StoreResult<()> {
        self.run_batch(vec![
            query!(
                &self.db,
                "DELETE FROM holdout_members WHERE holdout = ?1",
                holdout
            )
            .map_err(backend)?,
            query!(
                &self.db,
                "DELETE FROM holdout_events WHERE holdout = ?1",
                holdout
            )
            .map_err(backend)?,
        ])
        .await?;
        Ok(())
    }
}
