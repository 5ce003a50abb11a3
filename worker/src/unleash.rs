//! Unleash for the Worker: the client features are fetched from `UNLEASH_URL` with
//! `UNLEASH_API_TOKEN` (`GET /api/client/features`, with the last `ETag`) on the cron
//! trigger and on demand, checked by loading them into Unleash's engine, and kept in KV; a
//! failed or invalid fetch keeps the last good copy and is reported in `/health` and
//! `/metrics`. Each isolate keeps the engine built from the stored copy, re-reading only a
//! small status record every few seconds and the features when they changed.

use crate::host::{WorkerHost, setting};
use crate::service::Host;
use crate::service::unleash::{Toggles, UnleashGates};
use crate::shard::ShardPlane;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

/// KV key of the last good features (with their ETag).
pub const FEATURES_KEY: &str = "unleash:features";
/// KV key of the fetch status.
pub const STATUS_KEY: &str = "unleash:status";
/// How long an isolate trusts its engine before checking the status record again.
const TTL_MS: i64 = 5_000;

/// The counters of each fetch outcome (`/metrics`: `cleave_unleash_fetches_total`).
pub const OUTCOMES: [&str; 4] = ["updated", "not_modified", "failed", "invalid"];

/// The last good features, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    /// Their `ETag`, sent back as `If-None-Match`.
    etag: Option<String>,
    /// The body of `GET /api/client/features`.
    features: String,
}

/// How fetching went, as `/health`, `/metrics` and the refresh endpoint report it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnleashStatus {
    /// Whether the last fetch succeeded (`updated` or `not_modified`).
    pub ok: bool,
    /// `updated`, `not_modified`, `failed` (no answer, or not 200/304) or `invalid` (not
    /// client features): the last two keep the last good copy; `not_fetched` before the
    /// first fetch.
    pub last_outcome: String,
    /// What went wrong last, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The last fetch, ms since the epoch.
    pub last_attempt_at: i64,
    /// The last successful fetch (`updated` or `not_modified`), ms since the epoch.
    #[serde(default)]
    pub last_success_at: Option<i64>,
    /// When the features in use were stored (ms since the epoch); they identify the copy.
    #[serde(default)]
    pub features_version: Option<i64>,
    /// Toggles in the copy in use.
    pub toggles: usize,
    /// Strategies or constraints Unleash's engine could not read in it.
    pub warnings: Vec<String>,
}

impl UnleashStatus {
    /// Before the first fetch: not ok, nothing loaded (every gate closed).
    pub fn not_fetched() -> Self {
        Self {
            last_outcome: "not_fetched".into(),
            last_error: Some("no fetch yet: the cron trigger fetches every minute".into()),
            ..Self::default()
        }
    }
}

/// Whether gates can be evaluated at all (`UNLEASH_URL` set).
pub fn configured(env: &Env) -> bool {
    setting(env, "UNLEASH_URL").is_some()
}

/// `{UNLEASH_URL}/api/client/features`, or `{UNLEASH_URL}/client/features` when the URL
/// already ends in `/api` (as Unleash SDKs are configured).
pub fn features_url(base: &str) -> String {
    let base = base.trim().trim_end_matches('/');
    if base.ends_with("/api") {
        format!("{base}/client/features")
    } else {
        format!("{base}/api/client/features")
    }
}

async fn kv_get<T: serde::de::DeserializeOwned>(env: &Env, key: &str) -> Option<T> {
    env.kv("KV").ok()?.get(key).json::<T>().await.ok().flatten()
}

async fn kv_put<T: Serialize>(env: &Env, key: &str, value: &T) -> Result<(), String> {
    let kv = env.kv("KV").map_err(|e| e.to_string())?;
    let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
    kv.put(key, text)
        .map_err(|e| e.to_string())?
        .execute()
        .await
        .map_err(|e| e.to_string())
}

/// The stored status (none before the first fetch).
pub async fn status(env: &Env) -> Option<UnleashStatus> {
    kv_get(env, STATUS_KEY).await
}

/// What one request to Unleash gave.
enum Fetched {
    Updated(Stored),
    NotModified,
}

async fn fetch(env: &Env, previous_etag: Option<&str>) -> Result<Fetched, String> {
    let base = setting(env, "UNLEASH_URL").ok_or("UNLEASH_URL is not set")?;
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(|e| e.to_string());
    set("accept", "application/json")?;
    set("unleash-appname", "cleave")?;
    if let Some(token) = setting(env, "UNLEASH_API_TOKEN") {
        set("authorization", &token)?;
    }
    if let Some(etag) = previous_etag {
        set("if-none-match", etag)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let url = features_url(&base);
    let request = Request::new_with_init(&url, &init).map_err(|e| e.to_string())?;
    let mut response = Fetch::Request(request)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    match response.status_code() {
        304 => Ok(Fetched::NotModified),
        200 => {
            let etag = response.headers().get("etag").ok().flatten();
            let features = response.text().await.map_err(|e| e.to_string())?;
            Ok(Fetched::Updated(Stored { etag, features }))
        }
        other => Err(format!("{url} answered {other}")),
    }
}

/// Fetches the features now: stores them when they changed and are valid, and the status
/// in any case; counts the outcome.
pub async fn refresh(env: &Env) -> UnleashStatus {
    let now = WorkerHost.now_ms();
    let mut status = status(env).await.unwrap_or_default();
    let previous: Option<Stored> = kv_get(env, FEATURES_KEY).await;
    status.last_attempt_at = now;
    let outcome = match fetch(env, previous.as_ref().and_then(|p| p.etag.as_deref())).await {
        Ok(Fetched::NotModified) if previous.is_some() => Ok("not_modified"),
        Ok(Fetched::NotModified) => Err(("failed", "304 without a stored copy".to_string())),
        Ok(Fetched::Updated(stored)) => match Toggles::load(&stored.features) {
            Ok(toggles) => match kv_put(env, FEATURES_KEY, &stored).await {
                Ok(()) => {
                    status.features_version = Some(now);
                    status.toggles = toggles.count;
                    status.warnings = toggles.warnings;
                    Ok("updated")
                }
                Err(e) => Err(("failed", format!("storing the features failed: {e}"))),
            },
            Err(e) => Err(("invalid", e)),
        },
        Err(e) => Err(("failed", e)),
    };
    match outcome {
        Ok(name) => {
            status.ok = true;
            status.last_outcome = name.to_string();
            status.last_error = None;
            status.last_success_at = Some(now);
        }
        Err((name, error)) => {
            worker::console_error!("fetching Unleash features: {name}: {error}");
            status.ok = false;
            status.last_outcome = name.to_string();
            status.last_error = Some(error);
        }
    }
    if let Err(e) = kv_put(env, STATUS_KEY, &status).await {
        worker::console_error!("storing the Unleash status failed: {e}");
    }
    // This isolate reads the new copy at its next decision (others within a few seconds).
    CACHED.with(|c| *c.borrow_mut() = None);
    if let Ok(plane) = ShardPlane::from_env(env)
        && let Err(e) = plane
            .bump(vec![(format!("unleash_{}", status.last_outcome), 1)])
            .await
    {
        worker::console_error!("counting the Unleash fetch failed: {e}");
    }
    status
}

/// What an isolate holds: when it last checked, the features version, and their engine.
#[derive(Clone)]
struct Held {
    checked_at: i64,
    version: Option<i64>,
    toggles: Option<Rc<Toggles>>,
}

thread_local! {
    static CACHED: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// The toggles in use: this isolate's engine while the stored version is unchanged (checked
/// every few seconds), else rebuilt from the stored copy. `None` without `UNLEASH_URL` or
/// before the first good fetch.
pub async fn current(env: &Env) -> Option<Rc<Toggles>> {
    if !configured(env) {
        return None;
    }
    let now = WorkerHost.now_ms();
    let cached = CACHED.with(|c| c.borrow().clone());
    if let Some(held) = &cached
        && now - held.checked_at < TTL_MS
    {
        return held.toggles.clone();
    }
    let version = status(env).await.and_then(|s| s.features_version);
    let toggles = match cached {
        Some(held) if held.version == version => held.toggles,
        _ => match kv_get::<Stored>(env, FEATURES_KEY).await {
            Some(stored) => match Toggles::load(&stored.features) {
                Ok(t) => Some(Rc::new(t)),
                Err(e) => {
                    worker::console_error!("the stored Unleash features do not load: {e}");
                    None
                }
            },
            None => None,
        },
    };
    CACHED.with(|c| {
        *c.borrow_mut() = Some(Held {
            checked_at: now,
            version,
            toggles: toggles.clone(),
        })
    });
    toggles
}

/// The gates of this isolate's toggles, evaluated at the time of each decision.
pub fn gates(toggles: Option<Rc<Toggles>>) -> UnleashGates {
    UnleashGates {
        toggles,
        now_ms: || WorkerHost.now_ms(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_features_url_follows_how_sdks_are_configured() {
        assert_eq!(
            super::features_url("https://unleash.example/"),
            "https://unleash.example/api/client/features"
        );
        assert_eq!(
            super::features_url("https://unleash.example/api/"),
            "https://unleash.example/api/client/features"
        );
    }
}
