//! The experiment API: CRUD, lifecycle and statistics (admin; the dispatcher has checked
//! the token before any of these runs).

use super::{Call, call::json, publish, query_as_json, store};
use crate::error::ApiResult;
use crate::host::WorkerHost;
use crate::service::{experiments, progress as progress_service, stats as stats_service};
use crate::store::Store;
use cleave_core::model::{Action, Experiment};
use worker::{Env, Response};

/// `GET /api/v1/experiments?status=`.
pub async fn list(c: Call) -> ApiResult<Response> {
    let status = c.req.url().ok().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "status")
            .map(|(_, v)| v.into_owned())
    });
    json(
        200,
        &experiments::list(&store(&c.env)?, status.as_deref()).await?,
    )
}

/// `POST /api/v1/experiments`.
pub async fn create(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let e = create_published(&c.env, &body, experiments::Dialect::V1).await?;
    json(201, &e)
}

/// `GET /api/v1/progress`.
pub async fn progress(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    let all = store.experiments(None).await?;
    let counts = store.assignment_counts().await?;
    json(200, &progress_service::compute(&all, &counts))
}

/// `GET /api/v1/experiments/{id}`, with its revision as `ETag`.
pub async fn get(c: Call) -> ApiResult<Response> {
    versioned(&experiments::load(&store(&c.env)?, c.param("id")).await?)
}

/// `PUT /api/v1/experiments/{id}` (honours `If-Match`).
pub async fn update(mut c: Call) -> ApiResult<Response> {
    let if_match = c.header("if-match");
    let body = c.body().await?;
    let store = store(&c.env)?;
    let e = experiments::update(
        &store,
        &WorkerHost,
        c.param("id"),
        &body,
        if_match.as_deref(),
    )
    .await?;
    publish(&c.env, &store).await;
    versioned(&e)
}

/// An experiment as JSON with its revision as `ETag`.
pub(super) fn versioned(e: &Experiment) -> ApiResult<Response> {
    let mut response = json(200, e)?;
    response.headers_mut().set("etag", &experiments::etag(e))?;
    Ok(response)
}

/// `DELETE /api/v1/experiments/{id}`.
pub async fn delete(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    let e = experiments::delete(&store, c.param("id")).await?;
    publish(&c.env, &store).await;
    json(
        200,
        &Deleted {
            deleted: true,
            id: e.id,
        },
    )
}

/// The answer to a delete.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deleted {
    /// Always `true`.
    pub deleted: bool,
    /// The id of the experiment deleted.
    pub id: String,
}

/// `GET /api/v1/experiments/{id}/stats?metric=&alpha=&correction=&metric_type=`.
pub async fn stats(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    let e = experiments::load(&store, c.param("id")).await?;
    let q: stats_service::StatsQuery =
        crate::service::input::json_body(&query_as_json(&c.query(), &["alpha"]))?;
    let viewed = stats_service::view(&store, &WorkerHost, &e, q).await?;
    if let Err(err) = viewed.recorded {
        worker::console_error!("recording the analysis run failed: {err}");
    }
    let mut response = json(200, &viewed.response)?;
    response
        .headers_mut()
        .set("x-cleave-rows-read", &viewed.response.rows_read.to_string())?;
    Ok(response)
}

/// `POST /api/v1/experiments/{id}/start`.
pub async fn start(c: Call) -> ApiResult<Response> {
    lifecycle(c, Action::Start).await
}
/// `POST /api/v1/experiments/{id}/pause`.
pub async fn pause(c: Call) -> ApiResult<Response> {
    lifecycle(c, Action::Pause).await
}
/// `POST /api/v1/experiments/{id}/resume`.
pub async fn resume(c: Call) -> ApiResult<Response> {
    lifecycle(c, Action::Resume).await
}
/// `POST /api/v1/experiments/{id}/stop`.
pub async fn stop(c: Call) -> ApiResult<Response> {
    lifecycle(c, Action::Stop).await
}
/// `POST /api/v1/experiments/{id}/archive`.
pub async fn archive(c: Call) -> ApiResult<Response> {
    lifecycle(c, Action::Archive).await
}

async fn lifecycle(c: Call, action: Action) -> ApiResult<Response> {
    let if_match = c.header("if-match");
    versioned(&transition_published(&c.env, c.param("id"), action, if_match.as_deref()).await?)
}

/// Creates an experiment in the given dialect and republishes the snapshot.
pub(super) async fn create_published(
    env: &Env,
    body: &[u8],
    dialect: experiments::Dialect,
) -> ApiResult<Experiment> {
    let store = store(env)?;
    let e = experiments::create(&store, &WorkerHost, body, dialect).await?;
    publish(env, &store).await;
    Ok(e)
}

/// Applies a lifecycle action (if `if_match` names the current revision, when given) and
/// republishes the snapshot.
pub(super) async fn transition_published(
    env: &Env,
    id: &str,
    action: Action,
    if_match: Option<&str>,
) -> ApiResult<Experiment> {
    let store = store(env)?;
    let e = experiments::transition(&store, &WorkerHost, id, action, if_match).await?;
    publish(env, &store).await;
    Ok(e)
}
