//! The routes of the named catalogs (holdouts and saved groups): four each, alike but for
//! names, schemas and handlers.

use super::super::audience;
use super::super::doc::{Body, Doc, Query, QueryType, Reply, Tag};
use super::{Access::Admin, Route};
use crate::error::ErrorCode::{
    InUse, MetricNotFinite, NotFound, StorageUnavailable, ValidationFailed,
};
use worker::Method::{Delete, Get, Put};

/// The four routes of a named catalog (holdouts, saved groups).
macro_rules! catalog {
    ($list:literal, $one:literal, $schema:literal, $input:literal, $noun:literal,
     [$list_id:literal, $get_id:literal, $put_id:literal, $delete_id:literal],
     [$list_h:path, $get_h:path, $put_h:path, $delete_h:path]) => {
        [
            Route {
                method: Get,
                path: $list,
                access: Admin,
                handler: |c| Box::pin($list_h(c)),
                doc: Doc {
                    id: $list_id,
                    summary: concat!("Every ", $noun, ", by name"),
                    tag: Tag::Audience,
                    body: Body::None,
                    reply: Reply::List($schema),
                    errors: &[StorageUnavailable],
                    query: &[],
                },
            },
            Route {
                method: Get,
                path: $one,
                access: Admin,
                handler: |c| Box::pin($get_h(c)),
                doc: Doc {
                    id: $get_id,
                    summary: concat!("One ", $noun),
                    tag: Tag::Audience,
                    body: Body::None,
                    reply: Reply::Json(200, $schema),
                    errors: &[NotFound, StorageUnavailable],
                    query: &[],
                },
            },
            Route {
                method: Put,
                path: $one,
                access: Admin,
                handler: |c| Box::pin($put_h(c)),
                doc: Doc {
                    id: $put_id,
                    summary: concat!("Create or replace a ", $noun, " (the path names it)"),
                    tag: Tag::Audience,
                    body: Body::Json($input),
                    reply: Reply::Json(200, $schema),
                    errors: &[ValidationFailed, StorageUnavailable],
                    query: &[],
                },
            },
            Route {
                method: Delete,
                path: $one,
                access: Admin,
                handler: |c| Box::pin($delete_h(c)),
                doc: Doc {
                    id: $delete_id,
                    summary: concat!("Delete a ", $noun, " no experiment uses"),
                    tag: Tag::Audience,
                    body: Body::None,
                    reply: Reply::Json(200, $schema),
                    errors: &[NotFound, InUse, StorageUnavailable],
                    query: &[],
                },
            },
        ]
    };
}

/// Holdouts and saved groups.
pub static AUDIENCE_ROUTES: [[Route; 4]; 2] = [
    catalog!(
        "/api/v1/holdouts",
        "/api/v1/holdouts/:name",
        "Holdout",
        "HoldoutInput",
        "holdout",
        ["listHoldouts", "getHoldout", "putHoldout", "deleteHoldout"],
        [
            audience::list_holdouts,
            audience::get_holdout,
            audience::put_holdout,
            audience::delete_holdout
        ]
    ),
    catalog!(
        "/api/v1/groups",
        "/api/v1/groups/:name",
        "SavedGroup",
        "SavedGroupInput",
        "saved group",
        ["listGroups", "getGroup", "putGroup", "deleteGroup"],
        [
            audience::list_groups,
            audience::get_group,
            audience::put_group,
            audience::delete_group
        ]
    ),
];

/// A holdout's own results.
pub static HOLDOUT_RESULTS_ROUTES: [Route; 1] = [Route {
    method: Get,
    path: "/api/v1/holdouts/:name/results",
    access: Admin,
    handler: |c| Box::pin(audience::holdout_results(c)),
    doc: Doc {
        id: "holdoutResults",
        summary: "A holdout's results: held-out units against those exposed to the experiments listing it",
        tag: Tag::Audience,
        body: Body::None,
        reply: Reply::Json(200, "HoldoutResults"),
        errors: &[
            NotFound,
            ValidationFailed,
            MetricNotFinite,
            StorageUnavailable,
        ],
        query: &[
            Query {
                name: "metric",
                kind: QueryType::String,
                description: "Metric to analyse (default: the holdout's first)",
            },
            Query {
                name: "alpha",
                kind: QueryType::NumberFrom(1e-12, 0.5),
                description: "Significance level (default 0.05)",
            },
            Query {
                name: "metric_type",
                kind: QueryType::OneOf(&["binary", "continuous"]),
                description: "How to read the metric (default: binary)",
            },
        ],
    },
}];
