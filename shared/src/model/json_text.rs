//! A variant's free-form `config`: any JSON value, kept as compact JSON text.
//!
//! Hosts only store it and hand it back, so it is kept as text rather than as a tree.
//! That lets a host with its own small JSON reader (the Envoy filter) take it without
//! linking a JSON tree, a JSON writer and float formatting: such a reader answers
//! [`JSON_TEXT_TOKEN`] by handing the value's text, whitespace removed, to the visitor as
//! a string. Every other deserializer (serde_json's reader, a `serde_json::Value`) hands
//! itself over instead, and the value is read as a `serde_json::Value` and written back
//! canonically (compact, object keys sorted, numbers in their shortest form), exactly as
//! the Worker stored `config` before it was kept as text.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use core::fmt;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Error as _, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// The newtype-struct name under which a deserializer may hand out a value's JSON text
/// (see the module documentation).
pub const JSON_TEXT_TOKEN: &str = "$cleave::JsonText";

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

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(JSON_TEXT_TOKEN, TextVisitor)
    }
}

/// Takes the text a capturing deserializer hands over, or reads the value as a tree.
struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = JsonText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    /// The compact text from a deserializer that answers [`JSON_TEXT_TOKEN`].
    fn visit_str<E: de::Error>(self, text: &str) -> Result<JsonText, E> {
        Ok(JsonText(text.to_owned()))
    }

    /// As [`Self::visit_str`], without a copy.
    fn visit_string<E: de::Error>(self, text: String) -> Result<JsonText, E> {
        Ok(JsonText(text))
    }

    /// Any other deserializer: read the value and write it canonically.
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<JsonText, D::Error> {
        Value::deserialize(deserializer).map(|value| JsonText::from_value(&value))
    }
}
