//! Finding the unit (user) id of a request, and the cookie that carries it.
//!
//! Order: the configured request headers (first match wins), then the cookie, else — where
//! the host mints ids — a new one of 128 random bits the host supplies, returned in
//! `Set-Cookie`. A header or cookie value that breaks the identifier rule
//! ([`check_id`](crate::model::check_id); a cookie also needs RFC 6265 cookie octets) is
//! skipped as if absent.

use crate::model::check_id;
use alloc::format;
use alloc::string::{String, ToString};

/// Lifetime of a minted user-id cookie, in seconds (one year).
pub const COOKIE_MAX_AGE: u32 = 365 * 24 * 3600;

/// Where the unit id of a request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitId {
    /// A request header or the cookie.
    Found(String),
    /// Newly minted: the host must return it in `Set-Cookie` ([`set_cookie`]).
    Minted(String),
    /// None: the request is not assigned (client-sent Cleave headers are still stripped).
    Absent,
}

impl UnitId {
    /// The id, if any.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Found(s) | Self::Minted(s) => Some(s),
            Self::Absent => None,
        }
    }
}

/// Resolves the unit id of a request from its `headers` (name, value): the first of
/// `id_headers` (lower-case names) carrying a valid id, else the valid value of cookie
/// `cookie`, else `mint` (16 random bytes from the host) when given and it succeeds.
pub fn resolve_unit_id<'h>(
    headers: impl IntoIterator<Item = (&'h str, &'h str)> + Clone,
    id_headers: &[String],
    cookie: Option<&str>,
    mint: Option<&mut dyn FnMut() -> Option<[u8; 16]>>,
) -> UnitId {
    for wanted in id_headers {
        let found = headers
            .clone()
            .into_iter()
            .find(|(n, v)| n.eq_ignore_ascii_case(wanted) && check_id(v).is_ok());
        if let Some((_, v)) = found {
            return UnitId::Found(v.to_string());
        }
    }
    if let Some(name) = cookie {
        let found = headers
            .into_iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .find_map(|(_, v)| cookie_value(v, name));
        if let Some(v) = found {
            return UnitId::Found(v.to_string());
        }
        if let Some(bytes) = mint.and_then(|mint| mint()) {
            return UnitId::Minted(user_id_from_bytes(&bytes));
        }
    }
    UnitId::Absent
}

/// Whether a cookie value can be used as a unit id: the identifier rule, in RFC 6265
/// cookie octets (visible ASCII except `"`, `,`, `;` and `\`).
pub fn valid_cookie_value(value: &str) -> bool {
    check_id(value).is_ok()
        && value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && !matches!(b, b'"' | b',' | b';' | b'\\'))
}

/// The value of cookie `name` in a `Cookie` header, if present and valid as a unit id.
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|v| valid_cookie_value(v))
}

/// Whether the client's request was made over HTTPS: the request's own scheme (`:scheme`
/// in Envoy, the URL's in Workers), or an `X-Forwarded-Proto` set by a proxy in front.
pub fn is_https(scheme: Option<&str>, forwarded_proto: Option<&str>) -> bool {
    let https = |v: &str| {
        v.split(',')
            .next()
            .is_some_and(|first| first.trim().eq_ignore_ascii_case("https"))
    };
    scheme.is_some_and(https) || forwarded_proto.is_some_and(https)
}

/// The `Set-Cookie` value for a minted unit id: `Path=/`, one year, `SameSite=Lax`,
/// `HttpOnly`, and `Secure` when the request came over HTTPS ([`is_https`]).
pub fn set_cookie(name: &str, value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly{secure}")
}

/// A unit id from 16 random bytes supplied by the host (32 lower-case hex digits).
pub fn user_id_from_bytes(bytes: &[u8; 16]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::{is_https, set_cookie};

    #[test]
    fn the_cookie_is_secure_exactly_when_the_client_used_https() {
        assert!(is_https(Some("https"), None));
        assert!(is_https(Some("http"), Some("HTTPS, http")));
        assert!(!is_https(Some("http"), Some("http, https")));
        assert!(!is_https(None, None));
        let secure = set_cookie("cleave_uid", "abc", true);
        assert_eq!(
            secure,
            "cleave_uid=abc; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly; Secure"
        );
        assert!(!set_cookie("cleave_uid", "abc", false).contains("Secure"));
    }
}
