//! OpenFeature's remote evaluation protocol (`/ofrep/v1/...`): a flag is an experiment by
//! key; evaluating it decides the context's `targetingKey` like `/assign` (same code) and
//! records the exposure, unless the request says `x-cleave-record-exposure: false`.

use super::edge::{decide, record};
use super::{Call, store};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::host::WorkerHost;
use crate::service::ofrep::{
    OfrepBulk, OfrepErrorCode, OfrepFailure, OfrepFlag, evaluation, parse,
};
use crate::service::{Host, assign, etag};
use crate::store::{CloudStore, HoldoutMember, Store};
use cleave_core::model::Experiment;
use worker::{Request, Response};

/// The request header that turns recording off for one evaluation (`false`).
pub const RECORD_HEADER: &str = "x-cleave-record-exposure";

/// Whether this request's evaluations record exposures (the default).
fn records(req: &Request) -> bool {
    !req.headers()
        .get(RECORD_HEADER)
        .ok()
        .flatten()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
}

/// A JSON answer with this status.
fn answer<T: serde::Serialize>(status: u16, body: &T) -> ApiResult<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

/// The protocol's answer to an API error of a flag's decision: unknown flags are
/// `FLAG_NOT_FOUND`, bad input `INVALID_CONTEXT`; storage failures stay Cleave's 503.
fn failure_of(e: ApiError, key: &str) -> Result<OfrepFailure, ApiError> {
    let code = match e.code {
        ErrorCode::NotFound => OfrepErrorCode::FlagNotFound,
        ErrorCode::ValidationFailed | ErrorCode::InvalidRequest => OfrepErrorCode::InvalidContext,
        ErrorCode::StorageUnavailable | ErrorCode::SnapshotUnavailable => return Err(e),
        _ => OfrepErrorCode::General,
    };
    let details = match &e.field {
        Some(field) => format!("{field}: {}", e.message),
        None => e.message.clone(),
    };
    Ok(OfrepFailure::new(code, details).for_flag(key))
}

/// `POST /ofrep/v1/evaluate/flags/{key}`: one flag.
pub async fn evaluate_flag(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let key = c.param("key").to_string();
    let req = match parse(&body) {
        Ok(r) => r,
        Err(f) => {
            let f = f.for_flag(&key);
            return answer(f.status(), &f);
        }
    };
    let store = store(&c.env)?;
    match decide(&c.env, &store, &key, &req).await {
        Ok((experiment, assigned)) => {
            let admitted = !records(&c.req)
                || record(&store, &c.outbox, &experiment, &assigned)
                    .await?
                    .refused
                    .is_empty();
            let assigned = if admitted {
                assigned
            } else {
                assigned.refused()
            };
            answer(200, &evaluation(&experiment, &assigned.response))
        }
        Err(e) => {
            let f = failure_of(e, &key)?;
            answer(f.status(), &f)
        }
    }
}

/// `POST /ofrep/v1/evaluate/flags`: every running experiment, with an `ETag` of the
/// answer; `If-None-Match` naming it is a 304 (and records nothing: the 200 that gave the
/// tag did).
pub async fn evaluate_flags(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let req = match parse(&body) {
        Ok(r) => r,
        Err(f) => return answer(f.status(), &f),
    };
    let Some(published) = crate::cache::snapshot(&c.env).await else {
        return Err(ApiError::new(
            ErrorCode::SnapshotUnavailable,
            "the running experiments could not be read",
        ));
    };
    let now = WorkerHost.now_ms();
    let mut flags = Vec::with_capacity(published.prepared.len());
    let mut decided = Vec::new();
    for prepared in &published.prepared {
        let e = &prepared.experiment;
        match assign::assign(
            e,
            &prepared.allocation,
            prepared.targeting.as_ref(),
            &req,
            &published.audience(),
            now,
        ) {
            Ok(assigned) => {
                flags.push(OfrepFlag::Evaluated(evaluation(e, &assigned.response)));
                decided.push((flags.len() - 1, e, assigned));
            }
            Err(err) => match failure_of(err, &e.key) {
                // A failure of the unit itself (its id, its context) fails the request.
                Ok(f) if f.error_code == OfrepErrorCode::InvalidContext => {
                    let f = OfrepFailure { key: None, ..f };
                    return answer(f.status(), &f);
                }
                Ok(f) => flags.push(OfrepFlag::Failed(f)),
                Err(e) => return Err(e),
            },
        }
    }
    let bulk = |flags: Vec<OfrepFlag>| {
        serde_json::to_vec(&OfrepBulk { flags })
            .map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
    };
    let mut text = bulk(flags.clone())?;
    let mut tag = etag::of(&text);
    let if_none_match = c.req.headers().get("if-none-match").ok().flatten();
    let mut response = if etag::matches(if_none_match.as_deref(), &tag) {
        Response::empty()?.with_status(304)
    } else {
        if records(&c.req) {
            let refused = record_all(&store(&c.env)?, &c.outbox, &decided).await?;
            if !refused.is_empty() {
                // A full population admitted nobody new: those flags are the default.
                for (at, e, assigned) in decided {
                    if refused.contains(&at) {
                        flags[at] =
                            OfrepFlag::Evaluated(evaluation(e, &assigned.refused().response));
                    }
                }
                text = bulk(flags)?;
                tag = etag::of(&text);
            }
        }
        let mut r = Response::from_bytes(text)?;
        r.headers_mut().set("content-type", "application/json")?;
        r
    };
    response.headers_mut().set("etag", &tag)?;
    response.headers_mut().set("cache-control", "no-cache")?;
    Ok(response)
}

/// Records every decided experiment's exposure, and the unit's holdout arms once each (the
/// experiments listing a holdout all report the same arm), all in parallel; the flag
/// positions whose experiment's population cap refused the unit.
async fn record_all(
    store: &CloudStore,
    outbox: &crate::outbox::Outbox,
    decided: &[(usize, &Experiment, assign::Assigned)],
) -> ApiResult<Vec<usize>> {
    let mut members: Vec<HoldoutMember> = decided
        .iter()
        .flat_map(|(_, _, a)| a.members.iter().cloned())
        .collect();
    members.sort_by(|a, b| a.holdout.cmp(&b.holdout));
    members.dedup_by(|a, b| a.holdout == b.holdout);
    let exposures = decided.iter().filter_map(|(at, e, a)| {
        a.exposure.as_ref().map(|x| async move {
            let exposures = std::slice::from_ref(x);
            let exposed = store.record_exposures(e, exposures).await?;
            super::edge::announce(outbox, e, exposures, &exposed);
            Ok::<_, crate::store::StoreError>((*at, exposed.refused.is_empty()))
        })
    });
    let (written, arms) = futures_util::future::join(
        futures_util::future::try_join_all(exposures),
        store.record_holdout_members(&members),
    )
    .await;
    arms?;
    Ok(written?
        .into_iter()
        .filter(|(_, admitted)| !admitted)
        .map(|(at, _)| at)
        .collect())
}
