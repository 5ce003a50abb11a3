//! `GET /metrics`: the v1 API's six metrics by their names, in Prometheus text format.

use super::progress::ExperimentProgress;
use crate::store::MetricsData;
use cleave_core::model::Status;
use std::fmt::Write;

/// What the integrations report: their named counters (kept in one object, so every
/// isolate's outcomes are in them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Integrations {
    /// Counter name → value.
    pub counters: Vec<(String, u64)>,
    /// Unleash's fetch status, when `UNLEASH_URL` is set.
    pub unleash: Option<crate::unleash::UnleashStatus>,
    /// Now, ms since the epoch (for the age of Unleash's features).
    pub now_ms: i64,
}

/// The value of the counter `name` among `counters` (0 before its first addition).
pub fn counter(counters: &[(String, u64)], name: &str) -> u64 {
    counters
        .iter()
        .find(|(n, _)| n == name)
        .map_or(0, |(_, v)| *v)
}

impl Integrations {
    fn counter(&self, name: &str) -> u64 {
        counter(&self.counters, name)
    }

    fn render(&self, out: &mut String) {
        header(
            out,
            "cleave_plausible_events_total",
            "counter",
            "Events sent to Plausible (PLAUSIBLE_URL), by outcome: sent (2xx), failed (another answer, none, or a timeout), dropped (no client User-Agent or IP to send).",
        );
        for (outcome, name) in [
            ("sent", crate::outbox::SENT),
            ("failed", crate::outbox::FAILED),
            ("dropped", crate::outbox::DROPPED),
        ] {
            let _ = writeln!(
                out,
                "cleave_plausible_events_total{{outcome=\"{outcome}\"}} {}",
                self.counter(name)
            );
        }
        if let Some(status) = &self.unleash {
            self.render_unleash(out, status);
        }
    }

    fn render_unleash(&self, out: &mut String, status: &crate::unleash::UnleashStatus) {
        header(
            out,
            "cleave_unleash_fetches_total",
            "counter",
            "Fetches of Unleash's client features, by outcome (failed and invalid keep the last good copy).",
        );
        for outcome in crate::unleash::OUTCOMES {
            let _ = writeln!(
                out,
                "cleave_unleash_fetches_total{{outcome=\"{outcome}\"}} {}",
                self.counter(&format!("unleash_{outcome}"))
            );
        }
        header(
            out,
            "cleave_unleash_up",
            "gauge",
            "Whether the last fetch of Unleash's client features succeeded.",
        );
        let _ = writeln!(out, "cleave_unleash_up {}", u8::from(status.ok));
        header(
            out,
            "cleave_unleash_toggles",
            "gauge",
            "Toggles in the copy of Unleash's features in use.",
        );
        let _ = writeln!(out, "cleave_unleash_toggles {}", status.toggles);
        if let Some(at) = status.last_success_at {
            header(
                out,
                "cleave_unleash_last_success_age_seconds",
                "gauge",
                "Seconds since the last successful fetch of Unleash's client features.",
            );
            let age = (self.now_ms - at).max(0) as f64 / 1000.0;
            let _ = writeln!(out, "cleave_unleash_last_success_age_seconds {age}");
        }
    }
}

/// Escapes a label value (`\`, `"` and newlines).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Renders the metrics. Counts are read from storage, so they survive isolate restarts.
///
/// `experimentation_experiments_total` is typed `counter` because Prometheus' naming
/// rules reserve `_total` for counters; it is the current number of experiments per status.
///
/// `wasm_memory_bytes` is the answering isolate's wasm linear memory (it never shrinks, so
/// it shows the most any request ever needed there).
pub fn render(
    data: &MetricsData,
    progress: &[ExperimentProgress],
    wasm_memory_bytes: u64,
    integrations: &Integrations,
) -> String {
    let mut out = String::new();
    header(
        &mut out,
        "experimentation_experiments_total",
        "counter",
        "Experiments by status.",
    );
    for status in Status::ALL {
        let n = data
            .experiments_by_status
            .iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(
            out,
            "experimentation_experiments_total{{status=\"{status}\"}} {n}"
        );
    }
    header(
        &mut out,
        "experimentation_experiments_active",
        "gauge",
        "Experiments currently running.",
    );
    let active = data
        .experiments_by_status
        .iter()
        .find(|(s, _)| s == "running")
        .map_or(0, |(_, n)| *n);
    let _ = writeln!(out, "experimentation_experiments_active {active}");
    header(
        &mut out,
        "experimentation_variant_assignments_total",
        "counter",
        "Users assigned (first exposures), by experiment and variant.",
    );
    for (e, v, n) in &data.assignments {
        let _ = writeln!(
            out,
            "experimentation_variant_assignments_total{{experiment_id=\"{}\",variant=\"{}\"}} {n}",
            label(e),
            label(v)
        );
    }
    header(
        &mut out,
        "experimentation_events_total",
        "counter",
        "Events tracked, by experiment, variant and event name.",
    );
    for (e, v, name, n) in &data.events {
        let _ = writeln!(
            out,
            "experimentation_events_total{{experiment_id=\"{}\",variant=\"{}\",event_name=\"{}\"}} {n}",
            label(e),
            label(v),
            label(name)
        );
    }
    header(
        &mut out,
        "experimentation_significant_results_total",
        "counter",
        "Comparisons significant after correction in the latest analysis, by experiment.",
    );
    for run in &data.analyses {
        let _ = writeln!(
            out,
            "experimentation_significant_results_total{{experiment_id=\"{}\"}} {}",
            label(&run.experiment_id),
            run.significant_results
        );
    }
    header(
        &mut out,
        "experimentation_analysis_duration_seconds",
        "gauge",
        "Duration of the latest analysis (aggregate query and statistics), by experiment.",
    );
    for run in &data.analyses {
        let _ = writeln!(
            out,
            "experimentation_analysis_duration_seconds{{experiment_id=\"{}\"}} {}",
            label(&run.experiment_id),
            run.duration_seconds
        );
    }
    header(
        &mut out,
        "experimentation_p_value",
        "gauge",
        "p-value of the headline comparison in the latest analysis, by experiment and metric.",
    );
    for run in &data.analyses {
        if let Some(p) = run.p_value {
            let _ = writeln!(
                out,
                "experimentation_p_value{{experiment_id=\"{}\",metric=\"{}\"}} {p}",
                label(&run.experiment_id),
                label(&run.metric)
            );
        }
    }
    header(
        &mut out,
        "experimentation_sample_size_progress_ratio",
        "gauge",
        "Smallest variant's users over the planned users per variant (capped at 1), by experiment.",
    );
    for p in progress {
        if let Some(ratio) = p.progress {
            let _ = writeln!(
                out,
                "experimentation_sample_size_progress_ratio{{experiment_id=\"{}\",status=\"{}\"}} {ratio}",
                label(&p.experiment_id),
                p.status
            );
        }
    }
    header(
        &mut out,
        "cleave_worker_wasm_memory_bytes",
        "gauge",
        "Linear memory of the Worker isolate that answered (wasm memory never shrinks).",
    );
    let _ = writeln!(out, "cleave_worker_wasm_memory_bytes {wasm_memory_bytes}");
    integrations.render(&mut out);
    header(
        &mut out,
        "cleave_build_info",
        "gauge",
        "Cleave version and assignment contract version.",
    );
    let _ = writeln!(
        out,
        "cleave_build_info{{version=\"{}\",assignment_spec=\"{}\"}} 1",
        cleave_core::VERSION,
        cleave_core::assign::SPEC_VERSION
    );
    out
}
