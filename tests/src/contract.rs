//! Every response the end-to-end suite receives from a Worker is checked against the
//! Worker's OpenAPI document (`worker/openapi.json`, which `make openapi-check` proves is the
//! generated one): the status must be documented for the operation and a JSON body must
//! validate against the documented schema.
//!
//! The check is stricter than the document: objects are closed (a property the document
//! does not describe is an error), so a field added in code but not described fails a test.
//! The published document stays open so that clients tolerate additions.

use jsonschema::{Draft, Validator};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// The document with closed objects, and the validators built from it so far.
struct Contract {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

/// Ports of the Worker servers whose responses are checked.
fn worker_ports() -> &'static Mutex<BTreeSet<u16>> {
    static PORTS: OnceLock<Mutex<BTreeSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(BTreeSet::new()))
}

/// Marks a port as serving the Worker: responses from it are checked from now on.
pub fn register_worker(port: u16) {
    if let Ok(mut ports) = worker_ports().lock() {
        ports.insert(port);
    }
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let path = crate::repo_root().join("worker/openapi.json");
        let text = std::fs::read_to_string(&path).expect("worker/openapi.json");
        let doc: Value = serde_json::from_str(&text).expect("the document is JSON");
        Contract::new(doc)
    })
}

/// Checks one response of a request to `url` (any server; only registered Worker ports are
/// checked). Panics with the operation, status and what is wrong.
pub fn assert_conforms(method: &str, url: &str, status: u16, body: &str) {
    let Some((port, path)) = split_url(url) else {
        return;
    };
    let checked = worker_ports().lock().is_ok_and(|p| p.contains(&port));
    if !checked {
        return;
    }
    if let Err(problem) = contract().check(method, &path, status, body) {
        panic!(
            "{method} {path} answered {status}, which the OpenAPI document does not allow: {problem}\nbody: {}",
            clip(body)
        );
    }
}

/// At most 600 characters of `text` (validation errors quote whole instances).
fn clip(text: &str) -> String {
    match text.char_indices().nth(600) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text.to_string(),
    }
}

/// `(port, path without query)` of an `http://host:port/path?query` URL.
fn split_url(url: &str) -> Option<(u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let port = authority.rsplit(':').next()?.parse().ok()?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    Some((
        port,
        if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
    ))
}

impl Contract {
    fn new(mut doc: Value) -> Self {
        flatten_all_of(&mut doc);
        close_objects(&mut doc);
        Self {
            doc,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// Checks a response; `Err` says what the document does not allow.
    fn check(&self, method: &str, path: &str, status: u16, body: &str) -> Result<(), String> {
        let Some(template) = self.path_template(path) else {
            // Not an API route (proxied origin content, static assets).
            return Ok(());
        };
        let method = method.to_ascii_lowercase();
        let item = &self.doc["paths"][&template];
        if item.get(&method).is_none() {
            // An undeclared method on a declared path: must be refused as such.
            // The compatibility section answers errors in its clients' `{"detail": …}`.
            let compat = item
                .as_object()
                .into_iter()
                .flat_map(|ops| ops.values())
                .any(|op| op["tags"][0] == "compatibility");
            let error = if compat {
                "DetailErrorBody"
            } else {
                "ErrorBody"
            };
            return match status {
                405 => self.validate(&format!("#/components/schemas/{error}"), body),
                204 if method == "options" => Ok(()),
                _ => Err(format!(
                    "{method} is not an operation of {template}, yet it was not answered 405"
                )),
            };
        }
        let responses = &item[&method]["responses"];
        let key = status.to_string();
        let Some(response) = responses.get(&key).or_else(|| responses.get("default")) else {
            let documented: Vec<&String> = responses
                .as_object()
                .map(|r| r.keys().collect())
                .unwrap_or_default();
            return Err(format!(
                "status {status} is not documented for {method} {template} (documented: {documented:?})"
            ));
        };
        let which = if responses.get(&key).is_some() {
            key
        } else {
            "default".into()
        };
        if response["content"]
            .get("application/json")
            .and_then(|c| c.get("schema"))
            .is_none()
        {
            return Ok(());
        }
        let pointer = format!(
            "#/paths/{}/{method}/responses/{which}/content/application~1json/schema",
            escape_pointer(&template)
        );
        self.validate(&pointer, body)
    }

    /// The documented path template that matches `path` best (most literal segments).
    fn path_template(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        paths
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') && part.ends_with('}') {
                        if segment.is_empty() {
                            return None;
                        }
                    } else if part == segment {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, template.clone()))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, template)| template)
    }

    /// Validates a body against the schema at `pointer` in the document.
    fn validate(&self, pointer: &str, body: &str) -> Result<(), String> {
        let instance: Value =
            serde_json::from_str(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let validator = self.validator(pointer)?;
        let problems: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("at {}: {}", e.instance_path(), clip(&e.to_string())))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("against {pointer}: {}", problems.join("; ")))
        }
    }

    fn validator(&self, pointer: &str) -> Result<Arc<Validator>, String> {
        let mut cache = self.validators.lock().map_err(|e| e.to_string())?;
        if let Some(v) = cache.get(pointer) {
            return Ok(Arc::clone(v));
        }
        let mut root = self.doc.clone();
        if let Some(object) = root.as_object_mut() {
            object.insert("$ref".into(), Value::String(pointer.into()));
        }
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .build(&root)
            .map_err(|e| format!("the schema at {pointer} does not compile: {e}"))?;
        let validator = Arc::new(validator);
        cache.insert(pointer.into(), Arc::clone(&validator));
        Ok(validator)
    }
}

/// One reference token of a JSON pointer inside a URI fragment: `~` → `~0`, `/` → `~1`,
/// and the braces of path templates percent-encoded (they may not appear in a URI).
fn escape_pointer(token: &str) -> String {
    token
        .replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

/// Replaces each `allOf` of object schemas by one schema with their properties merged, so
/// that the objects can be closed (closing the parts of an `allOf` would refuse every
/// property of the other parts).
fn flatten_all_of(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    flatten_in(doc, &schemas);
}

fn flatten_in(value: &mut Value, schemas: &Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(parts)) = object.remove("allOf") {
                let mut properties = Map::new();
                let mut required: Vec<Value> = Vec::new();
                for part in &parts {
                    let part = resolve(part, schemas);
                    if let Some(p) = part["properties"].as_object() {
                        properties.extend(p.clone());
                    }
                    if let Some(r) = part["required"].as_array() {
                        required.extend(r.iter().cloned());
                    }
                }
                object.insert("type".into(), "object".into());
                object.insert("properties".into(), Value::Object(properties));
                object.insert("required".into(), Value::Array(required));
            }
            for child in object.values_mut() {
                flatten_in(child, schemas);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| flatten_in(i, schemas)),
        _ => {}
    }
}

/// Follows a `#/components/schemas/…` reference (one level).
fn resolve<'a>(schema: &'a Value, schemas: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => r
            .strip_prefix("#/components/schemas/")
            .and_then(|name| schemas.get(name))
            .unwrap_or(schema),
        None => schema,
    }
}

/// Adds `additionalProperties: false` to every schema that lists `properties` and says
/// nothing about others.
fn close_objects(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.get("properties").is_some_and(Value::is_object)
                && !object.contains_key("additionalProperties")
            {
                object.insert("additionalProperties".into(), Value::Bool(false));
            }
            object.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Contract {
        Contract::new(json!({
            "openapi": "3.1.0",
            "paths": {
                "/things/{id}": {"get": {"responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Both"}}}},
                    "404": {"description": "no", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
                }}},
                "/things/special": {"get": {"responses": {"204": {"description": "none"}}}}
            },
            "components": {"schemas": {
                "Base": {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}},
                "Both": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "properties": {"b": {"type": "string"}}}]},
                "ErrorBody": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
            }}
        }))
    }

    #[test]
    fn a_described_response_passes() {
        let c = sample();
        assert_eq!(
            c.check("GET", "/things/1", 200, r#"{"a":1,"b":"x"}"#),
            Ok(())
        );
        assert_eq!(c.check("GET", "/things/special", 204, ""), Ok(()));
        assert_eq!(c.check("GET", "/elsewhere", 500, "oops"), Ok(()));
    }

    #[test]
    fn an_undescribed_field_fails() {
        let err = sample()
            .check("GET", "/things/1", 200, r#"{"a":1,"extra":true}"#)
            .unwrap_err();
        assert!(err.contains("extra"), "{err}");
    }

    #[test]
    fn a_wrong_type_or_missing_field_fails() {
        let c = sample();
        assert!(c.check("GET", "/things/1", 200, r#"{"a":"1"}"#).is_err());
        assert!(c.check("GET", "/things/1", 200, r#"{"b":"x"}"#).is_err());
        assert!(c.check("GET", "/things/1", 200, "not json").is_err());
    }

    #[test]
    fn an_undocumented_status_or_method_fails() {
        let c = sample();
        let err = c.check("GET", "/things/1", 500, "{}").unwrap_err();
        assert!(err.contains("not documented"), "{err}");
        assert!(c.check("DELETE", "/things/1", 200, "{}").is_err());
        assert_eq!(
            c.check("DELETE", "/things/1", 405, r#"{"error":"x"}"#),
            Ok(())
        );
    }

    #[test]
    fn the_literal_path_wins_over_a_template() {
        let c = sample();
        assert_eq!(
            c.path_template("/things/special").as_deref(),
            Some("/things/special")
        );
        assert_eq!(
            c.path_template("/things/7").as_deref(),
            Some("/things/{id}")
        );
    }

    #[test]
    fn urls_split_into_port_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8787/api/v1/x?status=running"),
            Some((8787, "/api/v1/x".into()))
        );
        assert_eq!(split_url("http://127.0.0.1:80"), Some((80, "/".into())));
    }
}
