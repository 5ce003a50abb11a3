//! Gates: a feature toggle of another system that must be on for a unit to enter an
//! experiment (an Unleash toggle). The host evaluates it (the core links no flag engine);
//! a host that cannot ([`NoGates`]) keeps everyone out of gated experiments.

use alloc::string::String;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An experiment's gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gate {
    /// The Unleash toggle that must be enabled for the unit (its id as `userId`, its
    /// attributes as the rest of the context): 1–256 characters, no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            required = true,
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub unleash: String,
}

/// The host's evaluation of gates.
pub trait Gates {
    /// Whether `gate` lets `unit_id` (with `attributes`) in.
    fn open(&self, gate: &Gate, unit_id: &str, attributes: &Value) -> bool;
}

/// For hosts without a flag engine (the Envoy filter): every gate is closed, so a gated
/// experiment takes nobody there.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGates;

impl Gates for NoGates {
    fn open(&self, _gate: &Gate, _unit_id: &str, _attributes: &Value) -> bool {
        false
    }
}

/// A fixed answer for every gate (tests and golden vectors).
#[derive(Debug, Clone, Copy)]
pub struct FixedGates(pub bool);

impl Gates for FixedGates {
    fn open(&self, _gate: &Gate, _unit_id: &str, _attributes: &Value) -> bool {
        self.0
    }
}
