//! Every error code the API answers with, and the one place its HTTP status is decided.
//! The OpenAPI document lists them as the `code` enum.

use serde::Serialize;

/// A machine-readable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    /// 400: the body is not JSON, or a field has the wrong type.
    InvalidRequest,
    /// 401: no bearer token.
    Unauthorized,
    /// 403: a token that is not valid for this endpoint.
    Forbidden,
    /// 403: a browser origin outside `ADMIN_ORIGINS` asked to call an admin endpoint.
    OriginNotAllowed,
    /// 404: no such experiment or route.
    NotFound,
    /// 405: the path does not take this method (see `Allow`).
    MethodNotAllowed,
    /// 409: the key (or id) is taken.
    Conflict,
    /// 409: the lifecycle does not allow this step from the current status.
    IllegalTransition,
    /// 409: the unit was never exposed to the experiment.
    NotAssigned,
    /// 409: the reported variant is not the one the experiment assigns.
    VariantMismatch,
    /// 409: the split or salt cannot change while live without a new phase.
    VariantsLocked,
    /// 409: traffic cannot be lowered while live without a new phase.
    TrafficDecrease,
    /// 409: archived experiments cannot change.
    ReadOnly,
    /// 409: the experiment changed since it was read; read it again.
    EditConflict,
    /// 409: the layer range overlaps a live experiment's range of the same layer.
    LayerOverlap,
    /// 409: a holdout or saved group is used by an experiment.
    InUse,
    /// 409: the integration this needs is not configured (e.g. `UNLEASH_URL`).
    NotConfigured,
    /// 412: `If-Match` names another revision.
    PreconditionFailed,
    /// 413: the body is over 1 MiB.
    PayloadTooLarge,
    /// 422: a value breaks a rule (`field` names it, `details` lists all).
    ValidationFailed,
    /// 422: a metric's stored sums are not finite, so it cannot be analysed.
    MetricNotFinite,
    /// 422: the experiment holds its `total_population` of units; new ones are refused.
    PopulationFull,
    /// 429: too many requests from this client (see `Retry-After`).
    RateLimited,
    /// 500: the runtime failed unexpectedly.
    InternalError,
    /// 502: the origin did not answer (edge proxy mode).
    OriginUnreachable,
    /// 503: the token for this endpoint is not configured (fail closed).
    AuthNotConfigured,
    /// 503: storage (D1) failed.
    StorageUnavailable,
    /// 503: the snapshot could not be built.
    SnapshotUnavailable,
}

impl ErrorCode {
    /// The HTTP status of this code.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden | Self::OriginNotAllowed => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict
            | Self::IllegalTransition
            | Self::NotAssigned
            | Self::VariantMismatch
            | Self::VariantsLocked
            | Self::TrafficDecrease
            | Self::ReadOnly
            | Self::EditConflict
            | Self::LayerOverlap
            | Self::InUse
            | Self::NotConfigured => 409,
            Self::PreconditionFailed => 412,
            Self::PayloadTooLarge => 413,
            Self::ValidationFailed | Self::MetricNotFinite | Self::PopulationFull => 422,
            Self::RateLimited => 429,
            Self::InternalError => 500,
            Self::OriginUnreachable => 502,
            Self::AuthNotConfigured | Self::StorageUnavailable | Self::SnapshotUnavailable => 503,
        }
    }
}

/// The wire name (`not_found`).
impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let name = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        f.write_str(&name)
    }
}

/// Lets tests and callers compare with the wire string (`err.code == "not_found"`).
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(|s| s == *other))
            == Some(true)
    }
}
