//! The compatibility API for ab-testing-service clients (`/api/...`): thin aliases onto the
//! same logic as the v1 API.

use super::edge::{handle_assign, handle_track};
use super::experiments::{create_published, transition_published};
use super::{Call, call::json, query_as_json, store};
use crate::error::ApiResult;
use crate::host::WorkerHost;
use crate::service::{experiments, stats};
use worker::Response;

/// `POST /api/experiments`: a draft, or — with `"status": "active"`, as its clients send —
/// created and started in one call (if the start is refused, e.g. by a taken layer range,
/// the draft is removed again and the refusal answered).
pub async fn create(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let (body, start) = experiments::split_initial_status(&body)?;
    let e = create_published(&c.env, &body, experiments::Dialect::AbTestingService).await?;
    if !start {
        return json(201, &e);
    }
    match transition_published(&c.env, &e.id, cleave_core::model::Action::Start, None).await {
        Ok(started) => json(201, &started),
        Err(refused) => {
            let store = store(&c.env)?;
            if let Err(err) = experiments::delete(&store, &e.id).await {
                worker::console_error!("removing the unstarted draft {} failed: {err:?}", e.id);
            }
            Err(refused)
        }
    }
}

/// `GET /api/health`: the health checks in the ab-testing-service's shape
/// (`{"status": "healthy" | "unhealthy", …}`), 200 or 503.
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

/// `GET /api/experiments/{name}`.
pub async fn get(c: Call) -> ApiResult<Response> {
    json(
        200,
        &experiments::load(&store(&c.env)?, c.param("name")).await?,
    )
}

/// The ab-testing-service API's status change.
#[derive(Debug, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusRequest {
    /// `active` (= running), `paused`, `completed` (= stopped) or `archived`; Cleave's own
    /// names work too.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(active|running|paused|completed|stopped|archived)$")
    )]
    pub status: String,
}

/// The ab-testing-service API's `{subid, experiment_id}`.
#[derive(Debug, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectRequest {
    /// The unit (user).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub subid: String,
    /// Experiment id, key or name.
    pub experiment_id: String,
}

/// `POST /api/experiments/{name}/status` with `{"status": ...}`.
pub async fn status(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let target: StatusRequest = crate::service::input::json_body(&body)?;
    let current = experiments::load(&store(&c.env)?, c.param("name")).await?;
    let action = experiments::action_towards(current.status, &target.status)?;
    json(
        200,
        &transition_published(&c.env, &current.id, action, None).await?,
    )
}

/// `GET /api/experiments/{name}/stats`.
pub async fn stats(c: Call) -> ApiResult<Response> {
    let store = store(&c.env)?;
    let e = experiments::load(&store, c.param("name")).await?;
    let viewed = stats::view(&store, &WorkerHost, &e, stats::StatsQuery::default()).await?;
    if let Err(err) = viewed.recorded {
        worker::console_error!("recording the analysis run failed: {err}");
    }
    json(200, &viewed.response)
}

/// `POST /api/assignments/get` with `{subid, experiment_id}`.
pub async fn assignment(c: Call) -> ApiResult<Response> {
    assign_subject(c, false).await
}

/// `POST /api/events/impression` (body or query string).
pub async fn impression(c: Call) -> ApiResult<Response> {
    assign_subject(c, true).await
}

/// Assigns the `{subid, experiment_id}` of the body (or, with `query_form`, of the query
/// string when the body is empty).
async fn assign_subject(mut c: Call, query_form: bool) -> ApiResult<Response> {
    let body = c.body().await?;
    let query = query_form.then(|| c.query());
    let (experiment, subid) = subject(&body, query.as_deref())?;
    json(
        200,
        &handle_assign(&c.env, &experiment, &user_body(&subid, None)).await?,
    )
}

/// `POST /api/events/conversion` (body or query string).
pub async fn conversion(mut c: Call) -> ApiResult<Response> {
    let body = c.body().await?;
    let (experiment, subid) = subject(&body, Some(&c.query()))?;
    let event = user_body(&subid, Some("conversion"));
    json(200, &handle_track(&c.env, &experiment, &event).await?)
}

/// `{subid, experiment_id}` from a JSON body or the query string.
fn subject(body: &[u8], query: Option<&str>) -> ApiResult<(String, String)> {
    let pair: SubjectRequest = if body.iter().all(u8::is_ascii_whitespace) {
        crate::service::input::json_body(&query_as_json(query.unwrap_or(""), &[]))?
    } else {
        crate::service::input::json_body(body)?
    };
    Ok((pair.experiment_id, pair.subid))
}

/// An assign or track body for a `subid`.
fn user_body(subid: &str, event_name: Option<&str>) -> Vec<u8> {
    match event_name {
        Some(name) => serde_json::json!({"user_id": subid, "event_name": name}),
        None => serde_json::json!({"user_id": subid}),
    }
    .to_string()
    .into_bytes()
}
