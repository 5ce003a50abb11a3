//! The routes of per-unit data (admin): the data-subject deletion, the export and the
//! upgrade of data kept in D1 by earlier versions.

use super::super::doc::{Body, Doc, Reply, Tag};
use super::super::{units, upgrade};
use super::{Access::Admin, Route};
use crate::error::ErrorCode::{NotFound, StorageUnavailable, ValidationFailed};
use worker::Method::{Delete, Get, Post};

/// `DELETE /api/v1/units/{id}`, `GET /api/v1/experiments/{id}/export` and
/// `POST /api/v1/data-plane/upgrade`.
pub static DATA_ROUTES: [Route; 3] = [
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
    Route {
        method: Post,
        path: "/api/v1/data-plane/upgrade",
        access: Admin,
        handler: |c| Box::pin(upgrade::step(c)),
        doc: Doc {
            id: "upgradeDataPlane",
            summary: "One step of moving exposures, events and holdout members kept in D1 by earlier versions into the shards (repeat until done)",
            tag: Tag::Operations,
            body: Body::None,
            reply: Reply::Json(200, "UpgradeProgress"),
            errors: &[StorageUnavailable],
            query: &[],
        },
    },
];
