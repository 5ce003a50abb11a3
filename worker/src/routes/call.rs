//! One request as handlers see it: the request, the environment, path parameters, and the
//! body read with its size limit enforced while reading.

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::service::input::MAX_BODY_BYTES;
use futures_util::StreamExt;
use serde::Serialize;
use std::rc::Rc;
use worker::{Context, Env, Request, Response};

/// A request routed to a handler (after its access check).
pub struct Call {
    /// The request (its body not yet read).
    pub req: Request,
    /// Bindings, variables and secrets.
    pub env: Env,
    /// The Workers context (`wait_until`).
    pub ctx: Rc<Context>,
    /// Path parameters by name.
    pub params: super::Params,
    /// The integration events the request owes (sent after it answers).
    pub outbox: Rc<crate::outbox::Outbox>,
}

impl Call {
    /// A path parameter (empty if the route has none of that name).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A path parameter percent-decoded (ids may hold any character); 422 naming it when
    /// the bytes are not UTF-8.
    pub fn decoded_param(&self, name: &str) -> ApiResult<String> {
        percent_encoding::percent_decode_str(self.param(name))
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| ApiError::invalid(name, "must be UTF-8 once percent-decoded"))
    }

    /// A request header's value, if sent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// The raw query string (without `?`).
    pub fn query(&self) -> String {
        self.req
            .url()
            .ok()
            .and_then(|u| u.query().map(str::to_string))
            .unwrap_or_default()
    }

    /// The body, at most [`MAX_BODY_BYTES`]: a larger `Content-Length` is refused before
    /// anything is read, and a body without one is read only until it passes the limit.
    ///
    /// A body of a declared length within the limit is read whole by the runtime (which
    /// holds it to that length): streaming it through Rust cost a reader, a read per
    /// chunk and a lock release, measured at several percent of an `/assign`'s CPU.
    pub async fn body(&mut self) -> ApiResult<Vec<u8>> {
        match content_length(&self.req)? {
            Some(length) if length > MAX_BODY_BYTES as u64 => return Err(too_large()),
            Some(_) => {
                let body = self
                    .req
                    .bytes()
                    .await
                    .map_err(|e| ApiError::bad_request("body", e.to_string()))?;
                // The runtime frames the body by its Content-Length; checked all the same.
                if body.len() > MAX_BODY_BYTES {
                    return Err(too_large());
                }
                return Ok(body);
            }
            None => {}
        }
        let Ok(mut stream) = self.req.stream() else {
            return Ok(Vec::new()); // no body at all
        };
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ApiError::bad_request("body", e.to_string()))?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The declared `Content-Length`, if any; 400 when it is not a number.
fn content_length(req: &Request) -> ApiResult<Option<u64>> {
    match req.headers().get("content-length").ok().flatten() {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| {
            ApiError::bad_request(
                "content-length",
                "the Content-Length header is not a number",
            )
        }),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
    )
}

/// A JSON response with a status.
pub fn json<T: Serialize>(status: u16, body: &T) -> ApiResult<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}
