//! Envoy stats from the filter: counters and gauges defined once and cached by name.

use proxy_wasm::hostcalls;
use proxy_wasm::types::MetricType;
use std::cell::RefCell;
use std::collections::HashMap;

/// Metric ids by name.
pub type MetricCache = RefCell<HashMap<String, u32>>;

/// A counter or gauge, defined once and cached by name.
fn metric(cache: &MetricCache, kind: MetricType, name: &str) -> Option<u32> {
    if let Some(id) = cache.borrow().get(name) {
        return Some(*id);
    }
    let id = hostcalls::define_metric(kind, name).ok()?;
    cache.borrow_mut().insert(name.to_string(), id);
    Some(id)
}

pub fn bump(cache: &MetricCache, name: &str, by: i64) {
    if let Some(id) = metric(cache, MetricType::Counter, name) {
        let _ = hostcalls::increment_metric(id, by);
    }
}

pub fn gauge(cache: &MetricCache, name: &str, value: u64) {
    if let Some(id) = metric(cache, MetricType::Gauge, name) {
        let _ = hostcalls::record_metric(id, value);
    }
}

/// Counters the HTTP filter keeps (per-variant `cleave.assignments.<key>.<variant>` are
/// defined as variants are first seen).
pub const FILTER_COUNTERS: &[&str] = &[
    "cleave.fail_open",
    "cleave.exposures.dropped",
    "cleave.header_errors",
];
/// Counters the sync singleton keeps.
pub const SYNC_COUNTERS: &[&str] = &[
    "cleave.snapshot.updates",
    "cleave.snapshot.rejected",
    "cleave.snapshot.failures",
    "cleave.exposures.flushed",
    "cleave.exposures.flush_failures",
    "cleave.exposures.dropped",
];
/// Gauges the sync singleton keeps.
pub const SYNC_GAUGES: &[&str] = &[
    "cleave.snapshot.version",
    "cleave.snapshot.age_seconds",
    "cleave.exposures.pending",
];

/// Defines fixed metrics up front, so they are exported (as 0) before anything happens:
/// dashboards and alerts then see 0 rather than no series.
pub fn define_up_front(cache: &MetricCache, counters: &[&str], gauges: &[&str]) {
    for name in counters {
        let _ = metric(cache, MetricType::Counter, name);
    }
    for name in gauges {
        let _ = metric(cache, MetricType::Gauge, name);
    }
}
