//! The wire model: one set of serde types for KV JSON, D1 rows, API bodies and the
//! Envoy filter configuration.

mod assign;
mod audience;
mod decimal_text;
mod experiment;
mod gate;
mod ids;
pub mod integer;
mod json_text;
pub mod limits;
mod live_update;
mod status;
mod validate;
mod validate_audience;
mod validate_integrations;

pub use assign::{Assignment, Audience, Check, Step};
pub use audience::{Holdout, LayerRange, SavedGroup};
pub use experiment::{DEFAULT_ALPHA, DEFAULT_POWER, Experiment, Route, Variant};
pub use gate::{FixedGates, Gate, Gates, NoGates};
pub use ids::{IdError, check_id};
pub use json_text::JsonText;
pub use live_update::{LiveUpdateError, check_live_update, next_phase_salt};
pub use status::{Action, Status, TransitionError};
pub use validate::{
    FieldError, is_blank, is_valid_key, is_valid_route_host, is_valid_variant_name, slugify,
};
pub use validate_audience::is_valid_name;
