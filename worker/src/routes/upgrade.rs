//! `POST /api/v1/data-plane/upgrade` (admin): one step of moving exposures and events kept
//! in D1 by earlier versions into the shards (`make migrate` repeats it until `done`).

use super::{Call, call::json, store};
use crate::error::ApiResult;
use worker::Response;

/// Units moved per step: one experiment's next units with all their events, well within a
/// request's limits.
const UNITS_PER_STEP: u32 = 500;

/// One step; the answer says what moved and what is left.
pub async fn step(c: Call) -> ApiResult<Response> {
    json(200, &store(&c.env)?.upgrade_step(UNITS_PER_STEP).await?)
}
