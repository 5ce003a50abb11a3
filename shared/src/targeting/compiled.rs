//! A condition compiled once per configuration: its keys resolved into logical nodes,
//! attribute paths split into steps and operator names parsed, so a decision walks a small
//! tree instead of the JSON. Every operator is still evaluated by
//! [`operators::apply`](super::operators::apply) and every literal by the interpreter's
//! rule, so compiled and interpreted conditions agree by construction (and a property test
//! checks it on the conformance suite and on random conditions).

use super::operators::{Op, apply, eval_value};
use super::{Context, is_operator_object};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use serde_json::{Map, Value};

/// A compiled targeting condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled(Node);

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// Every node holds (a condition object's keys, or `$and`).
    All(Vec<Node>),
    /// `$or`: empty holds, else any.
    Any(Vec<Node>),
    /// `$nor`.
    NotAny(Vec<Node>),
    /// `$not`.
    Not(Box<Node>),
    /// An attribute path and what its value must satisfy.
    Field(Vec<String>, Test),
    /// Something that never matches (a sub-condition that is not an object, `$or` or
    /// `$and` without a list).
    Never,
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    /// Operators, all of which must hold.
    Ops(Vec<(Op, Value)>),
    /// A literal (implicit equality and its coercions).
    Literal(Value),
}

impl Compiled {
    /// Compiles `condition` (anything but an object never matches, as with
    /// [`matches`](super::matches)).
    pub fn new(condition: &Value) -> Self {
        Self(match condition {
            Value::Object(c) => object(c),
            _ => Node::Never,
        })
    }

    /// Whether `attributes` satisfy the condition: the same answer as
    /// [`matches`](super::matches) on the JSON it was compiled from.
    pub fn matches(&self, attributes: &Value, cx: &Context<'_>) -> bool {
        eval(&self.0, Some(attributes), cx)
    }
}

fn object(condition: &Map<String, Value>) -> Node {
    Node::All(
        condition
            .iter()
            .map(|(key, expected)| match key.as_str() {
                "$or" => list(expected).map_or(Node::Never, Node::Any),
                // `$nor` of something that is not a list holds (nothing to be true).
                "$nor" => list(expected).map_or(Node::All(Vec::new()), Node::NotAny),
                "$and" => list(expected).map_or(Node::Never, Node::All),
                "$not" => Node::Not(Box::new(sub(expected))),
                path => Node::Field(path.split('.').map(String::from).collect(), test(expected)),
            })
            .collect(),
    )
}

fn sub(expected: &Value) -> Node {
    match expected {
        Value::Object(c) => object(c),
        _ => Node::Never,
    }
}

fn list(expected: &Value) -> Option<Vec<Node>> {
    expected
        .as_array()
        .map(|items| items.iter().map(sub).collect())
}

fn test(expected: &Value) -> Test {
    match expected {
        Value::Object(ops) if is_operator_object(ops) => Test::Ops(
            ops.iter()
                .map(|(op, operand)| (Op::parse(op), operand.clone()))
                .collect(),
        ),
        other => Test::Literal(other.clone()),
    }
}

fn eval(node: &Node, attributes: Option<&Value>, cx: &Context<'_>) -> bool {
    match node {
        Node::All(nodes) => nodes.iter().all(|n| eval(n, attributes, cx)),
        Node::Any(nodes) => nodes.is_empty() || nodes.iter().any(|n| eval(n, attributes, cx)),
        Node::NotAny(nodes) => !(nodes.is_empty() || nodes.iter().any(|n| eval(n, attributes, cx))),
        Node::Not(n) => !eval(n, attributes, cx),
        Node::Field(path, t) => {
            let actual = path
                .iter()
                .try_fold(attributes, |current, step| match current {
                    Some(Value::Object(map)) => Some(map.get(step.as_str())),
                    _ => None,
                });
            let actual = actual.flatten();
            match t {
                Test::Ops(ops) => ops
                    .iter()
                    .all(|(op, operand)| apply(*op, actual, operand, cx)),
                Test::Literal(v) => eval_value(v, actual, cx),
            }
        }
        Node::Never => false,
    }
}
