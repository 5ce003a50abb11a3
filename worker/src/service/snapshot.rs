//! The published snapshot of running experiments (KV and `GET /snapshot`).

use cleave_core::model::{Experiment, Holdout, SavedGroup, Status};
use serde::{Deserialize, Serialize};

/// KV key of the snapshot.
pub const KV_KEY: &str = "snapshot";

/// What edge consumers (the Envoy filter) read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snapshot {
    /// Assignment contract version the experiments are meant for.
    pub spec_version: u32,
    /// Content hash; also the HTTP `ETag`.
    pub etag: String,
    /// When it was generated, ms since the epoch.
    pub generated_at: i64,
    /// Running experiments, in the core's wire model.
    pub experiments: Vec<Experiment>,
    /// Every holdout (experiments list them by name).
    #[serde(default)]
    pub holdouts: Vec<Holdout>,
    /// Every saved group (`$inGroup` names them).
    #[serde(default)]
    pub groups: Vec<SavedGroup>,
}

/// Builds the snapshot from all experiments (only running ones are published), the
/// holdouts and the saved groups.
pub fn build(
    all: Vec<Experiment>,
    mut holdouts: Vec<Holdout>,
    mut groups: Vec<SavedGroup>,
    now_ms: i64,
) -> Snapshot {
    let mut experiments: Vec<Experiment> = all
        .into_iter()
        .filter(|e| e.status == Status::Running)
        .collect();
    experiments.sort_by(|a, b| a.id.cmp(&b.id));
    holdouts.sort_by(|a, b| a.name.cmp(&b.name));
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    let body = serde_json::to_vec(&(&experiments, &holdouts, &groups)).unwrap_or_default();
    Snapshot {
        spec_version: cleave_core::assign::SPEC_VERSION,
        etag: super::etag::of(&body),
        generated_at: now_ms,
        experiments,
        holdouts,
        groups,
    }
}

/// Whether an `If-None-Match` header value matches the snapshot's ETag.
pub fn not_modified(if_none_match: Option<&str>, snapshot: &Snapshot) -> bool {
    super::etag::matches(if_none_match, &snapshot.etag)
}
