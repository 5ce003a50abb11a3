//! The attributes an edge host gives targeting, from the request itself: `host`, `path`,
//! `method`, `query` (decoded parameters), `user_agent` and a `device` class, plus what the
//! host adds (Cloudflare's `country`…, allow-listed cookies, Envoy's header mappings).
//! Values are clipped, never refused: a request always gets a decision, and the whole set
//! stays within the limits `/assign` enforces (`targeting::check_attributes`): when the
//! clipped set is still over 8 KB, query parameters go first (last first), then the host's
//! extras, then the user agent.

use crate::targeting::MAX_ATTRIBUTE_BYTES;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Value};

/// Longest attribute value kept, in characters (longer ones are cut).
pub const MAX_VALUE_CHARS: usize = 256;
/// Most query parameters kept (the first ones).
pub const MAX_QUERY_PARAMS: usize = 20;
/// Most attributes a host may add besides the request's own.
pub const MAX_EXTRA: usize = 16;

/// What every edge host knows about a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestFacts<'a> {
    /// Host without port.
    pub host: &'a str,
    /// Path without the query.
    pub path: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// The raw query string (without `?`).
    pub query: Option<&'a str>,
    /// The `User-Agent` header.
    pub user_agent: Option<&'a str>,
    /// The `Cookie` header.
    pub cookie_header: Option<&'a str>,
    /// Cookies the host allows as attributes (`cookie.<name>`); others are never read.
    pub cookie_names: &'a [String],
}

/// `mobile`, `tablet` or `desktop`, by a documented rule on the `User-Agent`
/// (`docs/targeting.md`): `iPad`, `Tablet`, or `Android` without `Mobile` → tablet; then
/// `Mobi`, `iPhone`, `iPod` or `Android` → mobile; anything else (or none) → desktop.
pub fn device_class(user_agent: Option<&str>) -> &'static str {
    let ua = user_agent.unwrap_or_default();
    let has = |needle: &str| ua.contains(needle);
    if has("iPad") || has("Tablet") || (has("Android") && !has("Mobile")) {
        "tablet"
    } else if has("Mobi") || has("iPhone") || has("iPod") || has("Android") {
        "mobile"
    } else {
        "desktop"
    }
}

/// `value` cut to [`MAX_VALUE_CHARS`] characters.
pub fn clip(value: &str) -> String {
    value.chars().take(MAX_VALUE_CHARS).collect()
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space, `%XX` a
/// byte); invalid escapes are kept as written, invalid UTF-8 is replaced.
fn decode(component: &str) -> String {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let hex = |j: usize| bytes.get(j).and_then(|c| (*c as char).to_digit(16));
        match b {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first [`MAX_QUERY_PARAMS`] parameters, decoded and clipped (the first value of a
/// repeated name wins).
pub fn query_params(query: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        if out.len() >= MAX_QUERY_PARAMS {
            break;
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = clip(&decode(name));
        if !name.is_empty() && !out.contains_key(&name) {
            out.insert(name, Value::String(clip(&decode(value))));
        }
    }
    out
}

/// The request's attributes plus up to [`MAX_EXTRA`] `extra` ones from the host (a name
/// the request already gave is not replaced; values are clipped).
pub fn request_attributes<'e>(
    facts: &RequestFacts<'_>,
    extra: impl IntoIterator<Item = (&'e str, Value)>,
) -> Value {
    let mut a = Map::new();
    a.insert("host".into(), Value::String(clip(facts.host)));
    a.insert("path".into(), Value::String(clip(facts.path)));
    a.insert("method".into(), Value::String(clip(facts.method)));
    if let Some(ua) = facts.user_agent {
        a.insert("user_agent".into(), Value::String(clip(ua)));
    }
    a.insert(
        "device".into(),
        Value::String(device_class(facts.user_agent).to_string()),
    );
    let query = query_params(facts.query.unwrap_or_default());
    if !query.is_empty() {
        a.insert("query".into(), Value::Object(query));
    }
    let mut cookies = Map::new();
    if let Some(header) = facts.cookie_header {
        for name in facts.cookie_names.iter().take(MAX_EXTRA) {
            if let Some(v) = super::cookie_value(header, name) {
                cookies.insert(clip(name), Value::String(clip(v)));
            }
        }
    }
    if !cookies.is_empty() {
        a.insert("cookie".into(), Value::Object(cookies));
    }
    let mut added = Vec::new();
    for (name, value) in extra.into_iter().take(MAX_EXTRA) {
        let value = match value {
            Value::String(s) => Value::String(clip(&s)),
            other @ (Value::Number(_) | Value::Bool(_)) => other,
            _ => continue,
        };
        let name = clip(name);
        if !a.contains_key(&name) {
            added.push(name.clone());
            a.insert(name, value);
        }
    }
    fit(a, added)
}

/// Drops attributes until the set is within [`MAX_ATTRIBUTE_BYTES`] as JSON (cookies go
/// with the host's extras, after the query).
fn fit(mut a: Map<String, Value>, mut added: Vec<String>) -> Value {
    let size = |a: &Map<String, Value>| serde_json::to_string(a).map_or(usize::MAX, |s| s.len());
    while size(&a) > MAX_ATTRIBUTE_BYTES {
        let query_left = match a.get_mut("query") {
            Some(Value::Object(q)) => {
                let last = q.keys().next_back().cloned();
                if let Some(k) = last {
                    q.remove(&k);
                }
                !q.is_empty()
            }
            _ => false,
        };
        if !query_left && a.remove("query").is_some() {
            continue;
        }
        if query_left {
            continue;
        }
        if let Some(name) = added.pop() {
            a.remove(&name);
        } else if a.remove("cookie").is_some() {
            continue;
        } else if a.remove("user_agent").is_none() {
            break; // host, path and method alone are at most 3 × 256 characters
        }
    }
    Value::Object(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targeting::check_attributes;
    use alloc::format;
    use serde_json::json;

    #[test]
    fn devices_follow_the_documented_rule() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
        let pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120 Mobile Safari/537.36";
        let tab = "Mozilla/5.0 (Linux; Android 13; SM-X700) Chrome/120 Safari/537.36";
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)";
        let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15";
        assert_eq!(device_class(Some(iphone)), "mobile");
        assert_eq!(device_class(Some(pixel)), "mobile");
        assert_eq!(device_class(Some(tab)), "tablet");
        assert_eq!(device_class(Some(ipad)), "tablet");
        assert_eq!(device_class(Some(mac)), "desktop");
        assert_eq!(device_class(None), "desktop");
    }

    #[test]
    fn query_parameters_are_decoded_and_bounded() {
        let q = query_params("utm_source=news%20letter&a=1&a=2&b=x+y&bad=%zz&=skip");
        assert_eq!(q["utm_source"], "news letter");
        assert_eq!(q["a"], "1");
        assert_eq!(q["b"], "x y");
        assert_eq!(q["bad"], "%zz");
        assert!(!q.contains_key(""));
        let many: Vec<String> = (0..100).map(|i| format!("k{i}=v")).collect();
        assert_eq!(query_params(&many.join("&")).len(), MAX_QUERY_PARAMS);
    }

    #[test]
    fn the_worst_request_stays_within_the_assign_limits() {
        let long = "x".repeat(10_000);
        let many: Vec<String> = (0..100).map(|i| format!("k{i}={long}")).collect();
        let query = many.join("&");
        let facts = RequestFacts {
            host: &long,
            path: &long,
            method: "GET",
            query: Some(&query),
            user_agent: Some(&long),
            ..RequestFacts::default()
        };
        let names: Vec<String> = (0..40).map(|i| format!("extra{i}")).collect();
        let extra = names
            .iter()
            .map(|n| (n.as_str(), Value::String(long.clone())));
        let a = request_attributes(&facts, extra);
        assert_eq!(check_attributes(&a), Ok(()));
        assert_eq!(a["host"].as_str().map(str::len), Some(MAX_VALUE_CHARS));
        // Control characters take six bytes each as JSON: still cut to fit.
        let nasty = "\u{1}".repeat(300);
        let facts = RequestFacts {
            user_agent: Some(&nasty),
            host: &nasty,
            path: &nasty,
            ..facts
        };
        let names: Vec<String> = (0..40).map(|i| format!("extra{i}")).collect();
        let extra = names
            .iter()
            .map(|n| (n.as_str(), Value::String(nasty.clone())));
        assert_eq!(check_attributes(&request_attributes(&facts, extra)), Ok(()));
        let small = request_attributes(
            &RequestFacts {
                host: "shop.example",
                path: "/checkout",
                method: "GET",
                query: Some("utm_source=ads"),
                user_agent: Some("curl/8"),
                cookie_header: Some("plan=pro; session=secret; beta=1"),
                cookie_names: &["plan".into(), "beta".into()],
            },
            [("country", json!("DE")), ("host", json!("spoofed"))],
        );
        assert_eq!(small["host"], "shop.example");
        assert_eq!(small["country"], "DE");
        assert_eq!(small["device"], "desktop");
        assert_eq!(small["cookie"], json!({"plan": "pro", "beta": "1"}));
        assert_eq!(check_attributes(&small), Ok(()));
    }
}
