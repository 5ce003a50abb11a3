//! The reader's error: a message, the position, and the missing field if that is the problem.

use serde::de::{self, Unexpected};
use std::fmt;

/// Why a document was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    at: Option<usize>,
    message: String,
    missing_field: Option<&'static str>,
}

impl Error {
    fn new(message: String) -> Self {
        Self {
            at: None,
            message,
            missing_field: None,
        }
    }

    pub(super) fn at(offset: usize, message: &str) -> Self {
        Self {
            at: Some(offset),
            ..Self::new(message.to_string())
        }
    }

    /// Gives an error raised by a visitor (which cannot know it) its position.
    pub(super) fn or_at(mut self, offset: usize) -> Self {
        self.at.get_or_insert(offset);
        self
    }

    /// Bytes of the document consumed when the problem was found.
    pub fn offset(&self) -> usize {
        self.at.unwrap_or(0)
    }

    /// The field's name, when the problem is a missing field.
    pub fn missing_field(&self) -> Option<&'static str> {
        self.missing_field
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl de::StdError for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(msg.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::new(format!(
            "invalid type: {}, expected {expected}",
            Described(unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::new(format!(
            "invalid value: {}, expected {expected}",
            Described(unexpected)
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        Self {
            missing_field: Some(field),
            ..Self::new(format!("missing field `{field}`"))
        }
    }
}

/// serde's `Unexpected`, described without formatting floats (which would link
/// `core`'s float printing, ~20 KB, for an error message).
struct Described<'a>(Unexpected<'a>);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            Unexpected::Unsigned(n) => write!(f, "integer `{n}`"),
            Unexpected::Signed(n) => write!(f, "integer `{n}`"),
            Unexpected::Float(_) => f.write_str("a number with a fraction or exponent"),
            Unexpected::Char(c) => write!(f, "character `{c}`"),
            Unexpected::Str(s) => write!(f, "string \"{s}\""),
            Unexpected::Bytes(_) => f.write_str("bytes"),
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Seq => f.write_str("an array"),
            Unexpected::Map => f.write_str("an object"),
            Unexpected::Other(other) => f.write_str(other),
            _ => f.write_str("a value of another kind"),
        }
    }
}
