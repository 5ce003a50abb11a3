//! The routes of the ab-testing-service compatibility API (`/api/...`): its admin routes
//! take HTTP Basic (any user name, `ADMIN_TOKEN` as the password) as well as the bearer
//! token; assignment and event recording are public and rate limited, like `/assign`.
//! Their errors are `{"detail": …}` (see the dispatcher).

use super::super::compat;
use super::super::doc::{Body, Doc, Query, QueryType, Reply, Tag};
use super::{Access, Route, STATUS_QUERY};
use crate::error::ErrorCode::{
    Conflict, EditConflict, IllegalTransition, LayerOverlap, MetricNotFinite, NotAssigned,
    NotFound, PopulationFull, ReadOnly, StorageUnavailable, TrafficDecrease, ValidationFailed,
    VariantMismatch, VariantsLocked,
};
use worker::Method::{Delete, Get, Patch, Post};

/// A route of this API: its section, no query unless given.
macro_rules! compat_route {
    ($method:expr, $path:literal, $access:expr, $handler:path, $id:literal, $summary:literal,
     $body:expr, $reply:expr, $errors:expr) => {
        compat_route!(
            $method,
            $path,
            $access,
            $handler,
            $id,
            $summary,
            $body,
            $reply,
            $errors,
            &[]
        )
    };
    ($method:expr, $path:literal, $access:expr, $handler:path, $id:literal, $summary:literal,
     $body:expr, $reply:expr, $errors:expr, $query:expr) => {
        Route {
            method: $method,
            path: $path,
            access: $access,
            handler: |c| Box::pin($handler(c)),
            doc: Doc {
                id: $id,
                summary: $summary,
                tag: Tag::Compatibility,
                body: $body,
                reply: $reply,
                errors: $errors,
                query: $query,
            },
        }
    };
}

const EVENTS_QUERY: &[Query] = &[
    Query {
        name: "experiment_id",
        kind: QueryType::String,
        description: "Only this experiment's events (name, key or id); every experiment's otherwise",
    },
    Query {
        name: "event_type",
        kind: QueryType::String,
        description: "Only events of this name (`impression`, `conversion`, …)",
    },
    Query {
        name: "variant",
        kind: QueryType::String,
        description: "Only events of units in this variant",
    },
    Query {
        name: "subid",
        kind: QueryType::String,
        description: "Only this unit's events",
    },
    Query {
        name: "start_date",
        kind: QueryType::String,
        description: "From this time on: ISO 8601 (`2026-12-07T12:00:00Z`), a date (`2026-12-07`) or ms since the epoch",
    },
    Query {
        name: "end_date",
        kind: QueryType::String,
        description: "Up to this time (a bare date includes the whole day)",
    },
    Query {
        name: "limit",
        kind: QueryType::Integer(1, 1000),
        description: "At most this many events, oldest first (default 100, at most 1000)",
    },
];

/// Every route of the ab-testing-service compatibility API.
pub static COMPAT_ROUTES: [Route; 17] = [
    compat_route!(
        Get,
        "/api/health",
        Access::Open,
        compat::health,
        "compatHealth",
        "The health checks in the ab-testing-service's shape (`healthy` / `unhealthy`; 503 when unhealthy)",
        Body::None,
        Reply::Health("CompatHealth"),
        &[]
    ),
    compat_route!(
        Get,
        "/api/docs",
        Access::Open,
        compat::docs,
        "compatDocs",
        "The API reference (redirects to /docs/, at this section)",
        Body::None,
        Reply::Redirect("/docs/#/compatibility"),
        &[]
    ),
    compat_route!(
        Get,
        "/api/experiments",
        Access::AdminOrBasic,
        compat::list,
        "compatListExperiments",
        "ab-testing-service: every experiment, or those of one status (`active`, `paused`, …)",
        Body::None,
        Reply::List("AbExperiment"),
        &[ValidationFailed, StorageUnavailable],
        STATUS_QUERY
    ),
    compat_route!(
        Post,
        "/api/experiments",
        Access::AdminOrBasic,
        compat::create,
        "compatCreateExperiment",
        "ab-testing-service: create (absolute MDE by default; `\"status\": \"active\"` starts it)",
        Body::Json("AbTestingServiceExperiment"),
        Reply::Json(201, "AbExperiment"),
        &[ValidationFailed, Conflict, LayerOverlap, StorageUnavailable]
    ),
    compat_route!(
        Get,
        "/api/experiments/:name",
        Access::AdminOrBasic,
        compat::get,
        "compatGetExperiment",
        "ab-testing-service: one experiment by name, key or id",
        Body::None,
        Reply::Json(200, "AbExperiment"),
        &[NotFound, ValidationFailed, StorageUnavailable]
    ),
    compat_route!(
        Patch,
        "/api/experiments/:name",
        Access::AdminOrBasic,
        compat::patch,
        "compatPatchExperiment",
        "ab-testing-service: change the fields given (its names); a `status` given moves it there",
        Body::Json("AbTestingServicePatch"),
        Reply::Json(200, "AbExperiment"),
        &[
            NotFound,
            ValidationFailed,
            Conflict,
            IllegalTransition,
            VariantsLocked,
            TrafficDecrease,
            ReadOnly,
            EditConflict,
            LayerOverlap,
            StorageUnavailable
        ]
    ),
    compat_route!(
        Delete,
        "/api/experiments/:name",
        Access::AdminOrBasic,
        compat::delete,
        "compatDeleteExperiment",
        "ab-testing-service: delete (204; a running or paused experiment must be completed first)",
        Body::None,
        Reply::Empty(204),
        &[
            NotFound,
            ValidationFailed,
            IllegalTransition,
            StorageUnavailable
        ]
    ),
    compat_route!(
        Post,
        "/api/experiments/:name/status",
        Access::AdminOrBasic,
        compat::status,
        "compatSetStatus",
        "ab-testing-service: set the status (active = running, completed = stopped; the same status again changes nothing)",
        Body::Json("StatusRequest"),
        Reply::Json(200, "AbExperiment"),
        &[
            NotFound,
            ValidationFailed,
            IllegalTransition,
            LayerOverlap,
            EditConflict,
            StorageUnavailable
        ]
    ),
    compat_route!(
        Get,
        "/api/experiments/:name/stats",
        Access::AdminOrBasic,
        compat::stats,
        "compatStats",
        "ab-testing-service: counts and the analysis of conversions, per user",
        Body::None,
        Reply::Json(200, "AbStats"),
        &[
            NotFound,
            ValidationFailed,
            MetricNotFinite,
            StorageUnavailable
        ]
    ),
    compat_route!(
        Post,
        "/api/assignments/get",
        Access::Public,
        compat::assignment,
        "compatAssignment",
        "ab-testing-service: the unit's variant (assigned and recorded, as /assign)",
        Body::JsonOrQuery("SubjectRequest"),
        Reply::Json(200, "AbAssignment"),
        &[
            NotFound,
            ValidationFailed,
            PopulationFull,
            StorageUnavailable
        ]
    ),
    compat_route!(
        Post,
        "/api/assignments/bulk",
        Access::Public,
        compat::bulk,
        "compatBulkAssignments",
        "ab-testing-service: the unit's variants in several experiments, by experiment",
        Body::Json("BulkRequest"),
        Reply::Json(200, "AbAssignments"),
        &[
            NotFound,
            ValidationFailed,
            PopulationFull,
            StorageUnavailable
        ]
    ),
    compat_route!(
        Get,
        "/api/assignments/user/:subid",
        Access::AdminOrBasic,
        compat::user_assignments,
        "compatUserAssignments",
        "ab-testing-service: every experiment the unit was exposed to",
        Body::None,
        Reply::List("AbAssignment"),
        &[ValidationFailed, StorageUnavailable]
    ),
    compat_route!(
        Get,
        "/api/assignments/:subid/:experiment_id",
        Access::Public,
        compat::lookup,
        "compatLookupAssignment",
        "ab-testing-service: the unit's recorded assignment in one experiment (404 if none; never assigns)",
        Body::None,
        Reply::Json(200, "AbAssignment"),
        &[NotFound, ValidationFailed, StorageUnavailable]
    ),
    compat_route!(
        Post,
        "/api/events",
        Access::Public,
        compat::event,
        "compatTrackEvent",
        "ab-testing-service: record an event (`impression` also records the exposure); 202",
        Body::Json("AbEventRequest"),
        Reply::Json(202, "AbEvent"),
        &[
            NotFound,
            ValidationFailed,
            NotAssigned,
            VariantMismatch,
            PopulationFull,
            StorageUnavailable
        ]
    ),
    compat_route!(
        Get,
        "/api/events",
        Access::AdminOrBasic,
        compat::events,
        "compatListEvents",
        "ab-testing-service: stored events, oldest first, filtered",
        Body::None,
        Reply::List("AbEvent"),
        &[NotFound, ValidationFailed, StorageUnavailable],
        EVENTS_QUERY
    ),
    compat_route!(
        Post,
        "/api/events/impression",
        Access::Public,
        compat::impression,
        "compatImpression",
        "ab-testing-service: an impression (the exposure and an `impression` event); 202",
        Body::JsonOrQuery("SubjectRequest"),
        Reply::Json(202, "AbEvent"),
        &[
            NotFound,
            ValidationFailed,
            NotAssigned,
            PopulationFull,
            StorageUnavailable
        ]
    ),
    compat_route!(
        Post,
        "/api/events/conversion",
        Access::Public,
        compat::conversion,
        "compatConversion",
        "ab-testing-service: a conversion (a `conversion` event of an exposed unit); 202",
        Body::JsonOrQuery("SubjectRequest"),
        Reply::Json(202, "AbEvent"),
        &[NotFound, ValidationFailed, NotAssigned, StorageUnavailable]
    ),
];
