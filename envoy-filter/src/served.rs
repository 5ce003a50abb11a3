//! What the filter serves at one moment: the prepared running experiments with the holdouts
//! and saved groups they use, from the inline configuration and the Worker's snapshot.

use cleave_core::edge::Prepared;
use cleave_core::model::Holdout;
use cleave_core::targeting::Groups;
use std::cell::RefCell;

/// The experiments in force and everything deciding them needs, with assignment counters
/// indexed like the experiments and their variants (counting costs no lookup or
/// allocation per request).
#[derive(Debug, Default)]
pub struct Served {
    /// Running experiments, prepared.
    pub experiments: Vec<Prepared>,
    /// Every holdout they may list.
    pub holdouts: Vec<Holdout>,
    /// Saved groups by name.
    pub groups: Groups,
    /// Whether any experiment has a targeting condition (else no attributes are built).
    pub needs_attributes: bool,
    /// Assignments since the last flush, by experiment index then variant index.
    pub counts: RefCell<Vec<Vec<i64>>>,
    /// The metric of each counter: `cleave.assignments.<key>.<variant>`.
    pub metric_names: Vec<Vec<String>>,
}

impl Served {
    /// Serves `experiments` with `holdouts` and `groups`.
    pub fn new(experiments: Vec<Prepared>, holdouts: Vec<Holdout>, groups: Groups) -> Self {
        let needs_attributes = experiments.iter().any(|p| p.experiment.targeting.is_some());
        let metric_names: Vec<Vec<String>> = experiments
            .iter()
            .map(|p| {
                p.experiment
                    .variants
                    .iter()
                    .map(|v| format!("cleave.assignments.{}.{}", p.experiment.key, v.name))
                    .collect()
            })
            .collect();
        let counts = metric_names.iter().map(|v| vec![0; v.len()]).collect();
        Self {
            experiments,
            holdouts,
            groups,
            needs_attributes,
            counts: RefCell::new(counts),
            metric_names,
        }
    }

    /// Counts one assignment (indexes from the plan).
    pub fn count(&self, experiment: usize, variant: usize) {
        if let Ok(mut counts) = self.counts.try_borrow_mut()
            && let Some(n) = counts.get_mut(experiment).and_then(|v| v.get_mut(variant))
        {
            *n += 1;
        }
    }

    /// Takes the counts since the last call: (metric name, count) for each non-zero one.
    pub fn take_counts(&self) -> Vec<(&str, i64)> {
        let Ok(mut counts) = self.counts.try_borrow_mut() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (names, row) in self.metric_names.iter().zip(counts.iter_mut()) {
            for (name, n) in names.iter().zip(row.iter_mut()) {
                if *n > 0 {
                    out.push((name.as_str(), std::mem::take(n)));
                }
            }
        }
        out
    }
}
