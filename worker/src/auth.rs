//! Token checks (Bearer, and HTTP Basic's password for the ab-testing-service clients),
//! compared in constant time; fail closed when unconfigured.

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

/// The password in an `Authorization: Basic <base64(user:password)>` header value (any
/// user name), or `None` when the header is not Basic or does not decode.
pub fn basic_password(header: Option<&str>) -> Option<String> {
    use base64::Engine as _;
    let value = header?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_string())
}

/// How a caller may present a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer <token>` only.
    Bearer,
    /// Bearer, or the token as the password of `Authorization: Basic` (any user name).
    BearerOrBasic,
}

/// Checks a request's bearer token against the accepted tokens.
///
/// No accepted token configured → 503 (fail closed); none sent → 401; wrong → 403.
pub fn require(header: Option<&str>, accepted: &[Option<String>], what: &str) -> ApiResult<()> {
    require_with(header, accepted, what, Scheme::Bearer)
}

/// As [`require`], with the token presented in any of `scheme`'s ways.
pub fn require_with(
    header: Option<&str>,
    accepted: &[Option<String>],
    what: &str,
    scheme: Scheme,
) -> ApiResult<()> {
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
    let token = match scheme {
        Scheme::Bearer => bearer(header).map(str::to_string),
        Scheme::BearerOrBasic => bearer(header)
            .map(str::to_string)
            .or_else(|| basic_password(header)),
    };
    let Some(token) = token else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            match scheme {
                Scheme::Bearer => "missing 'Authorization: Bearer <token>' header",
                Scheme::BearerOrBasic => {
                    "missing 'Authorization: Bearer <token>' (or Basic with the token as password) header"
                }
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_gives_the_password_of_any_user_and_nothing_else() {
        // "admin:s3cr:et" and "x:" in base64.
        assert_eq!(
            basic_password(Some("Basic YWRtaW46czNjcjpldA==")).as_deref(),
            Some("s3cr:et")
        );
        assert_eq!(basic_password(Some("basic eDo=")).as_deref(), Some(""));
        assert_eq!(basic_password(Some("Bearer YWRtaW46czNjcjpldA==")), None);
        assert_eq!(basic_password(Some("Basic not-base64!")), None);
        assert_eq!(basic_password(Some("Basic bm9jb2xvbg==")), None, "no colon");
        assert_eq!(basic_password(None), None);
    }

    #[test]
    fn basic_counts_only_where_allowed() {
        let accepted = [Some("s3cr:et".to_string())];
        let header = Some("Basic YWRtaW46czNjcjpldA==");
        assert!(require_with(header, &accepted, "admin", Scheme::BearerOrBasic).is_ok());
        let refused = require(header, &accepted, "admin").unwrap_err();
        assert_eq!(refused.code, ErrorCode::Unauthorized);
        let wrong = require_with(
            Some("Basic eDo="),
            &accepted,
            "admin",
            Scheme::BearerOrBasic,
        )
        .unwrap_err();
        assert_eq!(wrong.code, ErrorCode::Forbidden);
        assert!(
            require_with(
                Some("Bearer s3cr:et"),
                &accepted,
                "admin",
                Scheme::BearerOrBasic
            )
            .is_ok()
        );
    }
}
