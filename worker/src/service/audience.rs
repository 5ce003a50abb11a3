//! Holdouts and saved groups (named configuration beside the experiments), and the rules
//! that tie experiments to them: listed holdouts exist, groups and holdouts in use are not
//! deleted, and running experiments of one layer never overlap.

use super::Host;
use super::input::json_body;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{Catalog, Store};
use cleave_core::model::{Experiment, FieldError, Holdout, SavedGroup, Status};
use cleave_core::targeting::Groups;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Most holdouts in all.
pub const MAX_HOLDOUTS_TOTAL: usize = 50;
/// Most saved groups in all.
pub const MAX_GROUPS_TOTAL: usize = 100;

/// A named catalog entry (a holdout or a saved group).
pub trait Entry: Serialize + DeserializeOwned + Clone {
    /// Where it is stored.
    const CATALOG: Catalog;
    /// What the API calls it in messages.
    const NOUN: &'static str;
    /// Most entries in all.
    const MAX: usize;
    /// Its name.
    fn name(&self) -> &str;
    /// Renames it (the path names it).
    fn set_name(&mut self, name: String);
    /// Every rule it breaks.
    fn check(&self) -> Result<(), Vec<FieldError>>;
    /// Whether `experiment` uses it.
    fn used_by(&self, experiment: &Experiment) -> bool;
    /// Whether replacing `before` with it makes its recorded results meaningless (they are
    /// cleared: a holdout whose share changes puts units in other arms).
    fn restarts_results(&self, _before: &Self) -> bool {
        false
    }
}

impl Entry for Holdout {
    const CATALOG: Catalog = Catalog::Holdouts;
    const NOUN: &'static str = "holdout";
    const MAX: usize = MAX_HOLDOUTS_TOTAL;
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
    fn used_by(&self, e: &Experiment) -> bool {
        e.holdouts.contains(&self.name)
    }
    fn restarts_results(&self, before: &Self) -> bool {
        self.share.to_bits() != before.share.to_bits()
    }
}

impl Entry for SavedGroup {
    const CATALOG: Catalog = Catalog::Groups;
    const NOUN: &'static str = "saved group";
    const MAX: usize = MAX_GROUPS_TOTAL;
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
    fn used_by(&self, e: &Experiment) -> bool {
        e.targeting
            .as_ref()
            .is_some_and(|t| names_group(t, &self.name))
    }
}

/// Whether a condition mentions `$inGroup` / `$notInGroup` of `name` anywhere.
fn names_group(condition: &serde_json::Value, name: &str) -> bool {
    use serde_json::Value;
    match condition {
        Value::Object(map) => map.iter().any(|(k, v)| {
            (matches!(k.as_str(), "$inGroup" | "$notInGroup") && v.as_str() == Some(name))
                || names_group(v, name)
        }),
        Value::Array(items) => items.iter().any(|v| names_group(v, name)),
        _ => false,
    }
}

/// Every entry of a catalog, by name.
pub async fn list<T: Entry, S: Store>(store: &S) -> ApiResult<Vec<T>> {
    parse_all(&store.catalog(T::CATALOG).await?)
}

/// Every holdout and every saved group, in one round trip.
pub async fn load<S: Store>(store: &S) -> ApiResult<(Vec<Holdout>, Vec<SavedGroup>)> {
    let (holdouts, groups) = store.audience().await?;
    Ok((parse_all(&holdouts)?, parse_all(&groups)?))
}

fn parse_all<T: Entry>(texts: &[String]) -> ApiResult<Vec<T>> {
    texts
        .iter()
        .map(|text| {
            serde_json::from_str(text).map_err(|e| {
                ApiError::new(
                    ErrorCode::StorageUnavailable,
                    format!("a stored {} is corrupt: {e}", T::NOUN),
                )
            })
        })
        .collect()
}

/// One entry, or 404.
pub async fn get<T: Entry, S: Store>(store: &S, name: &str) -> ApiResult<T> {
    list::<T, S>(store)
        .await?
        .into_iter()
        .find(|t| t.name() == name)
        .ok_or_else(|| ApiError::not_found(format!("no {} '{name}'", T::NOUN)))
}

/// `PUT /<catalog>/{name}`: creates or replaces the entry; the path names it (a `name` in
/// the body must agree). Returns it and whether it is new.
pub async fn put<T: Entry, S: Store>(
    store: &S,
    host: &impl Host,
    name: &str,
    bytes: &[u8],
) -> ApiResult<(T, bool)> {
    let mut body: serde_json::Map<String, serde_json::Value> = json_body(bytes)?;
    match body.get("name") {
        None => {
            body.insert("name".into(), name.into());
        }
        Some(n) if n.as_str() == Some(name) => {}
        Some(_) => {
            return Err(ApiError::invalid("name", "must match the name in the path"));
        }
    }
    let mut entry: T = json_body(serde_json::Value::Object(body).to_string().as_bytes())?;
    entry.set_name(name.to_string());
    entry.check().map_err(ApiError::validation)?;
    let existing = list::<T, S>(store).await?;
    let new = !existing.iter().any(|t| t.name() == name);
    if new && existing.len() >= T::MAX {
        return Err(ApiError::invalid(
            "name",
            format!(
                "at most {} {}s may exist; delete one first",
                T::MAX,
                T::NOUN
            ),
        ));
    }
    let text = serde_json::to_string(&entry)
        .map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))?;
    store
        .put_catalog(T::CATALOG, name, &text, host.now_ms())
        .await?;
    let restarted = existing
        .iter()
        .any(|old| old.name() == name && entry.restarts_results(old));
    if restarted {
        store.clear_holdout(name).await?;
    }
    Ok((entry, new))
}

/// `DELETE /<catalog>/{name}`: 404 if absent, 409 naming an experiment that uses it.
pub async fn delete<T: Entry, S: Store>(store: &S, name: &str) -> ApiResult<T> {
    let entry: T = get(store, name).await?;
    if let Some(user) = store
        .experiments(None)
        .await?
        .iter()
        .find(|e| e.status != Status::Archived && entry.used_by(e))
    {
        return Err(ApiError::new(
            ErrorCode::InUse,
            format!(
                "{} '{name}' is used by experiment '{}' ({}); remove it there first",
                T::NOUN,
                user.key,
                user.id
            ),
        ));
    }
    store.delete_catalog(T::CATALOG, name).await?;
    if T::CATALOG == Catalog::Holdouts {
        store.clear_holdout(name).await?;
    }
    Ok(entry)
}

/// The saved groups as the core's condition evaluator takes them.
pub fn groups_of(groups: &[SavedGroup]) -> Groups {
    cleave_core::edge::groups(groups)
}

/// 422 naming `holdouts[i]` when `e` lists a holdout that does not exist.
pub async fn check_holdouts_exist<S: Store>(store: &S, e: &Experiment) -> ApiResult<()> {
    if e.holdouts.is_empty() {
        return Ok(());
    }
    let known = list::<Holdout, S>(store).await?;
    for (i, name) in e.holdouts.iter().enumerate() {
        if !known.iter().any(|h| h.name == *name) {
            return Err(ApiError::invalid(
                format!("holdouts[{i}]"),
                format!("no holdout '{name}' (create it with PUT /api/v1/holdouts/{name})"),
            ));
        }
    }
    Ok(())
}

/// Whether an experiment holds its layer range: running or paused (it may resume).
fn holds_range(e: &Experiment) -> bool {
    matches!(e.status, Status::Running | Status::Paused)
}

/// 409 `layer_overlap` naming the other experiment when `e` (about to run, or live and
/// changing) takes a layer range that overlaps a live experiment's.
pub async fn check_layer_free<S: Store>(store: &S, e: &Experiment) -> ApiResult<()> {
    let Some(range) = &e.layer else {
        return Ok(());
    };
    let live = store.experiments(None).await?;
    if let Some(other) = live.iter().find(|o| {
        o.id != e.id && holds_range(o) && o.layer.as_ref().is_some_and(|r| r.overlaps(range))
    }) {
        let theirs = other
            .layer
            .as_ref()
            .map_or((0.0, 0.0), |r| (r.start, r.end));
        return Err(ApiError::new(
            ErrorCode::LayerOverlap,
            format!(
                "layer '{}' range [{}, {}) overlaps experiment '{}' ({}, {}) at [{}, {}); give them disjoint ranges",
                range.name, range.start, range.end, other.key, other.id, other.status, theirs.0, theirs.1
            ),
        )
        .with_field("layer"));
    }
    Ok(())
}
