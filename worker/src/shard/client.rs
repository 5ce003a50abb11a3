//! The Worker's side of the data plane: which shard a unit's data is in, and requests to
//! the shards of an experiment, in parallel when a call spans several.

use super::protocol::{
    Counters, EventFilter, EventRow, EventRows, ExportPage, Exposed, Forgotten, ShardCounts,
    ShardRequest, ShardSegments, ShardStats, TrackedEvents, UnitEvent, UnitExposure, UnitExposures,
    Variants,
};
use crate::store::{StoreError, StoreResult, Tracked, VariantAggregate};
use cleave_core::assign::shard_of;
use cleave_core::model::Experiment;
use futures_util::future::try_join_all;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Env, ObjectNamespace, web_sys};

/// The binding of the `Shard` Durable Object class.
pub const BINDING: &str = "SHARD";

/// Units per page of an export (one shard request each).
pub const EXPORT_PAGE: u32 = 500;

/// Shards of every holdout's results. Part of where data lives: changing it would strand
/// the units already recorded, so it is fixed.
pub const HOLDOUT_SHARDS: u16 = 8;

/// Whose data a set of shards holds: an experiment's, or a holdout's results.
pub trait Sharded: Sync {
    /// The id the shards' object names start with (`<id>/<shard>`).
    fn data_id(&self) -> &str;
    /// How many shards (at least 1).
    fn shard_count(&self) -> u16;
    /// The most units the owner may hold (its shard refuses new ones beyond it).
    fn population_cap(&self) -> Option<u64> {
        None
    }
}

impl Sharded for Experiment {
    fn data_id(&self) -> &str {
        &self.id
    }

    fn shard_count(&self) -> u16 {
        self.shards.max(1)
    }

    fn population_cap(&self) -> Option<u64> {
        self.total_population
    }
}

/// The shards of every experiment and holdout.
#[derive(Clone)]
pub struct ShardPlane {
    namespace: ObjectNamespace,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("data-plane shard {what}: {e}"))
}

/// The URL of every shard request (the object is chosen by the stub, not the URL).
const SHARD_URL: &str = "https://shard.cleave/";

/// The object name of an experiment's shard.
pub fn object_name(experiment_id: &str, shard: u16) -> String {
    format!("{experiment_id}/{shard}")
}

impl ShardPlane {
    /// The `SHARD` binding.
    pub fn from_env(env: &Env) -> StoreResult<Self> {
        env.durable_object(BINDING)
            .map(|namespace| Self { namespace })
            .map_err(|e| unavailable("binding", e))
    }

    /// Sends one request to shard `shard` of `experiment_id`.
    ///
    /// The body goes as a string and the answer is read with the runtime's own `text()`:
    /// reading it through a Rust stream (`Response::json`) cost a reader, a read per chunk
    /// and a lock release per call, about a fifth of the CPU of an `/assign` measured in
    /// `wrangler dev` (`docs/benchmarks.md`).
    async fn call<T: DeserializeOwned>(
        &self,
        experiment_id: &str,
        shard: u16,
        request: &ShardRequest,
    ) -> StoreResult<T> {
        let name = object_name(experiment_id, shard);
        let stub: worker::worker_sys::DurableObject = self
            .namespace
            .id_from_name(&name)
            .and_then(|id| id.get_stub())
            .map_err(|e| unavailable(&name, e))?
            .into_rpc();
        let body = serde_json::to_string(request).map_err(|e| unavailable(&name, e))?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from_str(&body));
        let req = web_sys::Request::new_with_str_and_init(SHARD_URL, &init)
            .map_err(|e| unavailable(&name, worker::Error::from(e)))?;
        let answer = async {
            let response: web_sys::Response = JsFuture::from(stub.fetch_with_request(&req)?)
                .await?
                .dyn_into()?;
            let text = JsFuture::from(response.text()?).await?;
            Ok::<_, JsValue>((response.status(), text.as_string().unwrap_or_default()))
        };
        let (status, text) = answer
            .await
            .map_err(|e| unavailable(&name, worker::Error::from(e)))?;
        if status != 200 {
            return Err(unavailable(&name, format!("answered {status}: {text}")));
        }
        serde_json::from_str(&text).map_err(|e| unavailable(&name, e))
    }

    /// Sends `request` to every shard of the experiment, in parallel.
    async fn every_shard<T: DeserializeOwned>(
        &self,
        owner: &impl Sharded,
        request: &ShardRequest,
    ) -> StoreResult<Vec<T>> {
        try_join_all((0..owner.shard_count()).map(|s| self.call(owner.data_id(), s, request))).await
    }

    /// Records first exposures, each in its unit's shard (shards in parallel).
    pub async fn expose(
        &self,
        owner: &impl Sharded,
        exposures: Vec<UnitExposure>,
    ) -> StoreResult<Exposed> {
        let groups = by_shard(owner.shard_count(), exposures, |x| &x.user_id);
        let answers: Vec<Exposed> = try_join_all(groups.into_iter().map(|(shard, items)| {
            let request = ShardRequest::Expose {
                exposures: items.into_iter().map(|(_, x)| x).collect(),
                cap: owner.population_cap(),
            };
            async move { self.call(owner.data_id(), shard, &request).await }
        }))
        .await?;
        let mut all = Exposed::default();
        for a in answers {
            all.merge(a);
        }
        Ok(all)
    }

    /// Sends each item to its unit's shard (shards in parallel) as `request(items)` and
    /// puts the answers `outcomes(answer)` back in item order (`missing` where none came).
    async fn scatter<T, A: DeserializeOwned, R: Clone>(
        &self,
        owner: &impl Sharded,
        items: Vec<T>,
        unit: fn(&T) -> &str,
        request: fn(Vec<T>) -> ShardRequest,
        outcomes: fn(A) -> Vec<R>,
        missing: R,
    ) -> StoreResult<Vec<R>> {
        let len = items.len();
        let groups = by_shard(owner.shard_count(), items, unit);
        let answers = try_join_all(groups.into_iter().map(|(shard, items)| async move {
            let (positions, items): (Vec<usize>, Vec<T>) = items.into_iter().unzip();
            let answer: A = self.call(owner.data_id(), shard, &request(items)).await?;
            Ok::<_, StoreError>((positions, outcomes(answer)))
        }))
        .await?;
        Ok(reorder(len, answers, missing))
    }

    /// The recorded variant of each unit, in order.
    pub async fn variants(
        &self,
        owner: &impl Sharded,
        user_ids: Vec<String>,
    ) -> StoreResult<Vec<Option<String>>> {
        self.scatter(
            owner,
            user_ids,
            |u| u.as_str(),
            |user_ids| ShardRequest::Variants { user_ids },
            |a: Variants| a.variants,
            None,
        )
        .await
    }

    /// Each unit's first exposure, in order.
    pub async fn exposures(
        &self,
        owner: &impl Sharded,
        user_ids: Vec<String>,
    ) -> StoreResult<Vec<Option<UnitExposure>>> {
        self.scatter(
            owner,
            user_ids,
            |u| u.as_str(),
            |user_ids| ShardRequest::Exposures { user_ids },
            |a: UnitExposures| a.exposures,
            None,
        )
        .await
    }

    /// The events matching `filter`, oldest first, at most its limit: from the unit's shard
    /// when it names one, else from every shard (in parallel), merged.
    pub async fn events(
        &self,
        owner: &impl Sharded,
        filter: &EventFilter,
    ) -> StoreResult<Vec<EventRow>> {
        let request = ShardRequest::Events {
            filter: filter.clone(),
        };
        let answers: Vec<EventRows> = match &filter.user_id {
            Some(user) => {
                let shard = shard_of(user, owner.shard_count());
                vec![self.call(owner.data_id(), shard, &request).await?]
            }
            None => self.every_shard(owner, &request).await?,
        };
        let mut rows: Vec<EventRow> = answers.into_iter().flat_map(|a| a.events).collect();
        rows.sort_by(|a, b| (a.at, &a.user_id, &a.event_id).cmp(&(b.at, &b.user_id, &b.event_id)));
        rows.truncate(filter.limit as usize);
        Ok(rows)
    }

    /// Counts events (each in its unit's shard); per event, in order, what it did.
    pub async fn track(
        &self,
        owner: &impl Sharded,
        events: Vec<UnitEvent>,
    ) -> StoreResult<Vec<Tracked>> {
        self.scatter(
            owner,
            events,
            |e| e.user_id.as_str(),
            |events| ShardRequest::Track { events },
            |a: TrackedEvents| a.outcomes,
            Tracked::NotExposed,
        )
        .await
    }

    /// Per-variant statistics of a metric merged over the shards, with the rows read.
    pub async fn stats(
        &self,
        owner: &impl Sharded,
        metric: &str,
    ) -> StoreResult<(Vec<VariantAggregate>, u64)> {
        let answers: Vec<ShardStats> = self
            .every_shard(
                owner,
                &ShardRequest::Stats {
                    metric: metric.to_string(),
                },
            )
            .await?;
        let rows_read = answers.iter().map(|a| a.rows_read).sum();
        let merged = merge(answers.into_iter().flat_map(|a| a.arms).map(|a| ((), a)));
        Ok((merged.into_iter().map(|(_, a)| a).collect(), rows_read))
    }

    /// Units per variant and events per (variant, metric), merged over the shards.
    pub async fn counts(&self, owner: &impl Sharded) -> StoreResult<ShardCounts> {
        let answers: Vec<ShardCounts> = self.every_shard(owner, &ShardRequest::Counts).await?;
        let mut units: BTreeMap<String, u64> = BTreeMap::new();
        let mut events: BTreeMap<(String, String), u64> = BTreeMap::new();
        for a in answers {
            for (variant, n) in a.units {
                *units.entry(variant).or_default() += n;
            }
            for (variant, metric, n) in a.events {
                *events.entry((variant, metric)).or_default() += n;
            }
        }
        Ok(ShardCounts {
            units: units.into_iter().collect(),
            events: events.into_iter().map(|((v, m), n)| (v, m, n)).collect(),
        })
    }

    /// Per-(segment, variant) statistics merged over the shards.
    pub async fn segments(
        &self,
        owner: &impl Sharded,
        metric: &str,
        json_path: &str,
    ) -> StoreResult<Vec<(Option<String>, VariantAggregate)>> {
        let answers: Vec<ShardSegments> = self
            .every_shard(
                owner,
                &ShardRequest::Segments {
                    metric: metric.to_string(),
                    json_path: json_path.to_string(),
                },
            )
            .await?;
        Ok(merge(answers.into_iter().flat_map(|a| a.rows)))
    }

    /// Removes one unit from the experiment (its shard only holds it).
    pub async fn forget(&self, owner: &impl Sharded, user_id: &str) -> StoreResult<Forgotten> {
        let shard = shard_of(user_id, owner.shard_count());
        let request = ShardRequest::Forget {
            user_id: user_id.to_string(),
        };
        self.call(owner.data_id(), shard, &request).await
    }

    /// A page of shard `shard`'s per-unit rows after `after`.
    pub async fn export_page(
        &self,
        experiment_id: &str,
        shard: u16,
        after: Option<String>,
    ) -> StoreResult<ExportPage> {
        let request = ShardRequest::Export {
            after,
            limit: EXPORT_PAGE,
        };
        self.call(experiment_id, shard, &request).await
    }

    /// Forgets every shard's data.
    pub async fn clear(&self, owner: &impl Sharded) -> StoreResult<()> {
        let _: Vec<serde_json::Value> = self.every_shard(owner, &ShardRequest::Clear).await?;
        Ok(())
    }

    /// Adds to named counters (in the one object that holds them).
    pub async fn bump(&self, counts: Vec<(String, u64)>) -> StoreResult<()> {
        let _: Counters = self
            .call(COUNTERS_OBJECT, 0, &ShardRequest::Bump { counts })
            .await?;
        Ok(())
    }

    /// Every named counter.
    pub async fn counters(&self) -> StoreResult<Vec<(String, u64)>> {
        let answer: Counters = self
            .call(COUNTERS_OBJECT, 0, &ShardRequest::Counters)
            .await?;
        Ok(answer.counters)
    }
}

/// The object holding the named counters (`cleave:counters/0`; no experiment id has a
/// colon).
const COUNTERS_OBJECT: &str = "cleave:counters";

/// Items grouped by their unit's shard, each with its position in `items`.
fn by_shard<T>(
    shards: u16,
    items: Vec<T>,
    unit: impl Fn(&T) -> &str,
) -> BTreeMap<u16, Vec<(usize, T)>> {
    let mut groups: BTreeMap<u16, Vec<(usize, T)>> = BTreeMap::new();
    for (i, item) in items.into_iter().enumerate() {
        let shard = shard_of(unit(&item), shards);
        groups.entry(shard).or_default().push((i, item));
    }
    groups
}

/// Per-shard answers put back in request order (`missing` where a shard said nothing).
fn reorder<T: Clone>(len: usize, answers: Vec<(Vec<usize>, Vec<T>)>, missing: T) -> Vec<T> {
    let mut out = vec![missing; len];
    for (positions, values) in answers {
        for (p, v) in positions.into_iter().zip(values) {
            if let Some(slot) = out.get_mut(p) {
                *slot = v;
            }
        }
    }
    out
}

/// Sums per-shard statistics of the same (key, variant).
fn merge<K: Ord>(rows: impl Iterator<Item = (K, VariantAggregate)>) -> Vec<(K, VariantAggregate)> {
    let mut merged: BTreeMap<(K, String), VariantAggregate> = BTreeMap::new();
    for (key, a) in rows {
        match merged.entry((key, a.variant.clone())) {
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let m = slot.get_mut();
                m.users += a.users;
                m.converters += a.converters;
                m.sum += a.sum;
                m.sum_sq += a.sum_sq;
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(a);
            }
        }
    }
    merged.into_iter().map(|((k, _), a)| (k, a)).collect()
}
