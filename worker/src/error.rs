//! The API's one error type and its JSON form: `{"error": {"code", "message", "field"?}}`.

use serde::Serialize;
use worker::{Response, Result};

/// An error returned to the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiError {
    /// HTTP status code.
    #[serde(skip)]
    pub status: u16,
    /// Machine-readable code (`not_found`, `validation_failed`, ...).
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// JSON path of the offending field, when one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: &'a ApiError,
}

impl ApiError {
    /// 404 for a path no route serves.
    pub fn not_found(path: String) -> Self {
        Self {
            status: 404,
            code: "not_found",
            message: format!("no route for {path}"),
            field: None,
        }
    }

    /// Renders the error as its JSON response.
    pub fn into_response(self) -> Result<Response> {
        Ok(Response::from_json(&Envelope { error: &self })?.with_status(self.status))
    }
}
