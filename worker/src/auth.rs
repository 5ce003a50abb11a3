//! Bearer-token checks, compared in constant time; fail closed when unconfigured.

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token in an `Authorization: Bearer <token>` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Checks a request's bearer token against the accepted tokens.
///
/// No accepted token configured → 503 (fail closed); none sent → 401; wrong → 403.
pub fn require(header: Option<&str>, accepted: &[Option<String>], what: &str) -> ApiResult<()> {
    let configured: Vec<&str> = accepted
        .iter()
        .flatten()
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .collect();
    if configured.is_empty() {
        return Err(ApiError::new(
            ErrorCode::AuthNotConfigured,
            format!("{what} token not configured"),
        ));
    }
    let Some(token) = bearer(header) else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "missing 'Authorization: Bearer <token>' header",
        ));
    };
    // Check every configured token so timing does not reveal which one matched.
    let matched = configured.iter().fold(false, |ok, t| {
        constant_time_eq(token.as_bytes(), t.as_bytes()) | ok
    });
    if matched {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            "the token is not valid for this endpoint",
        ))
    }
}
