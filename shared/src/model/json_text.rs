//! A variant's free-form `config`: any JSON value, kept as canonical compact JSON text.
//!
//! Hosts only store it and hand it back (the Worker in `/assign`, the filter nowhere), so it
//! is kept as text rather than as a tree: compact, object keys sorted, numbers in their
//! shortest form, exactly as the Worker has always stored `config`.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use core::fmt;
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Error as _, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// One JSON value as compact JSON text (`null` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(String);

impl JsonText {
    /// The canonical text of `value`.
    pub fn from_value(value: &Value) -> Self {
        Self(value.to_string())
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value, parsed.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

impl Default for JsonText {
    fn default() -> Self {
        Self("null".to_owned())
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> Self {
        Self::from_value(&value)
    }
}

impl fmt::Display for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Written as the JSON value itself (through serde_json's raw-value support).
impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(S::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Read as any JSON value and kept in canonical form (compact, object keys sorted, numbers
/// in their shortest form), so equal values are equal texts.
impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|value| Self::from_value(&value))
    }
}

/// Any JSON value (no type restriction) in the OpenAPI document.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for JsonText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
            .description(Some("Any JSON value, kept in canonical form"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for JsonText {}
