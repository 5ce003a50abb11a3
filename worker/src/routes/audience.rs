//! Holdouts and saved groups (admin): list, read, create or replace by name, delete; and
//! the dry run of one experiment's decision. Every change republishes the snapshot.

use super::{Call, call::json, publish, store};
use crate::error::ApiResult;
use crate::host::WorkerHost;
use crate::service::audience::{self, Entry};
use crate::service::{evaluate as evaluate_service, experiments, holdout_results};
use cleave_core::model::{Holdout, SavedGroup};
use worker::Response;

async fn list_of<T: Entry>(c: Call) -> ApiResult<Response> {
    json(200, &audience::list::<T, _>(&store(&c.env)?).await?)
}

async fn get_of<T: Entry>(c: Call) -> ApiResult<Response> {
    json(
        200,
        &audience::get::<T, _>(&store(&c.env)?, c.param("name")).await?,
    )
}

async fn put_of<T: Entry>(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let store = store(&c.env)?;
    let (entry, _new) = audience::put::<T, _>(&store, &WorkerHost, c.param("name"), &body).await?;
    publish(&c.env, &store).await;
    json(200, &entry)
}

async fn delete_of<T: Entry>(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    let entry = audience::delete::<T, _>(&store, c.param("name")).await?;
    publish(&c.env, &store).await;
    json(200, &entry)
}

/// `GET /api/v1/holdouts`.
pub async fn list_holdouts(c: Call) -> ApiResult<Response> {
    list_of::<Holdout>(c).await
}
/// `GET /api/v1/holdouts/{name}`.
pub async fn get_holdout(c: Call) -> ApiResult<Response> {
    get_of::<Holdout>(c).await
}
/// `PUT /api/v1/holdouts/{name}`.
pub async fn put_holdout(c: Call) -> ApiResult<Response> {
    put_of::<Holdout>(c).await
}
/// `DELETE /api/v1/holdouts/{name}`.
pub async fn delete_holdout(c: Call) -> ApiResult<Response> {
    delete_of::<Holdout>(c).await
}
/// `GET /api/v1/holdouts/{name}/results`.
pub async fn holdout_results(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    let holdout = audience::get::<Holdout, _>(&store, c.param("name")).await?;
    let q: holdout_results::HoldoutResultsQuery =
        crate::service::input::json_body(&super::query_as_json(&c.query(), &["alpha"]))?;
    json(200, &holdout_results::results(&store, &holdout, q).await?)
}
/// `GET /api/v1/groups`.
pub async fn list_groups(c: Call) -> ApiResult<Response> {
    list_of::<SavedGroup>(c).await
}
/// `GET /api/v1/groups/{name}`.
pub async fn get_group(c: Call) -> ApiResult<Response> {
    get_of::<SavedGroup>(c).await
}
/// `PUT /api/v1/groups/{name}`.
pub async fn put_group(c: Call) -> ApiResult<Response> {
    put_of::<SavedGroup>(c).await
}
/// `DELETE /api/v1/groups/{name}`.
pub async fn delete_group(c: Call) -> ApiResult<Response> {
    delete_of::<SavedGroup>(c).await
}

/// `POST /api/v1/experiments/{id}/evaluate`: the dry run.
pub async fn evaluate(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let req: evaluate_service::EvaluateRequest = crate::service::input::json_body(&body)?;
    let store = store(&c.env)?;
    let e = experiments::load(&store, c.param("id")).await?;
    let toggles = match e.gate {
        Some(_) => crate::unleash::current(&c.env).await,
        None => None,
    };
    let gates = crate::unleash::gates(toggles);
    json(
        200,
        &evaluate_service::evaluate(&store, &e, &req, &gates).await?,
    )
}

/// `POST /api/v1/targeting/check`: the core's verdict on a condition.
pub async fn check_targeting(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let req: evaluate_service::CheckRequest = crate::service::input::json_body(&body)?;
    json(200, &evaluate_service::check(&req)?)
}
