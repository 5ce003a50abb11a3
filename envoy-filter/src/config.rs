//! The plugin configuration (JSON in Envoy's `configuration`), parsed and prepared once.

use cleave_core::model::{Experiment, Status};
use serde::Deserialize;

use cleave_core::edge::DEFAULT_HEADER_PREFIX;

/// The configuration as written by the operator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Prefix of every header the filter adds (and strips from clients).
    #[serde(default = "default_prefix")]
    pub header_prefix: String,
    /// Request headers that may carry the user id, first match wins.
    #[serde(default = "default_user_headers")]
    pub user_id_headers: Vec<String>,
    /// Inline experiments in the core's wire model.
    #[serde(default)]
    pub experiments: Vec<Experiment>,
}

fn default_prefix() -> String {
    DEFAULT_HEADER_PREFIX.to_string()
}

fn default_user_headers() -> Vec<String> {
    vec!["x-user-id".to_string()]
}

pub use cleave_core::edge::Prepared;

/// The validated configuration the HTTP contexts use.
#[derive(Debug, Clone)]
pub struct Config {
    /// Lower-cased header prefix.
    pub header_prefix: String,
    /// Lower-cased user id header names.
    pub user_id_headers: Vec<String>,
    /// Running experiments only.
    pub experiments: Vec<Prepared>,
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

impl Config {
    /// Parses and validates the plugin configuration (empty means defaults).
    pub fn parse(bytes: &[u8]) -> Result<Self, ConfigError> {
        let raw: RawConfig = if bytes.iter().all(u8::is_ascii_whitespace) {
            serde_json::from_str("{}").map_err(|e| err("$", e.to_string()))?
        } else {
            serde_json::from_slice(bytes).map_err(|e| err("$", e.to_string()))?
        };
        let header_prefix = raw.header_prefix.to_ascii_lowercase();
        if !is_header_name(&header_prefix) {
            return Err(err(
                "header_prefix",
                "must be a non-empty header name prefix ([A-Za-z0-9_-])",
            ));
        }
        if raw.user_id_headers.is_empty() {
            return Err(err("user_id_headers", "needs at least one header name"));
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
        let mut experiments = Vec::new();
        for (i, e) in raw.experiments.into_iter().enumerate() {
            if let Err(problems) = e.validate() {
                let first = &problems[0];
                return Err(err(
                    format!("experiments[{i}].{}", first.field),
                    first.message.clone(),
                ));
            }
            if e.status != Status::Running {
                continue;
            }
            let allocation = e
                .allocation()
                .map_err(|x| err(format!("experiments[{i}].variants"), x.to_string()))?;
            experiments.push(Prepared {
                experiment: e,
                allocation,
            });
        }
        Ok(Self {
            header_prefix,
            user_id_headers,
            experiments,
        })
    }
}
