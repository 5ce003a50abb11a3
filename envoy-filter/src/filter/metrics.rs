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
