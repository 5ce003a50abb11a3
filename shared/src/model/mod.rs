//! The wire model: one set of serde types for KV JSON, D1 rows, API bodies and the
//! Envoy filter configuration.

mod assign;
mod decimal_text;
mod experiment;
mod json_text;
pub mod limits;
mod status;
mod validate;

pub use assign::Assignment;
pub use experiment::{DEFAULT_ALPHA, DEFAULT_POWER, Experiment, Route, Variant};
pub use json_text::JsonText;
pub use status::{Action, Status, TransitionError};
pub use validate::{FieldError, is_valid_key, is_valid_variant_name, slugify};
