//! Who may enter: an experiment's slot in an exclusion layer, holdouts that keep a share of
//! all units out of every experiment listing them, and saved groups behind `$inGroup`.

use crate::assign::{HOLDOUT_DOMAIN, LAYER_DOMAIN, in_range, share_point};
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An experiment's range `[start, end)` of a named exclusion layer. Running experiments of
/// one layer never overlap, so no unit is in two of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerRange {
    /// Layer name (`[A-Za-z0-9._-]`, 1–64 bytes), shared by the experiments that exclude each other.
    #[cfg_attr(
        feature = "openapi",
        schema(
            required = true,
            min_length = 1,
            max_length = 64,
            pattern = "^[A-Za-z0-9._-]+$"
        )
    )]
    pub name: String,
    /// Start of the range, in [0, 1).
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, minimum = 0, exclusive_maximum = 1)
    )]
    pub start: f64,
    /// End of the range (exclusive), in (start, 1].
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, exclusive_minimum = 0, maximum = 1)
    )]
    pub end: f64,
}

impl LayerRange {
    /// Whether `unit_id`'s point in this layer lies in the range.
    pub fn contains(&self, unit_id: &str) -> bool {
        in_range(self.point(unit_id), self.start, self.end)
    }

    /// `unit_id`'s point in this layer.
    pub fn point(&self, unit_id: &str) -> u64 {
        share_point(LAYER_DOMAIN, &self.name, unit_id)
    }

    /// Whether two ranges of the same layer share any point.
    pub fn overlaps(&self, other: &LayerRange) -> bool {
        self.name == other.name && self.start < other.end && other.start < self.end
    }
}

/// A holdout: a share of all units kept out of every experiment that lists it, so its
/// results compare them with the exposed units over the long run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Holdout {
    /// Name (`[A-Za-z0-9._-]`, 1–64 bytes), listed by experiments in `holdouts`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            required = true,
            min_length = 1,
            max_length = 64,
            pattern = "^[A-Za-z0-9._-]+$"
        )
    )]
    pub name: String,
    /// Share of all units held out, in (0, 1).
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, exclusive_minimum = 0, exclusive_maximum = 1)
    )]
    pub share: f64,
    /// Free text.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub description: String,
    /// Metrics its results compare (event names).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub metrics: Vec<String>,
}

impl Holdout {
    /// Whether `unit_id` is held out: its point in this holdout is below the share.
    pub fn holds_out(&self, unit_id: &str) -> bool {
        in_range(self.point(unit_id), 0.0, self.share)
    }

    /// `unit_id`'s point in this holdout.
    pub fn point(&self, unit_id: &str) -> u64 {
        share_point(HOLDOUT_DOMAIN, &self.name, unit_id)
    }
}

/// A saved group: a named list of values that `$inGroup` / `$notInGroup` test an
/// attribute against (beta testers' ids, internal accounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedGroup {
    /// Name (`[A-Za-z0-9._-]`, 1–64 bytes) used in conditions.
    #[cfg_attr(
        feature = "openapi",
        schema(
            required = true,
            min_length = 1,
            max_length = 64,
            pattern = "^[A-Za-z0-9._-]+$"
        )
    )]
    pub name: String,
    /// Free text.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub description: String,
    /// Members: strings (at most 256 characters) or numbers.
    #[cfg_attr(feature = "openapi", schema(required = true, max_items = 10000, value_type = Vec<Object>))]
    pub values: Vec<Value>,
}
