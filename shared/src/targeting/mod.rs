//! Targeting conditions: who may enter an experiment, in GrowthBook's condition syntax
//! (MongoDB-style operators over the unit's attributes), evaluated identically in every
//! host.
//!
//! A condition is a JSON object. Each key is either a logical operator (`$and`, `$or`,
//! `$nor`, `$not`) or a dot path into the attributes (`father.age`) whose value is a
//! literal (implicit equality) or an object of operators (`{"$gt": 65, "$lt": 80}`). All
//! keys must hold. The semantics follow GrowthBook's reference SDK, including its
//! JavaScript coercions where the conformance suite depends on them
//! (`shared/tests/vectors/growthbook/`); the core has no regex engine of its own, so hosts
//! supply one through [`RegexEngine`] (a pattern the engine cannot compile never matches).
//!
//! Evaluation never panics and costs time linear in the size of the condition times the
//! size of the attributes it touches.

mod check;
mod compare;
mod compiled;
#[cfg(feature = "regex")]
mod lite;
mod operators;
mod version;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use serde_json::Value;

pub use check::{
    MAX_ATTRIBUTE_BYTES, MAX_ATTRIBUTE_KEYS, MAX_CONDITION_DEPTH, MAX_DEPTH, Problem,
    check_attributes, check_condition,
};
pub use compiled::Compiled;
#[cfg(feature = "regex")]
pub use lite::{CACHE_CAPACITY, CachedRegex, LiteRegex, MAX_PATTERN_LEN};
pub use version::padded_version;

/// A regular-expression engine supplied by the host (the core links none: the engines
/// that build for `wasm32v1-none` would take most of the Envoy filter's size budget).
pub trait RegexEngine {
    /// Whether `pattern` matches somewhere in `text`; `None` when the pattern is not a
    /// valid expression for this engine (then the condition does not match).
    fn is_match(&self, pattern: &str, text: &str, case_insensitive: bool) -> Option<bool>;
}

/// A [`RegexEngine`] for hosts without one: every pattern is invalid, so `$regex` never
/// matches.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRegex;

impl RegexEngine for NoRegex {
    fn is_match(&self, _pattern: &str, _text: &str, _case_insensitive: bool) -> Option<bool> {
        None
    }
}

/// The engine the core validates conditions with: the hosts' engine with the `regex`
/// feature; without it [`NoRegex`], so a `$regex` condition (which could never match) is
/// refused.
pub fn validation_engine() -> &'static dyn RegexEngine {
    #[cfg(feature = "regex")]
    {
        &LiteRegex
    }
    #[cfg(not(feature = "regex"))]
    {
        &NoRegex
    }
}

/// Saved groups backing `$inGroup` / `$notInGroup`: group name → member values.
pub type Groups = BTreeMap<String, Vec<Value>>;

/// What a condition is evaluated against.
pub struct Context<'a> {
    /// Saved groups by name.
    pub groups: &'a Groups,
    /// The host's regex engine.
    pub regex: &'a dyn RegexEngine,
}

/// Whether `attributes` satisfy `condition` (a JSON object; anything else never matches
/// unless it is an empty object).
pub fn matches(condition: &Value, attributes: &Value, cx: &Context<'_>) -> bool {
    match condition {
        Value::Object(c) => eval_condition(Some(attributes), c, cx),
        _ => false,
    }
}

/// A condition object against a value (`None`: an absent value, JavaScript's `undefined`).
fn eval_condition(
    attributes: Option<&Value>,
    condition: &serde_json::Map<String, Value>,
    cx: &Context<'_>,
) -> bool {
    condition.iter().all(|(key, expected)| match key.as_str() {
        "$or" => eval_or(attributes, expected, cx),
        "$nor" => !eval_or(attributes, expected, cx),
        "$and" => eval_and(attributes, expected, cx),
        "$not" => !sub_condition(attributes, expected, cx),
        path => operators::eval_value(expected, path_value(attributes, path), cx),
    })
}

/// `expected` as a condition object (anything else never matches).
fn sub_condition(attributes: Option<&Value>, expected: &Value, cx: &Context<'_>) -> bool {
    match expected {
        Value::Object(c) => eval_condition(attributes, c, cx),
        _ => false,
    }
}

/// `$or`: an empty list holds; otherwise at least one condition must.
fn eval_or(attributes: Option<&Value>, list: &Value, cx: &Context<'_>) -> bool {
    match list {
        Value::Array(items) => {
            items.is_empty() || items.iter().any(|c| sub_condition(attributes, c, cx))
        }
        _ => false,
    }
}

/// `$and`: every condition must hold.
fn eval_and(attributes: Option<&Value>, list: &Value, cx: &Context<'_>) -> bool {
    match list {
        Value::Array(items) => items.iter().all(|c| sub_condition(attributes, c, cx)),
        _ => false,
    }
}

/// The value at a dot path, `None` when any step is missing.
fn path_value<'v>(attributes: Option<&'v Value>, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(attributes?, |current, step| match current {
            Value::Object(map) => map.get(step),
            _ => None,
        })
}

/// Whether a JSON object is an operator object: non-empty, every key starting with `$`.
fn is_operator_object(map: &serde_json::Map<String, Value>) -> bool {
    !map.is_empty() && map.keys().all(|k| k.starts_with('$'))
}
