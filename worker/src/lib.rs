//! Cleave's Cloudflare Worker: a thin adapter from HTTP, D1 and KV to `cleave-core`.

mod error;
mod health;

use worker::{Context, Env, Request, Response, Result, Router, event};

/// Entry point: routes a request to its handler.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get_async("/health", |_req, ctx| async move {
            health::handle(&ctx.env).await
        })
        .or_else_any_method("/*path", |req, _| {
            error::ApiError::not_found(req.path()).into_response()
        })
        .run(req, env)
        .await
}
