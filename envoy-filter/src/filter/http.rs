//! The HTTP filter role: per request, the user id, the header plan and the exposures;
//! per tick, the snapshot re-read when its version changed.

use super::headers::{self, Map};
use super::metrics::{MetricCache, bump};
use super::random::random_bytes;
use super::{Root, log};
use crate::config::Config;
use crate::request::{attributes, plan, user_id};
use crate::served::Served;
use crate::snapshot::{EXPOSURE_QUEUE, SNAPSHOT_KEY, VERSION_KEY, accept, parse_version};
use cleave_core::edge::{UnitId, is_https, set_cookie};
use cleave_core::targeting::CachedRegex;
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

/// Exposures remembered per worker thread to avoid re-queueing the same user.
const SEEN_CAP: usize = 100_000;

/// State an HTTP filter root shares with its requests.
pub(super) struct Shared {
    pub(super) config: Config,
    pub(super) experiments: RefCell<Rc<Served>>,
    /// Compiled `$regex` patterns (kept across requests on this thread).
    pub(super) regex: CachedRegex,
    pub(super) have_snapshot: RefCell<bool>,
    pub(super) queue: RefCell<Option<u32>>,
    pub(super) seen: RefCell<HashSet<(String, String)>>,
    pub(super) metrics: MetricCache,
    /// Assignments counted in memory per experiment key and variant; published on tick
    /// so requests make no metric host calls.
    pub(super) retired: RefCell<Vec<Rc<Served>>>,
}

impl Root {
    /// Re-reads the shared snapshot when its version changed (HTTP filter role).
    pub(super) fn refresh_from_shared(&mut self) {
        let Some(shared) = self.shared.as_ref() else {
            return;
        };
        let version = parse_version(
            hostcalls::get_shared_data(VERSION_KEY)
                .ok()
                .and_then(|d| d.0)
                .as_deref(),
        );
        if version == 0 || version == self.version {
            return;
        }
        let body = hostcalls::get_shared_data(SNAPSHOT_KEY)
            .ok()
            .and_then(|d| d.0)
            .unwrap_or_default();
        match accept(&body) {
            Ok(doc) => {
                let merged = shared.config.merged(Some(&doc));
                let old = std::mem::replace(&mut *shared.experiments.borrow_mut(), Rc::new(merged));
                // Its counts are flushed on the next tick.
                shared.retired.borrow_mut().push(old);
                *shared.have_snapshot.borrow_mut() = true;
                self.version = version;
            }
            Err(e) => log(
                LogLevel::Warn,
                &format!("cleave: shared snapshot unreadable: {}", e.0),
            ),
        }
    }
}

pub(super) struct Request {
    pub(super) shared: Option<Rc<Shared>>,
    /// A minted unit id to return in `Set-Cookie`, and whether the request came over HTTPS.
    pub(super) minted: Option<(String, bool)>,
}

impl Context for Request {}

impl HttpContext for Request {
    fn on_http_request_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        let Some(shared) = self.shared.clone() else {
            return Action::Continue; // no configuration: fail open
        };
        let config = &shared.config;
        let Some(serialised) = headers::get(Map::RequestHeaders) else {
            return Action::Continue; // the host refused: pass unchanged
        };
        let Some(headers) = serialised.pairs() else {
            return Action::Continue;
        };
        if config.snapshot.is_some()
            && !*shared.have_snapshot.borrow()
            && config.experiments.is_empty()
        {
            bump(&shared.metrics, "cleave.fail_open", 1);
        }
        let user = user_id(config, &headers, random_bytes::<16>);
        // Pseudo-headers from the copy already made: no extra host calls.
        let pseudo = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(_, v)| *v)
        };
        let served = shared.experiments.borrow().clone();
        let attrs = attributes(config, &served, &headers);
        let changes = plan(
            config,
            &served,
            &headers,
            user.as_str(),
            &attrs,
            &shared.regex,
        );
        for name in &changes.remove {
            if !headers::remove(Map::RequestHeaders, name) {
                // A spoofed header that cannot be removed must not meet a real one.
                bump(&shared.metrics, "cleave.header_errors", 1);
                return Action::Continue;
            }
        }
        // The plan strips every client-sent header it adds (the prefix and the routing
        // header), so appending is safe, and cheaper than a replace.
        for (name, value) in &changes.add {
            if !headers::add(Map::RequestHeaders, name, value) {
                bump(&shared.metrics, "cleave.header_errors", 1);
            }
        }
        if let Some(u) = user.as_str() {
            for a in &changes.assignments {
                let experiment = served.experiments.get(a.index).map(|p| &p.experiment);
                served.count(a.index, a.variant_index);
                // A targeted experiment's exposure carries the attributes it was decided
                // with, so the Worker can decide it again.
                let context = experiment.filter(|e| e.targeting.is_some()).map(|_| &attrs);
                let exposure = crate::snapshot::ExposureItem {
                    experiment_id: a.experiment_id,
                    user_id: u,
                    variant: Some(a.variant),
                    holdout: None,
                    reason: a.reason,
                    context,
                };
                queue_exposure(&shared, &exposure, a.experiment_id);
            }
            // Each holdout arm met (held out or not), once per (holdout, unit): the
            // holdout's own results compare both arms.
            for h in &changes.holdouts {
                let Some(experiment) = served.experiments.get(h.index) else {
                    continue;
                };
                let arm = crate::snapshot::ExposureItem {
                    experiment_id: &experiment.experiment.id,
                    user_id: u,
                    variant: None,
                    holdout: Some(h.holdout),
                    reason: "holdout",
                    context: None,
                };
                queue_exposure(&shared, &arm, &format!("holdout/{}", h.holdout));
            }
        }
        if let UnitId::Minted(id) = user {
            let forwarded = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("x-forwarded-proto"))
                .map(|(_, v)| *v);
            self.minted = Some((id, is_https(Some(pseudo(":scheme")), forwarded)));
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        if let (Some((id, secure)), Some(shared)) = (self.minted.take(), self.shared.as_ref())
            && let Some(name) = &shared.config.cookie
            && !headers::add(
                Map::ResponseHeaders,
                "set-cookie",
                &set_cookie(name, &id, secure),
            )
        {
            bump(&shared.metrics, "cleave.header_errors", 1);
        }
        Action::Continue
    }
}

/// Queues an exposure (or a holdout arm) for the singleton, once per (`key`, user) per
/// thread: `key` is the experiment's id, or `holdout/<name>` for an arm.
fn queue_exposure(shared: &Shared, item: &crate::snapshot::ExposureItem<'_>, key: &str) {
    if shared.config.exposures.is_none() && shared.config.snapshot.is_none() {
        return;
    }
    {
        let mut seen = shared.seen.borrow_mut();
        if seen.len() >= SEEN_CAP {
            seen.clear();
        }
        if !seen.insert((key.to_string(), item.user_id.to_string())) {
            return;
        }
    }
    let queue = *shared.queue.borrow();
    let queue = match queue {
        Some(q) => q,
        None => match hostcalls::resolve_shared_queue("cleave", EXPOSURE_QUEUE) {
            Ok(Some(q)) => {
                *shared.queue.borrow_mut() = Some(q);
                q
            }
            _ => return,
        },
    };
    let Ok(item) = serde_json::to_vec(item) else {
        return;
    };
    if hostcalls::enqueue_shared_queue(queue, Some(&item)).is_err() {
        bump(&shared.metrics, "cleave.exposures.dropped", 1);
    }
}
