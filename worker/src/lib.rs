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

use std::rc::Rc;
use worker::{Context, Env, Request, Response, Result, event};

/// Entry point: routes a request to its handler.
#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    routes::handle(req, env, Rc::new(ctx)).await
}
