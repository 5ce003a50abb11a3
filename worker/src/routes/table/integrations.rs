//! The routes of the Unleash integration: its admin status and refresh, and Unleash's
//! frontend API for Unleash's own SDKs (public and rate limited, like `/assign`).

use super::super::doc::{Body, Doc, Query, QueryType, Reply, Tag};
use super::super::{frontend, integrations};
use super::{Access, Route};
use crate::error::ErrorCode::{
    NotConfigured, SnapshotUnavailable, StorageUnavailable, ValidationFailed,
};
use worker::Method::{Get, Post};

const FRONTEND_QUERY: &[Query] = &[
    Query {
        name: "userId",
        kind: QueryType::String,
        description: "The unit (user); `sessionId` when absent (one of them is needed)",
    },
    Query {
        name: "sessionId",
        kind: QueryType::String,
        description: "The unit when there is no `userId`",
    },
    Query {
        name: "appName",
        kind: QueryType::String,
        description: "An attribute for targeting",
    },
    Query {
        name: "environment",
        kind: QueryType::String,
        description: "An attribute for targeting",
    },
    Query {
        name: "remoteAddress",
        kind: QueryType::String,
        description: "An attribute for targeting",
    },
];

/// `GET /api/v1/integrations`, `POST /api/v1/unleash/refresh`, `GET`/`POST /api/frontend` and
/// `POST /api/frontend/client/metrics`.
pub static INTEGRATION_ROUTES: [Route; 5] = [
    Route {
        method: Get,
        path: "/api/v1/integrations",
        access: Access::Admin,
        handler: |c| Box::pin(integrations::overview(c)),
        doc: Doc {
            id: "integrations",
            summary: "Unleash (configured?, how fetching goes, the toggles gates can name) and Plausible (configured?, events sent, failed, dropped)",
            tag: Tag::Integrations,
            body: Body::None,
            reply: Reply::Json(200, "Integrations"),
            errors: &[StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/api/v1/unleash/refresh",
        access: Access::Admin,
        handler: |c| Box::pin(integrations::refresh_now(c)),
        doc: Doc {
            id: "unleashRefresh",
            summary: "Unleash: fetch the client features now (the cron trigger does every minute); a failed fetch keeps the last good copy",
            tag: Tag::Integrations,
            body: Body::None,
            reply: Reply::Json(200, "UnleashStatus"),
            errors: &[NotConfigured],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/api/frontend",
        access: Access::Public,
        handler: |c| Box::pin(frontend::get(c)),
        doc: Doc {
            id: "unleashFrontendGet",
            summary: "Unleash's frontend API: the running experiments the unit is in, as enabled toggles (context as query parameters, `properties[name]=value` too); records the exposures",
            tag: Tag::Integrations,
            body: Body::None,
            reply: Reply::Polled("FrontendToggles"),
            errors: &[ValidationFailed, StorageUnavailable, SnapshotUnavailable],
            query: FRONTEND_QUERY,
        },
    },
    Route {
        method: Post,
        path: "/api/frontend",
        access: Access::Public,
        handler: |c| Box::pin(frontend::post(c)),
        doc: Doc {
            id: "unleashFrontendPost",
            summary: "Unleash's frontend API with the context in the body (`{\"context\": {...}}`)",
            tag: Tag::Integrations,
            body: Body::Json("FrontendRequest"),
            reply: Reply::Polled("FrontendToggles"),
            errors: &[ValidationFailed, StorageUnavailable, SnapshotUnavailable],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/api/frontend/client/metrics",
        access: Access::Public,
        handler: |c| Box::pin(frontend::metrics(c)),
        doc: Doc {
            id: "unleashFrontendMetrics",
            summary: "Unleash SDKs' usage counts: accepted (202) and not kept (Cleave counts exposures itself)",
            tag: Tag::Integrations,
            body: Body::Json("FrontendMetrics"),
            reply: Reply::Empty(202),
            errors: &[],
            query: &[],
        },
    },
];
