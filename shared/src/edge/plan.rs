//! The header plan for one request: which client-sent headers to strip and which
//! assignment headers to add.

use super::Prepared;
use crate::model::Audience;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// One assignment made while planning (for exposure reporting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeAssignment {
    /// Experiment id.
    pub experiment_id: String,
    /// Variant name.
    pub variant: String,
    /// `assigned` or `forced`.
    pub reason: &'static str,
}

/// Header changes for the upstream (origin) request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HeaderPlan {
    /// Lower-cased names of client-sent headers with the prefix, to remove.
    pub remove: Vec<String>,
    /// Headers to set: `<prefix><key>: <variant>` per assignment, then `<prefix>assignments`.
    pub add: Vec<(String, String)>,
    /// The assignments made.
    pub assignments: Vec<EdgeAssignment>,
}

/// Plans the header changes for one request. `prefix` must be lower-case; `overrides` are
/// QA overrides `(experiment key, variant)` (see [`super::force_overrides`]), empty
/// unless the host enables them; `audience` holds the request's attributes
/// ([`super::request_attributes`]) and the snapshot's holdouts and groups.
#[allow(clippy::too_many_arguments)] // one call per host, every argument a different fact
pub fn plan<'h>(
    experiments: &[Prepared],
    prefix: &str,
    headers: impl IntoIterator<Item = &'h str>,
    user_id: Option<&str>,
    host: &str,
    path: &str,
    overrides: &[(String, String)],
    audience: &Audience<'_>,
) -> HeaderPlan {
    let mut out = HeaderPlan::default();
    for name in headers {
        // Compared in place: only a header that has the prefix costs an allocation.
        let has_prefix = name
            .as_bytes()
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()));
        if has_prefix {
            let lower = name.to_ascii_lowercase();
            if !out.remove.contains(&lower) {
                out.remove.push(lower);
            }
        }
    }
    let Some(user) = user_id.filter(|u| !u.is_empty()) else {
        return out;
    };
    let mut summary = String::new();
    for p in experiments
        .iter()
        .filter(|p| p.experiment.applies_to(host, path))
    {
        let qa = overrides
            .iter()
            .find(|(key, _)| *key == p.experiment.key)
            .map(|(_, variant)| variant.as_str());
        let a = p
            .experiment
            .decide(&p.allocation, user, qa, audience, &mut |_| {});
        let Some(variant) = a.variant_name() else {
            continue;
        };
        out.add
            .push((format!("{prefix}{}", p.experiment.key), variant.to_string()));
        if !summary.is_empty() {
            summary.push(',');
        }
        summary.push_str(&p.experiment.key);
        summary.push('=');
        summary.push_str(variant);
        out.assignments.push(EdgeAssignment {
            experiment_id: p.experiment.id.clone(),
            variant: variant.to_string(),
            reason: a.reason.as_str(),
        });
    }
    if !summary.is_empty() {
        out.add.push((format!("{prefix}assignments"), summary));
    }
    out
}
