//! OpenFeature's remote evaluation protocol (`/ofrep/v1/...`): a flag is an experiment by
//! key; evaluating it decides the context's `targetingKey` like `/assign` (same code) and
//! records the exposure, unless the request says `x-cleave-record-exposure: false`.

use super::edge::{decide, record};
use super::{Call, store};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::service::ofrep::{
    OfrepBulk, OfrepErrorCode, OfrepFailure, OfrepFlag, evaluation, parse,
};
use worker::Response;

pub use super::bulk::RECORD_HEADER;
use super::bulk::{self, records};

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
    let published = bulk::running(&c).await?;
    let decisions = bulk::decide_all(&published, &req);
    for d in &decisions {
        if let Err(err) = &d.outcome
            && let Ok(f) = failure_of(err.clone(), &d.experiment.key)
            && f.error_code == OfrepErrorCode::InvalidContext
        {
            // A failure of the unit itself (its id, its context) fails the request.
            let f = OfrepFailure { key: None, ..f };
            return answer(f.status(), &f);
        }
    }
    bulk::answer(&c, &decisions, |refused| {
        let mut flags = Vec::with_capacity(decisions.len());
        for d in &decisions {
            flags.push(match &d.outcome {
                Ok(a) if refused.contains(&d.at) => {
                    // A full population admitted nobody new: the default.
                    OfrepFlag::Evaluated(evaluation(d.experiment, &a.response.refused()))
                }
                Ok(a) => OfrepFlag::Evaluated(evaluation(d.experiment, &a.response)),
                Err(err) => OfrepFlag::Failed(failure_of(err.clone(), &d.experiment.key)?),
            });
        }
        serde_json::to_vec(&OfrepBulk { flags })
            .map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
    })
    .await
}
