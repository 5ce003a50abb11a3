//! The proxy-wasm glue. One module, two roles (see [`Role`]):
//! - the HTTP filter: re-reads the shared snapshot when its version changes (on a tick,
//!   never per request), plans each request's headers, queues first exposures;
//! - the `sync` singleton: polls the Worker's snapshot with `If-None-Match`, publishes
//!   good ones through shared data, and flushes queued exposures in batches.

use crate::config::{Config, Role};
use crate::request::{UserId, plan, user_id};
use crate::snapshot::{EXPOSURE_QUEUE, SNAPSHOT_KEY, VERSION_KEY, accept, parse_version};
use cleave_core::edge::{Prepared, set_cookie};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Duration;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
}}

/// How often an HTTP filter root checks the snapshot version.
const VERSION_CHECK: Duration = Duration::from_millis(500);
/// Exposures remembered per worker thread to avoid re-queueing the same user.
const SEEN_CAP: usize = 100_000;

fn log(level: LogLevel, message: &str) {
    let _ = hostcalls::log(level, message);
}

/// A counter or gauge, defined once and cached by name.
fn metric(cache: &RefCell<HashMap<String, u32>>, kind: MetricType, name: &str) -> Option<u32> {
    if let Some(id) = cache.borrow().get(name) {
        return Some(*id);
    }
    let id = hostcalls::define_metric(kind, name).ok()?;
    cache.borrow_mut().insert(name.to_string(), id);
    Some(id)
}

fn bump(cache: &RefCell<HashMap<String, u32>>, name: &str, by: i64) {
    if let Some(id) = metric(cache, MetricType::Counter, name) {
        let _ = hostcalls::increment_metric(id, by);
    }
}

fn gauge(cache: &RefCell<HashMap<String, u32>>, name: &str, value: u64) {
    if let Some(id) = metric(cache, MetricType::Gauge, name) {
        let _ = hostcalls::record_metric(id, value);
    }
}

/// State an HTTP filter root shares with its requests.
struct Shared {
    config: Config,
    experiments: RefCell<Rc<Vec<Prepared>>>,
    have_snapshot: RefCell<bool>,
    queue: RefCell<Option<u32>>,
    seen: RefCell<HashSet<(String, String)>>,
    metrics: RefCell<HashMap<String, u32>>,
    /// Assignments counted in memory per (experiment key, variant); published on tick
    /// so requests make no metric host calls.
    counts: RefCell<HashMap<(String, String), i64>>,
}

#[derive(Default)]
struct Root {
    shared: Option<Rc<Shared>>,
    version: u64,
    sync: Option<SyncState>,
}

/// The singleton's state.
struct SyncState {
    config: Config,
    etag: String,
    in_flight: Option<u32>,
    last_success_s: Option<u64>,
    version: u64,
    pending: Vec<Vec<u8>>,
    flush_in_flight: Option<(u32, usize)>,
    queue: u32,
    last_flush_ms: u64,
    metrics: RefCell<HashMap<String, u32>>,
}

fn now_ms() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64)
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        token: u32,
        _headers: usize,
        body_size: usize,
        _trailers: usize,
    ) {
        let Some(sync) = self.sync.as_mut() else {
            return;
        };
        let status = hostcalls::get_map_value(MapType::HttpCallResponseHeaders, ":status")
            .ok()
            .flatten()
            .unwrap_or_default();
        if sync.in_flight == Some(token) {
            sync.in_flight = None;
            match status.as_str() {
                "200" => {
                    let body =
                        hostcalls::get_buffer(BufferType::HttpCallResponseBody, 0, body_size)
                            .ok()
                            .flatten()
                            .unwrap_or_default();
                    match accept(&body) {
                        Ok(doc) => {
                            sync.version += 1;
                            let ok = hostcalls::set_shared_data(SNAPSHOT_KEY, Some(&body), None)
                                .is_ok()
                                && hostcalls::set_shared_data(
                                    VERSION_KEY,
                                    Some(sync.version.to_string().as_bytes()),
                                    None,
                                )
                                .is_ok();
                            if ok {
                                sync.etag = doc.etag;
                                sync.last_success_s = Some(now_ms() / 1000);
                                bump(&sync.metrics, "cleave.snapshot.updates", 1);
                                gauge(&sync.metrics, "cleave.snapshot.version", sync.version);
                                gauge(
                                    &sync.metrics,
                                    "cleave.snapshot.experiments",
                                    doc.experiments.len() as u64,
                                );
                                log(
                                    LogLevel::Info,
                                    &format!(
                                        "cleave: snapshot v{} with {} experiment(s)",
                                        sync.version,
                                        doc.experiments.len()
                                    ),
                                );
                            }
                        }
                        Err(e) => {
                            bump(&sync.metrics, "cleave.snapshot.rejected", 1);
                            log(
                                LogLevel::Warn,
                                &format!(
                                    "cleave: snapshot rejected, keeping the last good one: {}",
                                    e.0
                                ),
                            );
                        }
                    }
                }
                "304" => sync.last_success_s = Some(now_ms() / 1000),
                other => {
                    bump(&sync.metrics, "cleave.snapshot.failures", 1);
                    log(
                        LogLevel::Warn,
                        &format!(
                            "cleave: snapshot fetch failed (status {other:?}); keeping the last good one"
                        ),
                    );
                }
            }
        } else if let Some((flush_token, count)) = sync.flush_in_flight
            && flush_token == token
        {
            sync.flush_in_flight = None;
            if status == "200" {
                sync.pending.drain(..count.min(sync.pending.len()));
                bump(&sync.metrics, "cleave.exposures.flushed", count as i64);
            } else {
                bump(&sync.metrics, "cleave.exposures.flush_failures", 1);
            }
        }
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
                let experiments = Rc::new(config.experiments.clone());
                log(
                    LogLevel::Info,
                    &format!(
                        "cleave filter {} configured: {} running experiment(s)",
                        cleave_core::VERSION,
                        experiments.len()
                    ),
                );
                self.shared = Some(Rc::new(Shared {
                    experiments: RefCell::new(experiments),
                    have_snapshot: RefCell::new(false),
                    queue: RefCell::new(None),
                    seen: RefCell::new(HashSet::new()),
                    metrics: RefCell::new(HashMap::new()),
                    counts: RefCell::new(HashMap::new()),
                    config,
                }));
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
                self.set_tick_period(Duration::from_millis(period));
                self.on_tick();
            }
        }
        true
    }

    fn on_tick(&mut self) {
        if let Some(shared) = self.shared.as_ref() {
            let counts = std::mem::take(&mut *shared.counts.borrow_mut());
            for ((key, variant), n) in counts {
                bump(
                    &shared.metrics,
                    &format!("cleave.assignments.{key}.{variant}"),
                    n,
                );
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

impl Root {
    /// Re-reads the shared snapshot when its version changed (HTTP filter role).
    fn refresh_from_shared(&mut self) {
        let Some(shared) = self.shared.as_ref() else {
            return;
        };
        let version = parse_version(
            hostcalls::get_shared_data(VERSION_KEY)
                .ok()
                .and_then(|d| d.0)
                .as_deref(),
        );
        if version == 0 || version == self.version {
            return;
        }
        let body = hostcalls::get_shared_data(SNAPSHOT_KEY)
            .ok()
            .and_then(|d| d.0)
            .unwrap_or_default();
        match accept(&body) {
            Ok(doc) => {
                let merged = shared.config.merged(Some(&doc.experiments));
                *shared.experiments.borrow_mut() = Rc::new(merged);
                *shared.have_snapshot.borrow_mut() = true;
                self.version = version;
            }
            Err(e) => log(
                LogLevel::Warn,
                &format!("cleave: shared snapshot unreadable: {}", e.0),
            ),
        }
    }

    fn poll_snapshot(&mut self) {
        let Some(sync) = self.sync.as_mut() else {
            return;
        };
        if let Some(age) = sync
            .last_success_s
            .map(|t| (now_ms() / 1000).saturating_sub(t))
        {
            gauge(&sync.metrics, "cleave.snapshot.age_seconds", age);
        }
        let Some(source) = sync.config.snapshot.clone() else {
            return;
        };
        if sync.in_flight.is_some() {
            return;
        }
        let authority = source
            .authority
            .clone()
            .unwrap_or_else(|| source.cluster.clone());
        let bearer = source.token.as_ref().map(|t| format!("Bearer {t}"));
        let mut headers = vec![
            (":method", "GET"),
            (":path", source.path.as_str()),
            (":authority", authority.as_str()),
        ];
        if let Some(b) = &bearer {
            headers.push(("authorization", b.as_str()));
        }
        if !sync.etag.is_empty() {
            headers.push(("if-none-match", sync.etag.as_str()));
        }
        match hostcalls::dispatch_http_call(
            &source.cluster,
            headers,
            None,
            vec![],
            Duration::from_millis(source.timeout_ms),
        ) {
            Ok(token) => {
                if let Some(sync) = self.sync.as_mut() {
                    sync.in_flight = Some(token);
                }
            }
            Err(e) => {
                if let Some(sync) = self.sync.as_ref() {
                    bump(&sync.metrics, "cleave.snapshot.failures", 1);
                }
                log(
                    LogLevel::Warn,
                    &format!("cleave: cannot reach cluster {}: {e:?}", source.cluster),
                );
            }
        }
    }

    fn flush_exposures(&mut self) {
        let Some(sync) = self.sync.as_mut() else {
            return;
        };
        let Some(sink) = sync.config.exposures.clone() else {
            return;
        };
        // Drain the shared queue into the bounded pending buffer.
        while let Ok(Some(item)) = hostcalls::dequeue_shared_queue(sync.queue) {
            if sync.pending.len() >= sink.max_pending {
                bump(&sync.metrics, "cleave.exposures.dropped", 1);
            } else {
                sync.pending.push(item);
            }
        }
        gauge(
            &sync.metrics,
            "cleave.exposures.pending",
            sync.pending.len() as u64,
        );
        let now = now_ms();
        if sync.pending.is_empty()
            || sync.flush_in_flight.is_some()
            || now.saturating_sub(sync.last_flush_ms) < sink.flush_ms
        {
            return;
        }
        sync.last_flush_ms = now;
        let count = sync.pending.len().min(sink.max_batch);
        let mut body = b"{\"exposures\":[".to_vec();
        for (i, item) in sync.pending[..count].iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(item);
        }
        body.extend_from_slice(b"]}");
        let authority = sink
            .authority
            .clone()
            .unwrap_or_else(|| sink.cluster.clone());
        let headers = vec![
            (":method", "POST"),
            (":path", sink.path.as_str()),
            (":authority", authority.as_str()),
            ("content-type", "application/json"),
        ];
        match hostcalls::dispatch_http_call(
            &sink.cluster,
            headers,
            Some(&body),
            vec![],
            Duration::from_secs(5),
        ) {
            Ok(token) => {
                if let Some(sync) = self.sync.as_mut() {
                    sync.flush_in_flight = Some((token, count));
                }
            }
            Err(_) => {
                if let Some(sync) = self.sync.as_ref() {
                    bump(&sync.metrics, "cleave.exposures.flush_failures", 1);
                }
            }
        }
    }
}

struct Request {
    shared: Option<Rc<Shared>>,
    minted: Option<String>,
}

impl Context for Request {}

impl HttpContext for Request {
    fn on_http_request_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        let Some(shared) = self.shared.clone() else {
            return Action::Continue; // no configuration: fail open
        };
        let config = &shared.config;
        let headers = self.get_http_request_headers();
        if config.snapshot.is_some()
            && !*shared.have_snapshot.borrow()
            && config.experiments.is_empty()
        {
            bump(&shared.metrics, "cleave.fail_open", 1);
        }
        let user = user_id(config, &headers, || {
            let mut bytes = [0u8; 16];
            getrandom::getrandom(&mut bytes).ok().map(|()| bytes)
        });
        // Pseudo-headers from the copy already made: no extra host calls.
        let pseudo = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map_or("", |(_, v)| v.as_str())
        };
        let (host, path) = (
            pseudo(":authority").to_string(),
            pseudo(":path").to_string(),
        );
        let experiments = shared.experiments.borrow().clone();
        let changes = plan(config, &experiments, &headers, user.as_str(), &host, &path);
        for name in &changes.remove {
            self.set_http_request_header(name, None);
        }
        for (name, value) in &changes.add {
            self.set_http_request_header(name, Some(value));
        }
        if let Some(u) = user.as_str() {
            let mut counts = shared.counts.borrow_mut();
            for a in &changes.assignments {
                let key = experiments
                    .iter()
                    .find(|p| p.experiment.id == a.experiment_id)
                    .map_or("", |p| p.experiment.key.as_str());
                *counts
                    .entry((key.to_string(), a.variant.clone()))
                    .or_default() += 1;
                queue_exposure(&shared, &a.experiment_id, u, &a.variant);
            }
        }
        if let UserId::Minted(id) = user {
            self.minted = Some(id);
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        if let (Some(id), Some(shared)) = (self.minted.take(), self.shared.as_ref())
            && let Some(name) = &shared.config.cookie
        {
            self.add_http_response_header("set-cookie", &set_cookie(name, &id, false));
        }
        Action::Continue
    }
}

/// Queues an exposure for the singleton, once per (experiment, user) per thread.
fn queue_exposure(shared: &Shared, experiment_id: &str, user: &str, variant: &str) {
    if shared.config.exposures.is_none() && shared.config.snapshot.is_none() {
        return;
    }
    {
        let mut seen = shared.seen.borrow_mut();
        if seen.len() >= SEEN_CAP {
            seen.clear();
        }
        if !seen.insert((experiment_id.to_string(), user.to_string())) {
            return;
        }
    }
    let queue = *shared.queue.borrow();
    let queue = match queue {
        Some(q) => q,
        None => match hostcalls::resolve_shared_queue("cleave", EXPOSURE_QUEUE) {
            Ok(Some(q)) => {
                *shared.queue.borrow_mut() = Some(q);
                q
            }
            _ => return,
        },
    };
    let item =
        serde_json::json!({"experiment_id": experiment_id, "user_id": user, "variant": variant})
            .to_string();
    if hostcalls::enqueue_shared_queue(queue, Some(item.as_bytes())).is_err() {
        bump(&shared.metrics, "cleave.exposures.dropped", 1);
    }
}
