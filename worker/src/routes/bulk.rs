//! Every running experiment decided for one unit, as the clients that poll for all their
//! flags want it (OFREP's bulk evaluation, Unleash's frontend API): decided with the cached
//! snapshot, answered with an `ETag` of the answer (304 on `If-None-Match`, recording
//! nothing: the 200 that gave the tag did), the exposures recorded durably before a 200
//! unless the request says `x-cleave-record-exposure: false`.

use super::Call;
use crate::cache::Published;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::host::WorkerHost;
use crate::outbox::Outbox;
use crate::service::{Host, assign, etag};
use crate::store::{CloudStore, HoldoutMember, Store};
use cleave_core::model::Experiment;
use std::rc::Rc;
use worker::{Request, Response};

/// The request header that turns recording off for one evaluation (`false`).
pub const RECORD_HEADER: &str = "x-cleave-record-exposure";

/// Whether this request's evaluations record exposures (the default).
pub fn records(req: &Request) -> bool {
    !req.headers()
        .get(RECORD_HEADER)
        .ok()
        .flatten()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
}

/// The cached snapshot, or 503.
pub async fn running(c: &Call) -> ApiResult<Rc<Published>> {
    crate::cache::snapshot(&c.env).await.ok_or_else(|| {
        ApiError::new(
            ErrorCode::SnapshotUnavailable,
            "the running experiments could not be read",
        )
    })
}

/// One running experiment's decision for the unit, at its position in the snapshot.
pub struct Decision<'p> {
    /// Position in the snapshot's experiments.
    pub at: usize,
    /// The experiment.
    pub experiment: &'p Experiment,
    /// The decision, or why there is none.
    pub outcome: ApiResult<assign::Assigned>,
}

/// Decides `req`'s unit for every running experiment of `published`.
pub fn decide_all<'p>(published: &'p Published, req: &assign::AssignRequest) -> Vec<Decision<'p>> {
    let now = WorkerHost.now_ms();
    published
        .prepared
        .iter()
        .enumerate()
        .map(|(at, p)| Decision {
            at,
            experiment: &p.experiment,
            outcome: assign::assign(
                &p.experiment,
                &p.allocation,
                p.targeting.as_ref(),
                req,
                &published.audience(),
                now,
            ),
        })
        .collect()
}

/// Answers with `render(refused)` (the body, given the positions whose population cap
/// refused the unit) and its `ETag`: a 304 when `If-None-Match` names it; otherwise the
/// exposures recorded first (unless the request turns recording off).
pub async fn answer(
    c: &Call,
    decisions: &[Decision<'_>],
    render: impl Fn(&[usize]) -> ApiResult<Vec<u8>>,
) -> ApiResult<Response> {
    let mut text = render(&[])?;
    let mut tag = etag::of(&text);
    let if_none_match = c.req.headers().get("if-none-match").ok().flatten();
    let mut response = if etag::matches(if_none_match.as_deref(), &tag) {
        Response::empty()?.with_status(304)
    } else {
        if records(&c.req) {
            let store = super::store(&c.env)?;
            let refused = record_all(&store, &c.outbox, decisions).await?;
            if !refused.is_empty() {
                text = render(&refused)?;
                tag = etag::of(&text);
            }
        }
        let mut r = Response::from_bytes(text)?;
        r.headers_mut().set("content-type", "application/json")?;
        r
    };
    response.headers_mut().set("etag", &tag)?;
    response.headers_mut().set("cache-control", "no-cache")?;
    Ok(response)
}

/// Records every decided experiment's exposure, and the unit's holdout arms once each (the
/// experiments listing a holdout all report the same arm), all in parallel; the positions
/// whose experiment's population cap refused the unit.
async fn record_all(
    store: &CloudStore,
    outbox: &Outbox,
    decisions: &[Decision<'_>],
) -> ApiResult<Vec<usize>> {
    let decided: Vec<(usize, &Experiment, &assign::Assigned)> = decisions
        .iter()
        .filter_map(|d| d.outcome.as_ref().ok().map(|a| (d.at, d.experiment, a)))
        .collect();
    let mut members: Vec<HoldoutMember> = decided
        .iter()
        .flat_map(|(_, _, a)| a.members.iter().cloned())
        .collect();
    members.sort_by(|a, b| a.holdout.cmp(&b.holdout));
    members.dedup_by(|a, b| a.holdout == b.holdout);
    let exposures = decided.iter().filter_map(|(at, e, a)| {
        a.exposure.as_ref().map(|x| async move {
            let exposures = std::slice::from_ref(x);
            let exposed = store.record_exposures(e, exposures).await?;
            outbox.exposed(e, exposures, &exposed);
            Ok::<_, crate::store::StoreError>((*at, exposed.refused.is_empty()))
        })
    });
    let (written, arms) = futures_util::future::join(
        futures_util::future::try_join_all(exposures),
        store.record_holdout_members(&members),
    )
    .await;
    arms?;
    Ok(written?
        .into_iter()
        .filter(|(_, admitted)| !admitted)
        .map(|(at, _)| at)
        .collect())
}
