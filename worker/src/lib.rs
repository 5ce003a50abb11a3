//! Cleave's Cloudflare Worker: a thin adapter from HTTP, D1 and KV to `cleave-core`.
#![forbid(unsafe_code)]

pub mod auth;
mod cache;
pub mod error;
mod error_code;
mod health;
mod host;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod outbox;
mod proxy;
pub mod routes;
pub mod service;
pub mod shard;
pub mod store;
pub mod unleash;

use std::rc::Rc;
use worker::{Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent, event};

/// Entry point: routes a request to its handler.
#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    routes::handle(req, env, Rc::new(ctx)).await
}

/// The cron trigger (`wrangler.toml`, every minute): fetches Unleash's client features when
/// `UNLEASH_URL` is set.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if unleash::configured(&env) {
        let status = unleash::refresh(&env).await;
        worker::console_log!(
            "Unleash features: {} ({} toggles)",
            status.last_outcome,
            status.toggles
        );
    }
}
