//! What may change while an experiment is live (running or paused) without moving a unit:
//! descriptive fields, metrics, forced variants, routes and a *higher*
//! `traffic_allocation` or a *wider* layer range (ramp-up keeps everyone where they were).
//! The split (variants, weights, control), the salt, a lower allocation or a narrower (or
//! another) layer range need a new phase, which also takes a new salt so that everyone is
//! drawn again.

use super::audience::LayerRange;
use super::experiment::Experiment;
use super::status::Status;
use alloc::format;
use alloc::string::String;
use core::fmt;

/// A change refused while the experiment is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveUpdateError {
    /// Variants, weights or the control changed.
    SplitLocked(Status),
    /// The salt changed.
    SaltLocked,
    /// `traffic_allocation` went down (exposed units would drop out).
    TrafficDecrease,
    /// The layer range shrank, moved or was added (exposed units would drop out).
    LayerShrink,
}

impl LiveUpdateError {
    /// The API's error code for it.
    pub fn code(self) -> &'static str {
        match self {
            Self::SplitLocked(_) | Self::SaltLocked => "variants_locked",
            Self::TrafficDecrease | Self::LayerShrink => "traffic_decrease",
        }
    }
}

impl fmt::Display for LiveUpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SplitLocked(status) => write!(
                f,
                "variants and weights cannot change while the experiment is {status}; send \"new_phase\": true to re-draw everyone"
            ),
            Self::SaltLocked => f.write_str("the salt cannot change without \"new_phase\": true"),
            Self::TrafficDecrease => f.write_str(
                "traffic_allocation can only be raised while running (lowering drops exposed users); send \"new_phase\": true",
            ),
            Self::LayerShrink => f.write_str(
                "a live experiment's layer range can only widen (same layer, start not later, end not earlier); send \"new_phase\": true",
            ),
        }
    }
}

/// Whether `current` may become `next` (`new_phase` allows everything). Only live
/// experiments are restricted.
pub fn check_live_update(
    current: &Experiment,
    next: &Experiment,
    new_phase: bool,
) -> Result<(), LiveUpdateError> {
    let live = matches!(current.status, Status::Running | Status::Paused);
    if !live || new_phase {
        return Ok(());
    }
    if !same_split(current, next) {
        return Err(LiveUpdateError::SplitLocked(current.status));
    }
    if next.salt != current.salt {
        return Err(LiveUpdateError::SaltLocked);
    }
    if next.traffic_allocation < current.traffic_allocation {
        return Err(LiveUpdateError::TrafficDecrease);
    }
    if !layer_widens(current.layer.as_ref(), next.layer.as_ref()) {
        return Err(LiveUpdateError::LayerShrink);
    }
    Ok(())
}

/// Whether every unit `current` admits is admitted by `next` (no layer admits everybody).
fn layer_widens(current: Option<&LayerRange>, next: Option<&LayerRange>) -> bool {
    match (current, next) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(c), Some(n)) => c.name == n.name && n.start <= c.start && n.end >= c.end,
    }
}

/// The salt of the next phase: `<id>:phase-<n+1>` after phase `n` (the first phase is 1).
pub fn next_phase_salt(current: &Experiment) -> String {
    let phase = current
        .salt
        .as_deref()
        .and_then(|s| s.rsplit_once(":phase-"))
        .and_then(|(_, n)| n.parse::<u32>().ok())
        .unwrap_or(1);
    format!("{}:phase-{}", current.id, phase + 1)
}

/// Whether two experiments split traffic identically (names, order, weights, control).
fn same_split(a: &Experiment, b: &Experiment) -> bool {
    a.variants.len() == b.variants.len()
        && a.variants.iter().zip(&b.variants).all(|(x, y)| {
            x.name == y.name
                && x.effective_weight() == y.effective_weight()
                && x.is_control == y.is_control
        })
}
