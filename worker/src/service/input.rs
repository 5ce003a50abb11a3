//! Parsing request bodies into typed values, naming the field on failure.

use crate::error::{ApiError, ApiResult, ErrorCode};
use cleave_core::model::check_id;
use cleave_core::model::limits::MAX_ABS_EVENT_VALUE;
use serde::de::DeserializeOwned;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Parses a JSON body into `T`; 413 when too large, 400 naming the field on a mismatch.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
        ));
    }
    let text = if bytes.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        bytes
    };
    serde_json::from_slice(text).map_err(|e| {
        let field = cleave_core::json_path::error_field(text, &e).unwrap_or_else(|| "body".into());
        ApiError::bad_request(field, e.to_string())
    })
}

/// Checks an identifier (user id, event name, event id) with the core's one rule
/// ([`check_id`]), naming `field` when it fails.
pub fn identifier(field: &str, value: &str) -> ApiResult<()> {
    check_id(value).map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// The largest timestamp accepted, in ms from the epoch either way: JavaScript's `Date`
/// range (±100,000,000 days, about the year 275,760), inside the doubles' exact integers, so
/// every store and host (JSON into a Durable Object, SQLite, a browser) holds it unchanged.
pub const MAX_TIMESTAMP_MS: i64 = 8_640_000_000_000_000;

/// Checks an optional timestamp: within ±[`MAX_TIMESTAMP_MS`] (422 naming `field`).
pub fn timestamp(field: &str, value: Option<i64>) -> ApiResult<()> {
    match value {
        Some(t) if !(-MAX_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&t) => Err(ApiError::invalid(
            field,
            format!(
                "must be ms since the epoch within ±{MAX_TIMESTAMP_MS} (JavaScript's Date range)"
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks an event value: finite, `|value| ≤ 1e15` (`MAX_ABS_EVENT_VALUE`), so that no
/// event can overflow an experiment's sums.
pub fn event_value(field: &str, value: f64) -> ApiResult<f64> {
    if value.is_finite() && value.abs() <= MAX_ABS_EVENT_VALUE {
        Ok(value)
    } else {
        Err(ApiError::invalid(
            field,
            format!(
                "must be a finite number between -{MAX_ABS_EVENT_VALUE:e} and {MAX_ABS_EVENT_VALUE:e}"
            ),
        ))
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
