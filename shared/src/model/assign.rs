//! Assigning a unit to an experiment, in the order of contract v2's precedence table:
//! not running → forced → holdout → not targeted → gated → not in layer range → not in
//! traffic → assigned (`docs/assignment.md`).

use super::audience::Holdout;
use super::experiment::{Experiment, Variant};
use super::gate::{Gates, NoGates};
use super::status::Status;
use crate::assign::{Allocation, AllocationError, Draw, Reason};
use crate::targeting::{Compiled, Context, Groups, NoRegex, RegexEngine, matches};
use serde_json::Value;

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

/// Everything besides the unit id that decides eligibility: the unit's attributes and the
/// configuration shared by all experiments (holdouts, saved groups, the regex engine).
#[derive(Clone, Copy)]
pub struct Audience<'a> {
    /// The unit's attributes (a JSON object; anything else matches no condition that
    /// tests an attribute).
    pub attributes: &'a Value,
    /// Every holdout an experiment may list (an unknown name holds nobody out).
    pub holdouts: &'a [Holdout],
    /// Saved groups for `$inGroup`.
    pub groups: &'a Groups,
    /// The regex engine for `$regex`.
    pub regex: &'a dyn RegexEngine,
    /// The host's evaluation of gates (an experiment's Unleash toggle).
    pub gates: &'a dyn Gates,
}

/// An empty attribute object, no holdouts, no groups.
static NO_ATTRIBUTES: Value = Value::Null;
static NO_GROUPS: Groups = Groups::new();

impl Audience<'static> {
    /// No attributes, holdouts or groups: an experiment without targeting, layer or
    /// holdouts assigns exactly as in contract v1.
    pub fn none() -> Self {
        Audience {
            attributes: &NO_ATTRIBUTES,
            holdouts: &[],
            groups: &NO_GROUPS,
            regex: &NoRegex,
            gates: &NoGates,
        }
    }
}

/// One check of the precedence table, as a dry run reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Is the experiment running?
    Running,
    /// Is a variant forced for the unit (QA override or the forced list)?
    Forced,
    /// Is the unit in this holdout (named)?
    Holdout,
    /// Do the attributes satisfy the targeting condition?
    Targeting,
    /// Is the experiment's gate (named) on for the unit?
    Gate,
    /// Is the unit's layer point in the experiment's range?
    Layer,
    /// Is the unit in the traffic allocation?
    Traffic,
}

impl Check {
    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Forced => "forced",
            Self::Holdout => "holdout",
            Self::Targeting => "targeting",
            Self::Gate => "gate",
            Self::Layer => "layer",
            Self::Traffic => "traffic",
        }
    }
}

/// One step of a decision: which check, its subject (the holdout's name) and whether it
/// let the unit go on (`Forced` and `Holdout` "pass" when they do not apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    /// The check.
    pub check: Check,
    /// The holdout, gate toggle or layer it concerns, if any.
    pub subject: Option<&'a str>,
    /// Whether the unit went on to the next check.
    pub passed: bool,
}

impl<'a> Step<'a> {
    /// The holdout arm this step puts the unit in, for the holdout's own results: a
    /// `Holdout` step names the holdout and holds the unit out when it did not pass
    /// (`docs/targeting.md`, *Holdout results*). Every other step: `None`.
    pub fn holdout_arm(&self) -> Option<(&'a str, bool)> {
        match (self.check, self.subject) {
            (Check::Holdout, Some(name)) => Some((name, !self.passed)),
            _ => None,
        }
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

    /// Assigns `unit_id` without attributes, holdouts or groups (contract v1 for an
    /// experiment without targeting, layer or holdouts). Allocation-free.
    pub fn assign_with<'a>(&'a self, allocation: &Allocation, unit_id: &str) -> Assignment<'a> {
        self.decide(allocation, unit_id, None, &Audience::none(), &mut |_| {})
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
        self.decide(
            allocation,
            unit_id,
            qa_override,
            &Audience::none(),
            &mut |_| {},
        )
    }

    /// The whole decision of contract v2 for `unit_id` in `audience`, reporting each check
    /// to `trace` as it is made (a dry run records them; assignment passes `|_| {}`).
    /// Allocation-free apart from what a `$regex` engine does. The condition is read from
    /// its JSON; hosts deciding many units use [`crate::edge::Prepared::decide`], which
    /// compiles it once.
    pub fn decide<'a>(
        &'a self,
        allocation: &Allocation,
        unit_id: &str,
        qa_override: Option<&str>,
        audience: &Audience<'_>,
        trace: &mut dyn FnMut(Step<'a>),
    ) -> Assignment<'a> {
        self.decide_compiled(allocation, None, unit_id, qa_override, audience, trace)
    }

    /// As [`Experiment::decide`], with `targeting` this experiment's condition compiled
    /// ([`Compiled::new`] of `self.targeting`); `None` reads it from the JSON. The answer is
    /// the same either way.
    pub fn decide_compiled<'a>(
        &'a self,
        allocation: &Allocation,
        targeting: Option<&Compiled>,
        unit_id: &str,
        qa_override: Option<&str>,
        audience: &Audience<'_>,
        trace: &mut dyn FnMut(Step<'a>),
    ) -> Assignment<'a> {
        let out = |reason| Assignment {
            variant: None,
            reason,
        };
        let mut step = |check, subject, passed| {
            trace(Step {
                check,
                subject,
                passed,
            });
            passed
        };
        if !step(Check::Running, None, self.status == Status::Running) {
            return out(Reason::NotRunning);
        }
        let forced = qa_override
            .and_then(|name| self.variant(name))
            .or_else(|| self.forced.get(unit_id).and_then(|name| self.variant(name)));
        if !step(Check::Forced, None, forced.is_none()) {
            return Assignment {
                variant: forced,
                reason: Reason::Forced,
            };
        }
        for name in &self.holdouts {
            let held = audience
                .holdouts
                .iter()
                .find(|h| h.name == *name)
                .is_some_and(|h| h.holds_out(unit_id));
            if !step(Check::Holdout, Some(name.as_str()), !held) {
                return out(Reason::Holdout);
            }
        }
        if let Some(condition) = &self.targeting {
            let cx = Context {
                groups: audience.groups,
                regex: audience.regex,
            };
            let admitted = match targeting {
                Some(compiled) => compiled.matches(audience.attributes, &cx),
                None => matches(condition, audience.attributes, &cx),
            };
            if !step(Check::Targeting, None, admitted) {
                return out(Reason::NotTargeted);
            }
        }
        if let Some(gate) = &self.gate
            && !step(
                Check::Gate,
                Some(gate.unleash.as_str()),
                audience.gates.open(gate, unit_id, audience.attributes),
            )
        {
            return out(Reason::Gated);
        }
        if let Some(layer) = &self.layer
            && !step(
                Check::Layer,
                Some(layer.name.as_str()),
                layer.contains(unit_id),
            )
        {
            return out(Reason::NotInLayer);
        }
        match allocation.decide(self.effective_salt(), unit_id) {
            Draw::Variant(i) => {
                step(Check::Traffic, None, true);
                Assignment {
                    variant: self.variants.get(i),
                    reason: Reason::Assigned,
                }
            }
            Draw::NotInTraffic => {
                step(Check::Traffic, None, false);
                out(Reason::NotInTraffic)
            }
        }
    }

    /// Assigns `unit_id`, preparing the allocation on the fly (still allocation-free).
    pub fn assign(&self, unit_id: &str) -> Result<Assignment<'_>, AllocationError> {
        Ok(self.assign_with(&self.allocation()?, unit_id))
    }
}
