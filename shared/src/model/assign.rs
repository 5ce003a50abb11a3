//! Assigning a unit to an experiment: status, forced variants, then the contract.

use super::experiment::{Experiment, Variant};
use super::status::Status;
use crate::assign::{Allocation, AllocationError, Draw, Reason};

/// The outcome of assigning one unit to one experiment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment<'a> {
    /// The variant shown, or `None` when the unit is not in the experiment.
    pub variant: Option<&'a Variant>,
    /// Why.
    pub reason: Reason,
}

impl Assignment<'_> {
    /// Whether the unit takes part (forced or assigned).
    pub fn in_experiment(&self) -> bool {
        self.variant.is_some()
    }

    /// The variant's name, if any.
    pub fn variant_name(&self) -> Option<&str> {
        self.variant.map(|v| v.name.as_str())
    }
}

impl Experiment {
    /// Prepares the traffic split (do it once per config change, not per request).
    pub fn allocation(&self) -> Result<Allocation, AllocationError> {
        let mut weights = [0.0; crate::assign::MAX_VARIANTS];
        if self.variants.len() > weights.len() {
            return Err(AllocationError::VariantCount);
        }
        for (slot, v) in weights.iter_mut().zip(&self.variants) {
            *slot = v.effective_weight();
        }
        Allocation::new(self.traffic_allocation, &weights[..self.variants.len()])
    }

    /// Assigns `unit_id` using a prepared `allocation` of this experiment.
    ///
    /// Order: not running → `not_running`; a forced variant → `forced`; outside the
    /// traffic allocation → `not_in_traffic`; otherwise the hashed variant → `assigned`.
    /// Allocation-free.
    pub fn assign_with<'a>(&'a self, allocation: &Allocation, unit_id: &str) -> Assignment<'a> {
        self.assign_overriding(allocation, unit_id, None)
    }

    /// Like [`Experiment::assign_with`], with a QA override (`x-cleave-force`): a variant
    /// name that, when it names one of this experiment's variants and the experiment is
    /// running, is shown with reason `forced` before the forced list and the hash.
    pub fn assign_overriding<'a>(
        &'a self,
        allocation: &Allocation,
        unit_id: &str,
        qa_override: Option<&str>,
    ) -> Assignment<'a> {
        if self.status != Status::Running {
            return Assignment {
                variant: None,
                reason: Reason::NotRunning,
            };
        }
        let forced = qa_override
            .and_then(|name| self.variant(name))
            .or_else(|| self.forced.get(unit_id).and_then(|name| self.variant(name)));
        if let Some(forced) = forced {
            return Assignment {
                variant: Some(forced),
                reason: Reason::Forced,
            };
        }
        match allocation.decide(self.effective_salt(), unit_id) {
            Draw::Variant(i) => Assignment {
                variant: self.variants.get(i),
                reason: Reason::Assigned,
            },
            Draw::NotInTraffic => Assignment {
                variant: None,
                reason: Reason::NotInTraffic,
            },
        }
    }

    /// Assigns `unit_id`, preparing the allocation on the fly (still allocation-free).
    pub fn assign(&self, unit_id: &str) -> Result<Assignment<'_>, AllocationError> {
        Ok(self.assign_with(&self.allocation()?, unit_id))
    }
}
