//! What an API accepts before anything is evaluated: conditions whose operators exist and
//! whose operands have the right shape (a typo such as `$regx` would silently match
//! nobody), and unit attributes within fixed limits.

use super::{RegexEngine, is_operator_object};
use alloc::format;
use alloc::string::String;
use serde_json::{Map, Value};

/// At most this many keys in a unit's attributes, counted over every nested object.
pub const MAX_ATTRIBUTE_KEYS: usize = 50;
/// At most this many bytes of attributes, as compact JSON.
pub const MAX_ATTRIBUTE_BYTES: usize = 8 * 1024;
/// At most this nesting depth of attributes.
pub const MAX_DEPTH: usize = 8;
/// At most this nesting depth of a condition (objects, operator objects and lists).
pub const MAX_CONDITION_DEPTH: usize = 32;

/// A problem, with the JSON path below the checked value (`$and[0].age.$gt`, or empty
/// for the value itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, relative to the checked value.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn problem(path: &str, message: impl Into<String>) -> Problem {
    Problem {
        path: path.into(),
        message: message.into(),
    }
}

/// Checks a unit's attributes: a JSON object of at most [`MAX_ATTRIBUTE_KEYS`] keys in all,
/// [`MAX_ATTRIBUTE_BYTES`] bytes and [`MAX_DEPTH`] levels.
pub fn check_attributes(attributes: &Value) -> Result<(), Problem> {
    let Value::Object(_) = attributes else {
        return Err(problem("", "must be a JSON object"));
    };
    let mut keys = 0;
    walk_depth(attributes, 1, "", &mut keys)?;
    if keys > MAX_ATTRIBUTE_KEYS {
        return Err(problem(
            "",
            format!("has {keys} keys; at most {MAX_ATTRIBUTE_KEYS} are allowed"),
        ));
    }
    let bytes = serde_json::to_string(attributes).map_or(usize::MAX, |s| s.len());
    if bytes > MAX_ATTRIBUTE_BYTES {
        return Err(problem(
            "",
            format!("is {bytes} bytes as JSON; at most {MAX_ATTRIBUTE_BYTES} are allowed"),
        ));
    }
    Ok(())
}

fn walk_depth(value: &Value, depth: usize, path: &str, keys: &mut usize) -> Result<(), Problem> {
    too_deep(path, depth, MAX_DEPTH)?;
    match value {
        Value::Object(map) => {
            *keys += map.len();
            for (k, v) in map {
                walk_depth(v, depth + 1, &join(path, k), keys)?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk_depth(v, depth + 1, &format!("{path}[{i}]"), keys)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks a targeting condition: an object of paths and logical operators; every operator
/// known with an operand of its shape; every `$regex` compiling in `regex`; at most
/// [`MAX_CONDITION_DEPTH`] levels of operators.
pub fn check_condition(condition: &Value, regex: &dyn RegexEngine) -> Result<(), Problem> {
    sub_condition(condition, "", 1, regex)
}

/// `value` as a condition object (anything else is refused).
fn sub_condition(
    value: &Value,
    path: &str,
    depth: usize,
    regex: &dyn RegexEngine,
) -> Result<(), Problem> {
    match value {
        Value::Object(map) => condition_object(map, path, depth, regex),
        _ => Err(problem(path, "must be a JSON object of conditions")),
    }
}

/// Refuses nesting beyond `limit` levels.
fn too_deep(path: &str, depth: usize, limit: usize) -> Result<(), Problem> {
    if depth > limit {
        return Err(problem(path, format!("nests deeper than {limit} levels")));
    }
    Ok(())
}

fn condition_object(
    map: &Map<String, Value>,
    path: &str,
    depth: usize,
    regex: &dyn RegexEngine,
) -> Result<(), Problem> {
    too_deep(path, depth, MAX_CONDITION_DEPTH)?;
    for (key, value) in map {
        let here = join(path, key);
        match key.as_str() {
            "$and" | "$or" | "$nor" => {
                let Value::Array(items) = value else {
                    return Err(problem(&here, "must be an array of conditions"));
                };
                for (i, item) in items.iter().enumerate() {
                    sub_condition(item, &format!("{here}[{i}]"), depth + 1, regex)?;
                }
            }
            "$not" => sub_condition(value, &here, depth + 1, regex)?,
            _ => condition_value(value, &here, depth + 1, regex)?,
        }
    }
    Ok(())
}

/// A value a path is compared with: a literal, or an object of operators.
fn condition_value(
    value: &Value,
    path: &str,
    depth: usize,
    regex: &dyn RegexEngine,
) -> Result<(), Problem> {
    too_deep(path, depth, MAX_CONDITION_DEPTH)?;
    let Value::Object(ops) = value else {
        return Ok(());
    };
    if !is_operator_object(ops) {
        if ops.keys().any(|k| k.starts_with('$')) {
            return Err(problem(
                path,
                "mixes operators and plain keys (use only operators, or only a literal object)",
            ));
        }
        return Ok(());
    }
    for (op, operand) in ops {
        let here = join(path, op);
        match op.as_str() {
            "$eq" | "$ne" | "$lt" | "$lte" | "$gt" | "$gte" | "$exists" => {}
            "$veq" | "$vne" | "$vgt" | "$vgte" | "$vlt" | "$vlte" => {
                if !matches!(operand, Value::String(_) | Value::Number(_)) {
                    return Err(problem(&here, "must be a version string"));
                }
            }
            "$in" | "$nin" | "$ini" | "$nini" | "$all" | "$alli" => {
                if !operand.is_array() {
                    return Err(problem(&here, "must be an array"));
                }
            }
            "$inGroup" | "$notInGroup" => {
                if !operand.is_string() {
                    return Err(problem(&here, "must name a saved group"));
                }
            }
            "$type" => {
                const TYPES: [&str; 7] = [
                    "string",
                    "number",
                    "boolean",
                    "array",
                    "object",
                    "null",
                    "undefined",
                ];
                if !operand.as_str().is_some_and(|t| TYPES.contains(&t)) {
                    return Err(problem(
                        &here,
                        "must be one of string, number, boolean, array, object, null, undefined",
                    ));
                }
            }
            "$regex" | "$regexi" => {
                let Some(pattern) = operand.as_str() else {
                    return Err(problem(&here, "must be a regular expression string"));
                };
                if regex.is_match(pattern, "", op == "$regexi").is_none() {
                    return Err(problem(&here, "is not a valid regular expression"));
                }
            }
            "$not" | "$size" => condition_value(operand, &here, depth + 1, regex)?,
            "$elemMatch" => match operand {
                Value::Object(m) if is_operator_object(m) => {
                    condition_value(operand, &here, depth + 1, regex)?;
                }
                Value::Object(m) => condition_object(m, &here, depth + 1, regex)?,
                _ => return Err(problem(&here, "must be a JSON object")),
            },
            _ => return Err(problem(&here, format!("unknown operator {op}"))),
        }
    }
    Ok(())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.into()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targeting::NoRegex;
    use serde_json::json;

    /// Every pattern compiles except `(`.
    struct Lenient;
    impl RegexEngine for Lenient {
        fn is_match(&self, pattern: &str, _: &str, _: bool) -> Option<bool> {
            (pattern != "(").then_some(false)
        }
    }

    #[test]
    fn good_conditions_pass() {
        let c = json!({"country": {"$in": ["DE", "FR"]}, "$or": [{"plan": "pro"}, {"age": {"$gte": 18}}],
                       "$not": {"beta": true}, "tags": {"$elemMatch": {"$eq": "a"}}, "app": {"$vgte": "1.2.0"},
                       "email": {"$regex": "@example\\.com$"}, "$groups": {"$size": {"$gt": 0}}});
        assert_eq!(check_condition(&c, &Lenient), Ok(()));
    }

    #[test]
    fn mistakes_are_named_by_path() {
        let at = |c: Value| check_condition(&c, &Lenient).unwrap_err().path;
        assert_eq!(at(json!({"age": {"$gtt": 1}})), "age.$gtt");
        assert_eq!(at(json!({"$and": [{"x": 1}, 3]})), "$and[1]");
        assert_eq!(at(json!({"x": {"$in": "a"}})), "x.$in");
        assert_eq!(at(json!({"x": {"$regex": "("}})), "x.$regex");
        assert_eq!(at(json!({"x": {"$type": "int"}})), "x.$type");
        assert_eq!(at(json!({"x": {"$gt": 1, "y": 2}})), "x");
        assert_eq!(at(json!([1])), "");
        // Without an engine no pattern compiles, so regex conditions are refused up front.
        assert!(check_condition(&json!({"x": {"$regex": "a"}}), &NoRegex).is_err());
        let mut deep = json!({"x": 1});
        for _ in 0..MAX_CONDITION_DEPTH {
            deep = json!({"$not": deep});
        }
        assert!(check_condition(&deep, &Lenient).is_err());
    }

    #[test]
    fn attributes_are_bounded() {
        assert_eq!(
            check_attributes(&json!({"country": "DE", "user": {"age": 30}})),
            Ok(())
        );
        assert!(check_attributes(&json!("DE")).is_err());
        let many: Map<String, Value> = (0..=MAX_ATTRIBUTE_KEYS)
            .map(|i| (format!("k{i}"), json!(i)))
            .collect();
        assert!(check_attributes(&Value::Object(many)).is_err());
        let big = json!({"blob": "x".repeat(MAX_ATTRIBUTE_BYTES)});
        assert!(check_attributes(&big).is_err());
        let mut deep = json!(1);
        for _ in 0..MAX_DEPTH {
            deep = json!({"a": deep});
        }
        assert!(
            check_attributes(&deep)
                .unwrap_err()
                .message
                .contains("deeper")
        );
    }
}
