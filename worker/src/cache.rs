//! The snapshot in KV, kept in the isolate's memory for a few seconds so `/assign`
//! needs neither D1 nor (usually) KV.

use crate::host::WorkerHost;
use crate::service::assign::AudienceConfig;
use crate::service::audience;
use crate::service::unleash::UnleashGates;
use crate::service::{Host, snapshot};
use crate::store::{CloudStore, Store};
use cleave_core::edge::{DEFAULT_HEADER_PREFIX, HeaderMode, HeaderNames};
use cleave_core::model::Status;
use cleave_core::targeting::{CachedRegex, Groups};
use std::cell::RefCell;
use std::rc::Rc;
use worker::Env;

/// How long an isolate trusts its copy of the snapshot.
const TTL_MS: i64 = 5_000;

/// A snapshot with its running experiments prepared for assignment (once per change).
pub struct Published {
    /// The snapshot as stored in KV and served at `/snapshot`.
    pub snapshot: snapshot::Snapshot,
    /// Its experiments with prepared allocations and header names, for the proxy.
    pub prepared: Vec<cleave_core::edge::Prepared>,
    /// The proxy's header names (`CLEAVE_HEADER_PREFIX`, `CLEAVE_HEADERS`).
    pub names: HeaderNames,
    /// Its saved groups by name.
    pub groups: Groups,
    /// Compiled `$regex` patterns, kept with the snapshot they came from.
    pub regex: CachedRegex,
    /// The gates (Unleash toggles) of its gated experiments.
    pub gates: UnleashGates,
}

/// The proxy's header names from the environment: `CLEAVE_HEADER_PREFIX` (default
/// `x-cleave-`) and `CLEAVE_HEADERS` (`each`, the default, or `summary`).
fn header_names(env: &Env) -> HeaderNames {
    let prefix = crate::host::setting(env, "CLEAVE_HEADER_PREFIX")
        .unwrap_or_else(|| DEFAULT_HEADER_PREFIX.to_string());
    let mode = match crate::host::setting(env, "CLEAVE_HEADERS").as_deref() {
        Some("summary") => HeaderMode::Summary,
        _ => HeaderMode::Each,
    };
    HeaderNames::new(&prefix, mode)
}

impl Published {
    /// Prepares `snapshot`, with the Unleash toggles when an experiment of it is gated.
    async fn load(snapshot: snapshot::Snapshot, env: &Env) -> Rc<Self> {
        let gated = snapshot.experiments.iter().any(|e| e.gate.is_some());
        let toggles = if gated {
            crate::unleash::current(env).await
        } else {
            None
        };
        Self::new(snapshot, env, crate::unleash::gates(toggles))
    }

    fn new(snapshot: snapshot::Snapshot, env: &Env, gates: UnleashGates) -> Rc<Self> {
        let names = header_names(env);
        let prepared =
            cleave_core::edge::prepare(snapshot.experiments.iter().cloned(), &names.prefix);
        let groups = crate::service::audience::groups_of(&snapshot.groups);
        Rc::new(Self {
            snapshot,
            prepared,
            names,
            groups,
            regex: CachedRegex::default(),
            gates,
        })
    }

    /// What every decision against this snapshot shares.
    pub fn audience(&self) -> AudienceConfig<'_> {
        AudienceConfig {
            holdouts: &self.snapshot.holdouts,
            groups: &self.groups,
            regex: &self.regex,
            gates: &self.gates,
        }
    }
}

thread_local! {
    static CACHED: RefCell<Option<(i64, Rc<Published>)>> = const { RefCell::new(None) };
}

/// The current snapshot: memory (≤ 5 s old), else KV, else rebuilt from D1 and published.
pub async fn snapshot(env: &Env) -> Option<Rc<Published>> {
    let now = WorkerHost.now_ms();
    if let Some(s) = CACHED.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(at, _)| now - at < TTL_MS)
            .map(|(_, s)| s.clone())
    }) {
        return Some(s);
    }
    let kv = env.kv("KV").ok()?;
    let stored = kv
        .get(snapshot::KV_KEY)
        .json::<snapshot::Snapshot>()
        .await
        .ok()
        .flatten();
    let s = match stored {
        Some(s) => Published::load(s, env).await,
        None => {
            let store = CloudStore::from_env(env).ok()?;
            publish(env, &store).await.ok()?
        }
    };
    CACHED.with(|c| *c.borrow_mut() = Some((now, s.clone())));
    Some(s)
}

/// Rebuilds the snapshot from D1, writes it to KV and refreshes this isolate's copy.
pub async fn publish(env: &Env, store: &CloudStore) -> Result<Rc<Published>, String> {
    let all = store
        .experiments(Some(Status::Running))
        .await
        .map_err(|e| e.to_string())?;
    let (holdouts, groups) = audience::load(store).await.map_err(|e| e.message)?;
    let s = snapshot::build(all, holdouts, groups, WorkerHost.now_ms());
    let kv = env.kv("KV").map_err(|e| e.to_string())?;
    let text = serde_json::to_string(&s).map_err(|e| e.to_string())?;
    kv.put(snapshot::KV_KEY, text)
        .map_err(|e| e.to_string())?
        .execute()
        .await
        .map_err(|e| e.to_string())?;
    let published = Published::load(s, env).await;
    let now = WorkerHost.now_ms();
    CACHED.with(|c| *c.borrow_mut() = Some((now, published.clone())));
    Ok(published)
}
