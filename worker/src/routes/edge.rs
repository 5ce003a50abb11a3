//! The data plane: assignment, tracking, batches (public, rate limited) and the snapshot
//! (edge token).

use super::{Call, call::json, query_as_json, store};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::host::WorkerHost;
use crate::outbox::Outbox;
use crate::service::{Host, assign, batch, experiments, snapshot as snapshot_service, track};
use crate::store::{CloudStore, Exposed, Store};
use cleave_core::model::Experiment;
use worker::{Env, Response};

/// `POST /api/v1/experiments/{id}/assign`.
pub async fn assign(mut c: Call) -> ApiResult<Response> {
    let body = body_or_query(&mut c).await?;
    let id = c.param("id").to_string();
    json(200, &handle_assign(&c.env, &c.outbox, &id, &body).await?)
}

/// `POST /api/v1/experiments/{id}/track`.
pub async fn track(mut c: Call) -> ApiResult<Response> {
    let body = body_or_query(&mut c).await?;
    json(
        200,
        &handle_track(&c.env, &c.outbox, c.param("id"), &body).await?,
    )
}

/// `POST /api/v1/events/batch`.
pub async fn events_batch(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    json(
        200,
        &batch::events(&store(&c.env)?, &WorkerHost, &body).await?,
    )
}

/// `POST /api/v1/exposures/batch` (forced exposures need the edge token).
pub async fn exposures_batch(mut c: Call) -> ApiResult<Response> {
    let trusted = super::policy::trusted_caller(&c.req, &c.env);
    let body = c.body().await?;
    // Gated experiments are decided with this isolate's Unleash toggles (when configured).
    let gates = crate::unleash::gates(crate::unleash::current(&c.env).await);
    json(
        200,
        &batch::exposures(&store(&c.env)?, &WorkerHost, &body, trusted, &gates).await?,
    )
}

/// `GET /api/v1/snapshot` with `ETag` / `If-None-Match`.
pub async fn snapshot(c: Call) -> ApiResult<Response> {
    let Some(published) = crate::cache::snapshot(&c.env).await else {
        return Err(ApiError::new(
            ErrorCode::SnapshotUnavailable,
            "the snapshot could not be built",
        ));
    };
    let s = &published.snapshot;
    let if_none_match = c.req.headers().get("if-none-match").ok().flatten();
    let mut response = if snapshot_service::not_modified(if_none_match.as_deref(), s) {
        Response::empty()?.with_status(304)
    } else {
        Response::from_json(s)?
    };
    response.headers_mut().set("etag", &s.etag)?;
    response.headers_mut().set("cache-control", "no-cache")?;
    Ok(response)
}

/// The JSON body, or — when there is none — the v1 API's query-string form.
async fn body_or_query(c: &mut Call) -> ApiResult<Vec<u8>> {
    let body = c.body().await?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        return Ok(body);
    }
    Ok(query_as_json(&c.query(), &["value", "timestamp"]))
}

/// Assigns the unit in `body` to experiment `id` (by id or key) and records its exposure
/// (and its holdout arms) durably before answering; 422 `population_full` for a new unit
/// of an experiment whose `total_population` is reached.
pub(super) async fn handle_assign(
    env: &Env,
    outbox: &Outbox,
    id: &str,
    body: &[u8],
) -> ApiResult<assign::AssignResponse> {
    let req: assign::AssignRequest = crate::service::input::json_body(body)?;
    // The bindings only (no I/O until a call needs it).
    let store = store(env)?;
    let (experiment, assigned) = decide(env, &store, id, &req).await?;
    if !record(&store, outbox, &experiment, &assigned)
        .await?
        .refused
        .is_empty()
    {
        return Err(assign::population_full(&experiment));
    }
    Ok(assigned.response)
}

/// Decides `req`'s unit for experiment `id` (by id or key), recording nothing.
///
/// Running experiments come prepared with the cached snapshot (with the holdouts and
/// groups they use); others (and keys given as names) are read from D1, which answers
/// not_running or 404.
pub(super) async fn decide(
    env: &Env,
    store: &CloudStore,
    id: &str,
    req: &assign::AssignRequest,
) -> ApiResult<(Experiment, assign::Assigned)> {
    let now = WorkerHost.now_ms();
    let published = crate::cache::snapshot(env).await;
    let prepared = published.as_ref().and_then(|p| {
        p.prepared
            .iter()
            .find(|p| p.experiment.id == id || p.experiment.key == id)
            .map(|prepared| (p, prepared))
    });
    if let Some((p, prepared)) = prepared {
        let assigned = assign::assign(
            &prepared.experiment,
            &prepared.allocation,
            prepared.targeting.as_ref(),
            req,
            &p.audience(),
            now,
        )?;
        return Ok((prepared.experiment.clone(), assigned));
    }
    let experiment = experiments::load(store, id).await?;
    let allocation = experiment
        .allocation()
        .map_err(|e| ApiError::invalid("variants", e.to_string()))?;
    // Not in this isolate's snapshot: not running (decided without holdouts or groups), or
    // started in the last seconds (decided with the stored ones).
    let (holdouts, groups) = if experiment.status == cleave_core::model::Status::Running {
        crate::service::audience::load(store).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let groups = crate::service::audience::groups_of(&groups);
    let regex = cleave_core::targeting::LiteRegex;
    let toggles = match experiment.gate {
        Some(_) => crate::unleash::current(env).await,
        None => None,
    };
    let gates = crate::unleash::gates(toggles);
    let config = assign::AudienceConfig {
        holdouts: &holdouts,
        groups: &groups,
        regex: &regex,
        gates: &gates,
    };
    let assigned = assign::assign(&experiment, &allocation, None, req, &config, now)?;
    Ok((experiment, assigned))
}

/// Records a decision's exposure and holdout arms durably (both in parallel): whether the
/// unit is new to the experiment (then announced to the integrations), or refused by its
/// `total_population` (nothing recorded).
pub(super) async fn record(
    store: &CloudStore,
    outbox: &Outbox,
    experiment: &Experiment,
    assigned: &assign::Assigned,
) -> ApiResult<Exposed> {
    let exposures: Vec<_> = assigned.exposure.iter().cloned().collect();
    if exposures.is_empty() && assigned.members.is_empty() {
        return Ok(Exposed::default());
    }
    let (written, members) = futures_util::future::join(
        store.record_exposures(experiment, &exposures),
        store.record_holdout_members(&assigned.members),
    )
    .await;
    members?;
    let exposed = written?;
    outbox.exposed(experiment, &exposures, &exposed);
    Ok(exposed)
}

/// Records the event in `body` for experiment `id` (by id or key).
pub(super) async fn handle_track(
    env: &Env,
    outbox: &Outbox,
    id: &str,
    body: &[u8],
) -> ApiResult<track::TrackResponse> {
    let req: track::TrackRequest = crate::service::input::json_body(body)?;
    let store = store(env)?;
    let experiment = experiments::load(&store, id).await?;
    let tracked = track::track(&store, &WorkerHost, &experiment, req).await?;
    outbox.tracked(&experiment, &tracked);
    Ok(tracked)
}
