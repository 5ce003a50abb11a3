//! The Worker's logic over a [`Store`](crate::store::Store): no HTTP and no Workers
//! types, so every rule is tested natively with the memory store.

pub mod assign;
pub mod audience;
pub mod batch;
pub mod calculators;
pub mod compat;
pub mod etag;
pub mod evaluate;
pub mod experiments;
pub mod frontend;
pub mod holdout_results;
pub mod input;
pub mod metrics;
pub mod ofrep;
pub mod plausible;
pub mod progress;
pub mod snapshot;
pub mod stats;
pub mod track;
pub mod units;
pub mod unleash;

/// What the host supplies: the time and fresh ids (the logic has no clock or randomness).
pub trait Host {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// A new random id (hex).
    fn new_id(&self) -> String;
}
