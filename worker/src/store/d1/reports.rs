//! The D1 queries behind analysis and monitoring: per-variant aggregates, `/metrics`,
//! assignment counts and the latest analysis runs.

use super::{D1Store, backend};
use crate::store::{AnalysisRun, MetricsData, StoreError, StoreResult, VariantAggregate};
use serde::Deserialize;
use worker::query;

/// Exposed users per (experiment, variant): `/metrics` and `/api/v1/progress`.
const ASSIGNMENT_COUNTS: &str =
    "SELECT experiment_id, variant, COUNT(*) AS n FROM assignments GROUP BY experiment_id, variant";

impl D1Store {
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

    /// Exposed users per (experiment id, variant).
    pub(super) async fn count_assignments(&self) -> StoreResult<Vec<(String, String, u64)>> {
        #[derive(Deserialize)]
        struct Row {
            experiment_id: String,
            variant: String,
            n: u64,
        }
        let rows = query!(&self.db, ASSIGNMENT_COUNTS)
            .all()
            .await
            .map_err(backend)?
            .results::<Row>()
            .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|r| (r.experiment_id, r.variant, r.n))
            .collect())
    }

    /// Everything `/metrics` reports, in one batch.
    pub(super) async fn read_metrics(&self) -> StoreResult<MetricsData> {
        #[derive(Deserialize)]
        struct StatusRow {
            status: String,
            n: u64,
        }
        #[derive(Deserialize)]
        struct AssignmentRow {
            experiment_id: String,
            variant: String,
            n: u64,
        }
        #[derive(Deserialize)]
        struct EventRow {
            experiment_id: String,
            variant: String,
            event_name: String,
            n: u64,
        }
        let results = self
            .run_batch(vec![
                query!(&self.db, "SELECT status, COUNT(*) AS n FROM experiments GROUP BY status"),
                query!(&self.db, ASSIGNMENT_COUNTS),
                query!(
                    &self.db,
                    "SELECT experiment_id, variant, event_name, COUNT(*) AS n FROM events GROUP BY experiment_id, variant, event_name"
                ),
                query!(&self.db, "SELECT experiment_id, metric, analyzed_at, duration_seconds, significant_results, p_value FROM analysis_runs"),
            ])
            .await?;
        let [statuses, assignments, events, analyses] = results.as_slice() else {
            return Err(StoreError::Backend(
                "metrics batch returned an unexpected number of results".into(),
            ));
        };
        Ok(MetricsData {
            experiments_by_status: statuses
                .results::<StatusRow>()
                .map_err(backend)?
                .into_iter()
                .map(|r| (r.status, r.n))
                .collect(),
            assignments: assignments
                .results::<AssignmentRow>()
                .map_err(backend)?
                .into_iter()
                .map(|r| (r.experiment_id, r.variant, r.n))
                .collect(),
            events: events
                .results::<EventRow>()
                .map_err(backend)?
                .into_iter()
                .map(|r| (r.experiment_id, r.variant, r.event_name, r.n))
                .collect(),
            analyses: analyses.results::<AnalysisRun>().map_err(backend)?,
        })
    }

    /// Per-variant aggregates of one metric over exposed users.
    pub(super) async fn read_aggregates(
        &self,
        experiment_id: &str,
        metric: &str,
    ) -> StoreResult<Vec<VariantAggregate>> {
        #[derive(Deserialize)]
        struct Users {
            variant: String,
            users: u64,
        }
        // A sum SQLite computes as ±∞ (values stored before they were limited) comes back
        // as JSON null: read it as NaN, so the analysis can refuse that one metric.
        #[derive(Deserialize)]
        struct Values {
            variant: String,
            converters: u64,
            sum: Option<f64>,
            sum_sq: Option<f64>,
        }
        // Two index-only scans: exposed users per variant, and per-user totals of the
        // metric (events carry their user's variant, so no join is needed).
        let results = self
            .run_batch(vec![
                query!(&self.db, "SELECT variant, COUNT(*) AS users FROM assignments WHERE experiment_id = ?1 GROUP BY variant", experiment_id)
                    .map_err(backend)?,
                query!(
                    &self.db,
                    "SELECT variant, COUNT(*) AS converters, SUM(total) AS sum, SUM(total * total) AS sum_sq
                     FROM (SELECT variant, user_id, SUM(value) AS total FROM events
                           WHERE experiment_id = ?1 AND event_name = ?2 GROUP BY variant, user_id)
                     GROUP BY variant",
                    experiment_id,
                    metric
                )
                .map_err(backend)?,
            ])
            .await?;
        let [users, values] = results.as_slice() else {
            return Err(StoreError::Backend(
                "aggregate batch returned an unexpected number of results".into(),
            ));
        };
        let values: Vec<Values> = values.results().map_err(backend)?;
        Ok(users
            .results::<Users>()
            .map_err(backend)?
            .into_iter()
            .map(|u| {
                let v = values.iter().find(|v| v.variant == u.variant);
                VariantAggregate {
                    variant: u.variant,
                    users: u.users,
                    converters: v.map_or(0, |v| v.converters),
                    sum: v.map_or(0.0, |v| v.sum.unwrap_or(f64::NAN)),
                    sum_sq: v.map_or(0.0, |v| v.sum_sq.unwrap_or(f64::NAN)),
                }
            })
            .collect())
    }

    pub(super) async fn read_segment_aggregates(
        &self,
        experiment_id: &str,
        metric: &str,
        json_path: &str,
    ) -> StoreResult<Vec<(Option<String>, VariantAggregate)>> {
        #[derive(Deserialize)]
        struct Users {
            segment: Option<String>,
            variant: String,
            users: u64,
        }
        #[derive(Deserialize)]
        struct Values {
            segment: Option<String>,
            variant: String,
            converters: u64,
            sum: Option<f64>,
            sum_sq: Option<f64>,
        }
        // `->` gives the value's JSON text (strings quoted), the same form the memory store
        // uses; events carry no context, so the per-user totals join their exposures.
        let results = self
            .run_batch(vec![
                query!(&self.db, "SELECT context -> ?2 AS segment, variant, COUNT(*) AS users FROM assignments WHERE experiment_id = ?1 GROUP BY segment, variant", experiment_id, json_path)
                    .map_err(backend)?,
                query!(
                    &self.db,
                    "SELECT a.segment AS segment, e.variant AS variant, COUNT(*) AS converters,
                            SUM(e.total) AS sum, SUM(e.total * e.total) AS sum_sq
                     FROM (SELECT variant, user_id, SUM(value) AS total FROM events
                           WHERE experiment_id = ?1 AND event_name = ?2 GROUP BY variant, user_id) e
                     JOIN (SELECT user_id, context -> ?3 AS segment FROM assignments WHERE experiment_id = ?1) a
                       ON a.user_id = e.user_id
                     GROUP BY a.segment, e.variant",
                    experiment_id,
                    metric,
                    json_path
                )
                .map_err(backend)?,
            ])
            .await?;
        let [users, values] = results.as_slice() else {
            return Err(StoreError::Backend(
                "segment batch returned an unexpected number of results".into(),
            ));
        };
        let values: Vec<Values> = values.results().map_err(backend)?;
        Ok(users
            .results::<Users>()
            .map_err(backend)?
            .into_iter()
            .map(|u| {
                let v = values
                    .iter()
                    .find(|v| v.variant == u.variant && v.segment == u.segment);
                let aggregate = VariantAggregate {
                    variant: u.variant,
                    users: u.users,
                    converters: v.map_or(0, |v| v.converters),
                    sum: v.map_or(0.0, |v| v.sum.unwrap_or(f64::NAN)),
                    sum_sq: v.map_or(0.0, |v| v.sum_sq.unwrap_or(f64::NAN)),
                };
                (u.segment, aggregate)
            })
            .collect())
    }
}
