//! The experiment configuration shared by KV, D1, the API and the Envoy filter.

use super::audience::LayerRange;
use super::json_text::JsonText;
use super::status::Status;
use crate::stats::MdeType;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Default two-sided significance level.
pub const DEFAULT_ALPHA: f64 = 0.05;
/// Default statistical power for planning.
pub const DEFAULT_POWER: f64 = 0.8;

fn default_traffic() -> f64 {
    1.0
}
fn default_shards() -> u16 {
    crate::assign::DEFAULT_SHARDS
}
fn default_alpha() -> f64 {
    DEFAULT_ALPHA
}
fn default_power() -> f64 {
    DEFAULT_POWER
}
fn default_true() -> bool {
    true
}
fn is_true(v: &bool) -> bool {
    *v
}
fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// One arm of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Variant {
    /// Unique, header-safe name (`control`, `new-feature`).
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
    /// Relative integer-or-real weight (the ab-testing-service API's `weight`). Mutually exclusive
    /// with `allocation` across an experiment; if both are absent the weight is 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0.000001, maximum = 1000000000))]
    pub weight: Option<f64>,
    /// Fractional share (the v1 API's `allocation`); all allocations must sum to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0.000001, maximum = 1))]
    pub allocation: Option<f64>,
    /// Marks the control arm. If no variant is marked, the first one is the control.
    #[serde(default, skip_serializing_if = "is_default")]
    pub is_control: bool,
    /// Optional free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub description: String,
    /// Free JSON configuration handed to the application with the assignment.
    #[serde(default)]
    pub config: JsonText,
}

impl Variant {
    /// The weight used for splitting traffic (`weight`, else `allocation`, else 1).
    pub fn effective_weight(&self) -> f64 {
        self.weight.or(self.allocation).unwrap_or(1.0)
    }
}

/// Where an experiment applies at the edge: a host and/or a path prefix. Both
/// empty matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Route {
    /// Exact host (without port), or empty for any host.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 512, pattern = "^[A-Za-z0-9.-]*$")
    )]
    pub host: String,
    /// Path prefix such as `/checkout`, or empty for any path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_length = 512, pattern = "^(/.*)?$"))]
    pub path_prefix: String,
}

impl Route {
    /// Whether a request to `host` and `path` is covered by this route.
    pub fn matches(&self, host: &str, path: &str) -> bool {
        let host = host.split(':').next().unwrap_or(host);
        (self.host.is_empty() || self.host.eq_ignore_ascii_case(host))
            && (self.path_prefix.is_empty() || path.starts_with(self.path_prefix.as_str()))
    }
}

/// An experiment, exactly as stored in D1/KV, sent over the API and given to Envoy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Experiment {
    /// Stable id chosen by the host (also the default salt).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, read_only, max_length = 64)
    )]
    pub id: String,
    /// URL-safe slug (`[a-z0-9-]`), used in headers (`x-cleave-<key>`).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 64, pattern = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
    )]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub key: String,
    /// Human name.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, min_length = 1, max_length = 200, pattern = "\\S")
    )]
    pub name: String,
    /// Free text.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, max_length = 10000))]
    pub description: String,
    /// What the experiment is expected to show.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, max_length = 10000))]
    pub hypothesis: String,
    /// Lifecycle status.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, read_only))]
    pub status: Status,
    /// The arms, at least two.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, min_items = 2, max_items = 20)
    )]
    pub variants: Vec<Variant>,
    /// Event names measured; the first is the primary metric.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, max_items = 20))]
    pub metrics: Vec<String>,
    /// Share of units that take part, in [0, 1].
    #[serde(default = "default_traffic")]
    #[cfg_attr(feature = "openapi", schema(required = true, minimum = 0, maximum = 1))]
    pub traffic_allocation: f64,
    /// Hash salt; the id when absent. Changing it reshuffles everybody (a new phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 128, pattern = "^[^\\u0000]+$")
    )]
    pub salt: Option<String>,
    /// Two-sided significance level alpha, in (0, 0.5).
    #[serde(default = "default_alpha")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0.000000000001, exclusive_maximum = 0.5)
    )]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub significance_level: f64,
    /// Planned total number of users across all variants.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::integer::opt_u64"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub target_sample_size: Option<u64>,
    /// Planning: baseline conversion rate of the primary metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0, exclusive_maximum = 1)
    )]
    pub base_rate: Option<f64>,
    /// Planning: minimum detectable effect (see `mde_type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_detectable_effect: Option<f64>,
    /// Planning: whether `min_detectable_effect` is relative (default) or absolute.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub mde_type: MdeType,
    /// Planning: desired power.
    #[serde(default = "default_power")]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, minimum = 0.5, exclusive_maximum = 1)
    )]
    pub power: f64,
    /// QA overrides: unit id → variant name. They win over hashing while running.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub forced: BTreeMap<String, String>,
    /// Edge routes this experiment applies to (empty: everywhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub routes: Vec<Route>,
    /// Who may enter: a condition over the unit's attributes in GrowthBook's syntax
    /// (`docs/targeting.md`); absent: everybody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub targeting: Option<serde_json::Value>,
    /// A toggle of another system that must be on for the unit (an Unleash toggle,
    /// evaluated by the Worker; `docs/integrations.md`); absent: no gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<super::gate::Gate>,
    /// The experiment's range of an exclusion layer; absent: no layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRange>,
    /// Names of the holdouts whose units never enter this experiment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub holdouts: Vec<String>,
    /// Data-plane shards holding the experiment's exposures and events (`docs/assignment.md`,
    /// *Shards*): chosen at creation, 1–256, default 8; fixed afterwards.
    #[serde(default = "default_shards", deserialize_with = "super::integer::u16")]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, minimum = 1, maximum = 256)
    )]
    pub shards: u16,
    /// The most units that may enter (the ab-testing-service API's `total_population`):
    /// once this many are exposed, new units are refused and returning ones keep their
    /// variant. Needs `shards: 1`, where one shard counts every unit exactly.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::integer::opt_u64"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9007199254740992_u64)
    )]
    pub total_population: Option<u64>,
    /// Extra settings for the application as a JSON object of at most 8 KB (the
    /// ab-testing-service API's `additional_features`); stored and returned, never read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub additional_features: Option<serde_json::Value>,
    /// Whether its exposures and conversions are also sent to Plausible when
    /// `PLAUSIBLE_URL` is set (`docs/integrations.md`); default true.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub plausible: bool,
    /// Creation time, milliseconds since the Unix epoch (supplied by the host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub created_at: Option<i64>,
    /// Last change, milliseconds since the Unix epoch (supplied by the host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub updated_at: Option<i64>,
    /// When it first started running (supplied by the host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub started_at: Option<i64>,
    /// When it stopped (supplied by the host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub stopped_at: Option<i64>,
    /// Revision, raised by one on every stored change (set by the host). Writes are
    /// conditional on the revision they were based on, so no change is lost to a race;
    /// the API's `ETag` is `"v<version>"`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, read_only))]
    pub version: u64,
}

impl Default for Experiment {
    /// The same defaults a JSON body without those fields gets.
    fn default() -> Self {
        Self {
            id: String::new(),
            key: String::new(),
            name: String::new(),
            description: String::new(),
            hypothesis: String::new(),
            status: Status::default(),
            variants: Vec::new(),
            metrics: Vec::new(),
            traffic_allocation: default_traffic(),
            salt: None,
            significance_level: default_alpha(),
            target_sample_size: None,
            base_rate: None,
            min_detectable_effect: None,
            mde_type: MdeType::default(),
            power: default_power(),
            forced: BTreeMap::new(),
            routes: Vec::new(),
            targeting: None,
            gate: None,
            layer: None,
            holdouts: Vec::new(),
            shards: default_shards(),
            total_population: None,
            additional_features: None,
            plausible: true,
            created_at: None,
            updated_at: None,
            started_at: None,
            stopped_at: None,
            version: 0,
        }
    }
}

impl Experiment {
    /// The salt actually hashed: `salt`, or the id when none is set.
    pub fn effective_salt(&self) -> &str {
        self.salt.as_deref().unwrap_or(self.id.as_str())
    }

    /// Index of the control variant: the one marked `is_control`, else the first.
    pub fn control_index(&self) -> usize {
        self.variants.iter().position(|v| v.is_control).unwrap_or(0)
    }

    /// The control variant, if there are any variants.
    pub fn control(&self) -> Option<&Variant> {
        self.variants.get(self.control_index())
    }

    /// Looks a variant up by name.
    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }

    /// The primary metric (the first one), if any.
    pub fn primary_metric(&self) -> Option<&str> {
        self.metrics.first().map(String::as_str)
    }

    /// Whether this experiment applies to a request (no routes: everywhere).
    pub fn applies_to(&self, host: &str, path: &str) -> bool {
        self.routes.is_empty() || self.routes.iter().any(|r| r.matches(host, path))
    }
}
