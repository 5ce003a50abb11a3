//! Size limits of the wire model (documented in `docs/model.md`).

/// Longest experiment name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest key, in bytes (`[a-z0-9-]`).
pub const MAX_KEY_LEN: usize = 64;
/// Longest description or hypothesis, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Fewest variants.
pub const MIN_VARIANTS: usize = 2;
/// Most variants (the contract's limit).
pub const MAX_VARIANTS: usize = crate::assign::MAX_VARIANTS;
/// Longest variant name, in bytes (`[A-Za-z0-9._-]`).
pub const MAX_VARIANT_NAME_LEN: usize = 64;
/// Largest variant `config`, in bytes of compact JSON.
pub const MAX_CONFIG_BYTES: usize = 16 * 1024;
/// Most metrics per experiment.
pub const MAX_METRICS: usize = 20;
/// Largest `|value|` of a tracked event: every integer up to it is exact in a double, and
/// per-user sums of such values cannot overflow (or their squares turn infinite) before
/// ~10^139 events.
pub const MAX_ABS_EVENT_VALUE: f64 = 1e15;
/// Longest event name or unit id, in characters.
pub const MAX_ID_LEN: usize = 256;
/// Smallest `weight` or `allocation` of a variant (the contract's weight unit).
pub const MIN_WEIGHT: f64 = 1e-6;
/// Longest salt, in characters.
pub const MAX_SALT_LEN: usize = 128;
/// Most forced (QA override) entries.
pub const MAX_FORCED: usize = 1_000;
/// Most edge routes.
pub const MAX_ROUTES: usize = 50;
/// Longest route host or path prefix, in characters.
pub const MAX_ROUTE_LEN: usize = 512;
/// Tolerance when fractional allocations must sum to 1.
pub const ALLOCATION_SUM_TOLERANCE: f64 = 1e-9;
/// Most holdouts an experiment may list.
pub const MAX_HOLDOUTS: usize = 10;
/// Largest targeting condition, in bytes of compact JSON.
pub const MAX_CONDITION_BYTES: usize = 16 * 1024;
/// Longest layer, holdout or saved-group name, in bytes (`[A-Za-z0-9._-]`).
pub const MAX_NAME_LEN: usize = 64;
/// Most values of a saved group.
pub const MAX_GROUP_VALUES: usize = 10_000;
/// Longest string value of a saved group, in characters.
pub const MAX_GROUP_VALUE_CHARS: usize = 256;
/// Largest `additional_features`, in bytes of compact JSON.
pub const MAX_ADDITIONAL_FEATURES_BYTES: usize = 8 * 1024;
/// Largest `total_population` (2^53: every count up to it is exact in a double).
pub const MAX_TOTAL_POPULATION: u64 = 1 << 53;
