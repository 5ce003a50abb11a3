//! The JavaScript value rules GrowthBook's conditions are defined by: string and number
//! coercion, truthiness, strict equality and relational comparison. `None` stands for an
//! absent attribute (`undefined`).

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cmp::Ordering;
use serde_json::Value;

/// `String(value)`, borrowed when the value is already a string (no allocation on the
/// common path).
pub fn js_string(value: Option<&Value>) -> Cow<'_, str> {
    match value {
        None => Cow::Borrowed("undefined"),
        Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
        Some(Value::Null) => Cow::Borrowed("null"),
        Some(Value::Bool(true)) => Cow::Borrowed("true"),
        Some(Value::Bool(false)) => Cow::Borrowed("false"),
        Some(v) => Cow::Owned(primitive_string(v)),
    }
}

/// Whether two strings are equal when lower-cased (without allocating).
pub fn eq_lowercase(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// The string a value turns into in JavaScript (arrays join their items with `,`, with
/// `null` items empty; objects are `[object Object]`).
fn primitive_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number_string(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::Null => String::new(),
                    other => primitive_string(other),
                })
                .collect();
            parts.join(",")
        }
        Value::Object(_) => "[object Object]".to_string(),
    }
}

/// A number as JavaScript prints it, for the integers and ordinary fractions attributes hold.
pub fn js_number_string(x: f64) -> String {
    if x == 0.0 {
        "0".to_string()
    } else if libm::trunc(x) == x && libm::fabs(x) < 1e21 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// `Number(value)`; NaN for what JavaScript cannot read as a number.
pub fn to_number(value: Option<&Value>) -> f64 {
    match value {
        None => f64::NAN,
        Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => string_to_number(s),
        Some(v @ Value::Array(_)) => string_to_number(&primitive_string(v)),
        Some(Value::Object(_)) => f64::NAN,
    }
}

/// JavaScript's `StringToNumber`: surrounding whitespace ignored, empty is 0, decimal
/// with optional exponent, `Infinity`, and `0x`/`0o`/`0b` integers.
fn string_to_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    let radix = |prefix: [&str; 2], radix: u32| {
        prefix.iter().find_map(|p| t.strip_prefix(p)).map(|digits| {
            if digits.is_empty() {
                return f64::NAN;
            }
            digits
                .chars()
                .try_fold(0.0_f64, |acc, c| {
                    c.to_digit(radix)
                        .map(|d| acc * f64::from(radix) + f64::from(d))
                })
                .unwrap_or(f64::NAN)
        })
    };
    if let Some(n) = radix(["0x", "0X"], 16)
        .or_else(|| radix(["0o", "0O"], 8))
        .or_else(|| radix(["0b", "0B"], 2))
    {
        return n;
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "Infinity" {
        return if t.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let decimal = unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && unsigned.bytes().any(|b| b.is_ascii_digit());
    if decimal {
        t.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// `!!value`.
pub fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0 && !x.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// `a === b` (arrays and objects are distinct references, so never equal).
pub fn strict_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Value::Null), Some(Value::Null)) => true,
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x == y,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(Value::String(x)), Some(Value::String(y))) => x == y,
        _ => false,
    }
}

/// `JSON.stringify(a) === JSON.stringify(b)`: structural equality, numbers by value.
/// (Keys are compared as a set: the core's JSON objects do not keep their order.)
pub fn json_equal(a: Option<&Value>, b: &Value) -> bool {
    let Some(a) = a else { return false };
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(Some(p), q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(Some(v), w)))
        }
        _ => a == b,
    }
}

/// The outcome of JavaScript's `a < b`, `a > b` … as an ordering: strings compare by
/// UTF-16 code units when both are strings, anything else as numbers; `None` when either
/// side is NaN (every comparison is then false).
pub fn js_compare(a: Option<&Value>, b: Option<&Value>) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (comparable_string(a), comparable_string(b)) {
        return Some(x.encode_utf16().cmp(y.encode_utf16()));
    }
    to_number(a).partial_cmp(&to_number(b))
}

/// The string JavaScript compares for a value, when it compares as a string.
fn comparable_string(v: Option<&Value>) -> Option<Cow<'_, str>> {
    match v {
        Some(Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
        Some(v @ (Value::Array(_) | Value::Object(_))) => Some(Cow::Owned(primitive_string(v))),
        _ => None,
    }
}

/// GrowthBook's `$type` names: `null`, `undefined`, `array`, `number`, `string`,
/// `boolean`, `object`.
pub fn js_type(value: Option<&Value>) -> &'static str {
    match value {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coercions_follow_javascript() {
        assert_eq!(js_string(Some(&json!(1.0))), "1");
        assert_eq!(js_string(Some(&json!([1, null, "a"]))), "1,,a");
        assert_eq!(to_number(Some(&json!(" 12 "))), 12.0);
        assert_eq!(to_number(Some(&json!(""))), 0.0);
        assert_eq!(to_number(Some(&json!("0x1A"))), 26.0);
        assert!(to_number(Some(&json!("inf"))).is_nan());
        assert!(to_number(None).is_nan());
        assert_eq!(
            js_compare(Some(&json!("10")), Some(&json!("9"))),
            Some(Ordering::Less)
        );
        assert_eq!(
            js_compare(Some(&json!("10")), Some(&json!(9))),
            Some(Ordering::Greater)
        );
        assert_eq!(js_compare(None, Some(&json!(9))), None);
    }
}
