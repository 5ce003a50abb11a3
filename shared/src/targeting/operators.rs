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

/// An operator, resolved from its name once (a compiled condition keeps it; the
/// interpreter parses it on the spot). Unknown names are [`Op::Unknown`], which never
/// matches (a typo must not let everybody in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `$eq`
    Eq,
    /// `$ne`
    Ne,
    /// `$lt`
    Lt,
    /// `$lte`
    Lte,
    /// `$gt`
    Gt,
    /// `$gte`
    Gte,
    /// `$veq` … `$vlte`: the version comparison and the orderings it accepts.
    Version(VersionOp),
    /// `$in` / `$ini` (case-insensitive).
    In(bool),
    /// `$nin` / `$nini`.
    Nin(bool),
    /// `$inGroup`
    InGroup,
    /// `$notInGroup`
    NotInGroup,
    /// `$all` / `$alli`.
    All(bool),
    /// `$elemMatch`
    ElemMatch,
    /// `$size`
    Size,
    /// `$exists`
    Exists,
    /// `$type`
    Type,
    /// `$not`
    Not,
    /// `$regex` / `$regexi`.
    Regex(bool),
    /// Any other name.
    Unknown,
}

/// The six version comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionOp {
    /// `$veq`
    Eq,
    /// `$vne`
    Ne,
    /// `$vgt`
    Gt,
    /// `$vgte`
    Gte,
    /// `$vlt`
    Lt,
    /// `$vlte`
    Lte,
}

impl Op {
    /// The operator named `name`.
    pub fn parse(name: &str) -> Self {
        match name {
            "$eq" => Self::Eq,
            "$ne" => Self::Ne,
            "$lt" => Self::Lt,
            "$lte" => Self::Lte,
            "$gt" => Self::Gt,
            "$gte" => Self::Gte,
            "$veq" => Self::Version(VersionOp::Eq),
            "$vne" => Self::Version(VersionOp::Ne),
            "$vgt" => Self::Version(VersionOp::Gt),
            "$vgte" => Self::Version(VersionOp::Gte),
            "$vlt" => Self::Version(VersionOp::Lt),
            "$vlte" => Self::Version(VersionOp::Lte),
            "$in" => Self::In(false),
            "$ini" => Self::In(true),
            "$nin" => Self::Nin(false),
            "$nini" => Self::Nin(true),
            "$inGroup" => Self::InGroup,
            "$notInGroup" => Self::NotInGroup,
            "$all" => Self::All(false),
            "$alli" => Self::All(true),
            "$elemMatch" => Self::ElemMatch,
            "$size" => Self::Size,
            "$exists" => Self::Exists,
            "$type" => Self::Type,
            "$not" => Self::Not,
            "$regex" => Self::Regex(false),
            "$regexi" => Self::Regex(true),
            _ => Self::Unknown,
        }
    }
}

/// One operator by name.
fn eval_operator(op: &str, actual: Option<&Value>, expected: &Value, cx: &Context<'_>) -> bool {
    apply(Op::parse(op), actual, expected, cx)
}

/// Whether `actual` satisfies operator `op` with operand `expected`: the one definition of
/// every operator, for the interpreter and compiled conditions alike.
pub fn apply(op: Op, actual: Option<&Value>, expected: &Value, cx: &Context<'_>) -> bool {
    // The relational operators read an absent attribute as null (so as 0 against numbers).
    let null = Value::Null;
    let relational = actual.or(Some(&null));
    match op {
        Op::Eq => strict_equal(actual, Some(expected)),
        Op::Ne => !strict_equal(actual, Some(expected)),
        Op::Lt => js_compare(relational, Some(expected)) == Some(Ordering::Less),
        Op::Lte => matches!(
            js_compare(relational, Some(expected)),
            Some(Ordering::Less | Ordering::Equal)
        ),
        Op::Gt => js_compare(relational, Some(expected)) == Some(Ordering::Greater),
        Op::Gte => matches!(
            js_compare(relational, Some(expected)),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Version(v) => {
            let order = padded_version(actual).cmp(&padded_version(Some(expected)));
            match v {
                VersionOp::Eq => order == Ordering::Equal,
                VersionOp::Ne => order != Ordering::Equal,
                VersionOp::Gt => order == Ordering::Greater,
                VersionOp::Gte => order != Ordering::Less,
                VersionOp::Lt => order == Ordering::Less,
                VersionOp::Lte => order != Ordering::Greater,
            }
        }
        Op::In(insensitive) => expected
            .as_array()
            .is_some_and(|list| is_in(actual, list, insensitive)),
        Op::Nin(insensitive) => expected
            .as_array()
            .is_some_and(|list| !is_in(actual, list, insensitive)),
        Op::InGroup => is_in(actual, group(expected, cx), false),
        Op::NotInGroup => !is_in(actual, group(expected, cx), false),
        Op::All(insensitive) => match (actual, expected) {
            (Some(Value::Array(items)), Value::Array(wanted)) => wanted.iter().all(|w| {
                items
                    .iter()
                    .any(|item| eval_value_folded(w, Some(item), cx, insensitive))
            }),
            _ => false,
        },
        Op::ElemMatch => match actual {
            Some(Value::Array(items)) => items.iter().any(|item| match expected {
                Value::Object(c) if is_operator_object(c) => eval_value(expected, Some(item), cx),
                Value::Object(c) => eval_condition(Some(item), c, cx),
                _ => false,
            }),
            _ => false,
        },
        Op::Size => match actual {
            Some(Value::Array(items)) => eval_value(expected, Some(&Value::from(items.len())), cx),
            _ => false,
        },
        Op::Exists => {
            let present = !matches!(actual, None | Some(Value::Null));
            present == truthy(Some(expected))
        }
        Op::Type => expected.as_str() == Some(js_type(actual)),
        Op::Not => !eval_value(expected, actual, cx),
        Op::Regex(insensitive) => expected.as_str().is_some_and(|pattern| {
            cx.regex
                .is_match(pattern, &js_string(actual), insensitive)
                .unwrap_or(false)
        }),
        Op::Unknown => false,
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
