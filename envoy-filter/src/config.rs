//! The plugin configuration (JSON in Envoy's `configuration`), parsed and validated once.
//!
//! The same module serves two roles: the HTTP filter (default) and, with
//! `"role": "sync"`, the per-process singleton (a `bootstrap_extensions` wasm service)
//! that polls the Worker's snapshot and flushes exposures.

use crate::served::Served;
use cleave_core::edge::{
    DEFAULT_HEADER_PREFIX, HeaderMode, HeaderNames, MAX_EXTRA, Prepared, prepare,
};
use cleave_core::model::{Experiment, Holdout, SavedGroup, is_valid_name};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Where one targeting attribute comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSource {
    /// The request header that carries it (e.g. `x-country` set by an earlier filter).
    pub header: String,
}

/// Where the snapshot of running experiments comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSource {
    /// Envoy cluster of the Worker.
    pub cluster: String,
    /// Path of the snapshot endpoint.
    #[serde(default = "default_snapshot_path")]
    pub path: String,
    /// `:authority` of the request (default: the cluster name).
    #[serde(default)]
    pub authority: Option<String>,
    /// Bearer token (`SNAPSHOT_TOKEN`).
    #[serde(default)]
    pub token: Option<String>,
    /// Polling interval in milliseconds.
    #[serde(default = "default_refresh_ms")]
    pub refresh_ms: u64,
    /// Timeout of one poll in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// Where exposures are reported.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposureSink {
    /// Envoy cluster of the Worker.
    pub cluster: String,
    /// Path of the batch endpoint.
    #[serde(default = "default_exposures_path")]
    pub path: String,
    /// `:authority` of the request (default: the cluster name).
    #[serde(default)]
    pub authority: Option<String>,
    /// Bearer token sent with each batch (default: the snapshot's token). With the edge
    /// (or admin) token the Worker accepts forced (QA override) exposures and does not
    /// rate-limit the filter.
    #[serde(default)]
    pub token: Option<String>,
    /// Flush interval in milliseconds.
    #[serde(default = "default_flush_ms")]
    pub flush_ms: u64,
    /// Most exposures per request (the Worker accepts up to 1,000).
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// Most exposures held for retry before new ones are dropped (and counted).
    #[serde(default = "default_max_pending")]
    pub max_pending: usize,
}

fn default_snapshot_path() -> String {
    "/api/v1/snapshot".into()
}
fn default_exposures_path() -> String {
    "/api/v1/exposures/batch".into()
}
fn default_refresh_ms() -> u64 {
    5_000
}
fn default_timeout_ms() -> u64 {
    2_000
}
fn default_flush_ms() -> u64 {
    1_000
}
fn default_max_batch() -> usize {
    500
}
fn default_max_pending() -> usize {
    10_000
}
fn default_prefix() -> String {
    DEFAULT_HEADER_PREFIX.to_string()
}
fn default_user_headers() -> Vec<String> {
    vec!["x-user-id".to_string()]
}

/// Which role this plugin instance plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The HTTP filter.
    #[default]
    Filter,
    /// The singleton that polls the snapshot and flushes exposures.
    Sync,
}

/// The configuration as written by the operator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `filter` (default) or `sync`.
    #[serde(default)]
    pub role: Role,
    /// Prefix of every header the filter adds (and strips from clients).
    #[serde(default = "default_prefix")]
    pub header_prefix: String,
    /// `each` (default): one header per assigned experiment plus the summary; `summary`:
    /// only `<prefix>assignments` (one header whatever the count).
    #[serde(default)]
    pub headers: HeaderMode,
    /// Request headers that may carry the user id, first match wins.
    #[serde(default = "default_user_headers")]
    pub user_id_headers: Vec<String>,
    /// Cookie that may carry the user id (after the headers).
    #[serde(default)]
    pub cookie: Option<String>,
    /// Mint a random user id (returned in `Set-Cookie`) when none is found; needs `cookie`.
    #[serde(default)]
    pub generate_user_id: bool,
    /// Header set to a per-user number for `WeightedCluster.random_value_specifier`.
    #[serde(default)]
    pub routing_header: Option<String>,
    /// Honour `<prefix>force: key=variant,...` from clients (QA); off by default.
    #[serde(default)]
    pub allow_force_header: bool,
    /// Experiments from the Worker's snapshot (used by the `sync` role).
    #[serde(default)]
    pub snapshot: Option<SnapshotSource>,
    /// Exposure reporting (queued by the filter, flushed by the `sync` role).
    #[serde(default)]
    pub exposures: Option<ExposureSink>,
    /// Inline experiments in the core's wire model (always served; the snapshot's
    /// experiments replace inline ones with the same id).
    #[serde(default)]
    pub experiments: Vec<Experiment>,
    /// Inline holdouts (the snapshot's replace those of the same name).
    #[serde(default)]
    pub holdouts: Vec<Holdout>,
    /// Inline saved groups (the snapshot's replace those of the same name).
    #[serde(default)]
    pub groups: Vec<SavedGroup>,
    /// Targeting attributes from request headers, by attribute name (at most 16), besides
    /// `host`, `path`, `method`, `query`, `user_agent` and `device`, which every request has.
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeSource>,
    /// A request header whose value is a JSON object of attributes (set by an earlier filter,
    /// e.g. an auth service: `{"plan": "pro", "age": 31}`); its keys win over the others.
    /// Ignored when it is not a JSON object within the `/assign` limits.
    #[serde(default)]
    pub attributes_header: Option<String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Role of this instance.
    pub role: Role,
    /// Lower-cased header prefix.
    pub header_prefix: String,
    /// Header names and mode, prepared once.
    pub names: HeaderNames,
    /// Lower-cased user id header names.
    pub user_id_headers: Vec<String>,
    /// User id cookie name.
    pub cookie: Option<String>,
    /// Whether to mint user ids.
    pub generate_user_id: bool,
    /// Lower-cased routing header name.
    pub routing_header: Option<String>,
    /// Whether the force header is honoured.
    pub allow_force_header: bool,
    /// Snapshot source.
    pub snapshot: Option<SnapshotSource>,
    /// Exposure sink.
    pub exposures: Option<ExposureSink>,
    /// Inline experiments, validated.
    pub inline: Vec<Experiment>,
    /// Running inline experiments, prepared.
    pub experiments: Vec<Prepared>,
    /// Inline holdouts, validated.
    pub holdouts: Vec<Holdout>,
    /// Inline saved groups, validated.
    pub groups: Vec<SavedGroup>,
    /// Attribute name → lower-cased request header.
    pub attributes: Vec<(String, String)>,
    /// Lower-cased header carrying a JSON object of attributes.
    pub attributes_header: Option<String>,
}

/// A configuration problem, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// JSON path of the field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid cleave filter configuration: {}: {}",
            self.field, self.message
        )
    }
}

fn err(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        message: message.into(),
    }
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_upstream(field: &str, cluster: &str, path: &str) -> Result<(), ConfigError> {
    if cluster.is_empty() {
        return Err(err(
            format!("{field}.cluster"),
            "must name an Envoy cluster",
        ));
    }
    if !path.starts_with('/') {
        return Err(err(format!("{field}.path"), "must start with '/'"));
    }
    Ok(())
}

/// Validates inline experiments and prepares the running ones.
pub fn validate_experiments(experiments: &[Experiment], field: &str) -> Result<(), ConfigError> {
    for (i, e) in experiments.iter().enumerate() {
        if let Err(problems) = e.validate() {
            let first = &problems[0];
            return Err(err(
                format!("{field}[{i}].{}", first.field),
                first.message.clone(),
            ));
        }
    }
    Ok(())
}

/// The JSON path of a parse error; `$` for the document itself.
pub(crate) fn json_field(text: &[u8], e: &serde_json::Error) -> String {
    cleave_core::json_path::error_field(text, e).unwrap_or_else(|| "$".to_string())
}

impl Config {
    /// Parses and validates the plugin configuration (empty means defaults).
    pub fn parse(bytes: &[u8]) -> Result<Self, ConfigError> {
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            bytes
        };
        let raw: RawConfig =
            serde_json::from_slice(text).map_err(|e| err(json_field(text, &e), e.to_string()))?;
        let header_prefix = raw.header_prefix.to_ascii_lowercase();
        if !is_header_name(&header_prefix) {
            return Err(err(
                "header_prefix",
                "must be a non-empty header name prefix ([A-Za-z0-9_-])",
            ));
        }
        if raw.user_id_headers.is_empty() && raw.cookie.is_none() {
            return Err(err(
                "user_id_headers",
                "needs at least one header name (or set 'cookie')",
            ));
        }
        let mut user_id_headers = Vec::with_capacity(raw.user_id_headers.len());
        for (i, h) in raw.user_id_headers.iter().enumerate() {
            if !is_header_name(h) {
                return Err(err(
                    format!("user_id_headers[{i}]"),
                    "must be a header name",
                ));
            }
            user_id_headers.push(h.to_ascii_lowercase());
        }
        if let Some(c) = &raw.cookie
            && !(is_header_name(c) && c.len() <= 64)
        {
            return Err(err(
                "cookie",
                "must be a cookie name ([A-Za-z0-9_-], at most 64)",
            ));
        }
        if raw.generate_user_id && raw.cookie.is_none() {
            return Err(err(
                "generate_user_id",
                "needs 'cookie' to return the generated id in",
            ));
        }
        if let Some(h) = &raw.routing_header
            && !is_header_name(h)
        {
            return Err(err("routing_header", "must be a header name"));
        }
        if let Some(s) = &raw.snapshot {
            check_upstream("snapshot", &s.cluster, &s.path)?;
            if s.refresh_ms < 100 {
                return Err(err("snapshot.refresh_ms", "must be at least 100"));
            }
        }
        if let Some(x) = &raw.exposures {
            check_upstream("exposures", &x.cluster, &x.path)?;
            if !(1..=1000).contains(&x.max_batch) {
                return Err(err("exposures.max_batch", "must be between 1 and 1000"));
            }
            if x.flush_ms < 100 {
                return Err(err("exposures.flush_ms", "must be at least 100"));
            }
        }
        if raw.role == Role::Sync && raw.snapshot.is_none() && raw.exposures.is_none() {
            return Err(err(
                "role",
                "the sync role needs 'snapshot' and/or 'exposures'",
            ));
        }
        validate_experiments(&raw.experiments, "experiments")?;
        validate_audience(&raw.holdouts, &raw.groups)?;
        if raw.attributes.len() > MAX_EXTRA {
            return Err(err(
                "attributes",
                format!("allows at most {MAX_EXTRA} header attributes"),
            ));
        }
        let mut attributes = Vec::with_capacity(raw.attributes.len());
        for (name, source) in &raw.attributes {
            if !is_valid_name(name) {
                return Err(err(
                    format!("attributes.{name}"),
                    "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'",
                ));
            }
            if !is_header_name(&source.header) {
                return Err(err(
                    format!("attributes.{name}.header"),
                    "must be a header name",
                ));
            }
            attributes.push((name.clone(), source.header.to_ascii_lowercase()));
        }
        if let Some(h) = &raw.attributes_header
            && !is_header_name(h)
        {
            return Err(err("attributes_header", "must be a header name"));
        }
        let experiments = prepare(raw.experiments.iter().cloned(), &header_prefix);
        Ok(Self {
            role: raw.role,
            names: HeaderNames::new(&header_prefix, raw.headers),
            header_prefix,
            user_id_headers,
            cookie: raw.cookie,
            generate_user_id: raw.generate_user_id,
            routing_header: raw.routing_header.map(|h| h.to_ascii_lowercase()),
            allow_force_header: raw.allow_force_header,
            snapshot: raw.snapshot,
            exposures: raw.exposures,
            inline: raw.experiments,
            experiments,
            holdouts: raw.holdouts,
            groups: raw.groups,
            attributes,
            attributes_header: raw.attributes_header.map(|h| h.to_ascii_lowercase()),
        })
    }

    /// What to serve: inline experiments, holdouts and groups, replaced or extended by the
    /// snapshot's (`None`: no snapshot yet).
    pub fn merged(&self, snapshot: Option<&crate::snapshot::SnapshotDoc>) -> Served {
        let Some(doc) = snapshot else {
            return Served::new(
                self.experiments.clone(),
                self.holdouts.clone(),
                cleave_core::edge::groups(&self.groups),
            );
        };
        let mut all: Vec<Experiment> = self
            .inline
            .iter()
            .filter(|e| !doc.experiments.iter().any(|s| s.id == e.id))
            .cloned()
            .collect();
        all.extend(doc.experiments.iter().cloned());
        let mut holdouts: Vec<Holdout> = self
            .holdouts
            .iter()
            .filter(|h| !doc.holdouts.iter().any(|s| s.name == h.name))
            .cloned()
            .collect();
        holdouts.extend(doc.holdouts.iter().cloned());
        let mut groups: Vec<SavedGroup> = self
            .groups
            .iter()
            .filter(|g| !doc.groups.iter().any(|s| s.name == g.name))
            .cloned()
            .collect();
        groups.extend(doc.groups.iter().cloned());
        Served::new(
            prepare(all, &self.header_prefix),
            holdouts,
            cleave_core::edge::groups(&groups),
        )
    }
}

/// Validates holdouts and saved groups (inline or from a snapshot).
pub fn validate_audience(holdouts: &[Holdout], groups: &[SavedGroup]) -> Result<(), ConfigError> {
    for (i, h) in holdouts.iter().enumerate() {
        if let Err(problems) = h.validate() {
            let first = &problems[0];
            return Err(err(
                format!("holdouts[{i}].{}", first.field),
                first.message.clone(),
            ));
        }
    }
    for (i, g) in groups.iter().enumerate() {
        if let Err(problems) = g.validate() {
            let first = &problems[0];
            return Err(err(
                format!("groups[{i}].{}", first.field),
                first.message.clone(),
            ));
        }
    }
    Ok(())
}
