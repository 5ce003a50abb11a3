//! The one rule for identifiers a client supplies — unit (user) ids, event names, event
//! ids: 1–256 characters ([`MAX_ID_LEN`], so at most 1,024 bytes of UTF-8) with no control
//! characters. Characters, not bytes, so that the OpenAPI document (whose `maxLength`
//! counts characters) states the rule exactly. Every host applies it
//! the same way: the API (naming the field), the Worker's edge proxy and the Envoy filter
//! (an id that breaks it is not used: the request is treated as having none).

use super::limits::MAX_ID_LEN;
use core::fmt;

/// Why an identifier is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Zero bytes.
    Empty,
    /// More than [`MAX_ID_LEN`] characters.
    TooLong,
    /// Contains a control character.
    ControlCharacter,
}

impl IdError {
    /// The machine-readable kind, as in [`FieldError::code`](super::FieldError).
    pub fn code(self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::TooLong => "too_long",
            Self::ControlCharacter => "invalid",
        }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong => write!(f, "must be at most {MAX_ID_LEN} characters"),
            Self::ControlCharacter => f.write_str("must not contain control characters"),
        }
    }
}

/// Checks an identifier against the rule.
pub fn check_id(value: &str) -> Result<(), IdError> {
    if value.is_empty() {
        Err(IdError::Empty)
    } else if value.len() > MAX_ID_LEN && value.chars().count() > MAX_ID_LEN {
        Err(IdError::TooLong)
    } else if value.chars().any(char::is_control) {
        Err(IdError::ControlCharacter)
    } else {
        Ok(())
    }
}
