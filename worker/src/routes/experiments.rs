//! The experiment API: CRUD, lifecycle and statistics (admin).

use super::{Routes, admin, param, publish, query_as_json, query_string, store};
use crate::error::{ApiError, ApiResult};
use crate::host::WorkerHost;
use crate::service::{Host, experiments, progress, stats};
use crate::store::{AnalysisRun, Store};
use cleave_core::model::Action;
use cleave_core::model::Experiment;
use worker::Env;

/// Adds this module's routes.
pub(super) fn routes(r: Routes) -> Routes {
    r.get_async("/api/v1/experiments", |req, c| async move {
        let status = req.url().ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "status")
                .map(|(_, v)| v.into_owned())
        });
        admin(&req, &c.env, async {
            Ok((
                200,
                experiments::list(&store(&c.env)?, status.as_deref()).await?,
            ))
        })
        .await
    })
    .post_async("/api/v1/experiments", |mut req, c| async move {
        let body = req.bytes().await?;
        admin(&req, &c.env, async {
            create_published(&c.env, &body, experiments::Dialect::Cleave).await
        })
        .await
    })
    .get_async("/api/v1/progress", |req, c| async move {
        admin(&req, &c.env, async {
            let store = store(&c.env)?;
            let all = store.experiments(None).await?;
            let counts = store.assignment_counts().await?;
            Ok((200, progress::compute(&all, &counts)))
        })
        .await
    })
    .get_async("/api/v1/experiments/:id", |req, c| async move {
        let id = param(&c, "id");
        admin(&req, &c.env, async {
            Ok((200, experiments::load(&store(&c.env)?, &id).await?))
        })
        .await
    })
    .put_async("/api/v1/experiments/:id", |mut req, c| async move {
        let id = param(&c, "id");
        let body = req.bytes().await?;
        admin(&req, &c.env, async {
            let store = store(&c.env)?;
            let e = experiments::update(&store, &WorkerHost, &id, &body).await?;
            publish(&c.env, &store).await;
            Ok((200, e))
        })
        .await
    })
    .delete_async("/api/v1/experiments/:id", |req, c| async move {
        let id = param(&c, "id");
        admin(&req, &c.env, async {
            let store = store(&c.env)?;
            let e = experiments::delete(&store, &id).await?;
            publish(&c.env, &store).await;
            Ok((200, serde_json::json!({"deleted": true, "id": e.id})))
        })
        .await
    })
    .get_async("/api/v1/experiments/:id/stats", |req, c| async move {
        let id = param(&c, "id");
        let query = query_string(&req);
        admin(&req, &c.env, async {
            let started = WorkerHost.now_ms();
            let store = store(&c.env)?;
            let e = experiments::load(&store, &id).await?;
            let q: stats::StatsQuery =
                crate::service::input::json_body(&query_as_json(&query, &["alpha"]))?;
            let response = stats::stats(&store, &e, q).await?;
            let run = AnalysisRun {
                experiment_id: e.id.clone(),
                metric: response.metric.clone(),
                analyzed_at: WorkerHost.now_ms(),
                duration_seconds: (WorkerHost.now_ms() - started) as f64 / 1000.0,
                significant_results: response
                    .report
                    .comparisons
                    .iter()
                    .filter(|c| c.significant)
                    .count() as u64,
                p_value: response.report.p_value,
            };
            if let Err(err) = store.record_analysis(&run).await {
                worker::console_error!("recording the analysis run failed: {err}");
            }
            Ok((200, response))
        })
        .await
    })
    .post_async("/api/v1/experiments/:id/:action", |req, c| async move {
        let id = param(&c, "id");
        let action_name = param(&c, "action");
        admin(&req, &c.env, async {
            let action = Action::parse(&action_name).ok_or_else(|| {
                ApiError::not_found(format!(
                    "no action '{action_name}' (start, pause, resume, stop, archive)"
                ))
            })?;
            transition_published(&c.env, &id, action).await
        })
        .await
    })
}

/// Creates an experiment in the given dialect and republishes the snapshot (201).
pub(super) async fn create_published(
    env: &Env,
    body: &[u8],
    dialect: experiments::Dialect,
) -> ApiResult<(u16, Experiment)> {
    let store = store(env)?;
    let e = experiments::create(&store, &WorkerHost, body, dialect).await?;
    publish(env, &store).await;
    Ok((201, e))
}

/// Applies a lifecycle action and republishes the snapshot (200).
pub(super) async fn transition_published(
    env: &Env,
    id: &str,
    action: Action,
) -> ApiResult<(u16, Experiment)> {
    let store = store(env)?;
    let e = experiments::transition(&store, &WorkerHost, id, action).await?;
    publish(env, &store).await;
    Ok((200, e))
}
