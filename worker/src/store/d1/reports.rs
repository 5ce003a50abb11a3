//! The reports behind monitoring: `/metrics` and assignment counts (the experiments'
//! shards, merged) and the latest analysis runs (D1).

use super::{CloudStore, backend};
use crate::shard::protocol::ShardCounts;
use crate::store::{AnalysisRun, MetricsData, StoreError, StoreResult, experiments_with_data};
use cleave_core::model::Experiment;
use futures_util::future::try_join_all;
use serde::Deserialize;
use worker::query;

impl CloudStore {
    /// Stores the latest analysis of an experiment (replacing the previous one).
    pub(super) async fn upsert_analysis(&self, run: &AnalysisRun) -> StoreResult<()> {
        query!(
            &self.db,
            "INSERT INTO analysis_runs (experiment_id, metric, analyzed_at, duration_seconds, significant_results, p_value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (experiment_id) DO UPDATE SET metric = excluded.metric, analyzed_at = excluded.analyzed_at,
               duration_seconds = excluded.duration_seconds, significant_results = excluded.significant_results,
               p_value = excluded.p_value",
            &run.experiment_id, &run.metric, run.analyzed_at, run.duration_seconds, run.significant_results, run.p_value
        )
        .map_err(backend)?
        .run()
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// The counts of every experiment that can have data (drafts never do), from their
    /// shards, all in parallel.
    async fn shard_counts(&self) -> StoreResult<Vec<(Experiment, ShardCounts)>> {
        let experiments = experiments_with_data(self).await?;
        let counts = try_join_all(experiments.iter().map(|e| self.plane.counts(e))).await?;
        Ok(experiments.into_iter().zip(counts).collect())
    }

    /// Exposed users per (experiment id, variant).
    pub(super) async fn count_assignments(&self) -> StoreResult<Vec<(String, String, u64)>> {
        Ok(self
            .shard_counts()
            .await?
            .into_iter()
            .flat_map(|(e, c)| {
                c.units
                    .into_iter()
                    .map(move |(variant, n)| (e.id.clone(), variant, n))
            })
            .collect())
    }

    /// Everything `/metrics` reports: statuses and analyses from D1, counts from the shards.
    pub(super) async fn read_metrics(&self) -> StoreResult<MetricsData> {
        #[derive(Deserialize)]
        struct StatusRow {
            status: String,
            n: u64,
        }
        let results = self
            .run_batch(vec![
                query!(&self.db, "SELECT status, COUNT(*) AS n FROM experiments GROUP BY status"),
                query!(&self.db, "SELECT experiment_id, metric, analyzed_at, duration_seconds, significant_results, p_value FROM analysis_runs"),
            ])
            .await?;
        let [statuses, analyses] = results.as_slice() else {
            return Err(StoreError::Backend(
                "metrics batch returned an unexpected number of results".into(),
            ));
        };
        let mut data = MetricsData {
            experiments_by_status: statuses
                .results::<StatusRow>()
                .map_err(backend)?
                .into_iter()
                .map(|r| (r.status, r.n))
                .collect(),
            analyses: analyses.results::<AnalysisRun>().map_err(backend)?,
            ..MetricsData::default()
        };
        for (e, counts) in self.shard_counts().await? {
            for (variant, n) in counts.units {
                data.assignments.push((e.id.clone(), variant, n));
            }
            for (variant, metric, n) in counts.events {
                data.events.push((e.id.clone(), variant, metric, n));
            }
        }
        Ok(data)
    }
}
