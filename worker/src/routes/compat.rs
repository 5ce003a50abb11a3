//! The compatibility API for ab-testing-service clients (`/api/...`): its paths, field
//! names, statuses and `{"detail": …}` errors (rendered by the dispatcher for this
//! section), over the same decisions, stores and analysis as the v1 API.

use super::edge::{announce_event, decide, record};
use super::experiments::{create_published, transition_published};
use super::{Call, call::json, publish, query_as_json, store};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::host::WorkerHost;
use crate::outbox::Outbox;
use crate::service::compat::assignments::SubjectRequest;
use crate::service::compat::events::variant_mismatch;
use crate::service::compat::stats::{CONVERSION, IMPRESSION, compat_stats};
use crate::service::compat::{
    AbAssignment, AbEvent, AbEventRequest, AbExperiment, BulkRequest, EventsQuery, experiment,
    time::iso,
};
use crate::service::input::json_body;
use crate::service::{Host, assign, experiments, stats, track};
use crate::store::{CloudStore, Store, experiments_with_data};
use cleave_core::analysis::MetricType;
use cleave_core::model::Experiment;
use futures_util::future::try_join_all;
use worker::{Env, Response};

/// `GET /api/health`: the health checks in its shape (`{"status": "healthy" |
/// "unhealthy", …}`), 200 or 503.
pub async fn health(c: Call) -> ApiResult<Response> {
    let report = crate::health::check(&c.env).await;
    let healthy = report.status == "ok";
    let body = crate::health::CompatHealth {
        status: if healthy { "healthy" } else { "unhealthy" },
        service: "cleave",
        version: report.version,
        checks: report.checks,
    };
    Ok(Response::from_json(&body)?.with_status(if healthy { 200 } else { 503 }))
}

/// `GET /api/docs`: the API reference (Swagger UI at `/docs/`, opened at this section).
pub async fn docs(_c: Call) -> ApiResult<Response> {
    let mut response = Response::empty()?.with_status(302);
    response
        .headers_mut()
        .set("location", "/docs/#/compatibility")?;
    Ok(response)
}

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

/// Decides and records one unit for one experiment: its assignment in the API's terms
/// (the first exposure's variant and time), with the experiment.
async fn assign_one(
    env: &Env,
    outbox: &Outbox,
    store: &CloudStore,
    subject: &SubjectRequest,
) -> ApiResult<(Experiment, AbAssignment)> {
    let req = subject.assign_request();
    let (e, assigned) = decide(env, store, &subject.experiment_id, &req)
        .await
        .map_err(as_subject)?;
    let exposed = record(store, outbox, &e, &assigned).await?;
    if !exposed.refused.is_empty() {
        return Err(assign::population_full(&e));
    }
    let Some(x) = &assigned.exposure else {
        let reason = assigned.response.reason;
        return Ok((
            e.clone(),
            AbAssignment::outside(&e.name, &subject.subid, reason),
        ));
    };
    if exposed.new.contains(&x.user_id) {
        let a = AbAssignment::recorded(&e.name, x);
        return Ok((e, a));
    }
    // Exposed before: the first exposure's variant and time are the unit's.
    let stored = store
        .exposures_of(&e, std::slice::from_ref(&x.user_id))
        .await?
        .pop()
        .flatten();
    let a = AbAssignment::recorded(&e.name, stored.as_ref().unwrap_or(x));
    Ok((e, a))
}

/// Errors about the unit named in its terms (`subid` for `user_id`, `event_type` for
/// `event_name`).
fn as_subject(mut e: ApiError) -> ApiError {
    e.field = e.field.map(|f| match f.as_str() {
        "user_id" => "subid".to_string(),
        "event_name" => "event_type".to_string(),
        _ => f,
    });
    e
}

/// `{subid, experiment_id}` (and `context`) from a JSON body or, when the body is empty,
/// the query string.
fn subject(body: &[u8], query: &str) -> ApiResult<SubjectRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        json_body(&query_as_json(query, &[]))
    } else {
        json_body(body)
    }
}

/// `POST /api/assignments/get` with `{subid, experiment_id}`.
pub async fn assignment(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let subject = subject(&body, &c.query())?;
    let (_, a) = assign_one(&c.env, &c.outbox, &store(&c.env)?, &subject).await?;
    json(200, &a)
}

/// `POST /api/assignments/bulk` with `{subid, experiment_ids}`: a map by experiment (as
/// named in the request) of its assignments, experiments in parallel.
pub async fn bulk(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let req: BulkRequest = json_body(&body)?;
    req.check()?;
    let store = store(&c.env)?;
    let subjects: Vec<SubjectRequest> = req
        .experiment_ids
        .iter()
        .map(|id| req.subject(id))
        .collect();
    let answers = try_join_all(subjects.iter().enumerate().map(|(i, s)| {
        let store = &store;
        let (env, outbox) = (&c.env, &c.outbox);
        async move {
            assign_one(env, outbox, store, s).await.map_err(|mut e| {
                if e.code == ErrorCode::NotFound {
                    e.field = Some(format!("experiment_ids[{i}]"));
                }
                e
            })
        }
    }))
    .await?;
    let mut map = serde_json::Map::new();
    for (s, (_, a)) in subjects.iter().zip(answers) {
        map.insert(
            s.experiment_id.clone(),
            serde_json::to_value(a).unwrap_or_default(),
        );
    }
    json(200, &map)
}

/// `GET /api/assignments/user/{subid}`: every experiment the unit was exposed to.
pub async fn user_assignments(c: Call) -> ApiResult<Response> {
    let subid = c.decoded_param("subid")?;
    crate::service::input::identifier("subid", &subid)?;
    let store = store(&c.env)?;
    let all = experiments_with_data(&store).await?;
    let ids = [subid];
    let found = try_join_all(all.iter().map(|e| store.exposures_of(e, &ids))).await?;
    let assignments: Vec<AbAssignment> = all
        .iter()
        .zip(found)
        .filter_map(|(e, mut x)| {
            x.pop()
                .flatten()
                .map(|x| AbAssignment::recorded(&e.name, &x))
        })
        .collect();
    json(200, &assignments)
}

/// `GET /api/assignments/{subid}/{experiment_id}`: the unit's recorded assignment (404 when
/// it has none; this never assigns).
pub async fn lookup(c: Call) -> ApiResult<Response> {
    let subid = c.decoded_param("subid")?;
    crate::service::input::identifier("subid", &subid)?;
    let store = store(&c.env)?;
    let e = experiments::load(&store, &c.decoded_param("experiment_id")?).await?;
    let found = store
        .exposures_of(&e, std::slice::from_ref(&subid))
        .await?
        .pop()
        .flatten();
    match found {
        Some(x) => json(200, &AbAssignment::recorded(&e.name, &x)),
        None => Err(ApiError::not_found(format!(
            "'{subid}' has no assignment in experiment '{}'",
            e.name
        ))
        .with_field("subid")),
    }
}

/// Records one event of the unit (an impression first records the unit's exposure); the
/// event in the API's terms.
async fn record_event(env: &Env, outbox: &Outbox, req: AbEventRequest) -> ApiResult<AbEvent> {
    let store = store(env)?;
    let experiment = if req.is_impression() {
        let subject = SubjectRequest {
            subid: req.subid.clone(),
            experiment_id: req.experiment_id.clone(),
            context: None,
        };
        let (e, a) = assign_one(env, outbox, &store, &subject).await?;
        if a.variant.is_none() {
            return Err(not_in_experiment(&e, &req.subid, &a.reason));
        }
        e
    } else {
        experiments::load(&store, &req.experiment_id).await?
    };
    if let Some(sent) = &req.variant {
        let stored = store
            .exposures_of(&experiment, std::slice::from_ref(&req.subid))
            .await?
            .pop()
            .flatten();
        if stored.as_ref().is_some_and(|x| x.variant != *sent) {
            return Err(variant_mismatch(sent));
        }
    }
    let tracked = track::track(&store, &WorkerHost, &experiment, req.track_request())
        .await
        .map_err(as_subject)?;
    if !req.is_impression() {
        // An impression's exposure was announced already.
        announce_event(outbox, &experiment, &tracked);
    }
    Ok(AbEvent {
        experiment_id: experiment.name.clone(),
        subid: tracked.user_id,
        event_type: tracked.event_name,
        variant: tracked.variant.unwrap_or_default(),
        value: tracked.value,
        timestamp: iso(WorkerHost.now_ms()),
        event_id: tracked.event_id,
        metadata: req.metadata.map(serde_json::Value::Object),
        recorded: Some(tracked.recorded),
    })
}

/// The 409 for an event of a unit the experiment does not take (not targeted, outside the
/// traffic, held out, …).
fn not_in_experiment(e: &Experiment, subid: &str, reason: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotAssigned,
        format!(
            "'{subid}' is not in experiment '{}' ({reason}): nothing to count",
            e.name
        ),
    )
    .with_field("subid")
}

/// `POST /api/events` with `{experiment_id, subid, event_type, variant?, metadata?}`: 202.
pub async fn event(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let req: AbEventRequest = json_body(&body)?;
    json(202, &record_event(&c.env, &c.outbox, req).await?)
}

/// `POST /api/events/impression` (body or query string): the exposure and an `impression`
/// event; 202.
pub async fn impression(c: Call) -> ApiResult<Response> {
    typed_event(c, IMPRESSION).await
}

/// `POST /api/events/conversion` (body or query string): a `conversion` event; 202.
pub async fn conversion(c: Call) -> ApiResult<Response> {
    typed_event(c, CONVERSION).await
}

async fn typed_event(mut c: Call, event_type: &str) -> ApiResult<Response> {
    let body = c.body().await?;
    let s = subject(&body, &c.query())?;
    let req = AbEventRequest {
        experiment_id: s.experiment_id,
        subid: s.subid,
        event_type: event_type.to_string(),
        variant: None,
        metadata: None,
        value: None,
        event_id: None,
    };
    json(202, &record_event(&c.env, &c.outbox, req).await?)
}

/// `GET /api/events?experiment_id=&event_type=&variant=&subid=&start_date=&end_date=&limit=`:
/// stored events, oldest first (one experiment's, or every experiment's merged).
pub async fn events(c: Call) -> ApiResult<Response> {
    let query: EventsQuery = json_body(&query_as_json(&c.query(), &["limit"]))?;
    let filter = query.filter()?;
    let store = store(&c.env)?;
    let experiments = match &query.experiment_id {
        Some(id) => vec![experiments::load(&store, id).await?],
        None => experiments_with_data(&store).await?,
    };
    let found = try_join_all(experiments.iter().map(|e| store.events(e, &filter))).await?;
    let mut merged: Vec<(i64, AbEvent)> = experiments
        .iter()
        .zip(found)
        .flat_map(|(e, events)| {
            events
                .into_iter()
                .map(|ev| (ev.at, AbEvent::stored(&e.name, &ev)))
                .collect::<Vec<_>>()
        })
        .collect();
    merged.sort_by_key(|(at, _)| *at);
    let all: Vec<AbEvent> = merged
        .into_iter()
        .take(filter.limit as usize)
        .map(|(_, ev)| ev)
        .collect();
    json(200, &all)
}
