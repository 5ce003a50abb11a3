//! What the service tests share: a deterministic host and request-body helpers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test file uses a part

use cleave_core::model::{Action, Experiment};
use cleave_worker::error::ApiError;
use cleave_worker::service::{Host, experiments};
use cleave_worker::store::MemoryStore;
use pollster::block_on;
use serde_json::json;
use std::cell::Cell;

/// A clock that ticks 1 ms per reading and ids `id-1`, `id-2`, ...
pub struct TestHost {
    now: Cell<i64>,
    ids: Cell<u32>,
}

impl Host for TestHost {
    fn now_ms(&self) -> i64 {
        self.now.set(self.now.get() + 1);
        self.now.get()
    }
    fn new_id(&self) -> String {
        self.ids.set(self.ids.get() + 1);
        format!("id-{}", self.ids.get())
    }
}

/// A fresh host.
pub fn host() -> TestHost {
    TestHost {
        now: Cell::new(1_763_856_000_000),
        ids: Cell::new(0),
    }
}

/// Creates through the v1 API.
pub async fn create(
    store: &MemoryStore,
    h: &TestHost,
    bytes: &[u8],
) -> Result<Experiment, ApiError> {
    experiments::create(store, h, bytes, experiments::Dialect::V1).await
}

/// A JSON value as a request body.
pub fn body(v: serde_json::Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// A two-variant experiment (`control`, `b`) measuring `click`.
pub fn two_arms() -> Vec<u8> {
    body(
        json!({"name": "Banner test", "variants": [{"name": "control"}, {"name": "b"}], "metrics": ["click"]}),
    )
}

/// Creates `bytes` and starts it.
pub fn running(store: &MemoryStore, h: &TestHost, bytes: &[u8]) -> Experiment {
    let e = block_on(create(store, h, bytes)).expect("created");
    block_on(experiments::transition(
        store,
        h,
        &e.id,
        Action::Start,
        None,
    ))
    .expect("started")
}
