//! The upgrade from the single-database layout: exposures and events that earlier versions
//! kept in D1 (`assignments`, `events`) move into the experiments' shards, and holdout
//! members and their events (`holdout_members`, `holdout_events`) into the holdouts'
//! shards, a bounded step at a time (`POST /api/v1/data-plane/upgrade`, driven by
//! `make migrate`).
//!
//! A step writes one experiment's (or, once no experiment has rows left, one holdout's)
//! next units with all their events to the shards, then deletes those rows from D1. A crash
//! between the two only repeats work: an exposure already in its shard keeps its variant
//! and an event already counted is a duplicate.

use super::holdouts::HoldoutData;
use super::{CloudStore, backend};
use crate::shard::protocol::{UnitEvent, UnitExposure};
use crate::store::HoldoutMember;
use crate::store::{Store, StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use worker::query;
use worker::wasm_bindgen::JsValue;

/// Units per `IN (...)` list (one more parameter for the experiment; D1 allows 100).
const IDS_PER_LIST: usize = 90;

/// Old tables of one kind of owner: its units, their events, and the column naming the
/// owner (an experiment or a holdout).
struct OldTables {
    units: &'static str,
    events: &'static str,
    owner: &'static str,
}

const EXPERIMENT_TABLES: OldTables = OldTables {
    units: "assignments",
    events: "events",
    owner: "experiment_id",
};

const HOLDOUT_TABLES: OldTables = OldTables {
    units: "holdout_members",
    events: "holdout_events",
    owner: "holdout",
};

/// What one step did and what is left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpgradeProgress {
    /// Exposures moved into the shards by this step.
    pub moved_exposures: u64,
    /// Events moved (each counted once in its unit's shard).
    pub moved_events: u64,
    /// Holdout members moved into the holdouts' shards by this step.
    pub moved_holdout_members: u64,
    /// Holdout events moved (each counted once in its member's shard).
    pub moved_holdout_events: u64,
    /// Events dropped: of no exposure or membership, or of an experiment or holdout that no
    /// longer exists (no result ever counted them).
    pub dropped_events: u64,
    /// Exposures still in D1.
    pub remaining_exposures: u64,
    /// Events still in D1.
    pub remaining_events: u64,
    /// Holdout members still in D1.
    pub remaining_holdout_members: u64,
    /// Holdout events still in D1.
    pub remaining_holdout_events: u64,
    /// Nothing is left: the upgrade is complete.
    pub done: bool,
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

#[derive(Deserialize)]
struct ExperimentRow {
    experiment_id: String,
}

#[derive(Deserialize)]
struct HoldoutRow {
    holdout: String,
}

#[derive(Deserialize)]
struct MemberRow {
    user_id: String,
    held_out: i64,
    first_at: i64,
}

#[derive(Deserialize)]
struct AssignmentRow {
    user_id: String,
    variant: String,
    reason: String,
    assigned_at: i64,
    context: Option<String>,
}

#[derive(Deserialize)]
struct EventRow {
    event_id: String,
    user_id: String,
    event_name: String,
    value: f64,
    occurred_at: i64,
}

impl CloudStore {
    async fn count(&self, sql: &'static str) -> StoreResult<u64> {
        let row: Option<Count> = query!(&self.db, sql).first(None).await.map_err(backend)?;
        Ok(row.map_or(0, |c| c.n))
    }

    /// `sql` (ending in `IN`) with the experiment (or holdout) and a list of units bound,
    /// per chunk.
    fn per_unit_chunk(
        &self,
        sql: &str,
        owner: &str,
        users: &[String],
    ) -> StoreResult<Vec<worker::D1PreparedStatement>> {
        users
            .chunks(IDS_PER_LIST)
            .map(|chunk| {
                let list = vec!["?"; chunk.len()].join(", ");
                let mut values: Vec<JsValue> = vec![owner.into()];
                values.extend(chunk.iter().map(|u| JsValue::from(u.as_str())));
                self.db
                    .prepare(format!("{sql} ({list})"))
                    .bind(&values)
                    .map_err(backend)
            })
            .collect()
    }

    /// Moves up to `max_units` exposures of one experiment, with their events, from D1
    /// into the shards.
    pub async fn upgrade_step(&self, max_units: u32) -> StoreResult<UpgradeProgress> {
        let mut progress = UpgradeProgress::default();
        let next: Option<ExperimentRow> =
            query!(&self.db, "SELECT experiment_id FROM assignments LIMIT 1")
                .first(None)
                .await
                .map_err(backend)?;
        match next {
            Some(row) => {
                self.move_units(&row.experiment_id, max_units, &mut progress)
                    .await?
            }
            // Every exposure moved: events left behind belong to no exposure. Then the
            // holdouts.
            None => {
                progress.dropped_events =
                    self.run_one("DELETE FROM events".to_string(), &[]).await? as u64;
                self.move_holdout_members(max_units, &mut progress).await?;
            }
        }
        progress.remaining_exposures = self.count("SELECT COUNT(*) AS n FROM assignments").await?;
        progress.remaining_events = self.count("SELECT COUNT(*) AS n FROM events").await?;
        progress.remaining_holdout_members = self
            .count("SELECT COUNT(*) AS n FROM holdout_members")
            .await?;
        progress.remaining_holdout_events = self
            .count("SELECT COUNT(*) AS n FROM holdout_events")
            .await?;
        progress.done = progress.remaining_exposures == 0
            && progress.remaining_events == 0
            && progress.remaining_holdout_members == 0
            && progress.remaining_holdout_events == 0;
        Ok(progress)
    }

    /// Moves up to `max_units` members of one holdout, with their holdout events, from D1
    /// into the holdout's shards.
    async fn move_holdout_members(
        &self,
        max_units: u32,
        progress: &mut UpgradeProgress,
    ) -> StoreResult<()> {
        let next: Option<HoldoutRow> =
            query!(&self.db, "SELECT holdout FROM holdout_members LIMIT 1")
                .first(None)
                .await
                .map_err(backend)?;
        let Some(HoldoutRow { holdout }) = next else {
            // Every member moved: holdout events left behind belong to no member.
            progress.dropped_events += self
                .run_one("DELETE FROM holdout_events".to_string(), &[])
                .await? as u64;
            return Ok(());
        };
        let exists: Option<HoldoutRow> = query!(
            &self.db,
            "SELECT name AS holdout FROM holdouts WHERE name = ?1",
            holdout
        )
        .map_err(backend)?
        .first(None)
        .await
        .map_err(backend)?;
        if exists.is_none() {
            // Rows of a deleted holdout: nothing can read them.
            progress.dropped_events += self.drop_owner(&HOLDOUT_TABLES, &holdout).await?;
            return Ok(());
        }
        let rows: Vec<MemberRow> = query!(
            &self.db,
            "SELECT user_id, held_out, first_at FROM holdout_members
             WHERE holdout = ?1 ORDER BY user_id LIMIT ?2",
            holdout,
            max_units.clamp(1, 2_000)
        )
        .map_err(backend)?
        .all()
        .await
        .map_err(backend)?
        .results()
        .map_err(backend)?;
        let users: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
        let events = self.events_of(&HOLDOUT_TABLES, &holdout, &users).await?;
        let members: Vec<HoldoutMember> = rows
            .into_iter()
            .map(|r| HoldoutMember {
                holdout: holdout.clone(),
                user_id: r.user_id,
                held_out: r.held_out != 0,
                at: r.first_at,
            })
            .collect();
        // Members first: an event counts only for a recorded member.
        self.expose_holdout_members(&members).await?;
        let tracked = self.plane.track(&HoldoutData::of(&holdout), events).await?;
        if tracked.iter().any(|t| t.variant().is_none()) {
            return Err(StoreError::Backend(
                "a holdout event of a moved member found no membership in its shard".into(),
            ));
        }
        progress.moved_holdout_members = users.len() as u64;
        progress.moved_holdout_events = tracked.len() as u64;
        self.delete_moved(&HOLDOUT_TABLES, &holdout, &users).await
    }

    /// Deletes every row of `owner` from the old tables `t` (its experiment or holdout no
    /// longer exists, so nothing can read them); how many events that dropped.
    async fn drop_owner(&self, t: &OldTables, owner: &str) -> StoreResult<u64> {
        let owner = JsValue::from(owner);
        let dropped = self
            .run_one(
                format!("DELETE FROM {} WHERE {} = ?", t.events, t.owner),
                std::slice::from_ref(&owner),
            )
            .await?;
        self.run_one(
            format!("DELETE FROM {} WHERE {} = ?", t.units, t.owner),
            &[owner],
        )
        .await?;
        Ok(dropped as u64)
    }

    /// Deletes moved `users` of `owner` and their events from the old tables `t`, in one
    /// batch.
    async fn delete_moved(&self, t: &OldTables, owner: &str, users: &[String]) -> StoreResult<()> {
        let mut deletes = self.per_unit_chunk(
            &format!(
                "DELETE FROM {} WHERE {} = ? AND user_id IN",
                t.events, t.owner
            ),
            owner,
            users,
        )?;
        deletes.extend(self.per_unit_chunk(
            &format!(
                "DELETE FROM {} WHERE {} = ? AND user_id IN",
                t.units, t.owner
            ),
            owner,
            users,
        )?);
        self.run_batch(deletes).await?;
        Ok(())
    }

    /// Every event of `owner`'s `users` in the old tables `t`, as shard events.
    async fn events_of(
        &self,
        t: &OldTables,
        owner: &str,
        users: &[String],
    ) -> StoreResult<Vec<UnitEvent>> {
        let sql = format!(
            "SELECT event_id, user_id, event_name, value, occurred_at FROM {} WHERE {} = ? AND user_id IN",
            t.events, t.owner
        );
        let mut events = Vec::new();
        for result in self
            .run_batch(self.per_unit_chunk(&sql, owner, users)?)
            .await?
        {
            events.extend(
                result
                    .results::<EventRow>()
                    .map_err(backend)?
                    .into_iter()
                    .map(|e| UnitEvent {
                        event_id: e.event_id,
                        user_id: e.user_id,
                        event_name: e.event_name,
                        value: e.value,
                        at: e.occurred_at,
                        metadata: None,
                    }),
            );
        }
        Ok(events)
    }

    async fn move_units(
        &self,
        experiment_id: &str,
        max_units: u32,
        progress: &mut UpgradeProgress,
    ) -> StoreResult<()> {
        let Some(experiment) = self.experiment(experiment_id).await? else {
            // Rows of a deleted experiment: nothing can read them.
            progress.dropped_events = self.drop_owner(&EXPERIMENT_TABLES, experiment_id).await?;
            return Ok(());
        };
        let rows: Vec<AssignmentRow> = query!(
            &self.db,
            "SELECT user_id, variant, reason, assigned_at, context FROM assignments
             WHERE experiment_id = ?1 ORDER BY user_id LIMIT ?2",
            experiment_id,
            max_units.clamp(1, 2_000)
        )
        .map_err(backend)?
        .all()
        .await
        .map_err(backend)?
        .results()
        .map_err(backend)?;
        let users: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
        let units = self
            .events_of(&EXPERIMENT_TABLES, experiment_id, &users)
            .await?;
        let exposures: Vec<UnitExposure> = rows
            .into_iter()
            .map(|r| UnitExposure {
                user_id: r.user_id,
                variant: r.variant,
                reason: r.reason,
                at: r.assigned_at,
                context: r.context,
            })
            .collect();
        // Exposures first: an event counts only for an exposed unit.
        self.plane.expose(&experiment, exposures).await?;
        let tracked = self.plane.track(&experiment, units).await?;
        if tracked.iter().any(|t| t.variant().is_none()) {
            return Err(StoreError::Backend(
                "an event of a moved unit found no exposure in its shard".into(),
            ));
        }
        progress.moved_exposures = users.len() as u64;
        progress.moved_events = tracked.len() as u64;
        self.delete_moved(&EXPERIMENT_TABLES, experiment_id, &users)
            .await
    }
}
