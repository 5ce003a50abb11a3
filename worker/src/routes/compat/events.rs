//! The ab-testing-service API's events: recording (typed or not) and listing.

use super::assignments::{as_subject, assign_one, subject};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::host::WorkerHost;
use crate::outbox::Outbox;
use crate::routes::{Call, call::json, query_as_json, store};
use crate::service::compat::assignments::SubjectRequest;
use crate::service::compat::events::variant_mismatch;
use crate::service::compat::stats::{CONVERSION, IMPRESSION};
use crate::service::compat::{AbEvent, AbEventRequest, EventsQuery, time::iso};
use crate::service::input::json_body;
use crate::service::{Host, experiments, track};
use crate::store::{Store, experiments_with_data};
use cleave_core::model::Experiment;
use futures_util::future::try_join_all;
use worker::{Env, Response};

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
        outbox.tracked(&experiment, &tracked);
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
