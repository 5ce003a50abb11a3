//! `POST /events/batch` and `POST /exposures/batch`: up to 1,000 items, one result each,
//! idempotent, a handful of storage round trips whatever the size.

use super::Host;
use super::assign::{AudienceConfig, checked_attributes, stored_context};
use super::holdout_results;
use super::input::{identifier, json_body};
use super::track::{self, TrackRequest};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{EventRecord, Exposure, HoldoutMember, Store, Tracked};
use cleave_core::assign::Reason;
use cleave_core::model::{Experiment, Status};
use futures_util::future::try_join_all;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most items per batch.
pub const MAX_BATCH: usize = 1_000;

/// One event of a batch: a `/track` body plus the experiment.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchEvent {
    /// Experiment id or key.
    pub experiment_id: String,
    /// The event, exactly as `/track` takes it.
    #[serde(flatten)]
    pub event: TrackRequest,
}

/// One exposure reported by an edge (the Envoy filter).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchExposure {
    /// Experiment id or key.
    pub experiment_id: String,
    /// The user.
    pub user_id: String,
    /// The variant the edge computed (required unless the item reports a `holdout` arm).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub variant: Option<String>,
    /// Instead of an exposure: the unit reached this holdout's check in the experiment, so
    /// it is in one of the holdout's arms (the Worker decides which, again, from the unit
    /// and `context`). Edges report these for the holdout's own results.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]+$")
    )]
    pub holdout: Option<String>,
    /// Why the edge showed it: `assigned` (default) or `forced` (a QA override, accepted
    /// only with the edge token).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(assigned|forced)$"))]
    pub reason: Option<String>,
    /// When, ms since the epoch (default: now), within ±8.64e15 (JavaScript's `Date`
    /// range).
    #[serde(default, deserialize_with = "cleave_core::model::integer::opt_i64")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = -8_640_000_000_000_000_i64, maximum = 8_640_000_000_000_000_i64)
    )]
    pub timestamp: Option<i64>,
    /// The attributes the edge decided with (same limits as `/assign`'s `context`); the
    /// Worker decides again with them, and stores them with the exposure.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
    /// A synonym of `context`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The `/events/batch` request.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventsBody {
    /// 1 to 1,000 events.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub events: Vec<BatchEvent>,
}

/// The `/exposures/batch` request.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExposuresBody {
    /// 1 to 1,000 exposures.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub exposures: Vec<BatchExposure>,
}

/// What happened to one item.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemResult {
    /// Position in the request.
    pub index: usize,
    /// `recorded`, `duplicate` or `rejected`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^(recorded|duplicate|rejected)$"))]
    pub status: &'static str,
    /// The event's id (events only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

/// The batch response.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResponse {
    /// Items stored now.
    pub recorded: usize,
    /// Items already stored earlier (or repeated in this batch).
    pub duplicates: usize,
    /// Items refused (see their `error`).
    pub rejected: usize,
    /// One result per item, in request order.
    pub results: Vec<ItemResult>,
}

impl BatchResponse {
    fn from_results(results: Vec<ItemResult>) -> Self {
        let count = |s: &str| results.iter().filter(|r| r.status == s).count();
        Self {
            recorded: count("recorded"),
            duplicates: count("duplicate"),
            rejected: count("rejected"),
            results,
        }
    }
}

fn rejected(list: &str, index: usize, error: ApiError) -> ItemResult {
    let field = error.field.as_ref().map(|f| format!("{list}[{index}].{f}"));
    ItemResult {
        index,
        status: "rejected",
        event_id: None,
        error: Some(ApiError { field, ..error }),
    }
}

fn check_size(len: usize, field: &str) -> ApiResult<()> {
    if len == 0 {
        Err(ApiError::invalid(field, "must contain at least one item"))
    } else if len > MAX_BATCH {
        Err(ApiError::invalid(
            field,
            format!("at most {MAX_BATCH} items per batch (got {len})"),
        ))
    } else {
        Ok(())
    }
}

/// Loads every distinct experiment named in a batch (unknown ones map to `None`).
async fn experiments_by_ref<S: Store>(
    store: &S,
    refs: impl Iterator<Item = &str>,
) -> ApiResult<BTreeMap<String, Option<Experiment>>> {
    let mut found = BTreeMap::new();
    for r in refs {
        if !found.contains_key(r) {
            found.insert(r.to_string(), store.experiment(r).await?);
        }
    }
    Ok(found)
}

/// The found experiments of a batch by id.
fn experiments_by_id(found: &BTreeMap<String, Option<Experiment>>) -> BTreeMap<&str, &Experiment> {
    found
        .values()
        .flatten()
        .map(|e| (e.id.as_str(), e))
        .collect()
}

/// `POST /events/batch`.
pub async fn events<S: Store>(
    store: &S,
    host: &impl Host,
    bytes: &[u8],
) -> ApiResult<BatchResponse> {
    let body: EventsBody = json_body(bytes)?;
    check_size(body.events.len(), "events")?;
    let experiments =
        experiments_by_ref(store, body.events.iter().map(|e| e.experiment_id.as_str())).await?;
    let mut results: Vec<Option<ItemResult>> = (0..body.events.len()).map(|_| None).collect();
    let mut candidates: Vec<(usize, EventRecord)> = Vec::new();
    for (i, ev) in body.events.iter().enumerate() {
        let check = ev.event.validate();
        let experiment = experiments.get(&ev.experiment_id).and_then(Option::as_ref);
        match (check, experiment) {
            (Err(e), _) => results[i] = Some(rejected("events", i, e)),
            (Ok(()), None) => {
                results[i] = Some(rejected(
                    "events",
                    i,
                    ApiError::not_found(format!("no experiment '{}'", ev.experiment_id))
                        .with_field("experiment_id"),
                ))
            }
            (Ok(()), Some(e)) => candidates.push((
                i,
                EventRecord {
                    event_id: ev.event.event_id.clone().unwrap_or_else(|| host.new_id()),
                    experiment_id: e.id.clone(),
                    user_id: ev.event.user_id.clone(),
                    variant: String::new(), // filled in from the exposure below
                    event_name: ev.event.event_name.clone(),
                    value: ev.event.value,
                    at: ev.event.timestamp.unwrap_or_else(|| host.now_ms()),
                    metadata: ev
                        .event
                        .metadata
                        .as_ref()
                        .map(|m| serde_json::Value::Object(m.clone()).to_string()),
                },
            )),
        }
    }
    // Each experiment's events in its shards (experiments in parallel): the store checks
    // each unit's exposure, de-duplicates and counts in one step.
    let mut by_experiment: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (k, (_, r)) in candidates.iter().enumerate() {
        by_experiment
            .entry(r.experiment_id.as_str())
            .or_default()
            .push(k);
    }
    let by_id = experiments_by_id(&experiments);
    let calls = by_experiment.iter().filter_map(|(id, ks)| {
        let experiment = *by_id.get(id)?;
        let records: Vec<EventRecord> = ks.iter().map(|&k| candidates[k].1.clone()).collect();
        Some(async move {
            let tracked = store.record_events(experiment, &records).await?;
            Ok::<_, ApiError>((ks, tracked))
        })
    });
    let mut outcomes: Vec<Tracked> = vec![Tracked::NotExposed; candidates.len()];
    for (ks, tracked) in try_join_all(calls).await? {
        for (&k, t) in ks.iter().zip(tracked) {
            outcomes[k] = t;
        }
    }
    // Holdouts: what each event also counts for (and all a held-out unit's event counts for).
    let any_listed = experiments
        .values()
        .flatten()
        .any(|e| !e.holdouts.is_empty());
    let all_holdouts = if any_listed {
        super::audience::load(store).await?.0
    } else {
        Vec::new()
    };
    let mut listed: BTreeMap<&str, Vec<cleave_core::model::Holdout>> = BTreeMap::new();
    for e in experiments.values().flatten() {
        listed.insert(e.id.as_str(), holdout_results::listed_in(e, &all_holdouts));
    }
    let items: Vec<(&[cleave_core::model::Holdout], &EventRecord)> = candidates
        .iter()
        .map(|(_, r)| {
            let holdouts = listed.get(r.experiment_id.as_str()).map_or(&[][..], |h| h);
            (holdouts, r)
        })
        .collect();
    let for_holdouts = holdout_results::counted(store, &items).await?;
    let mut holdout_only = Vec::new();
    let mut holdout_events = Vec::new();
    for (((i, r), counted), tracked) in candidates.into_iter().zip(for_holdouts).zip(outcomes) {
        let status = match (&tracked, counted.is_empty()) {
            (Tracked::Recorded(_), _) => "recorded",
            (Tracked::Duplicate(_), _) => "duplicate",
            (Tracked::NotExposed, false) => {
                holdout_only.push((i, r.event_id.clone(), holdout_events.len(), counted.len()));
                holdout_events.extend(counted);
                continue;
            }
            (Tracked::NotExposed, true) => {
                results[i] = Some(rejected("events", i, track::not_assigned(&r.user_id)));
                continue;
            }
        };
        results[i] = Some(ItemResult {
            index: i,
            status,
            event_id: Some(r.event_id),
            error: None,
        });
        holdout_events.extend(counted);
    }
    let new_for_holdouts = store.record_holdout_events(&holdout_events).await?;
    for (i, event_id, start, len) in holdout_only {
        let is_new = new_for_holdouts
            .get(start..start + len)
            .is_some_and(|n| n.contains(&true));
        results[i] = Some(ItemResult {
            index: i,
            status: if is_new { "recorded" } else { "duplicate" },
            event_id: Some(event_id),
            error: None,
        });
    }
    Ok(BatchResponse::from_results(
        results.into_iter().flatten().collect(),
    ))
}

/// `POST /exposures/batch`: each exposure must be the variant the core assigns to that
/// user (forced or hashed), so a public endpoint cannot plant other variants — except a
/// `"reason": "forced"` exposure (a QA override at the edge) from a `trusted` caller (one
/// with the edge or admin token), which may name any variant of a running experiment.
/// Gated experiments are decided with the host's `gates`.
pub async fn exposures<S: Store>(
    store: &S,
    host: &impl Host,
    bytes: &[u8],
    trusted: bool,
    gates: &dyn cleave_core::model::Gates,
) -> ApiResult<BatchResponse> {
    let body: ExposuresBody = json_body(bytes)?;
    check_size(body.exposures.len(), "exposures")?;
    let experiments = experiments_by_ref(
        store,
        body.exposures.iter().map(|e| e.experiment_id.as_str()),
    )
    .await?;
    let (holdouts, groups) = super::audience::load(store).await?;
    let groups = super::audience::groups_of(&groups);
    let regex = cleave_core::targeting::CachedRegex::default();
    let config = AudienceConfig {
        holdouts: &holdouts,
        groups: &groups,
        regex: &regex,
        gates,
    };
    let mut results = Vec::with_capacity(body.exposures.len());
    let mut records = Vec::new();
    let mut members = Vec::new();
    for (i, x) in body.exposures.iter().enumerate() {
        if let Err(e) = identifier("user_id", &x.user_id)
            .and_then(|()| super::input::timestamp("timestamp", x.timestamp))
        {
            results.push(rejected("exposures", i, e));
            continue;
        }
        let attributes = match checked_attributes(x.context.as_ref(), x.attributes.as_ref()) {
            Ok(a) => a,
            Err(e) => {
                results.push(rejected("exposures", i, e));
                continue;
            }
        };
        let Some(experiment) = experiments.get(&x.experiment_id).and_then(Option::as_ref) else {
            results.push(rejected(
                "exposures",
                i,
                ApiError::not_found(format!("no experiment '{}'", x.experiment_id))
                    .with_field("experiment_id"),
            ));
            continue;
        };
        let at = x.timestamp.unwrap_or_else(|| host.now_ms());
        let mut arms: Vec<HoldoutMember> = Vec::new();
        let decided = experiment.allocation().map(|allocation| {
            experiment.decide(
                &allocation,
                &x.user_id,
                None,
                &config.with(&attributes),
                &mut |step| {
                    if let Some((holdout, held_out)) = step.holdout_arm() {
                        arms.push(HoldoutMember {
                            holdout: holdout.to_string(),
                            user_id: x.user_id.clone(),
                            held_out,
                            at,
                        });
                    }
                },
            )
        });
        let assignment = match decided {
            Ok(a) => a,
            Err(e) => {
                results.push(rejected(
                    "exposures",
                    i,
                    ApiError::invalid("experiment_id", e.to_string()),
                ));
                continue;
            }
        };
        if let Some(holdout) = &x.holdout {
            // A holdout arm: recorded when deciding again reaches that holdout's check.
            match arms.iter().find(|m| m.holdout == *holdout) {
                Some(arm) => {
                    members.push(arm.clone());
                    results.push(ItemResult {
                        index: i,
                        status: "recorded",
                        event_id: None,
                        error: None,
                    });
                }
                None => results.push(rejected(
                    "exposures",
                    i,
                    ApiError::invalid(
                        "holdout",
                        format!("this experiment does not check holdout '{holdout}' for this user"),
                    ),
                )),
            }
            continue;
        }
        let Some(variant) = x.variant.as_deref() else {
            results.push(rejected(
                "exposures",
                i,
                ApiError::invalid(
                    "variant",
                    "an exposure names its variant (or reports a holdout)",
                ),
            ));
            continue;
        };
        // A QA override at the edge (`x-cleave-force`) shows a variant the hash would not:
        // taken from a caller with the edge token only, so the public cannot plant variants.
        let forced_at_edge = trusted
            && x.reason.as_deref() == Some(Reason::Forced.as_str())
            && experiment.status == Status::Running
            && experiment.variant(variant).is_some();
        let reason = match assignment.variant_name() {
            Some(v) if v == variant => Some(assignment.reason),
            _ if forced_at_edge => Some(Reason::Forced),
            _ => None,
        };
        match reason {
            Some(reason) => {
                records.push(Exposure {
                    experiment_id: experiment.id.clone(),
                    user_id: x.user_id.clone(),
                    variant: variant.to_string(),
                    reason: reason.as_str().to_string(),
                    at,
                    context: stored_context(&attributes),
                });
                members.extend(arms);
                results.push(ItemResult {
                    index: i,
                    status: "recorded",
                    event_id: None,
                    error: None,
                });
            }
            // The message never says what the unit really gets: this endpoint is public.
            None => results.push(rejected(
                "exposures",
                i,
                ApiError::new(
                    ErrorCode::VariantMismatch,
                    format!("'{variant}' is not the variant this experiment assigns to this user"),
                )
                .with_field("variant"),
            )),
        }
    }
    // Each experiment's exposures in its shards, experiments in parallel.
    let by_id = experiments_by_id(&experiments);
    let mut by_experiment: BTreeMap<&str, (&Experiment, Vec<Exposure>)> = BTreeMap::new();
    for x in records {
        if let Some(&e) = by_id.get(x.experiment_id.as_str()) {
            by_experiment
                .entry(e.id.as_str())
                .or_insert((e, Vec::new()))
                .1
                .push(x);
        }
    }
    let written = try_join_all(by_experiment.values().map(|(e, xs)| async move {
        Ok::<_, crate::store::StoreError>((*e, store.record_exposures(e, xs).await?))
    }))
    .await?;
    store.record_holdout_members(&members).await?;
    // A unit its experiment's full population refused was not recorded: its items say so.
    for (experiment, exposed) in written {
        for (i, x) in body.exposures.iter().enumerate() {
            let refused = exposed.refused.contains(&x.user_id)
                && experiments
                    .get(&x.experiment_id)
                    .and_then(Option::as_ref)
                    .is_some_and(|e| e.id == experiment.id);
            if let (true, Some(slot)) = (refused, results.get_mut(i))
                && slot.status == "recorded"
            {
                *slot = rejected("exposures", i, super::assign::population_full(experiment));
            }
        }
    }
    Ok(BatchResponse::from_results(results))
}
