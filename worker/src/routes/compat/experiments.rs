//! The ab-testing-service API's experiments: listing, creation, changes, status and stats.

use crate::error::ApiResult;
use crate::host::WorkerHost;
use crate::routes::experiments::{create_published, transition_published};
use crate::routes::{Call, call::json, publish, store};
use crate::service::compat::stats::{CONVERSION, IMPRESSION, compat_stats};
use crate::service::compat::{AbExperiment, experiment};
use crate::service::input::json_body;
use crate::service::{experiments, stats};
use crate::store::Store;
use cleave_core::analysis::MetricType;
use cleave_core::model::Experiment;
use worker::{Env, Response};

/// `GET /api/experiments?status=`: every experiment (or those of one of its statuses).
pub async fn list(c: Call) -> ApiResult<Response> {
    let status = c.req.url().ok().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "status")
            .map(|(_, v)| v.into_owned())
    });
    let status = match status.as_deref() {
        None => None,
        Some(name) => {
            Some(experiment::status_of(name).ok_or_else(|| experiment::unknown_status(name))?)
        }
    };
    let all = store(&c.env)?.experiments(status).await?;
    json(200, &all.iter().map(AbExperiment::from).collect::<Vec<_>>())
}

/// `POST /api/experiments`: a draft, or — with `"status": "active"` — created and started
/// in one call (a refused start, e.g. by a taken layer range, removes the draft again).
pub async fn create(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let (body, start) = experiment::create_body(&body)?;
    let e = create_published(&c.env, &body, experiments::Dialect::AbTestingService).await?;
    if !start {
        return json(201, &AbExperiment::from(&e));
    }
    match transition_published(&c.env, &e.id, cleave_core::model::Action::Start, None).await {
        Ok(started) => json(201, &AbExperiment::from(&started)),
        Err(refused) => {
            let store = store(&c.env)?;
            if let Err(err) = experiments::delete(&store, &e.id).await {
                worker::console_error!("removing the unstarted draft {} failed: {err:?}", e.id);
            }
            Err(refused)
        }
    }
}

/// `GET /api/experiments/{name}`.
pub async fn get(c: Call) -> ApiResult<Response> {
    let e = experiments::load(&store(&c.env)?, &c.decoded_param("name")?).await?;
    json(200, &AbExperiment::from(&e))
}

/// `PATCH /api/experiments/{name}`: the fields given change (its names), then a `status`
/// given moves the experiment there.
pub async fn patch(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let name = c.decoded_param("name")?;
    let (changes, status) = experiment::patch_body(&body)?;
    let store = store(&c.env)?;
    let mut e = experiments::load(&store, &name).await?;
    if changes != b"{}" {
        e = experiments::update(&store, &WorkerHost, &e.id, &changes, None).await?;
        publish(&c.env, &store).await;
    }
    if let Some(target) = status {
        e = move_to(&c.env, &e, target).await?;
    }
    json(200, &AbExperiment::from(&e))
}

/// `DELETE /api/experiments/{name}`: 204 (not while running or paused: stop it first).
pub async fn delete(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    experiments::delete(&store, &c.decoded_param("name")?).await?;
    publish(&c.env, &store).await;
    Ok(Response::empty()?.with_status(204))
}

/// The ab-testing-service API's status change.
#[derive(Debug, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusRequest {
    /// `draft`, `active` (= running), `paused`, `completed` (= stopped) or `archived`;
    /// Cleave's own names work too. Setting the current status again changes nothing.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(draft|active|running|paused|completed|stopped|archived)$")
    )]
    pub status: String,
}

/// Moves an experiment to a status by the lifecycle step that reaches it.
async fn move_to(
    env: &Env,
    e: &Experiment,
    target: cleave_core::model::Status,
) -> ApiResult<Experiment> {
    match experiments::action_towards(e.status, target)? {
        None => Ok(e.clone()),
        Some(action) => transition_published(env, &e.id, action, None).await,
    }
}

/// `POST /api/experiments/{name}/status` with `{"status": ...}`.
pub async fn status(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let wanted: StatusRequest = json_body(&body)?;
    let target = experiment::status_of(&wanted.status)
        .ok_or_else(|| experiment::unknown_status(&wanted.status))?;
    let current = experiments::load(&store(&c.env)?, &c.decoded_param("name")?).await?;
    json(
        200,
        &AbExperiment::from(&move_to(&c.env, &current, target).await?),
    )
}

/// `GET /api/experiments/{name}/stats`: counts and the analysis of conversions, per user.
pub async fn stats(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    let e = experiments::load(&store, &c.decoded_param("name")?).await?;
    let query = stats::StatsQuery {
        metric: Some(CONVERSION.to_string()),
        metric_type: Some(MetricType::Binary),
        ..stats::StatsQuery::default()
    };
    let (viewed, impressions) = futures_util::future::join(
        stats::view(&store, &WorkerHost, &e, query),
        store.aggregates(&e, IMPRESSION),
    )
    .await;
    let viewed = viewed?;
    if let Err(err) = viewed.recorded {
        worker::console_error!("recording the analysis run failed: {err}");
    }
    json(
        200,
        &compat_stats(&e, &viewed.response.report, &impressions?.arms),
    )
}
