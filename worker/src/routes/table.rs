//! The route table: every endpoint once, with its method, path, access class, handler and
//! documentation. The dispatcher (`routes/mod.rs`) reads auth, rate limiting, CORS,
//! `Allow` and the 405 answers from it, and the OpenAPI document is generated from it
//! (`make openapi`), so no endpoint can differ from its neighbours or its description.

use super::doc::{Body, Doc, Query, QueryType, Reply, Tag};
use super::{Call, audience, edge, experiments, ops};
use crate::error::{ApiResult, ErrorCode};
use futures_util::future::LocalBoxFuture;
use worker::{Method, Response};

/// Who may call an endpoint, checked before its body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, not rate limited (liveness, documents).
    Open,
    /// Anyone, rate limited per client IP unless the request carries an edge or admin
    /// token; CORS from any origin (browsers call these).
    Public,
    /// `ADMIN_TOKEN`; CORS only from `ADMIN_ORIGINS`.
    Admin,
    /// `ADMIN_TOKEN` as a Bearer token or as the password of HTTP Basic (any user name):
    /// the ab-testing-service compatibility API's admin routes, whose clients use Basic.
    AdminOrBasic,
    /// `ADMIN_TOKEN` or `SNAPSHOT_TOKEN` (edges, the Envoy filter).
    Edge,
    /// `METRICS_TOKEN` or `ADMIN_TOKEN`, unless `METRICS_PUBLIC=true`.
    Metrics,
}

impl Access {
    /// Whether browsers on other origins may call it (any origin), as opposed to only the
    /// configured `ADMIN_ORIGINS`.
    pub fn any_origin(self) -> bool {
        matches!(self, Self::Open | Self::Public)
    }

    /// Whether it needs a bearer token.
    pub fn needs_token(self) -> bool {
        matches!(
            self,
            Self::Admin | Self::AdminOrBasic | Self::Edge | Self::Metrics
        )
    }
}

/// A handler: the call in, a response (or an API error) out.
pub type Handler = fn(Call) -> LocalBoxFuture<'static, ApiResult<Response>>;

/// One endpoint.
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path pattern (`:name` segments are parameters).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// What answers it.
    pub handler: Handler,
    /// What the OpenAPI document says about it.
    pub doc: Doc,
}

use Access::{Admin, Edge, Metrics, Open, Public};
use ErrorCode::{
    Conflict, EditConflict, IllegalTransition, LayerOverlap, MetricNotFinite, NotAssigned,
    NotFound, PreconditionFailed, ReadOnly, SnapshotUnavailable, StorageUnavailable,
    TrafficDecrease, ValidationFailed, VariantsLocked,
};
use Method::{Delete, Get, Post, Put};

/// The route of a lifecycle action (`POST .../<action>`, admin, answers the experiment).
macro_rules! lifecycle {
    ($path:literal, $id:literal, $summary:literal, $handler:path) => {
        lifecycle!(
            $path,
            $id,
            $summary,
            $handler,
            &[
                NotFound,
                IllegalTransition,
                EditConflict,
                PreconditionFailed,
                StorageUnavailable,
            ]
        )
    };
    ($path:literal, $id:literal, $summary:literal, $handler:path, $errors:expr) => {
        Route {
            method: Post,
            path: $path,
            access: Admin,
            handler: |c| Box::pin($handler(c)),
            doc: Doc {
                id: $id,
                summary: $summary,
                tag: Tag::Experiments,
                body: Body::None,
                reply: Reply::Versioned(200),
                errors: $errors,
                query: &[],
            },
        }
    };
}

/// The errors of a lifecycle action that puts an experiment live (its layer range must be free).
const GOING_LIVE: &[ErrorCode] = &[
    NotFound,
    IllegalTransition,
    LayerOverlap,
    EditConflict,
    PreconditionFailed,
    StorageUnavailable,
];

mod catalog;
mod compat;
mod data;
mod integrations;
mod ofrep;
pub use catalog::{AUDIENCE_ROUTES, HOLDOUT_RESULTS_ROUTES};
pub use compat::COMPAT_ROUTES;
pub use data::DATA_ROUTES;
pub use integrations::INTEGRATION_ROUTES;
pub use ofrep::OFREP_ROUTES;

const STATS_QUERY: &[Query] = &[
    Query {
        name: "metric",
        kind: QueryType::String,
        description: "Metric to analyse (default: the primary one, else `conversion`)",
    },
    Query {
        name: "alpha",
        kind: QueryType::NumberFrom(1e-12, 0.5),
        description: "Significance level for this view (default: the experiment's)",
    },
    Query {
        name: "correction",
        kind: QueryType::OneOf(&["none", "holm", "bh"]),
        description: "Multiple-testing correction for this view (default: holm)",
    },
    Query {
        name: "metric_type",
        kind: QueryType::OneOf(&["binary", "continuous"]),
        description: "How to read the metric (default: binary)",
    },
    Query {
        name: "dimension",
        kind: QueryType::String,
        description: "A stored context attribute (dot path) to break results down by: the 5 largest values, `(none)` and `other`, corrected across all segments",
    },
];
const STATUS_QUERY: &[Query] = &[Query {
    name: "status",
    kind: QueryType::OneOf(&[
        "draft",
        "running",
        "active",
        "paused",
        "stopped",
        "completed",
        "archived",
    ]),
    description: "Only experiments of this status (`active` = running, `completed` = stopped)",
}];

/// The experiment, data-plane, operations and compatibility endpoints.
pub static ROUTES_CORE: [Route; 25] = [
    Route {
        method: Get,
        path: "/ping",
        access: Open,
        handler: |c| Box::pin(ops::ping(c)),
        doc: Doc {
            id: "ping",
            summary: "Liveness without I/O",
            tag: Tag::Operations,
            body: Body::None,
            reply: Reply::Text("text/plain"),
            errors: &[],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/health",
        access: Open,
        handler: |c| Box::pin(ops::health(c)),
        doc: Doc {
            id: "health",
            summary: "D1 and KV checks (503 with the same body when degraded)",
            tag: Tag::Operations,
            body: Body::None,
            reply: Reply::Health("Health"),
            errors: &[],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/metrics",
        access: Metrics,
        handler: |c| Box::pin(ops::metrics(c)),
        doc: Doc {
            id: "metrics",
            summary: "Prometheus text: the v1 API's six metrics, p-values, progress, wasm memory",
            tag: Tag::Operations,
            body: Body::None,
            reply: Reply::Text("text/plain; version=0.0.4; charset=utf-8"),
            errors: &[StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/openapi.json",
        access: Open,
        handler: |c| Box::pin(ops::openapi(c)),
        doc: Doc {
            id: "openapi",
            summary: "This document",
            tag: Tag::Operations,
            body: Body::None,
            reply: Reply::OpenApi,
            errors: &[],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/api/v1/analyze",
        access: Public,
        handler: |c| Box::pin(ops::analyze(c)),
        doc: Doc {
            id: "analyze",
            summary: "Analyse given counts or summaries (stateless)",
            tag: Tag::Analysis,
            body: Body::Json("AnalyzeRequest"),
            reply: Reply::Json(200, "Report"),
            errors: &[ValidationFailed],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/api/v1/sample-size",
        access: Public,
        handler: |c| Box::pin(ops::sample_size(c)),
        doc: Doc {
            id: "sampleSize",
            summary: "Users needed per variant (stateless)",
            tag: Tag::Analysis,
            body: Body::Json("SampleSizeRequest"),
            reply: Reply::Json(200, "SampleSizeResponse"),
            errors: &[ValidationFailed],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/api/v1/experiments",
        access: Admin,
        handler: |c| Box::pin(experiments::list(c)),
        doc: Doc {
            id: "listExperiments",
            summary: "All experiments, newest first",
            tag: Tag::Experiments,
            body: Body::None,
            reply: Reply::List("Experiment"),
            errors: &[ValidationFailed, StorageUnavailable],
            query: STATUS_QUERY,
        },
    },
    Route {
        method: Post,
        path: "/api/v1/experiments",
        access: Admin,
        handler: |c| Box::pin(experiments::create(c)),
        doc: Doc {
            id: "createExperiment",
            summary: "Create a draft (the key defaults to the name's slug)",
            tag: Tag::Experiments,
            body: Body::Json("ExperimentInput"),
            reply: Reply::Versioned(201),
            errors: &[ValidationFailed, Conflict, StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/api/v1/progress",
        access: Admin,
        handler: |c| Box::pin(experiments::progress(c)),
        doc: Doc {
            id: "progress",
            summary: "Users and sample-size progress of every experiment",
            tag: Tag::Experiments,
            body: Body::None,
            reply: Reply::List("ExperimentProgress"),
            errors: &[StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/api/v1/experiments/:id",
        access: Admin,
        handler: |c| Box::pin(experiments::get(c)),
        doc: Doc {
            id: "getExperiment",
            summary: "One experiment, with its revision as ETag",
            tag: Tag::Experiments,
            body: Body::None,
            reply: Reply::Versioned(200),
            errors: &[NotFound, StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Put,
        path: "/api/v1/experiments/:id",
        access: Admin,
        handler: |c| Box::pin(experiments::update(c)),
        doc: Doc {
            id: "updateExperiment",
            summary: "Change the fields given (honours If-Match)",
            tag: Tag::Experiments,
            body: Body::Json("ExperimentPatch"),
            reply: Reply::Versioned(200),
            errors: &[
                NotFound,
                ValidationFailed,
                Conflict,
                VariantsLocked,
                TrafficDecrease,
                LayerOverlap,
                ReadOnly,
                EditConflict,
                PreconditionFailed,
                StorageUnavailable,
            ],
            query: &[],
        },
    },
    Route {
        method: Delete,
        path: "/api/v1/experiments/:id",
        access: Admin,
        handler: |c| Box::pin(experiments::delete(c)),
        doc: Doc {
            id: "deleteExperiment",
            summary: "Delete an experiment that is not live, with its data",
            tag: Tag::Experiments,
            body: Body::None,
            reply: Reply::Json(200, "Deleted"),
            errors: &[NotFound, IllegalTransition, StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/api/v1/experiments/:id/stats",
        access: Admin,
        handler: |c| Box::pin(experiments::stats(c)),
        doc: Doc {
            id: "experimentStats",
            summary: "The analysis report of one metric",
            tag: Tag::Experiments,
            body: Body::None,
            reply: Reply::Json(200, "StatsResponse"),
            errors: &[
                NotFound,
                ValidationFailed,
                MetricNotFinite,
                StorageUnavailable,
            ],
            query: STATS_QUERY,
        },
    },
    lifecycle!(
        "/api/v1/experiments/:id/start",
        "startExperiment",
        "Start a draft",
        experiments::start,
        GOING_LIVE
    ),
    lifecycle!(
        "/api/v1/experiments/:id/pause",
        "pauseExperiment",
        "Pause a running experiment",
        experiments::pause
    ),
    lifecycle!(
        "/api/v1/experiments/:id/resume",
        "resumeExperiment",
        "Resume a paused experiment",
        experiments::resume,
        GOING_LIVE
    ),
    lifecycle!(
        "/api/v1/experiments/:id/stop",
        "stopExperiment",
        "Stop for good",
        experiments::stop
    ),
    lifecycle!(
        "/api/v1/experiments/:id/archive",
        "archiveExperiment",
        "Archive a draft or a stopped experiment",
        experiments::archive
    ),
    Route {
        method: Post,
        path: "/api/v1/targeting/check",
        access: Admin,
        handler: |c| Box::pin(audience::check_targeting(c)),
        doc: Doc {
            id: "checkTargeting",
            summary: "Check a targeting condition as an experiment would (422 naming the place inside it)",
            tag: Tag::Audience,
            body: Body::Json("CheckRequest"),
            reply: Reply::Json(200, "CheckResponse"),
            errors: &[ValidationFailed],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/api/v1/experiments/:id/evaluate",
        access: Admin,
        handler: |c| Box::pin(audience::evaluate(c)),
        doc: Doc {
            id: "evaluateExperiment",
            summary: "Dry run: the decision for a unit and every check on the way (records nothing)",
            tag: Tag::Audience,
            body: Body::Json("EvaluateRequest"),
            reply: Reply::Json(200, "EvaluateResponse"),
            errors: &[NotFound, ValidationFailed, StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/api/v1/experiments/:id/assign",
        access: Public,
        handler: |c| Box::pin(edge::assign(c)),
        doc: Doc {
            id: "assign",
            summary: "The unit's variant (records its first exposure)",
            tag: Tag::Assignment,
            body: Body::JsonOrQuery("AssignRequest"),
            reply: Reply::Json(200, "AssignResponse"),
            errors: &[NotFound, ValidationFailed, StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/api/v1/experiments/:id/track",
        access: Public,
        handler: |c| Box::pin(edge::track(c)),
        doc: Doc {
            id: "track",
            summary: "Record an event of an exposed unit (idempotent by event_id)",
            tag: Tag::Assignment,
            body: Body::JsonOrQuery("TrackRequest"),
            reply: Reply::Json(200, "TrackResponse"),
            errors: &[NotFound, ValidationFailed, NotAssigned, StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/api/v1/events/batch",
        access: Public,
        handler: |c| Box::pin(edge::events_batch(c)),
        doc: Doc {
            id: "eventsBatch",
            summary: "Up to 1,000 events, one result each",
            tag: Tag::Assignment,
            body: Body::Json("EventsBody"),
            reply: Reply::Json(200, "BatchResponse"),
            errors: &[ValidationFailed, StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/api/v1/exposures/batch",
        access: Public,
        handler: |c| Box::pin(edge::exposures_batch(c)),
        doc: Doc {
            id: "exposuresBatch",
            summary: "Up to 1,000 exposures from an edge (forced ones need the edge token)",
            tag: Tag::Assignment,
            body: Body::Json("ExposuresBody"),
            reply: Reply::Json(200, "BatchResponse"),
            errors: &[ValidationFailed, StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/api/v1/snapshot",
        access: Edge,
        handler: |c| Box::pin(edge::snapshot(c)),
        doc: Doc {
            id: "snapshot",
            summary: "Running experiments for edges (ETag / If-None-Match)",
            tag: Tag::Operations,
            body: Body::None,
            reply: Reply::Json(200, "Snapshot"),
            errors: &[SnapshotUnavailable],
            query: &[],
        },
    },
];

/// Every endpoint the Worker serves, in document order (anything else falls through to the
/// edge proxy, the dashboard redirect or a JSON 404).
pub struct Routes;

/// The whole table.
pub static ROUTES: Routes = Routes;

impl Routes {
    /// Every route, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'static Route> {
        ROUTES_CORE
            .iter()
            .chain(AUDIENCE_ROUTES.iter().flatten())
            .chain(HOLDOUT_RESULTS_ROUTES.iter())
            .chain(DATA_ROUTES.iter())
            .chain(OFREP_ROUTES.iter())
            .chain(INTEGRATION_ROUTES.iter())
            .chain(COMPAT_ROUTES.iter())
    }

    /// The route at `index` of [`Routes::iter`].
    pub fn get(&self, index: usize) -> Option<&'static Route> {
        self.iter().nth(index)
    }
}
