//! The ranges the HTTP API accepts for an analysis of given numbers
//! (`POST /api/v1/analyze`); values outside them are refused with a 422 naming the field.
//!
//! Within them every statistic is finite and costs a bounded amount of work
//! (`shared/tests/bounded_cost.rs`): counts up to [`MAX_COUNT`](crate::stats::MAX_COUNT).

/// Largest `|mean|` of a continuous metric (the bound on a single event value too).
pub const MAX_ABS_MEAN: f64 = 1e15;
/// Largest sample variance of a continuous metric (a standard deviation of 1e15).
pub const MAX_VARIANCE: f64 = 1e30;
/// Largest mixture variance `sequential_tau2` (the difference of two rates lies in [−1, 1]).
pub const MAX_SEQUENTIAL_TAU2: f64 = 1.0;
/// Smallest expected-allocation weight for the sample-ratio check.
pub const MIN_WEIGHT: f64 = 1e-6;
/// Largest expected-allocation weight.
pub const MAX_WEIGHT: f64 = 1e6;
