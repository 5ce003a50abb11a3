//! What an edge host (the Worker's proxy mode, the Envoy filter) does to a request's
//! headers: strip client-sent headers with the Cleave prefix, assign every running
//! experiment whose routes match, and add one header per experiment plus a summary.
//! Shared so both hosts behave identically; also the cookie rules for the user id.

use crate::assign::Allocation;
use crate::model::{Experiment, Status};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Default prefix of the headers Cleave owns.
pub const DEFAULT_HEADER_PREFIX: &str = "x-cleave-";
/// Default name of the user-id cookie.
pub const DEFAULT_COOKIE: &str = "cleave_uid";
/// Lifetime of a generated user-id cookie, in seconds (one year).
pub const COOKIE_MAX_AGE: u32 = 365 * 24 * 3600;

/// A running experiment with its allocation prepared once per configuration.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The experiment.
    pub experiment: Experiment,
    /// Its traffic split.
    pub allocation: Allocation,
}

/// Prepares the running experiments of a list (others, and invalid ones, are skipped).
pub fn prepare(experiments: impl IntoIterator<Item = Experiment>) -> Vec<Prepared> {
    experiments
        .into_iter()
        .filter(|e| e.status == Status::Running)
        .filter_map(|e| {
            e.allocation().ok().map(|allocation| Prepared {
                experiment: e,
                allocation,
            })
        })
        .collect()
}

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

/// Plans the header changes for one request. `prefix` must be lower-case.
pub fn plan<'h>(
    experiments: &[Prepared],
    prefix: &str,
    headers: impl IntoIterator<Item = &'h str>,
    user_id: Option<&str>,
    host: &str,
    path: &str,
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
        let a = p.experiment.assign_with(&p.allocation, user);
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

/// Whether a cookie value can be used as a user id: 1–256 bytes of RFC 6265
/// cookie-octets (visible ASCII except `"`, `,`, `;` and `\`).
pub fn valid_cookie_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= crate::model::limits::MAX_ID_LEN
        && value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && !matches!(b, b'"' | b',' | b';' | b'\\'))
}

/// The value of cookie `name` in a `Cookie` header, if present and valid as a user id.
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|v| valid_cookie_value(v))
}

/// A `Set-Cookie` value for a newly generated user id.
pub fn set_cookie(name: &str, value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly{secure}")
}

/// Salt of the routing value (a separate draw from every experiment's).
pub const ROUTING_SALT: &str = "cleave:routing";

/// A per-user number for Envoy's `WeightedCluster.random_value_specifier`: the first
/// 64 bits of `SHA-256("cleave:routing" ‖ 0x00 ‖ user)`. Envoy takes it modulo the total
/// weight, so the same user always lands on the same cluster and users split by weight.
pub fn routing_value(user_id: &str) -> u64 {
    crate::assign::unit_hash(ROUTING_SALT, user_id).traffic
}

/// A user id from 16 random bytes supplied by the host (32 lower-case hex digits).
pub fn user_id_from_bytes(bytes: &[u8; 16]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
