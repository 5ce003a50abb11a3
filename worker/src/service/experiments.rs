//! Creating, reading, changing, deleting experiments and moving them through the lifecycle.

use super::Host;
use super::input::json_body;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::Store;
use cleave_core::model::{
    Action, Experiment, LiveUpdateError, Status, check_live_update, next_phase_salt, slugify,
};
use serde_json::{Map, Value};

/// Fields only the server sets.
const SERVER_FIELDS: [&str; 7] = [
    "id",
    "status",
    "created_at",
    "updated_at",
    "started_at",
    "stopped_at",
    "version",
];

/// Loads an experiment by id or key (or a name whose slug is the key, as ab-testing-service
/// clients address experiments by name), or 404.
pub async fn load<S: Store>(store: &S, id: &str) -> ApiResult<Experiment> {
    if let Some(e) = store.experiment(id).await? {
        return Ok(e);
    }
    let slug = slugify(id);
    if !slug.is_empty()
        && slug != id
        && let Some(e) = store.experiment(&slug).await?
    {
        return Ok(e);
    }
    Err(ApiError::not_found(format!("no experiment '{id}'")))
}

/// The lifecycle action that moves an experiment from `current` to `target` (the
/// ab-testing-service API sets statuses rather than taking actions); `None` when it is
/// there already. A status no action reaches (back to `draft`) is 409 naming the current.
pub fn action_towards(current: Status, target: Status) -> ApiResult<Option<Action>> {
    if current == target {
        return Ok(None);
    }
    let action = match (target, current) {
        (Status::Running, Status::Paused) => Action::Resume,
        (Status::Running, _) => Action::Start,
        (Status::Paused, _) => Action::Pause,
        (Status::Stopped, _) => Action::Stop,
        (Status::Archived, _) => Action::Archive,
        (Status::Draft, _) => {
            return Err(ApiError::new(
                ErrorCode::IllegalTransition,
                format!("an experiment that is {current} cannot go back to draft"),
            ));
        }
    };
    Ok(Some(action))
}

/// Maps the ab-testing-service API's field names onto the wire model (in place).
fn apply_compat(body: &mut Map<String, Value>) -> ApiResult<()> {
    if let Some(level) = body.remove("confidence_level") {
        let c = level
            .as_f64()
            .filter(|c| *c > 0.5 && *c < 1.0)
            .ok_or_else(|| {
                ApiError::invalid(
                    "confidence_level",
                    "must be a number greater than 0.5 and less than 1",
                )
            })?;
        body.entry("significance_level")
            .or_insert_with(|| Value::from(1.0 - c));
    }
    if let Some(per_group) = body.remove("min_sample_size_per_group") {
        let n = cleave_core::model::integer::u64(&per_group)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                ApiError::invalid("min_sample_size_per_group", "must be a positive integer")
            })?;
        let k = body
            .get("variants")
            .and_then(Value::as_array)
            .map_or(2, Vec::len) as u64;
        body.entry("target_sample_size")
            .or_insert_with(|| Value::from(n * k.max(1)));
    }
    Ok(())
}

fn into_experiment(body: Map<String, Value>) -> ApiResult<Experiment> {
    let text = Value::Object(body).to_string();
    json_body(text.as_bytes())
}

/// Which API a create request came through (the ab-testing-service API reads MDEs as
/// absolute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The v1 API (`/api/v1`): relative MDE unless `mde_type` says otherwise.
    V1,
    /// The compatibility API for ab-testing-service clients (`/api/experiments`):
    /// `min_detectable_effect` is absolute by default.
    AbTestingService,
}

/// `POST /experiments`: a new draft with a server-chosen id; the key defaults to the name's slug.
pub async fn create<S: Store>(
    store: &S,
    host: &impl Host,
    bytes: &[u8],
    dialect: Dialect,
) -> ApiResult<Experiment> {
    let mut body: Map<String, Value> = json_body(bytes)?;
    if dialect == Dialect::AbTestingService {
        body.entry("mde_type")
            .or_insert_with(|| Value::from("absolute"));
    }
    apply_compat(&mut body)?;
    match body.remove("status").as_ref().map(|s| s.as_str()) {
        None | Some(Some("draft")) => {}
        Some(_) => {
            return Err(ApiError::invalid(
                "status",
                "new experiments start as 'draft'; use /start",
            ));
        }
    }
    for field in SERVER_FIELDS {
        if body.contains_key(field) {
            return Err(ApiError::invalid(field, "is set by the server"));
        }
    }
    let mut e = into_experiment(body)?;
    e.id = host.new_id();
    if e.key.is_empty() {
        e.key = slugify(&e.name);
    }
    let now = host.now_ms();
    e.created_at = Some(now);
    e.updated_at = Some(now);
    e.status = Status::Draft;
    e.validate().map_err(ApiError::validation)?;
    super::audience::check_holdouts_exist(store, &e).await?;
    store.insert_experiment(&e).await?;
    Ok(e)
}

/// `PUT /experiments/{id}`: changes only the fields given, if `if_match` (the request's
/// `If-Match`, when sent) names the current revision.
///
/// While running or paused, descriptive fields, metrics, forced variants, routes and a
/// *higher* `traffic_allocation` may change; the split (variants, weights, salt) or a lower
/// allocation needs `"new_phase": true`, which also sets a new salt (everyone is re-drawn).
///
/// The request is judged before the state it meets: a malformed body (400) or an invalid
/// result (422) is refused whatever the revision; then `If-Match` (412), then what the
/// current status allows (409).
pub async fn update<S: Store>(
    store: &S,
    host: &impl Host,
    id: &str,
    bytes: &[u8],
    if_match: Option<&str>,
) -> ApiResult<Experiment> {
    let mut patch: Map<String, Value> = json_body(bytes)?;
    let current = load(store, id).await?;
    apply_compat(&mut patch)?;
    let new_phase = match patch.remove("new_phase") {
        None => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(ApiError::bad_request("new_phase", "must be a boolean")),
    };
    for field in SERVER_FIELDS {
        if patch.contains_key(field) {
            return Err(ApiError::invalid(
                field,
                "cannot be changed here (lifecycle fields use /start, /pause, /resume, /stop)",
            ));
        }
    }
    let mut merged = match serde_json::to_value(&current) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(ApiError::new(
                ErrorCode::InternalError,
                "experiment did not serialise to an object",
            ));
        }
    };
    for (k, v) in patch {
        merged.insert(k, v);
    }
    let mut next = into_experiment(merged)?;
    if new_phase {
        next.salt = Some(next_phase_salt(&current));
    }
    if next.shards != current.shards {
        return Err(ApiError::invalid(
            "shards",
            format!(
                "is fixed at creation ({}): the experiment's data lives in those shards",
                current.shards
            ),
        ));
    }
    next.updated_at = Some(host.now_ms());
    next.version = current.version + 1;
    next.validate().map_err(ApiError::validation)?;
    super::audience::check_holdouts_exist(store, &next).await?;
    check_precondition(&current, if_match)?;
    if current.status == Status::Archived {
        return Err(ApiError::new(
            ErrorCode::ReadOnly,
            "archived experiments cannot be changed",
        ));
    }
    check_live_update(&current, &next, new_phase).map_err(|e| {
        let code = match e {
            LiveUpdateError::SplitLocked(_) | LiveUpdateError::SaltLocked => {
                ErrorCode::VariantsLocked
            }
            LiveUpdateError::TrafficDecrease | LiveUpdateError::LayerShrink => {
                ErrorCode::TrafficDecrease
            }
        };
        ApiError::new(code, e.to_string())
    })?;
    if matches!(current.status, Status::Running | Status::Paused) && next.layer != current.layer {
        super::audience::check_layer_free(store, &next).await?;
    }
    write(store, &next, current.version).await?;
    Ok(next)
}

/// The conditional write of a changed experiment. The store also refuses a live layer
/// range that another live experiment overlaps (in the same statement, so a concurrent
/// start cannot slip between check and write); when that is why it refused, the answer is
/// the 409 `layer_overlap` naming the other experiment, not an edit conflict.
async fn write<S: Store>(store: &S, e: &Experiment, read_version: u64) -> ApiResult<()> {
    match store.update_experiment(e, read_version).await {
        Ok(()) => Ok(()),
        Err(err) => {
            if e.layer.is_some() && matches!(e.status, Status::Running | Status::Paused) {
                super::audience::check_layer_free(store, e).await?;
            }
            Err(err.into())
        }
    }
}

/// How often a lifecycle action without `If-Match` re-reads after losing a race.
const TRANSITION_ATTEMPTS: usize = 16;

/// `POST /experiments/{id}/{action}`: a legal lifecycle step, else 409 naming the status.
///
/// With `If-Match` the step applies only to that revision (412 otherwise; 409
/// `edit_conflict` if another write lands between the read and the write). Without it the
/// caller asked for the step on whatever is current, so a lost race is retried on a fresh
/// read (the transition is checked again each time), up to [`TRANSITION_ATTEMPTS`] times.
pub async fn transition<S: Store>(
    store: &S,
    host: &impl Host,
    id: &str,
    action: Action,
    if_match: Option<&str>,
) -> ApiResult<Experiment> {
    let mut attempt = 1;
    loop {
        match transition_once(store, host, id, action, if_match).await {
            Err(e)
                if e.code == ErrorCode::EditConflict
                    && if_match.is_none()
                    && attempt < TRANSITION_ATTEMPTS =>
            {
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// One read-check-conditional-write of [`transition`].
async fn transition_once<S: Store>(
    store: &S,
    host: &impl Host,
    id: &str,
    action: Action,
    if_match: Option<&str>,
) -> ApiResult<Experiment> {
    let mut e = load(store, id).await?;
    check_precondition(&e, if_match)?;
    let read_version = e.version;
    e.status = e.status.apply(action)?;
    if matches!(action, Action::Start | Action::Resume) {
        super::audience::check_layer_free(store, &e).await?;
    }
    let now = host.now_ms();
    match action {
        Action::Start => e.started_at = Some(now),
        Action::Stop => e.stopped_at = Some(now),
        _ => {}
    }
    e.updated_at = Some(now);
    e.version = read_version + 1;
    write(store, &e, read_version).await?;
    Ok(e)
}

/// The entity tag of an experiment's current revision (`"v<version>"`).
pub fn etag(e: &Experiment) -> String {
    format!("\"v{}\"", e.version)
}

/// `If-Match` (RFC 9110): `*` or a list of entity tags, compared strongly (a weak `W/` tag
/// never matches). 412 when it names another revision; absent means no precondition.
pub fn check_precondition(current: &Experiment, if_match: Option<&str>) -> ApiResult<()> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let wanted = etag(current);
    let matches = header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == wanted);
    if matches {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::PreconditionFailed,
            format!("If-Match {header} does not name the current revision {wanted}; read it again"),
        )
        .with_field("if-match"))
    }
}

/// `DELETE /experiments/{id}`: not while running or paused.
pub async fn delete<S: Store>(store: &S, id: &str) -> ApiResult<Experiment> {
    let e = load(store, id).await?;
    if matches!(e.status, Status::Running | Status::Paused) {
        return Err(ApiError::new(
            ErrorCode::IllegalTransition,
            format!(
                "cannot delete an experiment that is {}; stop it first",
                e.status
            ),
        ));
    }
    store.delete_experiment(&e).await?;
    Ok(e)
}

/// `GET /experiments?status=`: all, or those of one status (the ab-testing-service API's
/// `active` and `completed` work too).
pub async fn list<S: Store>(store: &S, status: Option<&str>) -> ApiResult<Vec<Experiment>> {
    let status = match status {
        None => None,
        Some(s) => Some(
            super::compat::experiment::status_of(s)
                .ok_or_else(|| super::compat::experiment::unknown_status(s))?,
        ),
    };
    Ok(store.experiments(status).await?)
}
