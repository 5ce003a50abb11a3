//! The data plane: assignment, tracking, batches and the snapshot (public or edge tokens).

use super::{Ctx, Routes, param, public, query_as_json, query_string, store};
use crate::auth::require;
use crate::error::{ApiError, ApiResult};
use crate::host::{WorkerHost, setting};
use crate::service::{Host, assign, batch, experiments, snapshot, track};
use worker::{Env, Request, Response, Result};

/// Adds this module's routes.
pub(super) fn routes(r: Routes) -> Routes {
    r.post_async("/api/v1/experiments/:id/assign", |mut req, c| async move {
        let id = param(&c, "id");
        let body = read_with_query(&mut req).await;
        public(&req, handle_assign(&c, &id, body).await)
    })
    .post_async("/api/v1/experiments/:id/track", |mut req, c| async move {
        let id = param(&c, "id");
        let body = read_with_query(&mut req).await;
        public(&req, handle_track(&c.env, &id, body).await)
    })
    .post_async("/api/v1/events/batch", |mut req, c| async move {
        let body = req.bytes().await?;
        crate::exposures::flush_now(&c.env).await;
        let result = async {
            Ok((
                200,
                batch::events(&store(&c.env)?, &WorkerHost, &body).await?,
            ))
        }
        .await;
        public(&req, result)
    })
    .post_async("/api/v1/exposures/batch", |mut req, c| async move {
        let body = req.bytes().await?;
        let result = async {
            Ok((
                200,
                batch::exposures(&store(&c.env)?, &WorkerHost, &body).await?,
            ))
        }
        .await;
        public(&req, result)
    })
    .get_async("/api/v1/snapshot", |req, c| async move {
        handle_snapshot(&req, &c.env).await
    })
}

/// The JSON body, or — when there is none — the Fawkes query-string form.
pub(super) async fn read_with_query(req: &mut Request) -> ApiResult<Vec<u8>> {
    let body = req
        .bytes()
        .await
        .map_err(|e| ApiError::bad_request("body", e.to_string()))?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        return Ok(body);
    }
    Ok(query_as_json(&query_string(req), &["value", "timestamp"]))
}

pub(super) async fn handle_assign(
    c: &Ctx,
    id: &str,
    body: ApiResult<Vec<u8>>,
) -> ApiResult<(u16, assign::AssignResponse)> {
    let req: assign::AssignRequest = crate::service::input::json_body(&body?)?;
    let now = WorkerHost.now_ms();
    // Running experiments come prepared with the cached snapshot; others (and keys given
    // as names) are read from D1, which answers not_running or 404.
    let published = crate::cache::snapshot(&c.env).await;
    let prepared = published.as_ref().and_then(|p| {
        p.prepared
            .iter()
            .find(|p| p.experiment.id == id || p.experiment.key == id)
    });
    let (response, exposure) = match prepared {
        Some(p) => assign::assign(&p.experiment, &p.allocation, &req.user_id, now)?,
        None => {
            let experiment = experiments::load(&store(&c.env)?, id).await?;
            let allocation = experiment
                .allocation()
                .map_err(|e| ApiError::invalid("variants", e.to_string()))?;
            assign::assign(&experiment, &allocation, &req.user_id, now)?
        }
    };
    if let Some(x) = exposure {
        crate::exposures::record(&c.env, &c.data, vec![x]);
    }
    Ok((200, response))
}

pub(super) async fn handle_track(
    env: &Env,
    id: &str,
    body: ApiResult<Vec<u8>>,
) -> ApiResult<(u16, track::TrackResponse)> {
    let req: track::TrackRequest = crate::service::input::json_body(&body?)?;
    crate::exposures::flush_now(env).await;
    let store = store(env)?;
    let experiment = experiments::load(&store, id).await?;
    Ok((
        200,
        track::track(&store, &WorkerHost, &experiment, req).await?,
    ))
}

pub(super) async fn handle_snapshot(req: &Request, env: &Env) -> Result<Response> {
    let auth = req.headers().get("authorization").ok().flatten();
    if let Err(e) = require(
        auth.as_deref(),
        &[setting(env, "ADMIN_TOKEN"), setting(env, "SNAPSHOT_TOKEN")],
        "snapshot",
    ) {
        return e.into_response();
    }
    let Some(published) = crate::cache::snapshot(env).await else {
        return ApiError::new(
            503,
            "snapshot_unavailable",
            "the snapshot could not be built",
        )
        .into_response();
    };
    let s = &published.snapshot;
    let if_none_match = req.headers().get("if-none-match").ok().flatten();
    let mut response = if snapshot::not_modified(if_none_match.as_deref(), s) {
        Response::empty()?.with_status(304)
    } else {
        Response::from_json(s)?
    };
    response.headers_mut().set("etag", &s.etag)?;
    response.headers_mut().set("cache-control", "no-cache")?;
    Ok(response)
}
