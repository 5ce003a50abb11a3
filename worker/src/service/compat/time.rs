//! Times as the ab-testing-service API writes and reads them: ISO 8601 in UTC.

use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, NaiveDate, SecondsFormat};

/// `ms` since the epoch as RFC 3339 in UTC with milliseconds (`2026-12-07T12:00:00.000Z`).
pub fn iso(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Which end of a day a bare date stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEnd {
    /// Its first millisecond (a `start_date`).
    Start,
    /// Its last millisecond (an `end_date`: the whole day is included).
    End,
}

/// Parses a query's time: RFC 3339 (`2026-12-07T12:00:00Z`, any offset), a date
/// (`2026-12-07`, UTC, the whole day by `end`) or ms since the epoch; 422 naming `field`.
pub fn parse(field: &str, text: &str, end: DayEnd) -> ApiResult<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let start = day
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis());
        if let Some(start) = start {
            return Ok(match end {
                DayEnd::Start => start,
                DayEnd::End => start + 86_400_000 - 1,
            });
        }
    }
    if let Ok(ms) = text.parse::<i64>()
        && super::super::input::timestamp(field, Some(ms)).is_ok()
    {
        return Ok(ms);
    }
    Err(ApiError::invalid(
        field,
        format!(
            "'{text}' is not a date (2026-12-07), an ISO 8601 time (2026-12-07T12:00:00Z) or ms since the epoch"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_dates_cover_whole_days() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_765_108_800_123), "2025-12-07T12:00:00.123Z");
        let t = parse("start_date", "2025-12-07T12:00:00.123Z", DayEnd::Start).unwrap();
        assert_eq!(t, 1_765_108_800_123);
        assert_eq!(
            parse("x", "2025-12-07T13:00:00+01:00", DayEnd::Start).unwrap(),
            1_765_108_800_000
        );
        let day = parse("start_date", "2025-12-07", DayEnd::Start).unwrap();
        let last = parse("end_date", "2025-12-07", DayEnd::End).unwrap();
        assert_eq!((day, last - day), (1_765_065_600_000, 86_400_000 - 1));
        assert_eq!(parse("x", "42", DayEnd::Start).unwrap(), 42);
        let e = parse("end_date", "yesterday", DayEnd::End).unwrap_err();
        assert_eq!((e.status(), e.field.as_deref()), (422, Some("end_date")));
        assert!(parse("x", "9999999999999999999", DayEnd::Start).is_err());
    }
}
