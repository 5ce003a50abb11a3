//! The routes of per-unit data (admin): the data-subject deletion and the export.

use super::super::doc::{Body, Doc, Reply, Tag};
use super::super::units;
use super::{Access::Admin, Route};
use crate::error::ErrorCode::{NotFound, StorageUnavailable, ValidationFailed};
use worker::Method::{Delete, Get};

/// `DELETE /api/v1/units/{id}` and `GET /api/v1/experiments/{id}/export`.
pub static DATA_ROUTES: [Route; 2] = [
    Route {
        method: Delete,
        path: "/api/v1/units/:id",
        access: Admin,
        handler: |c| Box::pin(units::delete(c)),
        doc: Doc {
            id: "deleteUnit",
            summary: "Remove one unit from every experiment and holdout result (data-subject deletion); the statistics follow",
            tag: Tag::Experiments,
            body: Body::None,
            reply: Reply::Json(200, "UnitDeleted"),
            errors: &[ValidationFailed, StorageUnavailable],
            query: &[],
        },
    },
    Route {
        method: Get,
        path: "/api/v1/experiments/:id/export",
        access: Admin,
        handler: |c| Box::pin(units::export(c)),
        doc: Doc {
            id: "exportExperiment",
            summary: "Every exposed unit as one JSON line (variant, first exposure, context, per-metric totals), streamed",
            tag: Tag::Experiments,
            body: Body::None,
            reply: Reply::Text("application/x-ndjson"),
            errors: &[NotFound, StorageUnavailable],
            query: &[],
        },
    },
];
