//! What a request owes the integrations once it has answered: Plausible events of the
//! exposures and conversions it recorded, sent in the background (`waitUntil`) so they
//! never delay or fail the request, with their outcomes (sent, failed, dropped) added to
//! the counters `/metrics` reports.

use crate::host::setting;
use crate::service::plausible::{self, Outgoing, PlausibleConfig, Prepared, Visitor};
use crate::service::track::TrackResponse;
use crate::shard::ShardPlane;
use crate::store::{Exposed, Exposure};
use cleave_core::model::Experiment;
use futures_util::future::{Either, join_all, select};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use worker::{Context, Delay, Env, Fetch, Headers, Method, Request, RequestInit};

/// How long one event may take to send before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// The counter of each outcome (`/metrics`: `cleave_plausible_events_total{outcome}`).
pub const SENT: &str = "plausible_sent";
/// Plausible answered something other than 2xx, or not at all.
pub const FAILED: &str = "plausible_failed";
/// Not sendable (no client `User-Agent` or IP).
pub const DROPPED: &str = "plausible_dropped";

/// The Plausible settings (`PLAUSIBLE_URL`, `PLAUSIBLE_DOMAIN`, `PLAUSIBLE_CURRENCY`), when
/// events go out at all.
pub fn plausible_config(env: &Env) -> Option<PlausibleConfig> {
    PlausibleConfig::new(
        setting(env, "PLAUSIBLE_URL").as_deref(),
        setting(env, "PLAUSIBLE_DOMAIN").as_deref(),
        setting(env, "PLAUSIBLE_CURRENCY").as_deref(),
    )
}

/// One request's pending integration events.
pub struct Outbox {
    config: Option<PlausibleConfig>,
    visitor: Visitor,
    pending: RefCell<Vec<Prepared>>,
}

impl Outbox {
    /// The outbox of a request with these headers (and, in edge proxy mode, this page URL):
    /// active when `PLAUSIBLE_URL` and `PLAUSIBLE_DOMAIN` are set.
    pub fn new(env: &Env, headers: &Headers, page: Option<&str>) -> Rc<Self> {
        let config = plausible_config(env);
        let visitor = match &config {
            Some(_) => {
                let pairs: Vec<(String, String)> = headers.entries().collect();
                Visitor::from_headers(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())), page)
            }
            None => Visitor::default(),
        };
        Rc::new(Self {
            config,
            visitor,
            pending: RefCell::new(Vec::new()),
        })
    }

    /// The Plausible settings of this experiment, when events go out for it.
    fn for_experiment(&self, e: &Experiment) -> Option<&PlausibleConfig> {
        self.config.as_ref().filter(|_| e.plausible)
    }

    /// A first exposure of the request's visitor.
    pub fn exposure(&self, e: &Experiment, variant: &str) {
        if let Some(config) = self.for_experiment(e) {
            let event = plausible::exposure(config, &self.visitor, &e.key, variant);
            self.pending.borrow_mut().push(event);
        }
    }

    /// A recorded event (a conversion) of the request's visitor.
    pub fn conversion(&self, e: &Experiment, event: &str, variant: &str, value: f64) {
        if let Some(config) = self.for_experiment(e) {
            let prepared =
                plausible::conversion(config, &self.visitor, &e.key, event, variant, value);
            self.pending.borrow_mut().push(prepared);
        }
    }

    /// The exposures a write found new (`exposed.new`): one first exposure each.
    pub fn exposed(&self, e: &Experiment, exposures: &[Exposure], exposed: &Exposed) {
        for x in exposures
            .iter()
            .filter(|x| exposed.new.contains(&x.user_id))
        {
            self.exposure(e, &x.variant);
        }
    }

    /// A tracked event, when it was newly recorded for an exposed unit.
    pub fn tracked(&self, e: &Experiment, tracked: &TrackResponse) {
        if let (true, Some(variant)) = (tracked.recorded, &tracked.variant) {
            self.conversion(e, &tracked.event_name, variant, tracked.value);
        }
    }

    /// Sends what is pending after the answer (`waitUntil`), then counts the outcomes.
    pub fn send_in_background(&self, ctx: &Context, env: &Env) {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        if pending.is_empty() {
            return;
        }
        let plane = ShardPlane::from_env(env).ok();
        ctx.wait_until(async move {
            let outcomes = join_all(pending.into_iter().map(|p| async move {
                match p {
                    Prepared::Send(x) => match send(&x).await {
                        Ok(()) => SENT,
                        Err(e) => {
                            worker::console_warn!("sending an event to Plausible failed: {e}");
                            FAILED
                        }
                    },
                    Prepared::Dropped(why) => {
                        worker::console_warn!("a Plausible event was dropped: {why}");
                        DROPPED
                    }
                }
            }))
            .await;
            let mut counts: Vec<(String, u64)> = Vec::new();
            for outcome in outcomes {
                match counts.iter_mut().find(|(n, _)| n == outcome) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((outcome.to_string(), 1)),
                }
            }
            if let Some(plane) = plane
                && let Err(e) = plane.bump(counts).await
            {
                worker::console_error!("counting Plausible outcomes failed: {e}");
            }
        });
    }
}

/// One event to Plausible, with the original client's `User-Agent` and IP; `Err` unless it
/// answered 2xx within [`SEND_TIMEOUT`].
async fn send(x: &Outgoing) -> Result<(), String> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(|e| e.to_string());
    set("content-type", "application/json")?;
    set("user-agent", &x.user_agent)?;
    set("x-forwarded-for", &x.forwarded_for)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(x.body.clone().into()));
    let request = Request::new_with_init(&x.endpoint, &init).map_err(|e| e.to_string())?;
    let fetch = Fetch::Request(request);
    let fetch = Box::pin(fetch.send());
    let timeout = Box::pin(Delay::from(SEND_TIMEOUT));
    match select(fetch, timeout).await {
        Either::Left((Ok(response), _)) if (200..300).contains(&response.status_code()) => Ok(()),
        Either::Left((Ok(response), _)) => Err(format!("it answered {}", response.status_code())),
        Either::Left((Err(e), _)) => Err(e.to_string()),
        Either::Right(_) => Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
    }
}
