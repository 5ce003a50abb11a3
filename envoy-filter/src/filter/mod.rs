//! The proxy-wasm glue. One module, two roles (see [`Role`]):
//! - the HTTP filter ([`http`]): re-reads the shared snapshot when its version changes
//!   (on a tick, never per request), plans each request's headers, queues first exposures;
//! - the `sync` singleton ([`sync`]): polls the Worker's snapshot, publishes good ones
//!   through shared data, and flushes queued exposures in batches.

mod headers;
mod http;
mod metrics;
mod random;
mod sync;

use crate::config::{Config, Role};
use crate::snapshot::{EXPOSURE_QUEUE, VERSION_KEY, parse_version};
use http::{Request, Shared};
use metrics::bump;
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{ContextType, LogLevel};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Duration;
use sync::SyncState;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
}}

/// How often an HTTP filter root checks the snapshot version.
const VERSION_CHECK: Duration = Duration::from_millis(500);

pub(super) fn log(level: LogLevel, message: &str) {
    let _ = hostcalls::log(level, message);
}

#[derive(Default)]
pub(super) struct Root {
    shared: Option<Rc<Shared>>,
    version: u64,
    sync: Option<SyncState>,
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        token: u32,
        _headers: usize,
        body_size: usize,
        _trailers: usize,
    ) {
        self.on_sync_response(token, body_size);
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        let config = match Config::parse(&bytes) {
            Ok(c) => c,
            Err(e) => {
                log(LogLevel::Error, &e.to_string());
                return false;
            }
        };
        match config.role {
            Role::Filter => {
                let experiments = Rc::new(config.merged(None));
                log(
                    LogLevel::Info,
                    &format!(
                        "cleave filter {} configured: {} running experiment(s)",
                        cleave_core::VERSION,
                        experiments.experiments.len()
                    ),
                );
                self.shared = Some(Rc::new(Shared {
                    experiments: RefCell::new(experiments),
                    regex: cleave_core::targeting::CachedRegex::default(),
                    have_snapshot: RefCell::new(false),
                    queue: RefCell::new(None),
                    seen: RefCell::new(HashSet::new()),
                    metrics: RefCell::new(HashMap::new()),
                    retired: RefCell::new(Vec::new()),
                    config,
                }));
                if let Some(shared) = self.shared.as_ref() {
                    metrics::define_up_front(&shared.metrics, metrics::FILTER_COUNTERS, &[]);
                }
                self.set_tick_period(VERSION_CHECK);
                self.refresh_from_shared();
            }
            Role::Sync => {
                let queue = self.register_shared_queue(EXPOSURE_QUEUE);
                let period = config
                    .snapshot
                    .as_ref()
                    .map_or(1_000, |s| s.refresh_ms)
                    .min(config.exposures.as_ref().map_or(u64::MAX, |x| x.flush_ms));
                log(
                    LogLevel::Info,
                    &format!(
                        "cleave sync {} started (every {period} ms)",
                        cleave_core::VERSION
                    ),
                );
                self.sync = Some(SyncState {
                    config,
                    etag: String::new(),
                    in_flight: None,
                    last_success_s: None,
                    version: parse_version(
                        hostcalls::get_shared_data(VERSION_KEY)
                            .ok()
                            .and_then(|d| d.0)
                            .as_deref(),
                    ),
                    pending: Vec::new(),
                    flush_in_flight: None,
                    queue,
                    last_flush_ms: 0,
                    metrics: RefCell::new(HashMap::new()),
                });
                if let Some(sync) = self.sync.as_ref() {
                    metrics::define_up_front(
                        &sync.metrics,
                        metrics::SYNC_COUNTERS,
                        metrics::SYNC_GAUGES,
                    );
                }
                self.set_tick_period(Duration::from_millis(period));
                self.on_tick();
            }
        }
        true
    }

    fn on_tick(&mut self) {
        if let Some(shared) = self.shared.as_ref() {
            let retired = std::mem::take(&mut *shared.retired.borrow_mut());
            let current = shared.experiments.borrow().clone();
            for served in retired.iter().chain([&current]) {
                for (name, n) in served.take_counts() {
                    bump(&shared.metrics, name, n);
                }
            }
            self.refresh_from_shared();
        }
        if self.sync.is_some() {
            self.poll_snapshot();
            self.flush_exposures();
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Request {
            shared: self.shared.clone(),
            minted: None,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
