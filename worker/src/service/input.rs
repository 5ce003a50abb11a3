//! Parsing request bodies into typed values, naming the field on failure.

use crate::error::{ApiError, ApiResult};
use cleave_core::model::limits::MAX_ID_LEN;
use serde::de::DeserializeOwned;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Parses a JSON body into `T`; 413 when too large, 400 naming the field on a mismatch.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "payload_too_large",
            format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
        ));
    }
    let text = if bytes.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        bytes
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let message = e.inner().to_string();
        let path = e.path().to_string();
        let parent = if path == "." { None } else { Some(path) };
        // serde reports a missing or unknown field against its parent object: name the field.
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|prefix| {
                message
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.split('`').next())
            });
        let field = match (parent, named) {
            // An unknown field is already the last segment of the path.
            (Some(p), Some(n)) if p == n || p.ends_with(&format!(".{n}")) => p,
            (Some(p), Some(n)) => format!("{p}.{n}"),
            (None, Some(n)) => n.to_string(),
            (Some(p), None) => p,
            (None, None) => "body".to_string(),
        };
        ApiError::bad_request(field, message)
    })
}

/// Checks an identifier-like value (user id, event name): 1–256 bytes, no control characters.
pub fn identifier(field: &str, value: &str) -> ApiResult<()> {
    if value.is_empty() {
        Err(ApiError::invalid(field, "must not be empty"))
    } else if value.len() > MAX_ID_LEN {
        Err(ApiError::invalid(
            field,
            format!("must be at most {MAX_ID_LEN} bytes"),
        ))
    } else if value.chars().any(char::is_control) {
        Err(ApiError::invalid(
            field,
            "must not contain control characters",
        ))
    } else {
        Ok(())
    }
}

/// Checks that a number is finite.
pub fn finite(field: &str, value: f64) -> ApiResult<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ApiError::invalid(field, "must be a finite number"))
    }
}

#[cfg(test)]
mod tests {
    use super::json_body;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        a: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
    }

    fn field_of(body: &str) -> String {
        let err = json_body::<Outer>(body.as_bytes()).unwrap_err();
        err.field.unwrap_or_default()
    }

    #[test]
    fn names_missing_and_unknown_fields_once() {
        assert_eq!(field_of("{}"), "inner");
        assert_eq!(field_of(r#"{"inner":{}}"#), "inner.a");
        assert_eq!(field_of(r#"{"nope":1}"#), "nope");
        assert_eq!(field_of(r#"{"inner":{"a":1,"b":2}}"#), "inner.b");
        assert_eq!(field_of(r#"{"inner":{"a":"x"}}"#), "inner.a");
    }
}
