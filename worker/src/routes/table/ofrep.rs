//! The routes of OpenFeature's remote evaluation protocol (public and rate limited, like
//! `/assign`: an OFREP provider evaluates flags where `/assign` would be called).

use super::super::doc::{Body, Doc, Reply, Tag};
use super::super::ofrep;
use super::{Access::Public, Route};
use crate::error::ErrorCode::{SnapshotUnavailable, StorageUnavailable};
use worker::Method::Post;

/// `POST /ofrep/v1/evaluate/flags/{key}` and `POST /ofrep/v1/evaluate/flags`.
pub static OFREP_ROUTES: [Route; 2] = [
    Route {
        method: Post,
        path: "/ofrep/v1/evaluate/flags/:key",
        access: Public,
        handler: |c| Box::pin(ofrep::evaluate_flag(c)),
        doc: Doc {
            id: "ofrepEvaluateFlag",
            summary: "OFREP: evaluate one flag (an experiment by key) for the context's targetingKey, recording the exposure",
            tag: Tag::OpenFeature,
            body: Body::Json("OfrepRequest"),
            reply: Reply::Ofrep { bulk: false },
            errors: &[StorageUnavailable, SnapshotUnavailable],
            query: &[],
        },
    },
    Route {
        method: Post,
        path: "/ofrep/v1/evaluate/flags",
        access: Public,
        handler: |c| Box::pin(ofrep::evaluate_flags(c)),
        doc: Doc {
            id: "ofrepEvaluateFlags",
            summary: "OFREP: evaluate every running experiment for the context's targetingKey (ETag; 304 on If-None-Match), recording the exposures",
            tag: Tag::OpenFeature,
            body: Body::Json("OfrepRequest"),
            reply: Reply::Ofrep { bulk: true },
            errors: &[StorageUnavailable, SnapshotUnavailable],
            query: &[],
        },
    },
];
