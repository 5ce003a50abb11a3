//! The error type of the statistics functions.

use core::fmt;

/// Why a statistics function refused its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatsError {
    /// A group has no observations (`n = 0`), or too few for the test (Welch needs 2).
    TooFewObservations,
    /// A group has more conversions than observations.
    ConversionsExceedSampleSize,
    /// The significance level is not in `[1e-12, 1)`.
    InvalidAlpha,
    /// Power is not in [0.5, 1).
    InvalidPower,
    /// A rate is not strictly between 0 and 1 (base rate or the treatment rate it implies).
    InvalidRate,
    /// The minimum detectable effect is zero or not finite.
    InvalidEffect,
    /// A variance is negative or not finite, or every variance is zero.
    InvalidVariance,
    /// A weight is not positive and finite, or the weights do not match the groups.
    InvalidWeights,
    /// Fewer than two groups, or no observations at all.
    TooFewGroups,
    /// A p-value is outside [0, 1].
    InvalidPValue,
    /// The mixture variance `tau2` is not positive and finite.
    InvalidTau2,
    /// A mean is not finite.
    InvalidMean,
    /// A count is larger than [`MAX_COUNT`](super::MAX_COUNT).
    CountTooLarge,
    /// The planned sample size exceeds [`MAX_COUNT`](super::MAX_COUNT) users per group.
    SampleSizeTooLarge,
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooFewObservations => "too few observations in a group",
            Self::ConversionsExceedSampleSize => "conversions exceed the sample size",
            Self::InvalidAlpha => "alpha must be at least 1e-12 and below 1",
            Self::InvalidPower => "power must be at least 0.5 and below 1",
            Self::InvalidRate => "rates must be strictly between 0 and 1",
            Self::InvalidEffect => "the minimum detectable effect must be finite and non-zero",
            Self::InvalidVariance => "variances must be finite, non-negative and not all zero",
            Self::InvalidWeights => "weights must be positive, finite and one per group",
            Self::TooFewGroups => "at least two groups with observations are needed",
            Self::InvalidPValue => "p-values must lie in [0, 1]",
            Self::InvalidTau2 => "tau2 must be positive and finite",
            Self::InvalidMean => "means must be finite",
            Self::CountTooLarge => "counts are limited to 2^53 (9007199254740992)",
            Self::SampleSizeTooLarge => {
                "the effect is too small: more than 2^53 users per group would be needed"
            }
        })
    }
}

impl core::error::Error for StatsError {}
