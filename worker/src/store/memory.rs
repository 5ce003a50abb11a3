//! An in-memory [`Store`] for native tests of the service logic.

use super::{
    AnalysisRun, ArmStats, Catalog, EventFilter, EventRecord, Exposed, Exposure, HOLDOUT_ARMS,
    HoldoutEvent, HoldoutMember, MetricsData, Store, StoreError, StoreResult, Tracked,
    UnitForgotten, VariantAggregate,
};
use cleave_core::model::{Experiment, Status};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// Everything in `RefCell`s; single-threaded like a Worker isolate.
#[derive(Default)]
pub struct MemoryStore {
    experiments: RefCell<Vec<Experiment>>,
    exposures: RefCell<BTreeMap<(String, String), Exposure>>,
    /// By (experiment, unit, event id): event ids are unique per unit in an experiment.
    events: RefCell<BTreeMap<(String, String, String), EventRecord>>,
    analyses: RefCell<BTreeMap<String, AnalysisRun>>,
    catalogs: RefCell<BTreeMap<(Catalog, String), String>>,
    holdout_members: RefCell<BTreeMap<(String, String), HoldoutMember>>,
    holdout_events: RefCell<BTreeMap<(String, String), HoldoutEvent>>,
    racing_writes: Cell<u32>,
    sneaking_in: RefCell<Option<Experiment>>,
}

impl MemoryStore {
    /// Stores `other` just before the next experiment update is applied: another writer
    /// (simulated) that wins a race between the update's checks and its write.
    pub fn sneak_in_before_next_update(&self, other: Experiment) {
        *self.sneaking_in.borrow_mut() = Some(other);
    }

    /// Makes the next `n` experiment updates lose a race: another writer (simulated) stores
    /// a new revision between their read and their write.
    pub fn race_next_updates(&self, n: u32) {
        self.racing_writes.set(n);
    }
}

impl Store for MemoryStore {
    async fn experiment(&self, id_or_key: &str) -> StoreResult<Option<Experiment>> {
        Ok(self
            .experiments
            .borrow()
            .iter()
            .find(|e| e.id == id_or_key || e.key == id_or_key)
            .cloned())
    }

    async fn experiments(&self, status: Option<Status>) -> StoreResult<Vec<Experiment>> {
        let mut all: Vec<Experiment> = self
            .experiments
            .borrow()
            .iter()
            .filter(|e| status.is_none_or(|s| e.status == s))
            .cloned()
            .collect();
        all.reverse();
        Ok(all)
    }

    async fn insert_experiment(&self, experiment: &Experiment) -> StoreResult<()> {
        let mut all = self.experiments.borrow_mut();
        if all
            .iter()
            .any(|e| e.id == experiment.id || e.key == experiment.key)
        {
            return Err(StoreError::Conflict(format!(
                "an experiment with key '{}' exists",
                experiment.key
            )));
        }
        all.push(experiment.clone());
        Ok(())
    }

    async fn update_experiment(
        &self,
        experiment: &Experiment,
        read_version: u64,
    ) -> StoreResult<()> {
        let mut all = self.experiments.borrow_mut();
        if all
            .iter()
            .any(|e| e.id != experiment.id && e.key == experiment.key)
        {
            return Err(StoreError::Conflict(format!(
                "an experiment with key '{}' exists",
                experiment.key
            )));
        }
        if let Some(other) = self.sneaking_in.borrow_mut().take() {
            match all.iter_mut().find(|e| e.id == other.id) {
                Some(slot) => *slot = other,
                None => all.push(other),
            }
        }
        // As D1's statement: a live range no other live experiment overlaps.
        let live = |e: &Experiment| matches!(e.status, Status::Running | Status::Paused);
        if let Some(range) = experiment.layer.as_ref().filter(|_| live(experiment))
            && all.iter().any(|o| {
                o.id != experiment.id
                    && live(o)
                    && o.layer.as_ref().is_some_and(|r| r.overlaps(range))
            })
        {
            return Err(StoreError::Stale(format!(
                "a live experiment took a range of layer '{}' overlapping experiment '{}'",
                range.name, experiment.id
            )));
        }
        if self.racing_writes.get() > 0 {
            self.racing_writes.set(self.racing_writes.get() - 1);
            if let Some(slot) = all.iter_mut().find(|e| e.id == experiment.id) {
                slot.version += 1;
            }
        }
        match all.iter_mut().find(|e| e.id == experiment.id) {
            Some(slot) if slot.version == read_version => {
                *slot = experiment.clone();
                Ok(())
            }
            Some(_) => Err(StoreError::Stale(format!(
                "experiment '{}' changed since revision {read_version}",
                experiment.id
            ))),
            None => Err(StoreError::Backend(format!(
                "no experiment {}",
                experiment.id
            ))),
        }
    }

    async fn delete_experiment(&self, experiment: &Experiment) -> StoreResult<bool> {
        let id = experiment.id.as_str();
        let mut all = self.experiments.borrow_mut();
        let before = all.len();
        all.retain(|e| e.id != id);
        self.exposures.borrow_mut().retain(|(e, _), _| e != id);
        self.events
            .borrow_mut()
            .retain(|_, ev| ev.experiment_id != id);
        Ok(all.len() < before)
    }

    async fn record_exposures(
        &self,
        experiment: &Experiment,
        exposures: &[Exposure],
    ) -> StoreResult<Exposed> {
        let mut map = self.exposures.borrow_mut();
        let mut population = map.keys().filter(|(e, _)| *e == experiment.id).count() as u64;
        let mut out = Exposed::default();
        for x in exposures {
            let key = (experiment.id.clone(), x.user_id.clone());
            if map.contains_key(&key) {
                continue;
            }
            if experiment
                .total_population
                .is_some_and(|cap| population >= cap)
            {
                out.refused.push(x.user_id.clone());
                continue;
            }
            population += 1;
            map.insert(key, x.clone());
            out.new.push(x.user_id.clone());
        }
        Ok(out)
    }

    async fn exposure(
        &self,
        experiment: &Experiment,
        user_id: &str,
    ) -> StoreResult<Option<String>> {
        Ok(self
            .exposures
            .borrow()
            .get(&(experiment.id.clone(), user_id.to_string()))
            .map(|x| x.variant.clone()))
    }

    async fn record_events(
        &self,
        experiment: &Experiment,
        events: &[EventRecord],
    ) -> StoreResult<Vec<Tracked>> {
        let exposures = self.exposures.borrow();
        let mut map = self.events.borrow_mut();
        Ok(events
            .iter()
            .map(|ev| {
                let unit = (experiment.id.clone(), ev.user_id.clone());
                let Some(x) = exposures.get(&unit) else {
                    return Tracked::NotExposed;
                };
                let key = (unit.0, unit.1, ev.event_id.clone());
                if map.contains_key(&key) {
                    return Tracked::Duplicate(x.variant.clone());
                }
                let mut stored = ev.clone();
                stored.experiment_id = experiment.id.clone();
                stored.variant = x.variant.clone();
                map.insert(key, stored);
                Tracked::Recorded(x.variant.clone())
            })
            .collect())
    }

    async fn exposures_of(
        &self,
        experiment: &Experiment,
        user_ids: &[String],
    ) -> StoreResult<Vec<Option<Exposure>>> {
        let map = self.exposures.borrow();
        Ok(user_ids
            .iter()
            .map(|u| map.get(&(experiment.id.clone(), u.clone())).cloned())
            .collect())
    }

    async fn events(
        &self,
        experiment: &Experiment,
        filter: &EventFilter,
    ) -> StoreResult<Vec<EventRecord>> {
        let wanted = |ev: &EventRecord| {
            ev.experiment_id == experiment.id
                && filter.user_id.as_ref().is_none_or(|u| *u == ev.user_id)
                && filter.metric.as_ref().is_none_or(|m| *m == ev.event_name)
                && filter.variant.as_ref().is_none_or(|v| *v == ev.variant)
                && filter.from.is_none_or(|t| ev.at >= t)
                && filter.to.is_none_or(|t| ev.at <= t)
        };
        let mut found: Vec<EventRecord> = self
            .events
            .borrow()
            .values()
            .filter(|ev| wanted(ev))
            .cloned()
            .collect();
        found.sort_by(|a, b| (a.at, &a.user_id, &a.event_id).cmp(&(b.at, &b.user_id, &b.event_id)));
        found.truncate(filter.limit as usize);
        Ok(found)
    }

    async fn record_analysis(&self, run: &AnalysisRun) -> StoreResult<()> {
        self.analyses
            .borrow_mut()
            .insert(run.experiment_id.clone(), run.clone());
        Ok(())
    }

    async fn assignment_counts(&self) -> StoreResult<Vec<(String, String, u64)>> {
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        for x in self.exposures.borrow().values() {
            *counts
                .entry((x.experiment_id.clone(), x.variant.clone()))
                .or_default() += 1;
        }
        Ok(counts.into_iter().map(|((e, v), n)| (e, v, n)).collect())
    }

    async fn metrics(&self) -> StoreResult<MetricsData> {
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        for e in self.experiments.borrow().iter() {
            *by_status.entry(e.status.to_string()).or_default() += 1;
        }
        let assignments = self.assignment_counts().await?;
        let exposures = self.exposures.borrow();
        let mut events: BTreeMap<(String, String, String), u64> = BTreeMap::new();
        for ev in self.events.borrow().values() {
            if let Some(x) = exposures.get(&(ev.experiment_id.clone(), ev.user_id.clone())) {
                *events
                    .entry((
                        ev.experiment_id.clone(),
                        x.variant.clone(),
                        ev.event_name.clone(),
                    ))
                    .or_default() += 1;
            }
        }
        Ok(MetricsData {
            experiments_by_status: by_status.into_iter().collect(),
            assignments,
            events: events
                .into_iter()
                .map(|((e, v, n), c)| (e, v, n, c))
                .collect(),
            analyses: self.analyses.borrow().values().cloned().collect(),
        })
    }

    async fn segment_aggregates(
        &self,
        experiment: &Experiment,
        metric: &str,
        json_path: &str,
    ) -> StoreResult<Vec<(Option<String>, VariantAggregate)>> {
        let steps: Vec<&str> = json_path.trim_start_matches("$.").split('.').collect();
        let segment_of = |x: &Exposure| -> Option<String> {
            let context: serde_json::Value = serde_json::from_str(x.context.as_deref()?).ok()?;
            let value = steps.iter().try_fold(&context, |v, step| v.get(step))?;
            Some(value.to_string())
        };
        let experiment_id = experiment.id.as_str();
        let mut per_user: BTreeMap<&str, f64> = BTreeMap::new();
        let events = self.events.borrow();
        for ev in events
            .values()
            .filter(|e| e.experiment_id == experiment_id && e.event_name == metric)
        {
            *per_user.entry(ev.user_id.as_str()).or_default() += ev.value;
        }
        let mut out: BTreeMap<(Option<String>, String), VariantAggregate> = BTreeMap::new();
        for ((exp, user), x) in self.exposures.borrow().iter() {
            if exp != experiment_id {
                continue;
            }
            let agg = out
                .entry((segment_of(x), x.variant.clone()))
                .or_insert_with(|| VariantAggregate {
                    variant: x.variant.clone(),
                    users: 0,
                    converters: 0,
                    sum: 0.0,
                    sum_sq: 0.0,
                });
            agg.users += 1;
            if let Some(total) = per_user.get(user.as_str()) {
                agg.converters += 1;
                agg.sum += total;
                agg.sum_sq += total * total;
            }
        }
        Ok(out
            .into_iter()
            .map(|((segment, _), a)| (segment, a))
            .collect())
    }

    async fn catalog(&self, kind: Catalog) -> StoreResult<Vec<String>> {
        Ok(self
            .catalogs
            .borrow()
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, config)| config.clone())
            .collect())
    }

    async fn audience(&self) -> StoreResult<(Vec<String>, Vec<String>)> {
        Ok((
            self.catalog(Catalog::Holdouts).await?,
            self.catalog(Catalog::Groups).await?,
        ))
    }

    async fn put_catalog(
        &self,
        kind: Catalog,
        name: &str,
        config: &str,
        _now: i64,
    ) -> StoreResult<()> {
        self.catalogs
            .borrow_mut()
            .insert((kind, name.to_string()), config.to_string());
        Ok(())
    }

    async fn delete_catalog(&self, kind: Catalog, name: &str) -> StoreResult<bool> {
        Ok(self
            .catalogs
            .borrow_mut()
            .remove(&(kind, name.to_string()))
            .is_some())
    }

    async fn record_holdout_members(&self, members: &[HoldoutMember]) -> StoreResult<()> {
        let mut all = self.holdout_members.borrow_mut();
        for m in members {
            all.entry((m.holdout.clone(), m.user_id.clone()))
                .or_insert_with(|| m.clone());
        }
        Ok(())
    }

    async fn holdout_memberships(
        &self,
        holdouts: &[&str],
        user_ids: &[&str],
    ) -> StoreResult<Vec<(String, String)>> {
        let all = self.holdout_members.borrow();
        let mut found = Vec::new();
        for h in holdouts {
            for u in user_ids {
                let key = (h.to_string(), u.to_string());
                if all.contains_key(&key) && !found.contains(&key) {
                    found.push(key);
                }
            }
        }
        Ok(found)
    }

    async fn record_holdout_events(&self, events: &[HoldoutEvent]) -> StoreResult<Vec<bool>> {
        let mut all = self.holdout_events.borrow_mut();
        Ok(events
            .iter()
            .map(|ev| {
                let key = (ev.holdout.clone(), ev.event_id.clone());
                match all.entry(key) {
                    std::collections::btree_map::Entry::Occupied(_) => false,
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(ev.clone());
                        true
                    }
                }
            })
            .collect())
    }

    async fn holdout_aggregates(
        &self,
        holdout: &str,
        metric: &str,
    ) -> StoreResult<Vec<VariantAggregate>> {
        let mut per_user: BTreeMap<&str, f64> = BTreeMap::new();
        let events = self.holdout_events.borrow();
        for ev in events
            .values()
            .filter(|e| e.holdout == holdout && e.event_name == metric)
        {
            *per_user.entry(ev.user_id.as_str()).or_default() += ev.value;
        }
        let mut out: BTreeMap<bool, VariantAggregate> = BTreeMap::new();
        for m in self
            .holdout_members
            .borrow()
            .values()
            .filter(|m| m.holdout == holdout)
        {
            let arm = HOLDOUT_ARMS[usize::from(!m.held_out)];
            let agg = out.entry(m.held_out).or_insert_with(|| VariantAggregate {
                variant: arm.to_string(),
                users: 0,
                converters: 0,
                sum: 0.0,
                sum_sq: 0.0,
            });
            agg.users += 1;
            if let Some(total) = per_user.get(m.user_id.as_str()) {
                agg.converters += 1;
                agg.sum += total;
                agg.sum_sq += total * total;
            }
        }
        Ok(out.into_values().rev().collect())
    }

    async fn clear_holdout(&self, holdout: &str) -> StoreResult<()> {
        self.holdout_members
            .borrow_mut()
            .retain(|(h, _), _| h != holdout);
        self.holdout_events
            .borrow_mut()
            .retain(|(h, _), _| h != holdout);
        Ok(())
    }

    async fn forget_unit(
        &self,
        experiments: &[Experiment],
        user_id: &str,
    ) -> StoreResult<UnitForgotten> {
        let mut out = UnitForgotten::default();
        for e in experiments {
            let unit = (e.id.clone(), user_id.to_string());
            if self.exposures.borrow_mut().remove(&unit).is_some() {
                out.experiments += 1;
            }
            let mut events = self.events.borrow_mut();
            let before = events.len();
            events.retain(|(exp, user, _), _| !(exp == &e.id && user == user_id));
            out.events += (before - events.len()) as u64;
        }
        let mut members = self.holdout_members.borrow_mut();
        let mut holdout_events = self.holdout_events.borrow_mut();
        let before = members.len() + holdout_events.len();
        members.retain(|(_, user), _| user != user_id);
        holdout_events.retain(|_, ev| ev.user_id != user_id);
        out.holdout_rows = (before - members.len() - holdout_events.len()) as u64;
        Ok(out)
    }

    /// Computed by scanning every exposure and event (the shards keep running sums
    /// instead), so it is an independent check of them.
    async fn aggregates(&self, experiment: &Experiment, metric: &str) -> StoreResult<ArmStats> {
        let experiment_id = experiment.id.as_str();
        let mut per_user: BTreeMap<&str, f64> = BTreeMap::new();
        let events = self.events.borrow();
        for ev in events
            .values()
            .filter(|e| e.experiment_id == experiment_id && e.event_name == metric)
        {
            *per_user.entry(ev.user_id.as_str()).or_default() += ev.value;
        }
        let mut out: BTreeMap<String, VariantAggregate> = BTreeMap::new();
        for ((exp, user), x) in self.exposures.borrow().iter() {
            if exp != experiment_id {
                continue;
            }
            let agg = out
                .entry(x.variant.clone())
                .or_insert_with(|| VariantAggregate {
                    variant: x.variant.clone(),
                    users: 0,
                    converters: 0,
                    sum: 0.0,
                    sum_sq: 0.0,
                });
            agg.users += 1;
            if let Some(total) = per_user.get(user.as_str()) {
                agg.converters += 1;
                agg.sum += total;
                agg.sum_sq += total * total;
            }
        }
        let rows_read = (events.len() + self.exposures.borrow().len()) as u64;
        Ok(ArmStats {
            arms: out.into_values().collect(),
            rows_read,
        })
    }
}
