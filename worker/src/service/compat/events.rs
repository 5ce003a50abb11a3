//! Events in the ab-testing-service API's terms: `POST /api/events` with `{experiment_id,
//! subid, event_type, variant, metadata}`, and the listing `GET /api/events` with its
//! filters.

use super::time::{DayEnd, iso, parse};
use crate::error::{ApiError, ApiResult};
use crate::service::input::identifier;
use crate::service::track::TrackRequest;
use crate::store::{EventFilter, EventRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Events a listing returns unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u32 = 100;
/// Most events one listing returns.
pub const MAX_LIMIT: u32 = 1_000;

/// `POST /api/events`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbEventRequest {
    /// Experiment name, key or id.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub experiment_id: String,
    /// The unit (user).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub subid: String,
    /// `impression` (records the exposure too), `conversion`, or any event name.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub event_type: String,
    /// The variant the client showed: it must be the unit's (409 `variant_mismatch`
    /// otherwise).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub variant: Option<String>,
    /// Free JSON object kept with the event (50 keys, 8 KB, 8 levels at most).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Map<String, Value>>,
    /// The value (default 1).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = -1000000000000000.0, maximum = 1000000000000000.0))]
    pub value: Option<f64>,
    /// Idempotency key; generated when absent.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 256,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        )
    )]
    pub event_id: Option<String>,
}

impl AbEventRequest {
    /// Whether it is an impression (which records the unit's exposure first).
    pub fn is_impression(&self) -> bool {
        self.event_type == super::stats::IMPRESSION
    }

    /// The `/track` request it makes (checked by the tracking rules).
    pub fn track_request(&self) -> TrackRequest {
        TrackRequest {
            user_id: self.subid.clone(),
            event_name: self.event_type.clone(),
            value: self.value.unwrap_or(1.0),
            event_id: self.event_id.clone(),
            timestamp: None,
            metadata: self.metadata.clone(),
        }
    }
}

/// The 409 for a `variant` that is not the unit's.
pub fn variant_mismatch(sent: &str) -> ApiError {
    ApiError::new(
        crate::error::ErrorCode::VariantMismatch,
        format!("'{sent}' is not this user's variant in the experiment"),
    )
    .with_field("variant")
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbEvent {
    /// The experiment's name.
    pub experiment_id: String,
    /// The unit.
    pub subid: String,
    /// The event's name.
    pub event_type: String,
    /// The unit's variant.
    pub variant: String,
    /// Its value.
    pub value: f64,
    /// When (ISO 8601, UTC).
    pub timestamp: String,
    /// Its idempotency key.
    pub event_id: String,
    /// The JSON object sent with it.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Option<Object>))]
    pub metadata: Option<Value>,
    /// False when this `event_id` had been recorded before (nothing counted twice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<bool>,
}

impl AbEvent {
    /// An event as stored, for the experiment named `name`.
    pub fn stored(name: &str, e: &EventRecord) -> Self {
        Self {
            experiment_id: name.to_string(),
            subid: e.user_id.clone(),
            event_type: e.event_name.clone(),
            variant: e.variant.clone(),
            value: e.value,
            timestamp: iso(e.at),
            event_id: e.event_id.clone(),
            metadata: e
                .metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
            recorded: None,
        }
    }
}

/// `GET /api/events`' query: every filter optional, dates as ISO 8601 or `YYYY-MM-DD`.
#[derive(Debug, Default, Deserialize)]
pub struct EventsQuery {
    /// Only this experiment's (name, key or id); every experiment's otherwise.
    pub experiment_id: Option<String>,
    /// Only events of this name.
    pub event_type: Option<String>,
    /// Only events of units in this variant.
    pub variant: Option<String>,
    /// Only this unit's.
    pub subid: Option<String>,
    /// From this time on.
    pub start_date: Option<String>,
    /// Up to this time (a bare date includes that whole day).
    pub end_date: Option<String>,
    /// At most this many (1–1000, default 100; `5.0` reads as 5).
    #[serde(default, deserialize_with = "cleave_core::model::integer::opt_u64")]
    pub limit: Option<u64>,
}

impl EventsQuery {
    /// The store's filter (422 naming the query parameter that is wrong).
    pub fn filter(&self) -> ApiResult<EventFilter> {
        for (field, value) in [
            ("event_type", &self.event_type),
            ("subid", &self.subid),
            ("variant", &self.variant),
        ] {
            if let Some(v) = value {
                identifier(field, v)?;
            }
        }
        let from = self
            .start_date
            .as_deref()
            .map(|t| parse("start_date", t, DayEnd::Start))
            .transpose()?;
        let to = self
            .end_date
            .as_deref()
            .map(|t| parse("end_date", t, DayEnd::End))
            .transpose()?;
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            return Err(ApiError::invalid("end_date", "is before start_date"));
        }
        let limit = self.limit.unwrap_or(u64::from(DEFAULT_LIMIT));
        let Some(limit) = u32::try_from(limit)
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
        else {
            return Err(ApiError::invalid(
                "limit",
                format!("must be 1 to {MAX_LIMIT}"),
            ));
        };
        Ok(EventFilter {
            user_id: self.subid.clone(),
            metric: self.event_type.clone(),
            variant: self.variant.clone(),
            from,
            to,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_filters_or_name_the_bad_parameter() {
        let q = EventsQuery {
            event_type: Some("conversion".into()),
            start_date: Some("2026-12-01".into()),
            end_date: Some("2026-12-01".into()),
            ..Default::default()
        };
        let f = q.filter().unwrap();
        assert_eq!(f.metric.as_deref(), Some("conversion"));
        assert_eq!(f.to.unwrap() - f.from.unwrap(), 86_399_999);
        assert_eq!(f.limit, DEFAULT_LIMIT);
        for (q, field) in [
            (
                EventsQuery {
                    limit: Some(0),
                    ..Default::default()
                },
                "limit",
            ),
            (
                EventsQuery {
                    start_date: Some("2026-12-02".into()),
                    end_date: Some("2026-12-01".into()),
                    ..Default::default()
                },
                "end_date",
            ),
            (
                EventsQuery {
                    subid: Some(String::new()),
                    ..Default::default()
                },
                "subid",
            ),
        ] {
            assert_eq!(q.filter().unwrap_err().field.as_deref(), Some(field));
        }
    }
}
