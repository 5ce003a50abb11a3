//! Unleash's frontend API (`/api/frontend`, public and rate limited like `/assign`): the
//! running experiments a unit is in, as enabled toggles, for Unleash's own SDKs. Decided
//! and recorded exactly as OFREP's bulk evaluation (`bulk.rs`).

use super::{Call, bulk};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::service::frontend::{
    FrontendToggles, context_from_body, context_from_query, request_of, toggle,
};
use serde_json::{Map, Value};
use worker::Response;

/// `GET /api/frontend?userId=…&properties[name]=…`.
pub async fn get(c: Call) -> ApiResult<Response> {
    let context = context_from_query(&c.query());
    evaluate(c, context).await
}

/// `POST /api/frontend` with `{"context": {...}}`.
pub async fn post(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let context = context_from_body(&body)?;
    evaluate(c, context).await
}

async fn evaluate(c: Call, context: Map<String, Value>) -> ApiResult<Response> {
    let req = request_of(&context)?;
    let published = bulk::running(&c).await?;
    let decisions = bulk::decide_all(&published, &req);
    // A refusal of the unit itself (its id, its attributes) fails the request.
    if let Some(Err(e)) = decisions.iter().map(|d| &d.outcome).find(|o| o.is_err()) {
        return Err(e.clone());
    }
    bulk::answer(&c, &decisions, |refused| {
        let toggles = decisions
            .iter()
            .filter(|d| !refused.contains(&d.at))
            .filter_map(|d| {
                let a = d.outcome.as_ref().ok()?;
                toggle(d.experiment, &a.response)
            })
            .collect();
        serde_json::to_vec(&FrontendToggles { toggles })
            .map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
    })
    .await
}

/// `POST /api/frontend/client/metrics`: the SDKs' usage counts, accepted so that unchanged
/// clients see no errors; Cleave counts exposures itself and keeps none of these.
pub async fn metrics(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("body", "a JSON object is expected"));
    }
    let _: serde_json::Map<String, Value> = crate::service::input::json_body(&body)?;
    Ok(Response::empty()?.with_status(202))
}
