//! Unleash toggles evaluated by Unleash's own engine (`unleash-yggdrasil`): loading what
//! `GET /api/client/features` answers (or the delta API's messages), the context of a unit,
//! and the gate of an experiment. The Unleash client-specification suites run through
//! exactly these functions (`worker/tests/unleash_spec.rs`).

use chrono::DateTime;
use cleave_core::model::{Gate, Gates};
use serde_json::Value;
use std::collections::HashMap;
use std::rc::Rc;
use unleash_types::client_features::Context;
use unleash_yggdrasil::{EngineState, ExtendedVariantDef, UpdateMessage};

/// Unleash's context fields: an attribute of one of these names fills that field (the rest
/// are properties).
pub const CONTEXT_FIELDS: [&str; 6] = [
    "userId",
    "sessionId",
    "environment",
    "appName",
    "currentTime",
    "remoteAddress",
];

/// A loaded set of toggles.
pub struct Toggles {
    engine: EngineState,
    /// How many toggles it knows.
    pub count: usize,
    /// Strategies or constraints the engine could not read (the rest of the toggle is
    /// evaluated as Unleash's SDKs do): `toggle: message`.
    pub warnings: Vec<String>,
}

impl Toggles {
    /// Loads Unleash's client features (`{"version", "features", "segments"?}`) or a delta
    /// API message (`{"events": [...]}`); `Err` says why it is not either.
    pub fn load(json: &str) -> Result<Self, String> {
        let message: UpdateMessage = serde_json::from_str(json)
            .map_err(|e| format!("not Unleash client features or delta events: {e}"))?;
        let engine = EngineState::initial_state(DateTime::UNIX_EPOCH);
        let warnings = engine
            .take_state(message)
            .unwrap_or_default()
            .into_iter()
            .map(|w| format!("{}: {}", w.toggle_name, w.message))
            .collect();
        let count = engine.list_known_toggles().len();
        Ok(Self {
            engine,
            count,
            warnings,
        })
    }

    /// Whether `toggle` is enabled for `context` (an unknown toggle is off).
    pub fn enabled(&self, toggle: &str, context: &Context) -> bool {
        self.engine.is_enabled(toggle, context, &None)
    }

    /// Every toggle: its name, whether it is on at all, its project.
    pub fn known(&self) -> Vec<(String, bool, String)> {
        let mut all: Vec<(String, bool, String)> = self
            .engine
            .list_known_toggles()
            .into_iter()
            .map(|t| (t.name, t.enabled, t.project))
            .collect();
        all.sort();
        all
    }

    /// The variant of `toggle` for `context`, as Unleash's SDKs resolve it.
    pub fn variant(&self, toggle: &str, context: &Context) -> ExtendedVariantDef {
        self.engine.get_variant(toggle, context, &None)
    }
}

/// A JSON value as an Unleash context string (scalars; `None` for objects, arrays, null).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The Unleash context of a unit: `unit_id` as `userId` (when given; otherwise the
/// attributes' `userId`), the attributes named like Unleash's context fields as those
/// fields, the entries of a `properties` object and every other scalar attribute as
/// properties, and `now_ms` as `currentTime` unless the attributes give one (the engine
/// never reads a clock).
pub fn context(unit_id: Option<&str>, attributes: &Value, now_ms: i64) -> Context {
    let mut cx = Context::default();
    let mut properties: HashMap<String, String> = HashMap::new();
    if let Value::Object(map) = attributes {
        for (key, value) in map {
            match (key.as_str(), value) {
                ("properties", Value::Object(props)) => {
                    for (k, v) in props {
                        if let Some(t) = text(v) {
                            properties.insert(k.clone(), t);
                        }
                    }
                }
                (field, v) if CONTEXT_FIELDS.contains(&field) => {
                    let t = text(v);
                    match field {
                        "userId" => cx.user_id = t,
                        "sessionId" => cx.session_id = t,
                        "environment" => cx.environment = t,
                        "appName" => cx.app_name = t,
                        "currentTime" => cx.current_time = t,
                        _ => cx.remote_address = t,
                    }
                }
                (k, v) => {
                    if let Some(t) = text(v) {
                        properties.insert(k.to_string(), t);
                    }
                }
            }
        }
    }
    if let Some(unit) = unit_id {
        cx.user_id = Some(unit.to_string());
    }
    if cx.current_time.is_none() {
        cx.current_time = DateTime::from_timestamp_millis(now_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    }
    if !properties.is_empty() {
        cx.properties = Some(properties);
    }
    cx
}

/// Gates evaluated with the loaded toggles; with none loaded (no `UNLEASH_URL`, or nothing
/// fetched yet) every gate is closed.
#[derive(Clone)]
pub struct UnleashGates {
    /// The toggles, if any were loaded.
    pub toggles: Option<Rc<Toggles>>,
    /// The host's clock (the time of each decision, ms since the epoch).
    pub now_ms: fn() -> i64,
}

impl Gates for UnleashGates {
    fn open(&self, gate: &Gate, unit_id: &str, attributes: &Value) -> bool {
        self.toggles.as_ref().is_some_and(|t| {
            let cx = context(Some(unit_id), attributes, (self.now_ms)());
            t.enabled(&gate.unleash, &cx)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_fill_the_unleash_context() {
        let cx = context(
            Some("u1"),
            &json!({"userId": "ignored", "sessionId": "s", "remoteAddress": "10.0.0.1",
                    "country": "DE", "age": 42, "beta": true, "tags": ["a"],
                    "properties": {"plan": "pro"}}),
            0,
        );
        assert_eq!(cx.user_id.as_deref(), Some("u1"), "the unit is the user");
        assert_eq!(cx.session_id.as_deref(), Some("s"));
        assert_eq!(cx.remote_address.as_deref(), Some("10.0.0.1"));
        assert_eq!(cx.current_time.as_deref(), Some("1970-01-01T00:00:00.000Z"));
        let props = cx.properties.unwrap();
        assert_eq!(props.get("country").map(String::as_str), Some("DE"));
        assert_eq!(props.get("age").map(String::as_str), Some("42"));
        assert_eq!(props.get("beta").map(String::as_str), Some("true"));
        assert_eq!(props.get("plan").map(String::as_str), Some("pro"));
        assert!(!props.contains_key("tags"));
        let without_unit = context(
            None,
            &json!({"userId": "7", "currentTime": "2026-01-01T00:00:00Z"}),
            0,
        );
        assert_eq!(without_unit.user_id.as_deref(), Some("7"));
        assert_eq!(
            without_unit.current_time.as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn gates_follow_the_toggle_and_close_without_toggles() {
        let toggles = Toggles::load(
            &json!({"version": 2, "features": [
                {"name": "beta", "enabled": true, "strategies": [
                    {"name": "userWithId", "parameters": {"userIds": "u1,u2"}}]},
                {"name": "off", "enabled": false, "strategies": [{"name": "default"}]}
            ]})
            .to_string(),
        )
        .unwrap();
        assert_eq!(toggles.count, 2);
        assert!(toggles.warnings.is_empty());
        let gates = UnleashGates {
            toggles: Some(Rc::new(toggles)),
            now_ms: || 0,
        };
        let gate = |name: &str| Gate {
            unleash: name.into(),
        };
        let none = json!({});
        assert!(gates.open(&gate("beta"), "u1", &none));
        assert!(!gates.open(&gate("beta"), "u3", &none));
        assert!(!gates.open(&gate("off"), "u1", &none));
        assert!(!gates.open(&gate("missing"), "u1", &none));
        let closed = UnleashGates {
            toggles: None,
            now_ms: || 0,
        };
        assert!(!closed.open(&gate("beta"), "u1", &none));
        assert!(Toggles::load("[1, 2]").is_err());
        assert!(Toggles::load("not json").is_err());
    }
}
