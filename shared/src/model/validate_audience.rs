//! Validation of who may enter: an experiment's targeting, layer and holdouts, and the
//! holdouts and saved groups themselves.

use super::audience::{Holdout, LayerRange, SavedGroup};
use super::experiment::Experiment;
use super::limits::*;
use super::validate::{FieldError, Problems, is_valid_variant_name};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde_json::Value;

/// Whether `name` is a valid layer, holdout or saved-group name: 1–64 bytes of
/// `[A-Za-z0-9._-]` (the variant-name rule: never a NUL, safe in URLs).
pub fn is_valid_name(name: &str) -> bool {
    name.len() <= MAX_NAME_LEN && is_valid_variant_name(name)
}

const NAME_RULE: &str = "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'";

fn done(p: Problems) -> Result<(), Vec<FieldError>> {
    if p.0.is_empty() { Ok(()) } else { Err(p.0) }
}

impl Experiment {
    pub(super) fn validate_audience(&self, p: &mut Problems) {
        if let Some(condition) = &self.targeting {
            check_targeting(p, condition);
        }
        if let Some(layer) = &self.layer {
            check_layer(p, layer);
        }
        if self.holdouts.len() > MAX_HOLDOUTS {
            p.add(
                "holdouts",
                "too_many",
                format!("allows at most {MAX_HOLDOUTS} holdouts"),
            );
        }
        for (i, name) in self.holdouts.iter().enumerate() {
            if !is_valid_name(name) {
                p.add(format!("holdouts[{i}]"), "invalid", NAME_RULE);
            } else if self.holdouts[..i].contains(name) {
                p.add(
                    format!("holdouts[{i}]"),
                    "duplicate",
                    format!("'{name}' is listed twice"),
                );
            }
        }
    }
}

fn check_targeting(p: &mut Problems, condition: &Value) {
    let bytes = serde_json::to_string(condition).map_or(usize::MAX, |s| s.len());
    if bytes > MAX_CONDITION_BYTES {
        p.add(
            "targeting",
            "too_long",
            format!("must be at most {MAX_CONDITION_BYTES} bytes of JSON"),
        );
        return;
    }
    if let Err(problem) =
        crate::targeting::check_condition(condition, crate::targeting::validation_engine())
    {
        let field = if problem.path.is_empty() {
            String::from("targeting")
        } else {
            format!("targeting.{}", problem.path)
        };
        p.add(field, "invalid", problem.message);
    }
}

fn check_layer(p: &mut Problems, layer: &LayerRange) {
    if !is_valid_name(&layer.name) {
        p.add("layer.name", "invalid", NAME_RULE);
    }
    if !(0.0..1.0).contains(&layer.start) {
        p.add(
            "layer.start",
            "out_of_range",
            "must be at least 0 and less than 1",
        );
    } else if !(layer.end > layer.start && layer.end <= 1.0) {
        p.add(
            "layer.end",
            "out_of_range",
            "must be greater than layer.start and at most 1",
        );
    }
}

impl Holdout {
    /// Checks every rule and returns every violation, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut p = Problems::default();
        if !is_valid_name(&self.name) {
            p.add("name", "invalid", NAME_RULE);
        }
        if !(self.share > 0.0 && self.share < 1.0) {
            p.add(
                "share",
                "out_of_range",
                "must be greater than 0 and less than 1",
            );
        }
        p.text("description", &self.description, MAX_TEXT_CHARS, false);
        p.metrics(&self.metrics);
        done(p)
    }
}

impl SavedGroup {
    /// Checks every rule and returns every violation, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut p = Problems::default();
        if !is_valid_name(&self.name) {
            p.add("name", "invalid", NAME_RULE);
        }
        p.text("description", &self.description, MAX_TEXT_CHARS, false);
        if self.values.len() > MAX_GROUP_VALUES {
            p.add(
                "values",
                "too_many",
                format!("allows at most {MAX_GROUP_VALUES} values"),
            );
            return done(p);
        }
        for (i, v) in self.values.iter().enumerate() {
            let ok = match v {
                Value::String(s) => s.chars().count() <= MAX_GROUP_VALUE_CHARS,
                Value::Number(_) => true,
                _ => false,
            };
            if !ok {
                p.add(
                    format!("values[{i}]"),
                    "invalid",
                    format!(
                        "must be a number or a string of at most {MAX_GROUP_VALUE_CHARS} characters"
                    ),
                );
            }
        }
        done(p)
    }
}
