//! Unleash's frontend API shape (`GET`/`POST /api/frontend`), so Unleash's own SDKs
//! (`unleash-proxy-client` and the SDKs built on it) read Cleave: each running experiment
//! the unit is in is an enabled toggle named by the experiment's key, whose variant is
//! Cleave's assignment and whose payload is the variant's config.

use super::assign::{AssignRequest, AssignResponse, checked_attributes};
use super::unleash::CONTEXT_FIELDS;
use crate::error::{ApiError, ApiResult};
use cleave_core::model::Experiment;
use serde::Serialize;
use serde_json::{Map, Value};

/// The context of a `GET` query: `userId=…&sessionId=…&properties[country]=DE`.
pub fn context_from_query(query: &str) -> Map<String, Value> {
    let mut context = Map::new();
    let mut properties = Map::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = Value::String(value.into_owned());
        match key
            .strip_prefix("properties[")
            .and_then(|k| k.strip_suffix(']'))
        {
            Some(name) => {
                properties.insert(name.to_string(), value);
            }
            None => {
                context.insert(key.into_owned(), value);
            }
        }
    }
    if !properties.is_empty() {
        context.insert("properties".into(), Value::Object(properties));
    }
    context
}

/// The context of a `POST` body: `{"context": {...}}` (as the SDKs send it) or the context
/// itself; an empty body is an empty context.
pub fn context_from_body(body: &[u8]) -> ApiResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let mut value: Map<String, Value> = super::input::json_body(body)?;
    let (context, at) = match value.remove("context") {
        Some(Value::Object(inner)) => (inner, "context"),
        Some(_) => return Err(ApiError::bad_request("context", "must be an object")),
        None => (value, ""),
    };
    check_types(&context, at)?;
    Ok(context)
}

/// Unleash's context as its SDKs send it: its fields are strings, `properties` an object of
/// strings (400 naming the field otherwise).
fn check_types(context: &Map<String, Value>, at: &str) -> ApiResult<()> {
    let path = |field: &str| {
        if at.is_empty() {
            field.to_string()
        } else {
            format!("{at}.{field}")
        }
    };
    for field in CONTEXT_FIELDS {
        if context.get(field).is_some_and(|v| !v.is_string()) {
            return Err(ApiError::bad_request(path(field), "must be a string"));
        }
    }
    match context.get("properties") {
        None => Ok(()),
        Some(Value::Object(props)) => match props.iter().find(|(_, v)| !v.is_string()) {
            Some((name, _)) => Err(ApiError::bad_request(
                path(&format!("properties.{name}")),
                "must be a string",
            )),
            None => Ok(()),
        },
        Some(_) => Err(ApiError::bad_request(
            path("properties"),
            "must be an object",
        )),
    }
}

/// The `/assign` request an Unleash context amounts to: the unit is `userId`, else
/// `sessionId`; the attributes are the properties and the other context fields (so a
/// targeting condition reads `country` whether it came as a property or not).
pub fn request_of(context: &Map<String, Value>) -> ApiResult<AssignRequest> {
    // Each id given must be a valid unit id (422 naming it); the unit is userId, else
    // sessionId.
    let mut ids = ["userId", "sessionId"].into_iter().filter_map(|name| {
        let id = context.get(name).and_then(Value::as_str)?;
        Some(super::input::identifier(&format!("context.{name}"), id).map(|()| id))
    });
    let unit = match (ids.next(), ids.next()) {
        (Some(first), second) => {
            second.transpose()?;
            first?
        }
        (None, _) => {
            return Err(ApiError::bad_request(
                "context.userId",
                "the unit is needed: userId, or else sessionId",
            ));
        }
    };
    let mut attributes = Map::new();
    if let Some(Value::Object(properties)) = context.get("properties") {
        attributes.extend(properties.clone());
    }
    // The unit itself (`userId`) is not an attribute; every other context field is.
    for field in CONTEXT_FIELDS.into_iter().filter(|f| *f != "userId") {
        if let Some(v) = context.get(field) {
            attributes.insert(field.to_string(), v.clone());
        }
    }
    let at = |e: ApiError| ApiError {
        field: e
            .field
            .map(|f| f.replacen("context", "context.properties", 1)),
        ..e
    };
    checked_attributes(Some(&attributes), None).map_err(at)?;
    Ok(AssignRequest {
        user_id: unit.to_string(),
        context: Some(attributes),
        attributes: None,
    })
}

/// A variant's payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrontendPayload {
    /// `json`, `string` or `number`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(json|string|number)$"))]
    pub kind: String,
    /// The config, as text.
    pub value: String,
}

/// A toggle's variant: the unit's variant of the experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrontendVariant {
    /// The variant's name.
    pub name: String,
    /// Always true (the unit is in the experiment).
    pub enabled: bool,
    /// Its config, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<FrontendPayload>,
}

/// One enabled toggle: an experiment the unit is in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrontendToggle {
    /// The experiment's key.
    pub name: String,
    /// Always true (only the experiments the unit is in are listed).
    pub enabled: bool,
    /// Always false.
    #[serde(rename = "impressionData")]
    pub impression_data: bool,
    /// The unit's variant.
    pub variant: FrontendVariant,
}

/// The answer: the enabled toggles.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrontendToggles {
    /// One per running experiment the unit is in, in experiment order.
    pub toggles: Vec<FrontendToggle>,
}

/// A variant config as Unleash's payload (none for an empty or absent config).
fn payload(config: &str) -> Option<FrontendPayload> {
    let value: Value = serde_json::from_str(config).ok()?;
    let (kind, text) = match value {
        Value::Null => return None,
        Value::Object(ref m) if m.is_empty() => return None,
        Value::String(s) => ("string", s),
        Value::Number(n) => ("number", n.to_string()),
        other => ("json", other.to_string()),
    };
    Some(FrontendPayload {
        kind: kind.to_string(),
        value: text,
    })
}

/// The toggle of `experiment` for a unit it decided (`None`: not in the experiment).
pub fn toggle(experiment: &Experiment, decided: &AssignResponse) -> Option<FrontendToggle> {
    let name = decided.variant.as_ref()?;
    Some(FrontendToggle {
        name: experiment.key.clone(),
        enabled: true,
        impression_data: false,
        variant: FrontendVariant {
            name: name.clone(),
            enabled: true,
            payload: decided.config.as_ref().and_then(|c| payload(c.as_str())),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contexts_come_from_queries_and_bodies() {
        let q = context_from_query(
            "appName=shop&userId=u1&properties%5Bcountry%5D=DE&properties[plan]=pro",
        );
        assert_eq!(
            Value::Object(q.clone()),
            json!({"appName": "shop", "userId": "u1", "properties": {"country": "DE", "plan": "pro"}})
        );
        let req = request_of(&q).unwrap();
        assert_eq!(req.user_id, "u1");
        assert_eq!(
            req.context.map(Value::Object),
            Some(json!({"country": "DE", "plan": "pro", "appName": "shop"}))
        );
        let body = context_from_body(br#"{"context": {"sessionId": "123"}}"#).unwrap();
        assert_eq!(
            request_of(&body).unwrap().user_id,
            "123",
            "sessionId when no userId"
        );
        let e = request_of(&Map::new()).unwrap_err();
        assert_eq!(
            (e.status(), e.field.as_deref()),
            (400, Some("context.userId"))
        );
        for (context, field) in [
            (json!({"userId": "", "sessionId": "1"}), "context.userId"),
            (
                json!({"userId": "u1", "sessionId": "a\u{1}"}),
                "context.sessionId",
            ),
        ] {
            let e = request_of(context.as_object().unwrap()).unwrap_err();
            assert_eq!(
                (e.status(), e.field.as_deref()),
                (422, Some(field)),
                "{context}"
            );
        }
        let e = context_from_body(br#"{"context": 1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("context"));
        for (body, field) in [
            (r#"{"context": {"userId": {}}}"#, "context.userId"),
            (r#"{"context": {"appName": 3}}"#, "context.appName"),
            (
                r#"{"context": {"properties": {"age": 3}}}"#,
                "context.properties.age",
            ),
            (r#"{"context": {"properties": []}}"#, "context.properties"),
        ] {
            let e = context_from_body(body.as_bytes()).unwrap_err();
            assert_eq!(
                (e.status(), e.field.as_deref()),
                (400, Some(field)),
                "{body}"
            );
        }
    }

    #[test]
    fn payloads_follow_the_config() {
        assert_eq!(payload("{}"), None);
        assert_eq!(payload("null"), None);
        assert_eq!(
            payload(r#"{"color":"blue"}"#),
            Some(FrontendPayload {
                kind: "json".into(),
                value: r#"{"color":"blue"}"#.into()
            })
        );
        assert_eq!(payload(r#""blue""#).map(|p| p.kind), Some("string".into()));
        assert_eq!(payload("3.5").map(|p| p.value), Some("3.5".into()));
    }
}
