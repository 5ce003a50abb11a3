//! Why an analysis request was refused.

use alloc::string::String;
use core::fmt;

/// An analysis input problem, with the JSON path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisError {
    /// JSON path of the field (`variants[1].conversions`, `alpha`, ...).
    pub field: String,
    /// Human-readable explanation.
    pub message: String,
}

impl AnalysisError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl core::error::Error for AnalysisError {}
