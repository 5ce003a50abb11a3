//! Accepting a snapshot from the Worker: parse, validate every experiment, keep the body.

use cleave_core::model::{Experiment, Holdout, SavedGroup};
use serde::Deserialize;

/// Shared-data key of the last good snapshot body.
pub const SNAPSHOT_KEY: &str = "cleave.snapshot.body";
/// Shared-data key of the snapshot version (a decimal counter, bumped on every change).
pub const VERSION_KEY: &str = "cleave.snapshot.version";
/// Shared queue of exposures (JSON objects) from HTTP filters to the sync singleton.
pub const EXPOSURE_QUEUE: &str = "cleave.exposures";

/// The part of the Worker's `/snapshot` document the filter uses.
#[derive(Debug, Deserialize)]
pub struct SnapshotDoc {
    /// Content hash (the `ETag`).
    #[serde(default)]
    pub etag: String,
    /// Assignment contract version.
    #[serde(default)]
    pub spec_version: u32,
    /// Running experiments.
    pub experiments: Vec<Experiment>,
    /// Every holdout.
    #[serde(default)]
    pub holdouts: Vec<Holdout>,
    /// Every saved group.
    #[serde(default)]
    pub groups: Vec<SavedGroup>,
}

/// One exposure as queued for the Worker's `/api/v1/exposures/batch`.
#[derive(Debug, serde::Serialize)]
pub struct ExposureItem<'a> {
    /// Experiment id.
    pub experiment_id: &'a str,
    /// The unit.
    pub user_id: &'a str,
    /// The variant it was assigned (none for a holdout arm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<&'a str>,
    /// Instead of an exposure: the unit reached this holdout's check in the experiment (the
    /// Worker decides its arm again), for the holdout's own results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holdout: Option<&'a str>,
    /// `assigned`, or `forced` (a QA override or the forced list): the Worker accepts a
    /// forced exposure only from a caller with the edge token.
    pub reason: &'a str,
    /// The attributes the filter decided with (sent for targeted experiments, which the
    /// Worker decides again with them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<&'a serde_json::Value>,
}

/// Why a snapshot was refused (the last good one stays in use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub String);

/// Parses and validates a snapshot body.
pub fn accept(body: &[u8]) -> Result<SnapshotDoc, Rejected> {
    let doc: SnapshotDoc = serde_json::from_slice(body).map_err(|e| {
        let field = crate::config::json_field(body, &e);
        Rejected(format!("not a snapshot: {field}: {e}"))
    })?;
    // Contract v2 decides a v1 experiment exactly as v1 did: only a later version is refused.
    if doc.spec_version > cleave_core::assign::SPEC_VERSION {
        return Err(Rejected(format!(
            "snapshot is for assignment contract v{}, this filter implements up to v{}",
            doc.spec_version,
            cleave_core::assign::SPEC_VERSION
        )));
    }
    crate::config::validate_experiments(&doc.experiments, "experiments")
        .map_err(|e| Rejected(e.to_string()))?;
    crate::config::validate_audience(&doc.holdouts, &doc.groups)
        .map_err(|e| Rejected(e.to_string()))?;
    Ok(doc)
}

/// Parses a stored version counter (absent or garbage: 0).
pub fn parse_version(bytes: Option<&[u8]>) -> u64 {
    bytes
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
