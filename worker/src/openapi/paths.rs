//! The document's `paths`, from the route table: one operation per route, with the
//! responses its access class and body imply added to the ones it lists.

use crate::error::ErrorCode;
use crate::routes::doc::{Body, Doc, QueryType, Reply};
use crate::routes::table::{Access, ROUTES, Route};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// `/api/v1/experiments/:id` → `/api/v1/experiments/{id}`.
pub fn openapi_path(path: &str) -> String {
    path.split('/')
        .map(|s| {
            s.strip_prefix(':')
                .map_or(s.to_string(), |p| format!("{{{p}}}"))
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|s| s.strip_prefix(':'))
        .map(|name| {
            if path.starts_with("/api/v1/units/") || name == "subid" {
                // A unit id: the rules every unit id follows (percent-encoded in the path).
                return json!({"name": name, "in": "path", "required": true,
                    "description": "The unit (user) id",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 256,
                               "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"}});
            }
            let description = match name {
                "id" => "Experiment id or key",
                "key" => "The flag: an experiment's key (or id)",
                _ => "Experiment name, key or id",
            };
            json!({"name": name, "in": "path", "required": true, "description": description,
                   "schema": {"type": "string", "minLength": 1}})
        })
        .collect()
}

fn query_parameters(doc: &Doc) -> Vec<Value> {
    doc.query
        .iter()
        .map(|q| {
            let schema = match q.kind {
                QueryType::String => json!({"type": "string"}),
                QueryType::NumberFrom(min, max) => {
                    json!({"type": "number", "minimum": min, "exclusiveMaximum": max})
                }
                QueryType::OneOf(values) => json!({"type": "string", "enum": values}),
                QueryType::Integer(min, max) => {
                    json!({"type": "integer", "minimum": min, "maximum": max})
                }
            };
            json!({"name": q.name, "in": "query", "required": false, "description": q.description, "schema": schema})
        })
        .collect()
}

/// The error codes a route can answer: its own, and those of its access class and input.
fn error_codes(route: &Route) -> Vec<ErrorCode> {
    let mut codes: Vec<ErrorCode> = route.doc.errors.to_vec();
    if route.access.needs_token() {
        codes.extend([
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::AuthNotConfigured,
        ]);
    }
    if route.access == Access::Public {
        codes.push(ErrorCode::RateLimited);
    }
    if route.doc.body != Body::None {
        codes.extend([ErrorCode::InvalidRequest, ErrorCode::PayloadTooLarge]);
    }
    if !route.doc.query.is_empty() {
        codes.push(ErrorCode::InvalidRequest);
    }
    codes
}

fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn error_responses(route: &Route) -> BTreeMap<String, Value> {
    let mut by_status: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for code in error_codes(route) {
        let names = by_status.entry(code.status()).or_default();
        let name = code_name(code);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    by_status
        .into_iter()
        .map(|(status, codes)| {
            let body = if route.doc.tag == crate::routes::doc::Tag::Compatibility {
                "DetailErrorBody"
            } else {
                "ErrorBody"
            };
            let mut response = json!({
                "description": format!("Error ({})", codes.join(", ")),
                "content": json_content(schema_ref(body)),
            });
            if status == 429 {
                response["headers"] = json!({"Retry-After": {"description": "Seconds until the client's window resets", "schema": {"type": "integer"}}});
            }
            (status.to_string(), response)
        })
        .collect()
}

fn etag_header() -> Value {
    json!({"ETag": {"description": "The experiment's revision, \"v<version>\"", "schema": {"type": "string"}}})
}

fn success_responses(route: &Route) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    match route.doc.reply {
        Reply::Json(status, schema) => {
            out.insert(
                status.to_string(),
                json!({"description": "OK", "content": json_content(schema_ref(schema))}),
            );
        }
        Reply::Health(schema) => {
            let body = json_content(schema_ref(schema));
            out.insert(
                "200".into(),
                json!({"description": "Healthy", "content": body}),
            );
            out.insert(
                "503".into(),
                json!({"description": "Degraded: a dependency failed", "content": body}),
            );
        }
        Reply::List(schema) => {
            out.insert("200".into(), json!({"description": "OK", "content": json_content(json!({"type": "array", "items": schema_ref(schema)}))}));
        }
        Reply::Versioned(status) => {
            out.insert(status.to_string(), json!({"description": "The experiment", "headers": etag_header(), "content": json_content(schema_ref("Experiment")), "links": links()}));
        }
        Reply::Text(content_type) => {
            out.insert("200".into(), json!({"description": "OK", "content": {content_type: {"schema": {"type": "string"}}}}));
        }
        Reply::OpenApi => {
            let schema = json!({"type": "object", "description": "An OpenAPI 3.1 document", "required": ["openapi", "info", "paths"]});
            out.insert(
                "200".into(),
                json!({"description": "OK", "content": json_content(schema)}),
            );
        }
        Reply::Ofrep { bulk } => ofrep_responses(bulk, &mut out),
        Reply::Empty(status) => {
            out.insert(status.to_string(), json!({"description": "Done (no body)"}));
        }
        Reply::Polled(schema) => {
            out.insert("200".into(), json!({"description": "The answer",
                "headers": {"ETag": {"description": "A hash of this answer: send it as If-None-Match to poll", "schema": {"type": "string"}}},
                "content": json_content(schema_ref(schema))}));
            out.insert(
                "304".into(),
                json!({"description": "Not modified since the If-None-Match ETag (nothing recorded)"}),
            );
        }
        Reply::Redirect(location) => {
            out.insert("302".into(), json!({"description": format!("Found: {location}"),
                "headers": {"Location": {"description": "Where to go", "schema": {"type": "string"}}}}));
        }
    }
    if route.doc.id == "snapshot" {
        out.insert(
            "304".into(),
            json!({"description": "Not modified since the If-None-Match ETag"}),
        );
    }
    out
}

/// The protocol's answers: its success and failure shapes (a body Cleave could not read at
/// all is still Cleave's `invalid_request`, hence the `oneOf` at 400).
fn ofrep_responses(bulk: bool, out: &mut BTreeMap<String, Value>) {
    let failure = schema_ref("OfrepFailure");
    if bulk {
        out.insert("200".into(), json!({"description": "Every running experiment, evaluated",
            "headers": {"ETag": {"description": "A hash of this answer: send it as If-None-Match to poll", "schema": {"type": "string"}}},
            "content": json_content(schema_ref("OfrepBulk"))}));
        out.insert(
            "304".into(),
            json!({"description": "Not modified since the If-None-Match ETag (nothing recorded)"}),
        );
    } else {
        out.insert(
            "200".into(),
            json!({"description": "The flag, evaluated", "content": json_content(schema_ref("OfrepEvaluation"))}),
        );
        out.insert(
            "404".into(),
            json!({"description": "FLAG_NOT_FOUND: no experiment has this key", "content": json_content(failure.clone())}),
        );
    }
    out.insert(
        "400".into(),
        json!({"description": "PARSE_ERROR, TARGETING_KEY_MISSING or INVALID_CONTEXT",
        "content": json_content(json!({"oneOf": [failure.clone(), schema_ref("ErrorBody")]}))}),
    );
    out.insert(
        "500".into(),
        json!({"description": "GENERAL: the flag could not be evaluated", "content": json_content(failure)}),
    );
}

/// Stateful links from an experiment response to the operations on it.
fn links() -> Value {
    let mut links = Map::new();
    for r in ROUTES.iter().filter(|r| r.path.contains(":id")) {
        links.insert(
            r.doc.id.to_string(),
            json!({"operationId": r.doc.id, "parameters": {"id": "$response.body#/id"}}),
        );
    }
    Value::Object(links)
}

fn operation(route: &Route) -> Value {
    let doc = &route.doc;
    let mut parameters = query_parameters(doc);
    if matches!(doc.reply, Reply::Versioned(_))
        && route.method != worker::Method::Get
        && route.path.contains(":id")
    {
        parameters.push(
            json!({"name": "If-Match", "in": "header", "required": false,
            "description": "Write only if the experiment is still at this revision (412 otherwise)",
            "schema": {"type": "string"}}),
        );
    }
    if doc.id == "snapshot" {
        parameters.push(json!({"name": "If-None-Match", "in": "header", "required": false,
            "description": "The ETag of the snapshot held: 304 while it is current", "schema": {"type": "string"}}));
    }
    let polled = matches!(doc.reply, Reply::Ofrep { bulk: true } | Reply::Polled(_));
    if let Reply::Ofrep { .. } | Reply::Polled(_) = doc.reply {
        if polled {
            parameters.push(json!({"name": "If-None-Match", "in": "header", "required": false,
                "description": "The ETag of the answer held: 304 while it is current", "schema": {"type": "string"}}));
        }
        parameters.push(json!({"name": crate::routes::ofrep::RECORD_HEADER, "in": "header", "required": false,
            "description": "`false`: evaluate without recording the exposure (any other value, or none: recorded, as by /assign)",
            "schema": {"type": "string"}}));
    }
    let mut responses: BTreeMap<String, Value> = success_responses(route);
    for (status, response) in error_responses(route) {
        responses.entry(status).or_insert(response);
    }
    let security = if route.access == Access::AdminOrBasic {
        json!([{"bearerAuth": []}, {"basicAuth": []}])
    } else if route.access.needs_token() {
        json!([{"bearerAuth": []}])
    } else {
        json!([])
    };
    let mut op = json!({
        "operationId": doc.id,
        "summary": doc.summary,
        "tags": [doc.tag.name()],
        "security": security,
        "responses": responses,
    });
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    match doc.body {
        Body::None => {}
        Body::Json(schema) => {
            op["requestBody"] =
                json!({"required": true, "content": json_content(schema_ref(schema))});
        }
        Body::JsonOrQuery(schema) => {
            op["requestBody"] = json!({"required": true,
                "description": "Also accepted: an empty body with the same fields as query parameters (the form the APIs Cleave replaces used)",
                "content": json_content(schema_ref(schema))});
        }
    }
    op
}

/// Every path of the table, its operations in table order.
pub fn paths() -> Map<String, Value> {
    let mut out = Map::new();
    for route in ROUTES.iter() {
        let item = out
            .entry(openapi_path(route.path))
            .or_insert_with(|| json!({}));
        let params = path_parameters(route.path);
        if !params.is_empty() {
            item["parameters"] = Value::Array(params);
        }
        item[route.method.as_ref().to_ascii_lowercase()] = operation(route);
    }
    out
}
