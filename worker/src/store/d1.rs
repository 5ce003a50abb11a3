//! The production [`Store`]: the control plane (experiments, holdouts, groups, analysis
//! runs) in D1 — bound parameters only, one round trip per call, batches for writes — and
//! the data plane (exposures, events, their statistics; holdout members and their events)
//! in the experiments' and holdouts' shards ([`crate::shard`]).

use super::{
    AnalysisRun, ArmStats, Catalog, EventFilter, EventRecord, Exposed, Exposure, HoldoutEvent,
    HoldoutMember, MetricsData, Store, StoreError, StoreResult, Tracked, UnitForgotten,
    VariantAggregate,
};
use crate::shard::ShardPlane;
use crate::shard::protocol::{UnitEvent, UnitExposure};
use cleave_core::model::{Experiment, Status};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, query};

mod holdouts;
mod legacy;
pub use legacy::UpgradeProgress;
mod reports;

/// D1 and the shards.
pub struct CloudStore {
    db: D1Database,
    plane: ShardPlane,
}

impl CloudStore {
    /// The data plane.
    pub fn plane(&self) -> &ShardPlane {
        &self.plane
    }

    /// The `DB` and `SHARD` bindings.
    pub fn from_env(env: &worker::Env) -> StoreResult<Self> {
        let db = env
            .d1("DB")
            .map_err(|e| StoreError::Backend(format!("D1 binding: {e}")))?;
        Ok(Self {
            db,
            plane: ShardPlane::from_env(env)?,
        })
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    let text = e.to_string();
    if text.contains("UNIQUE constraint failed") {
        StoreError::Conflict("an experiment with this id or key already exists".into())
    } else {
        StoreError::Backend(text)
    }
}

#[derive(Deserialize)]
struct ConfigRow {
    config: String,
}

fn parse(rows: Vec<ConfigRow>) -> StoreResult<Vec<Experiment>> {
    rows.into_iter()
        .map(|r| {
            serde_json::from_str(&r.config)
                .map_err(|e| StoreError::Backend(format!("corrupt experiment row: {e}")))
        })
        .collect()
}

impl CloudStore {
    async fn run_batch(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> StoreResult<Vec<worker::D1Result>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        self.db.batch(statements).await.map_err(backend)
    }

    /// Runs one statement with bound `values`; how many rows it changed.
    async fn run_one(&self, sql: String, values: &[JsValue]) -> StoreResult<usize> {
        let result = self
            .db
            .prepare(sql)
            .bind(values)
            .map_err(backend)?
            .run()
            .await
            .map_err(backend)?;
        Ok(result
            .meta()
            .ok()
            .flatten()
            .and_then(|m| m.changes)
            .unwrap_or(0))
    }
}

impl Store for CloudStore {
    async fn experiment(&self, id_or_key: &str) -> StoreResult<Option<Experiment>> {
        let stmt = query!(
            &self.db,
            "SELECT config FROM experiments WHERE id = ?1 OR key = ?1 LIMIT 1",
            id_or_key
        )
        .map_err(backend)?;
        let row: Option<ConfigRow> = stmt.first(None).await.map_err(backend)?;
        Ok(parse(row.into_iter().collect())?.pop())
    }

    async fn experiments(&self, status: Option<Status>) -> StoreResult<Vec<Experiment>> {
        let stmt = match status {
            Some(s) => query!(
                &self.db,
                "SELECT config FROM experiments WHERE status = ?1 ORDER BY created_at DESC, id",
                s.as_str()
            )
            .map_err(backend)?,
            None => query!(
                &self.db,
                "SELECT config FROM experiments ORDER BY created_at DESC, id"
            ),
        };
        parse(
            stmt.all()
                .await
                .map_err(backend)?
                .results()
                .map_err(backend)?,
        )
    }

    async fn insert_experiment(&self, e: &Experiment) -> StoreResult<()> {
        let config = serde_json::to_string(e).map_err(backend)?;
        let now = e.updated_at.unwrap_or(0);
        query!(
            &self.db,
            "INSERT INTO experiments (id, key, name, status, config, created_at, updated_at, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &e.id, &e.key, &e.name, e.status.as_str(), &config, e.created_at.unwrap_or(now), now, e.version as f64
        )
        .map_err(backend)?
        .run()
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn update_experiment(&self, e: &Experiment, read_version: u64) -> StoreResult<()> {
        let config = serde_json::to_string(e).map_err(backend)?;
        // Conditional on the revision the change was based on: a concurrent writer that got
        // there first makes this match no row. A live experiment with a layer range is also
        // conditional on no other live experiment holding an overlapping range of that
        // layer (`LayerRange::overlaps`: same name, start < other end, other start < end),
        // checked in the same statement, so two concurrent starts cannot both pass the
        // service's check (D1 runs one write at a time).
        let mut sql = String::from(
            "UPDATE experiments SET key = ?2, name = ?3, status = ?4, config = ?5, updated_at = ?6, version = ?7
             WHERE id = ?1 AND version = ?8",
        );
        let mut values: Vec<JsValue> = vec![
            e.id.as_str().into(),
            e.key.as_str().into(),
            e.name.as_str().into(),
            e.status.as_str().into(),
            config.as_str().into(),
            (e.updated_at.unwrap_or(0) as f64).into(),
            (e.version as f64).into(),
            (read_version as f64).into(),
        ];
        if let Some(range) = e
            .layer
            .as_ref()
            .filter(|_| matches!(e.status, Status::Running | Status::Paused))
        {
            sql.push_str(
                " AND NOT EXISTS (SELECT 1 FROM experiments o WHERE o.id != ?1
                   AND o.status IN ('running', 'paused')
                   AND json_extract(o.config, '$.layer.name') = ?9
                   AND ?10 < json_extract(o.config, '$.layer.end')
                   AND json_extract(o.config, '$.layer.start') < ?11)",
            );
            values.push(range.name.as_str().into());
            values.push(range.start.into());
            values.push(range.end.into());
        }
        if self.run_one(sql, &values).await? == 0 {
            return Err(StoreError::Stale(format!(
                "experiment '{}' changed since revision {read_version}, or a live experiment took an overlapping layer range",
                e.id
            )));
        }
        Ok(())
    }

    async fn delete_experiment(&self, experiment: &Experiment) -> StoreResult<bool> {
        // The shards first: if D1 then fails, the experiment is still listed (and can be
        // deleted again) rather than gone with its data left behind.
        self.plane.clear(experiment).await?;
        let id = experiment.id.as_str();
        let results = self
            .run_batch(vec![
                // Rows of the single-database layout, until `make migrate` has moved them.
                query!(&self.db, "DELETE FROM events WHERE experiment_id = ?1", id)
                    .map_err(backend)?,
                query!(
                    &self.db,
                    "DELETE FROM assignments WHERE experiment_id = ?1",
                    id
                )
                .map_err(backend)?,
                query!(&self.db, "DELETE FROM experiments WHERE id = ?1", id).map_err(backend)?,
            ])
            .await?;
        let changed = results
            .last()
            .and_then(|r| r.meta().ok().flatten())
            .and_then(|m| m.changes)
            .unwrap_or(0);
        Ok(changed > 0)
    }

    async fn record_exposures(
        &self,
        experiment: &Experiment,
        exposures: &[Exposure],
    ) -> StoreResult<Exposed> {
        if exposures.is_empty() {
            return Ok(Exposed::default());
        }
        let units = exposures
            .iter()
            .map(|x| UnitExposure {
                user_id: x.user_id.clone(),
                variant: x.variant.clone(),
                reason: x.reason.clone(),
                at: x.at,
                context: x.context.clone(),
            })
            .collect();
        self.plane.expose(experiment, units).await
    }

    async fn exposure(
        &self,
        experiment: &Experiment,
        user_id: &str,
    ) -> StoreResult<Option<String>> {
        let mut found = self
            .plane
            .variants(experiment, vec![user_id.to_string()])
            .await?;
        Ok(found.pop().flatten())
    }

    async fn record_events(
        &self,
        experiment: &Experiment,
        events: &[EventRecord],
    ) -> StoreResult<Vec<Tracked>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let units = events
            .iter()
            .map(|e| UnitEvent {
                event_id: e.event_id.clone(),
                user_id: e.user_id.clone(),
                event_name: e.event_name.clone(),
                value: e.value,
                at: e.at,
                metadata: e.metadata.clone(),
            })
            .collect();
        self.plane.track(experiment, units).await
    }

    async fn exposures_of(
        &self,
        experiment: &Experiment,
        user_ids: &[String],
    ) -> StoreResult<Vec<Option<Exposure>>> {
        let found = self.plane.exposures(experiment, user_ids.to_vec()).await?;
        Ok(found
            .into_iter()
            .map(|x| {
                x.map(|x| Exposure {
                    experiment_id: experiment.id.clone(),
                    user_id: x.user_id,
                    variant: x.variant,
                    reason: x.reason,
                    at: x.at,
                    context: x.context,
                })
            })
            .collect())
    }

    async fn events(
        &self,
        experiment: &Experiment,
        filter: &EventFilter,
    ) -> StoreResult<Vec<EventRecord>> {
        let rows = self.plane.events(experiment, filter).await?;
        Ok(rows
            .into_iter()
            .map(|r| EventRecord {
                event_id: r.event_id,
                experiment_id: experiment.id.clone(),
                user_id: r.user_id,
                variant: r.variant,
                event_name: r.metric,
                value: r.value,
                at: r.at,
                metadata: r.metadata,
            })
            .collect())
    }

    async fn record_analysis(&self, run: &AnalysisRun) -> StoreResult<()> {
        self.upsert_analysis(run).await
    }

    async fn assignment_counts(&self) -> StoreResult<Vec<(String, String, u64)>> {
        self.count_assignments().await
    }

    async fn metrics(&self) -> StoreResult<MetricsData> {
        self.read_metrics().await
    }

    async fn forget_unit(
        &self,
        experiments: &[Experiment],
        user_id: &str,
    ) -> StoreResult<UnitForgotten> {
        let forgotten = futures_util::future::try_join_all(
            experiments.iter().map(|e| self.plane.forget(e, user_id)),
        )
        .await?;
        #[derive(Deserialize)]
        struct Name {
            name: String,
        }
        let holdouts: Vec<String> = query!(&self.db, "SELECT name FROM holdouts")
            .all()
            .await
            .map_err(backend)?
            .results::<Name>()
            .map_err(backend)?
            .into_iter()
            .map(|h| h.name)
            .collect();
        let holdout_rows = self.forget_in_holdouts(&holdouts, user_id).await?;
        Ok(UnitForgotten {
            experiments: forgotten.iter().filter(|f| f.exposed).count() as u64,
            events: forgotten.iter().map(|f| f.events).sum(),
            holdout_rows,
        })
    }

    async fn aggregates(&self, experiment: &Experiment, metric: &str) -> StoreResult<ArmStats> {
        let (arms, rows_read) = self.plane.stats(experiment, metric).await?;
        Ok(ArmStats { arms, rows_read })
    }

    async fn segment_aggregates(
        &self,
        experiment: &Experiment,
        metric: &str,
        json_path: &str,
    ) -> StoreResult<Vec<(Option<String>, VariantAggregate)>> {
        self.plane.segments(experiment, metric, json_path).await
    }

    async fn record_holdout_members(&self, members: &[HoldoutMember]) -> StoreResult<()> {
        self.expose_holdout_members(members).await
    }

    async fn holdout_memberships(
        &self,
        holdouts: &[&str],
        user_ids: &[&str],
    ) -> StoreResult<Vec<(String, String)>> {
        self.holdout_members_among(holdouts, user_ids).await
    }

    async fn record_holdout_events(&self, events: &[HoldoutEvent]) -> StoreResult<Vec<bool>> {
        self.track_holdout_events(events).await
    }

    async fn holdout_aggregates(
        &self,
        holdout: &str,
        metric: &str,
    ) -> StoreResult<Vec<VariantAggregate>> {
        self.holdout_arm_stats(holdout, metric).await
    }

    async fn clear_holdout(&self, holdout: &str) -> StoreResult<()> {
        self.clear_holdout_data(holdout).await
    }

    async fn catalog(&self, kind: Catalog) -> StoreResult<Vec<String>> {
        let sql = format!("SELECT config FROM {} ORDER BY name", kind.table());
        let rows: Vec<ConfigRow> = self
            .db
            .prepare(sql)
            .all()
            .await
            .map_err(backend)?
            .results()
            .map_err(backend)?;
        Ok(rows.into_iter().map(|r| r.config).collect())
    }

    async fn audience(&self) -> StoreResult<(Vec<String>, Vec<String>)> {
        let kinds = [Catalog::Holdouts, Catalog::Groups];
        let statements = kinds
            .iter()
            .map(|k| {
                self.db
                    .prepare(format!("SELECT config FROM {} ORDER BY name", k.table()))
            })
            .collect();
        let mut lists = Vec::with_capacity(2);
        for result in self.run_batch(statements).await? {
            let rows: Vec<ConfigRow> = result.results().map_err(backend)?;
            lists.push(rows.into_iter().map(|r| r.config).collect::<Vec<_>>());
        }
        let groups = lists.pop().unwrap_or_default();
        let holdouts = lists.pop().unwrap_or_default();
        Ok((holdouts, groups))
    }

    async fn put_catalog(
        &self,
        kind: Catalog,
        name: &str,
        config: &str,
        now: i64,
    ) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO {} (name, config, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at",
            kind.table()
        );
        let values: [JsValue; 3] = [name.into(), config.into(), (now as f64).into()];
        self.run_one(sql, &values).await?;
        Ok(())
    }

    async fn delete_catalog(&self, kind: Catalog, name: &str) -> StoreResult<bool> {
        let sql = format!("DELETE FROM {} WHERE name = ?1", kind.table());
        Ok(self.run_one(sql, &[name.into()]).await? > 0)
    }
}
