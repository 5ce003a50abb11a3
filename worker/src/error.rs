//! The API's one error type and its JSON form:
//! `{"error": {"code", "message", "field"?, "details"?}}`.

use crate::store::StoreError;
use cleave_core::model::{FieldError, TransitionError};
use serde::Serialize;
use worker::{Response, Result};

pub use crate::error_code::ErrorCode;

/// An error returned to the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Machine-readable code; it decides the HTTP status ([`ErrorCode::status`]).
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub message: String,
    /// JSON path of the offending field, when one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem, for validation failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    /// Response headers that go with the error (`Allow`, `Retry-After`).
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub headers: Vec<(&'static str, String)>,
}

/// Result of a handler or service call.
pub type ApiResult<T> = std::result::Result<T, ApiError>;

/// The body of every error response.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody<'a> {
    /// What went wrong.
    pub error: &'a ApiError,
}

impl ApiError {
    /// An error with a code (which decides the status) and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Adds `Retry-After: seconds` to the response.
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.headers.push(("retry-after", seconds.to_string()));
        self
    }

    /// 405 for a method the path does not accept, with its `Allow` header.
    pub fn method_not_allowed(method: &str, allow: &str) -> Self {
        let mut e = Self::new(
            ErrorCode::MethodNotAllowed,
            format!("{method} is not allowed here (allowed: {allow})"),
        );
        e.headers.push(("allow", allow.to_string()));
        e
    }

    /// Names the field to blame.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400: the body is not JSON, or not of the expected shape.
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message).with_field(field)
    }

    /// 422: a value breaks a rule.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationFailed, message).with_field(field)
    }

    /// 422 from the core's validation, naming the first field and listing all.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let first = errors
            .first()
            .map(|e| (e.field.clone(), e.to_string()))
            .unwrap_or_default();
        Self {
            details: errors,
            ..Self::invalid(first.0, first.1)
        }
    }

    /// 404 for an unknown resource or route.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, what)
    }

    /// The HTTP status (from the code).
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// Renders the error as its JSON response.
    pub fn into_response(self) -> Result<Response> {
        let mut response =
            Response::from_json(&ErrorBody { error: &self })?.with_status(self.status());
        for (name, value) in &self.headers {
            response.headers_mut().set(name, value)?;
        }
        Ok(response)
    }
}

/// The body of an error of the ab-testing-service compatibility API: FastAPI's
/// `{"detail": …}`, which its clients read, beside Cleave's own error.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DetailErrorBody<'a> {
    /// The message (with the field it concerns, when one is to blame).
    pub detail: String,
    /// Cleave's error.
    pub error: &'a ApiError,
}

impl ApiError {
    /// Renders the error in the ab-testing-service API's shape.
    pub fn into_detail_response(self) -> Result<Response> {
        let detail = match &self.field {
            Some(field) => format!("{field}: {}", self.message),
            None => self.message.clone(),
        };
        let body = DetailErrorBody {
            detail,
            error: &self,
        };
        let mut response = Response::from_json(&body)?.with_status(self.status());
        for (name, value) in &self.headers {
            response.headers_mut().set(name, value)?;
        }
        Ok(response)
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::new(
            ErrorCode::InternalError,
            format!("the Worker runtime failed: {e}"),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Self::new(ErrorCode::Conflict, m),
            StoreError::Stale(m) => Self::new(
                ErrorCode::EditConflict,
                format!("{m}: another change was stored first; read it again and retry"),
            ),
            // Nothing was acknowledged: the client may retry (events by the same ids).
            StoreError::Backend(m) => Self::new(
                ErrorCode::StorageUnavailable,
                format!("storage failed: {m}"),
            )
            .with_retry_after(1),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(e: TransitionError) -> Self {
        Self::new(ErrorCode::IllegalTransition, e.to_string())
    }
}
