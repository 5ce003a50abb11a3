//! What the filter serves at one moment: the prepared running experiments with the holdouts
//! and saved groups they use, from the inline configuration and the Worker's snapshot.

use cleave_core::edge::Prepared;
use cleave_core::model::Holdout;
use cleave_core::targeting::Groups;

/// The experiments in force and everything deciding them needs.
#[derive(Debug, Clone, Default)]
pub struct Served {
    /// Running experiments, prepared.
    pub experiments: Vec<Prepared>,
    /// Every holdout they may list.
    pub holdouts: Vec<Holdout>,
    /// Saved groups by name.
    pub groups: Groups,
    /// Whether any experiment has a targeting condition (else no attributes are built).
    pub needs_attributes: bool,
}

impl Served {
    /// Serves `experiments` with `holdouts` and `groups`.
    pub fn new(experiments: Vec<Prepared>, holdouts: Vec<Holdout>, groups: Groups) -> Self {
        let needs_attributes = experiments.iter().any(|p| p.experiment.targeting.is_some());
        Self {
            experiments,
            holdouts,
            groups,
            needs_attributes,
        }
    }

    /// The prepared experiment with this id.
    pub fn experiment(&self, id: &str) -> Option<&Prepared> {
        self.experiments.iter().find(|p| p.experiment.id == id)
    }
}
