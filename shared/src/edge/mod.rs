//! What an edge host (the Worker's proxy mode, the Envoy filter) does to a request: find
//! the unit id (request headers, then the cookie, else a new one), read QA overrides,
//! strip client-sent headers with the Cleave prefix, assign every running experiment whose
//! routes match, and add one header per experiment plus a summary. Every rule lives here
//! once, so both hosts behave identically.

mod attributes;
mod force;
mod plan;
mod unit;

pub use attributes::{
    MAX_EXTRA, MAX_QUERY_PARAMS, MAX_VALUE_CHARS, RequestFacts, clip, device_class, query_params,
    request_attributes,
};
pub use force::{FORCE_HEADER, force_overrides};
pub use plan::{EdgeAssignment, HeaderMode, HeaderNames, HeaderPlan, HoldoutArm, plan};
pub use unit::{
    COOKIE_MAX_AGE, UnitId, cookie_value, is_https, resolve_unit_id, set_cookie,
    user_id_from_bytes, valid_cookie_value,
};

use crate::assign::Allocation;
use crate::model::{Assignment, Audience, Experiment, Status, Step};
use crate::targeting::Compiled;
use alloc::string::String;
use alloc::vec::Vec;

/// Default prefix of the headers Cleave owns.
pub const DEFAULT_HEADER_PREFIX: &str = "x-cleave-";
/// Default name of the user-id cookie.
pub const DEFAULT_COOKIE: &str = "cleave_uid";

/// A running experiment with its allocation and header name prepared once per
/// configuration.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The experiment.
    pub experiment: Experiment,
    /// Its traffic split.
    pub allocation: Allocation,
    /// Its header, `<prefix><key>`.
    pub header: String,
    /// Its targeting condition, compiled.
    pub targeting: Option<Compiled>,
}

impl Prepared {
    /// The decision of contract v2 for `unit_id` (see [`Experiment::decide`]), with the
    /// prepared split and compiled condition.
    pub fn decide<'a>(
        &'a self,
        unit_id: &str,
        qa_override: Option<&str>,
        audience: &Audience<'_>,
        trace: &mut dyn FnMut(Step<'a>),
    ) -> Assignment<'a> {
        self.experiment.decide_compiled(
            &self.allocation,
            self.targeting.as_ref(),
            unit_id,
            qa_override,
            audience,
            trace,
        )
    }
}

/// Prepares the running experiments of a list for headers under `prefix` (lower-cased;
/// other experiments, and invalid ones, are skipped).
pub fn prepare(experiments: impl IntoIterator<Item = Experiment>, prefix: &str) -> Vec<Prepared> {
    let prefix = prefix.to_ascii_lowercase();
    experiments
        .into_iter()
        .filter(|e| e.status == Status::Running)
        .filter_map(|e| {
            e.allocation().ok().map(|allocation| Prepared {
                header: alloc::format!("{prefix}{}", e.key),
                targeting: e.targeting.as_ref().map(Compiled::new),
                experiment: e,
                allocation,
            })
        })
        .collect()
}

/// Saved groups as the condition evaluator takes them (name → values).
pub fn groups(saved: &[crate::model::SavedGroup]) -> crate::targeting::Groups {
    saved
        .iter()
        .map(|g| (g.name.clone(), g.values.clone()))
        .collect()
}

/// Salt of the routing value (a separate draw from every experiment's).
pub const ROUTING_SALT: &str = "cleave:routing";

/// A per-user number for Envoy's `WeightedCluster.random_value_specifier`: the first
/// 64 bits of `SHA-256("cleave:routing" ‖ 0x00 ‖ user)`. Envoy takes it modulo the total
/// weight, so the same user always lands on the same cluster and users split by weight.
pub fn routing_value(user_id: &str) -> u64 {
    crate::assign::unit_hash(ROUTING_SALT, user_id).traffic
}
