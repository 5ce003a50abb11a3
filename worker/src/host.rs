//! The Workers host: clock, random ids, configuration from the environment.

use crate::service::Host;
use worker::{Date, Env};

/// Time and ids from the Workers runtime.
pub struct WorkerHost;

impl Host for WorkerHost {
    fn now_ms(&self) -> i64 {
        Date::now().as_millis() as i64
    }

    fn new_id(&self) -> String {
        cleave_core::edge::user_id_from_bytes(&self.new_bytes())
    }
}

impl WorkerHost {
    /// 16 random bytes (`crypto.getRandomValues`, which never fails in Workers; should it,
    /// the clock fills the first half).
    pub fn new_bytes(&self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        if getrandom::getrandom(&mut bytes).is_err() {
            bytes[..8].copy_from_slice(&Date::now().as_millis().to_be_bytes());
        }
        bytes
    }
}

/// A secret or variable, if set and non-empty.
pub fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.is_empty())
}

/// The isolate's wasm linear memory in bytes (0 outside wasm). It only ever grows, so it
/// records the largest amount any request has needed in this isolate.
pub fn wasm_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}
