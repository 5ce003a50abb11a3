//! Cleave's Envoy proxy-wasm filter: assigns variants in-process with `cleave-core`
//! and passes them upstream as `x-cleave-<experiment-key>: <variant>` headers.

pub mod config;
pub mod header_map;
pub mod request;
pub mod served;
pub mod snapshot;

#[cfg(target_arch = "wasm32")]
mod filter;
