//! The header plan for one request: which client-sent headers to strip and which
//! assignment headers to add. Header names and variant names are prepared with the
//! configuration, so planning borrows them: an assigned experiment costs no allocation
//! beyond its share of the summary header.

use super::Prepared;
use crate::model::Audience;
use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Which assignment headers go upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum HeaderMode {
    /// `<prefix><key>: <variant>` per assigned experiment, then the summary (the default).
    #[default]
    Each,
    /// Only the summary `<prefix>assignments: key=variant,…` (one header whatever the count).
    Summary,
}

/// The header names of a host's configuration, prepared once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderNames {
    /// Lower-case prefix of every Cleave header (`x-cleave-`).
    pub prefix: String,
    /// The summary header (`<prefix>assignments`).
    pub summary: String,
    /// Which headers to add.
    pub mode: HeaderMode,
}

impl HeaderNames {
    /// Names for `prefix` (lower-cased) in `mode`.
    pub fn new(prefix: &str, mode: HeaderMode) -> Self {
        let prefix = prefix.to_ascii_lowercase();
        Self {
            summary: format!("{prefix}assignments"),
            prefix,
            mode,
        }
    }
}

/// One assignment made while planning (for exposure reporting and counting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeAssignment<'a> {
    /// Index of the experiment in the prepared list.
    pub index: usize,
    /// Experiment id.
    pub experiment_id: &'a str,
    /// Index of the variant in the experiment.
    pub variant_index: usize,
    /// Variant name.
    pub variant: &'a str,
    /// `assigned` or `forced`.
    pub reason: &'static str,
}

/// A unit's arm in a holdout, met while planning (for the holdout's own results).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldoutArm<'a> {
    /// Index of the experiment that checked it, in the prepared list.
    pub index: usize,
    /// The holdout.
    pub holdout: &'a str,
    /// Held out (true) or exposed to the experiments listing it (false).
    pub held_out: bool,
}

/// Header changes for the upstream (origin) request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HeaderPlan<'a> {
    /// Lower-cased names of client-sent headers with the prefix, to remove.
    pub remove: Vec<String>,
    /// Headers to set: `<prefix><key>: <variant>` per assignment (unless in summary mode),
    /// then `<prefix>assignments`.
    pub add: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The assignments made.
    pub assignments: Vec<EdgeAssignment<'a>>,
    /// The holdout arms met (only experiments that list holdouts add any).
    pub holdouts: Vec<HoldoutArm<'a>>,
}

/// Plans the header changes for one request (`experiments` prepared with `names.prefix`,
/// see [`super::prepare`]). `overrides` are QA overrides `(experiment key,
/// variant)` (see [`super::force_overrides`]), empty unless the host enables them;
/// `audience` holds the request's attributes ([`super::request_attributes`]) and the
/// snapshot's holdouts and groups.
#[allow(clippy::too_many_arguments)] // one call per host, every argument a different fact
pub fn plan<'a, 'h>(
    experiments: &'a [Prepared],
    names: &'a HeaderNames,
    headers: impl IntoIterator<Item = &'h str>,
    user_id: Option<&str>,
    host: &str,
    path: &str,
    overrides: &[(String, String)],
    audience: &Audience<'_>,
) -> HeaderPlan<'a> {
    let prefix = names.prefix.as_str();
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
    // Sized once per request for every experiment that could apply: no regrowth while
    // assigning.
    let mut summary = String::with_capacity(
        experiments
            .iter()
            .map(|p| p.experiment.key.len() + 18)
            .sum(),
    );
    out.add.reserve(experiments.len() + 1);
    out.assignments.reserve(experiments.len());
    for (index, p) in experiments.iter().enumerate() {
        if !p.experiment.applies_to(host, path) {
            continue;
        }
        let qa = overrides
            .iter()
            .find(|(key, _)| *key == p.experiment.key)
            .map(|(_, variant)| variant.as_str());
        let arms = &mut out.holdouts;
        let a = p.decide(user, qa, audience, &mut |step| {
            if let Some((holdout, held_out)) = step.holdout_arm() {
                arms.push(HoldoutArm {
                    index,
                    holdout,
                    held_out,
                });
            }
        });
        let Some(variant) = a.variant else {
            continue;
        };
        let variant_index = p
            .experiment
            .variants
            .iter()
            .position(|v| core::ptr::eq(v, variant))
            .unwrap_or(0);
        if names.mode == HeaderMode::Each {
            out.add.push((
                Cow::Borrowed(p.header.as_str()),
                Cow::Borrowed(variant.name.as_str()),
            ));
        }
        if !summary.is_empty() {
            summary.push(',');
        }
        summary.push_str(&p.experiment.key);
        summary.push('=');
        summary.push_str(&variant.name);
        out.assignments.push(EdgeAssignment {
            index,
            experiment_id: &p.experiment.id,
            variant_index,
            variant: &variant.name,
            reason: a.reason.as_str(),
        });
    }
    if !summary.is_empty() {
        out.add
            .push((Cow::Borrowed(names.summary.as_str()), Cow::Owned(summary)));
    }
    out
}
