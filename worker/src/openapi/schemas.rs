//! The document's component schemas: every type that derives `ToSchema`, plus the request
//! bodies derived from the experiment's schema (create, the patch of `PUT`, the
//! ab-testing-service create body), so that none is written by hand. `Experiment` itself
//! describes what the API returns (every field it always sends is required).

use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// Adds `T` and every schema it refers to.
fn add<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
}

/// Every component schema, by name, as JSON (sorted by name).
pub fn components() -> Map<String, Value> {
    use crate::service::{assign, batch, calculators, progress, snapshot, stats, track};
    use cleave_core::analysis::{Comparison, Report, SrmReport, VariantReport};
    let mut all = Vec::new();
    add::<cleave_core::model::Experiment>(&mut all);
    add::<Report>(&mut all);
    add::<VariantReport>(&mut all);
    add::<Comparison>(&mut all);
    add::<SrmReport>(&mut all);
    add::<cleave_core::model::FieldError>(&mut all);
    add::<assign::AssignRequest>(&mut all);
    add::<assign::AssignResponse>(&mut all);
    add::<track::TrackRequest>(&mut all);
    add::<track::TrackResponse>(&mut all);
    add::<batch::EventsBody>(&mut all);
    add::<batch::ExposuresBody>(&mut all);
    add::<batch::BatchResponse>(&mut all);
    add::<calculators::AnalyzeRequest>(&mut all);
    add::<calculators::SampleSizeRequest>(&mut all);
    add::<calculators::SampleSizeResponse>(&mut all);
    add::<stats::StatsResponse>(&mut all);
    add::<stats::Segments>(&mut all);
    add::<stats::SegmentReport>(&mut all);
    add::<snapshot::Snapshot>(&mut all);
    add::<progress::ExperimentProgress>(&mut all);
    add::<crate::health::Health>(&mut all);
    add::<crate::health::CompatHealth>(&mut all);
    add::<crate::error::ErrorBody>(&mut all);
    add::<crate::error::DetailErrorBody>(&mut all);
    add::<crate::service::compat::AbExperiment>(&mut all);
    add::<crate::service::compat::AbStats>(&mut all);
    add::<crate::service::compat::stats::AbAnalysis>(&mut all);
    add::<crate::service::compat::stats::AbCounts>(&mut all);
    add::<crate::service::compat::stats::AbVariantStats>(&mut all);
    add::<crate::service::compat::stats::AbComparison>(&mut all);
    add::<crate::service::compat::AbAssignment>(&mut all);
    add::<crate::service::compat::BulkRequest>(&mut all);
    add::<crate::service::compat::AbEventRequest>(&mut all);
    add::<crate::service::compat::AbEvent>(&mut all);
    add::<crate::unleash::UnleashStatus>(&mut all);
    add::<crate::routes::Integrations>(&mut all);
    add::<crate::service::frontend::FrontendToggles>(&mut all);
    add::<crate::routes::Deleted>(&mut all);
    add::<crate::routes::StatusRequest>(&mut all);
    add::<crate::service::compat::assignments::SubjectRequest>(&mut all);
    add::<cleave_core::model::Holdout>(&mut all);
    add::<cleave_core::model::SavedGroup>(&mut all);
    add::<crate::service::evaluate::EvaluateRequest>(&mut all);
    add::<crate::service::evaluate::EvaluateResponse>(&mut all);
    add::<crate::service::evaluate::CheckRequest>(&mut all);
    add::<crate::service::evaluate::CheckResponse>(&mut all);
    add::<crate::service::holdout_results::HoldoutResults>(&mut all);
    add::<crate::service::units::UnitDeleted>(&mut all);
    add::<crate::shard::protocol::UnitRow>(&mut all);
    add::<crate::store::UpgradeProgress>(&mut all);
    add::<crate::service::ofrep::OfrepRequest>(&mut all);
    add::<crate::service::ofrep::OfrepContext>(&mut all);
    add::<crate::service::ofrep::OfrepEvaluation>(&mut all);
    add::<crate::service::ofrep::OfrepFailure>(&mut all);
    add::<crate::service::ofrep::OfrepBulk>(&mut all);
    let mut out = Map::new();
    for (name, schema) in all {
        if let Ok(json) = serde_json::to_value(&schema) {
            out.insert(name, json);
        }
    }
    let track = out.get("TrackRequest").cloned().unwrap_or(Value::Null);
    for (name, extra) in [("BatchEvent", Some(&track)), ("BatchExposure", None)] {
        if let Some(schema) = out.get_mut(name) {
            *schema = checked_per_item(schema, extra);
        }
    }
    refine(&mut out);
    if let Some(experiment) = out.get("Experiment").cloned() {
        out.insert("ExperimentInput".into(), input_of(&experiment));
        out.insert("ExperimentPatch".into(), patch_of(&experiment));
        out.insert(
            "AbTestingServiceExperiment".into(),
            ab_testing_service_create(&experiment),
        );
        out.insert(
            "AbTestingServicePatch".into(),
            ab_testing_service_patch(&experiment),
        );
    }
    out.insert(
        "FrontendRequest".into(),
        json!({"type": "object", "description": "Unleash's context, as its SDKs send it; the unit is `userId`, else `sessionId`.",
               "required": ["context"],
               "properties": {"context": {"type": "object",
                   "anyOf": [{"required": ["userId"]}, {"required": ["sessionId"]}],
                   "properties": {
                       "userId": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"},
                       "sessionId": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"},
                       "appName": {"type": "string"}, "environment": {"type": "string"},
                       "remoteAddress": {"type": "string"}, "currentTime": {"type": "string"},
                       "properties": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Attributes for targeting: with the other fields at most 50 keys and 8 KB (422 beyond)"}}}}}),
    );
    out.insert(
        "FrontendMetrics".into(),
        json!({"type": "object", "description": "Unleash SDKs' usage counts (accepted, not kept)."}),
    );
    out.insert(
        "AbAssignments".into(),
        json!({"type": "object", "description": "The unit's assignment per experiment, keyed as the request named them.",
               "additionalProperties": {"$ref": "#/components/schemas/AbAssignment"}}),
    );
    for name in ["Holdout", "SavedGroup"] {
        if let Some(schema) = out.get(name).cloned() {
            out.insert(format!("{name}Input"), named_by_path(&schema));
        }
    }
    out
}

/// The body of `PUT /<catalog>/{name}`: the entry without `name`, which the path gives (a
/// `name` in the body must equal it).
fn named_by_path(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Some(props) = s["properties"].as_object_mut() {
        props.remove("name");
    }
    if let Some(required) = s["required"].as_array_mut() {
        required.retain(|r| r != "name");
    }
    s["description"] = json!(format!(
        "{} The path names it.",
        schema["description"].as_str().unwrap_or_default()
    ));
    s
}

/// The experiment's properties a client may send (the read-only ones left out).
fn writable(experiment: &Value) -> Map<String, Value> {
    experiment["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .filter(|(_, p)| p["readOnly"] != json!(true))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields a create body must carry: the only ones without a default (`Experiment`'s
/// `name` and `variants`, which validation requires too).
const INPUT_REQUIRED: [&str; 2] = ["name", "variants"];

/// `POST /api/v1/experiments`: the writable fields, `name` and `variants` required.
fn input_of(experiment: &Value) -> Value {
    json!({
        "type": "object",
        "description": "A new experiment (a draft): the fields a client may set; the others are the server's.",
        "required": INPUT_REQUIRED,
        "properties": writable(experiment),
    })
}

/// `PUT /api/v1/experiments/{id}`: any writable field (only those given change), plus
/// `new_phase`.
fn patch_of(experiment: &Value) -> Value {
    let mut props = writable(experiment);
    props.insert(
        "new_phase".into(),
        json!({"type": "boolean", "description": "Re-draw everyone with a new salt; needed to change the split, the salt or lower the traffic while live"}),
    );
    json!({
        "type": "object",
        "description": "The fields to change; the others keep their values.",
        "properties": props,
    })
}

/// The ab-testing-service API's own field names, as its create and patch bodies take them.
fn ab_testing_service_fields(experiment: &Value) -> Map<String, Value> {
    let mut props = writable(experiment);
    props.insert(
        "name".into(),
        json!({"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[a-zA-Z0-9_-]+$",
               "description": "Its experiment names: letters, digits, `_` and `-`"}),
    );
    props.insert(
        "confidence_level".into(),
        json!({"type": "number", "minimum": 0.8, "maximum": 0.99, "description": "1 − significance_level"}),
    );
    props.insert(
        "min_sample_size_per_group".into(),
        json!({"type": "integer", "minimum": 1, "description": "target_sample_size / variants"}),
    );
    props
}

/// `POST /api/experiments`: the experiment's writable fields plus the ab-testing-service
/// API's own names.
fn ab_testing_service_create(experiment: &Value) -> Value {
    let mut props = ab_testing_service_fields(experiment);
    props.insert(
        "status".into(),
        json!({"type": "string", "enum": ["draft", "active", "running"], "description": "`draft` (the default), or `active` (= `running`): created and started in one call"}),
    );
    json!({
        "type": "object",
        "description": "An experiment in the ab-testing-service API's terms (min_detectable_effect is absolute unless mde_type says otherwise; a total_population without shards gets one shard).",
        "required": INPUT_REQUIRED,
        "properties": props,
    })
}

/// `PATCH /api/experiments/{name}`: any of those fields, and a status to move to.
fn ab_testing_service_patch(experiment: &Value) -> Value {
    let mut props = ab_testing_service_fields(experiment);
    props.insert(
        "status".into(),
        json!({"type": "string", "enum": ["draft", "active", "running", "paused", "completed", "stopped", "archived"],
               "description": "Moves the experiment there after the other changes"}),
    );
    props.insert(
        "new_phase".into(),
        json!({"type": "boolean", "description": "Re-draw everyone with a new salt; needed to change the split while live"}),
    );
    json!({
        "type": "object",
        "description": "The fields to change, in the ab-testing-service API's terms; the others keep their values.",
        "properties": props,
    })
}

/// Validation keywords a batch item's fields do not carry in the document: items are
/// checked one by one and a bad one is a `rejected` result, not a failed request.
const ITEM_RULES: [&str; 7] = [
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
];

/// A batch item's schema with `extra`'s properties merged in (a flattened struct) and the
/// per-field rules dropped.
fn checked_per_item(schema: &Value, extra: Option<&Value>) -> Value {
    let mut props = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let parts = schema["allOf"].as_array().cloned().unwrap_or_default();
    for part in parts.iter().chain([schema]).chain(extra) {
        if let Some(p) = part["properties"].as_object() {
            for (k, v) in p {
                let mut v = v.clone();
                if let Some(field) = v.as_object_mut() {
                    for rule in ITEM_RULES {
                        field.remove(rule);
                    }
                }
                props.insert(k.clone(), v);
            }
        }
        if let Some(r) = part["required"].as_array() {
            required.extend(r.iter().cloned());
        }
    }
    json!({
        "type": "object",
        "description": format!("{} Each item is checked on its own (the same rules as the single-item endpoint); one that fails is a `rejected` result with its error, not a failed request.", schema["description"].as_str().unwrap_or_default()),
        "required": required,
        "properties": props,
    })
}

/// Rules JSON Schema can state that the derives cannot: a non-zero effect, which fields of
/// an `/analyze` variant the metric type needs, `context` or its synonym `attributes` (not
/// both), and what a saved group's values may be.
fn refine(out: &mut Map<String, Value>) {
    for name in ["AssignRequest", "EvaluateRequest", "BatchExposure"] {
        if let Some(schema) = out.get_mut(name) {
            // Both sent as objects is refused (400); a null one counts as not sent.
            schema["not"] = json!({
                "required": ["context", "attributes"],
                "properties": {"context": {"type": "object"}, "attributes": {"type": "object"}}
            });
        }
    }
    if let Some(values) = out
        .get_mut("SavedGroup")
        .and_then(|s| s["properties"].get_mut("values"))
    {
        values["items"] = json!({"type": ["string", "number"], "maxLength": 256});
    }
    let nonzero = json!({"const": 0});
    if let Some(mde) = out
        .get_mut("SampleSizeRequest")
        .and_then(|s| s["properties"].get_mut("mde"))
    {
        mde["not"] = nonzero.clone();
    }
    if let Some(mde) = out
        .get_mut("Experiment")
        .and_then(|s| s["properties"].get_mut("min_detectable_effect"))
    {
        mde["not"] = nonzero;
    }
    if let Some(analyze) = out.get_mut("AnalyzeRequest") {
        let needs =
            |fields: &[&str]| json!({"properties": {"variants": {"items": {"required": fields}}}});
        analyze["if"] = json!({"properties": {"metric_type": {"const": "continuous"}}, "required": ["metric_type"]});
        analyze["then"] = needs(&["mean", "variance"]);
        analyze["else"] = needs(&["conversions"]);
    }
}
