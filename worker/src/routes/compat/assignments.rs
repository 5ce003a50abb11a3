//! The ab-testing-service API's assignments: one, bulk, per user and lookup.

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::outbox::Outbox;
use crate::routes::edge::{decide, record};
use crate::routes::{Call, call::json, query_as_json, store};
use crate::service::compat::assignments::SubjectRequest;
use crate::service::compat::{AbAssignment, BulkRequest};
use crate::service::input::json_body;
use crate::service::{assign, experiments};
use crate::store::{CloudStore, Store, experiments_with_data};
use cleave_core::model::Experiment;
use futures_util::future::try_join_all;
use worker::{Env, Response};

/// (the first exposure's variant and time), with the experiment.
pub(super) async fn assign_one(
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
pub(super) fn as_subject(mut e: ApiError) -> ApiError {
    e.field = e.field.map(|f| match f.as_str() {
        "user_id" => "subid".to_string(),
        "event_name" => "event_type".to_string(),
        _ => f,
    });
    e
}

/// `{subid, experiment_id}` (and `context`) from a JSON body or, when the body is empty,
/// the query string.
pub(super) fn subject(body: &[u8], query: &str) -> ApiResult<SubjectRequest> {
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
