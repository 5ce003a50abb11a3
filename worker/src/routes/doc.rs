//! What the OpenAPI document says about one endpoint, kept beside its route in the table.
//! Schemas are named by their component names (types deriving `ToSchema` under the
//! `openapi` feature, checked by the generator). Responses that follow from the route
//! itself — auth failures for token classes, 429 for public ones, 400 and 413 for a body —
//! are added by the generator, not listed here.

use crate::error::ErrorCode;

/// The document's tag (section) of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// Experiments: CRUD, lifecycle, results.
    Experiments,
    /// Who may enter: holdouts, saved groups, the dry run.
    Audience,
    /// Assignment, tracking and the batches (the data plane).
    Assignment,
    /// The stateless calculators.
    Analysis,
    /// Liveness, health, metrics, documents, the edge snapshot.
    Operations,
    /// The compatibility API for ab-testing-service clients.
    Compatibility,
    /// OpenFeature's remote evaluation protocol (OFREP).
    OpenFeature,
    /// Unleash (gates, its frontend API for its SDKs) and the other integrations.
    Integrations,
}

impl Tag {
    /// Its name in the document.
    pub fn name(self) -> &'static str {
        match self {
            Self::Experiments => "experiments",
            Self::Audience => "audience",
            Self::Assignment => "assignment",
            Self::Analysis => "analysis",
            Self::Operations => "operations",
            Self::Compatibility => "compatibility",
            Self::OpenFeature => "openfeature",
            Self::Integrations => "integrations",
        }
    }
}

/// The request body an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// None.
    None,
    /// A JSON body of this schema.
    Json(&'static str),
    /// A JSON body of this schema, or — with an empty body — the same fields as query
    /// parameters (the forms the v1 and ab-testing-service APIs accept; described in the
    /// document, not modelled as parameters, since only one of the two may be given).
    JsonOrQuery(&'static str),
}

/// What a successful call answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// JSON of this schema, with this status.
    Json(u16, &'static str),
    /// A health document of this schema: 200 when healthy, 503 with the same schema when
    /// degraded.
    Health(&'static str),
    /// A JSON array of this schema.
    List(&'static str),
    /// An experiment with its revision as `ETag`.
    Versioned(u16),
    /// Text of this content type.
    Text(&'static str),
    /// An OpenAPI 3.1 document (a JSON object).
    OpenApi,
    /// This status without a body (204, or 202 for what is accepted and not kept).
    Empty(u16),
    /// JSON of this schema for a client that polls: an `ETag` of the answer, 304 on
    /// `If-None-Match`, and the recording switch (`x-cleave-record-exposure`).
    Polled(&'static str),
    /// A 302 redirect to this location.
    Redirect(&'static str),
    /// An OFREP evaluation: of one flag, or (`bulk`) of every flag with an `ETag` and 304;
    /// failures in the protocol's own shape.
    Ofrep {
        /// The bulk endpoint.
        bulk: bool,
    },
}

/// The type of a query parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QueryType {
    /// Any string.
    String,
    /// A number in `[min, max)`.
    NumberFrom(f64, f64),
    /// An integer in `[min, max]`.
    Integer(u64, u64),
    /// One of these strings.
    OneOf(&'static [&'static str]),
}

/// One query parameter (all are optional).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Query {
    /// Name.
    pub name: &'static str,
    /// Type.
    pub kind: QueryType,
    /// What it does.
    pub description: &'static str,
}

/// The documentation of one endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    /// `operationId` (also the name of its stateful links).
    pub id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Section.
    pub tag: Tag,
    /// Request body.
    pub body: Body,
    /// Success.
    pub reply: Reply,
    /// Error codes of this endpoint beyond the derived ones.
    pub errors: &'static [ErrorCode],
    /// Query parameters.
    pub query: &'static [Query],
}
