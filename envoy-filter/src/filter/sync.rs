//! The `sync` role: one per Envoy process (a `bootstrap_extensions` singleton). Polls the
//! Worker's snapshot with `If-None-Match`, publishes good ones through shared data with a
//! version, keeps the last good one on failure, and flushes queued exposures in batches.

use super::metrics::{MetricCache, bump, gauge};
use super::{Root, log};
use crate::config::Config;
use crate::snapshot::{SNAPSHOT_KEY, VERSION_KEY, accept};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, LogLevel, MapType};
use std::time::Duration;

/// The singleton's state.
pub(super) struct SyncState {
    pub(super) config: Config,
    pub(super) etag: String,
    pub(super) in_flight: Option<u32>,
    pub(super) last_success_s: Option<u64>,
    pub(super) version: u64,
    pub(super) pending: Vec<Vec<u8>>,
    pub(super) flush_in_flight: Option<(u32, usize)>,
    pub(super) queue: u32,
    pub(super) last_flush_ms: u64,
    pub(super) metrics: MetricCache,
}

pub(super) fn now_ms() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64)
}

impl Root {
    /// Handles the answer to a snapshot poll or an exposure flush.
    pub(super) fn on_sync_response(&mut self, token: u32, body_size: usize) {
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

    pub(super) fn poll_snapshot(&mut self) {
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

    pub(super) fn flush_exposures(&mut self) {
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
        let token = sink
            .token
            .as_ref()
            .or_else(|| sync.config.snapshot.as_ref().and_then(|s| s.token.as_ref()));
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![
            (":method", "POST"),
            (":path", sink.path.as_str()),
            (":authority", authority.as_str()),
            ("content-type", "application/json"),
        ];
        if let Some(b) = &bearer {
            headers.push(("authorization", b.as_str()));
        }
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
