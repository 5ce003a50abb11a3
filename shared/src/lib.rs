// no_std, except for the native OpenAPI generator: utoipa's derives expand to std code.
#![cfg_attr(not(feature = "openapi"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![doc = include_str!("../README.md")]

extern crate alloc;

#[cfg(feature = "serde")]
pub mod analysis;
pub mod assign;
#[cfg(feature = "serde")]
pub mod edge;
#[cfg(feature = "serde")]
pub mod json_path;
#[cfg(feature = "serde")]
pub mod model;
pub mod stats;
#[cfg(feature = "serde")]
pub mod targeting;

/// Version of this crate, for `/health` and the filter's logs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
