//! A condition value against an attribute: literals (implicit equality) and the operators.

use super::compare::{
    eq_lowercase, js_compare, js_string, js_type, json_equal, strict_equal, to_number, truthy,
};
use super::{Context, eval_condition, is_operator_object, padded_version};
use core::cmp::Ordering;
use serde_json::Value;

/// Whether `actual` satisfies the condition value `expected`.
pub fn eval_value(expected: &Value, actual: Option<&Value>, cx: &Context<'_>) -> bool {
    eval_value_folded(expected, actual, cx, false)
}

/// As [`eval_value`]; with `insensitive`, a string literal compares case-insensitively
/// (the items of `$alli`).
fn eval_value_folded(
    expected: &Value,
    actual: Option<&Value>,
    cx: &Context<'_>,
    insensitive: bool,
) -> bool {
    match expected {
        Value::String(s) if insensitive => eq_lowercase(&js_string(actual), s),
        Value::String(s) => js_string(actual) == s.as_str(),
        Value::Number(n) => n.as_f64().is_some_and(|x| to_number(actual) == x),
        Value::Bool(b) => !matches!(actual, None | Some(Value::Null)) && truthy(actual) == *b,
        Value::Null => matches!(actual, None | Some(Value::Null)),
        Value::Object(ops) if is_operator_object(ops) => ops
            .iter()
            .all(|(op, operand)| eval_operator(op, actual, operand, cx)),
        Value::Array(_) | Value::Object(_) => json_equal(actual, expected),
    }
}

/// One operator.
fn eval_operator(op: &str, actual: Option<&Value>, expected: &Value, cx: &Context<'_>) -> bool {
    // The relational operators read an absent attribute as null (so as 0 against numbers).
    let null = Value::Null;
    let relational = actual.or(Some(&null));
    match op {
        "$eq" => strict_equal(actual, Some(expected)),
        "$ne" => !strict_equal(actual, Some(expected)),
        "$lt" => js_compare(relational, Some(expected)) == Some(Ordering::Less),
        "$lte" => matches!(
            js_compare(relational, Some(expected)),
            Some(Ordering::Less | Ordering::Equal)
        ),
        "$gt" => js_compare(relational, Some(expected)) == Some(Ordering::Greater),
        "$gte" => matches!(
            js_compare(relational, Some(expected)),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        "$veq" | "$vne" | "$vgt" | "$vgte" | "$vlt" | "$vlte" => {
            let order = padded_version(actual).cmp(&padded_version(Some(expected)));
            match op {
                "$veq" => order == Ordering::Equal,
                "$vne" => order != Ordering::Equal,
                "$vgt" => order == Ordering::Greater,
                "$vgte" => order != Ordering::Less,
                "$vlt" => order == Ordering::Less,
                _ => order != Ordering::Greater,
            }
        }
        "$in" | "$ini" => expected
            .as_array()
            .is_some_and(|list| is_in(actual, list, op == "$ini")),
        "$nin" | "$nini" => expected
            .as_array()
            .is_some_and(|list| !is_in(actual, list, op == "$nini")),
        "$inGroup" => is_in(actual, group(expected, cx), false),
        "$notInGroup" => !is_in(actual, group(expected, cx), false),
        "$all" | "$alli" => match (actual, expected) {
            (Some(Value::Array(items)), Value::Array(wanted)) => wanted.iter().all(|w| {
                items
                    .iter()
                    .any(|item| eval_value_folded(w, Some(item), cx, op == "$alli"))
            }),
            _ => false,
        },
        "$elemMatch" => match actual {
            Some(Value::Array(items)) => items.iter().any(|item| match expected {
                Value::Object(c) if is_operator_object(c) => eval_value(expected, Some(item), cx),
                Value::Object(c) => eval_condition(Some(item), c, cx),
                _ => false,
            }),
            _ => false,
        },
        "$size" => match actual {
            Some(Value::Array(items)) => eval_value(expected, Some(&Value::from(items.len())), cx),
            _ => false,
        },
        "$exists" => {
            let present = !matches!(actual, None | Some(Value::Null));
            present == truthy(Some(expected))
        }
        "$type" => expected.as_str() == Some(js_type(actual)),
        "$not" => !eval_value(expected, actual, cx),
        "$regex" | "$regexi" => expected.as_str().is_some_and(|pattern| {
            cx.regex
                .is_match(pattern, &js_string(actual), op == "$regexi")
                .unwrap_or(false)
        }),
        // An unknown operator never matches (a typo must not let everybody in).
        _ => false,
    }
}

/// The members of the saved group `name` (none when unknown).
fn group<'c>(name: &Value, cx: &Context<'c>) -> &'c [Value] {
    name.as_str()
        .and_then(|n| cx.groups.get(n))
        .map_or(&[], |members| members.as_slice())
}

/// `expected.includes(actual)`, or for an array any of its items; with `insensitive`,
/// strings compare lower-cased.
fn is_in(actual: Option<&Value>, expected: &[Value], insensitive: bool) -> bool {
    let same = |e: &Value, item: &Value| match (e, item) {
        (Value::String(a), Value::String(b)) if insensitive => eq_lowercase(a, b),
        _ => strict_equal(Some(e), Some(item)),
    };
    let contains = |item: &Value| expected.iter().any(|e| same(e, item));
    match actual {
        Some(Value::Array(items)) => items.iter().any(contains),
        Some(item) => contains(item),
        None => false,
    }
}
