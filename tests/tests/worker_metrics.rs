//! `/metrics` carries the v1 API's six metrics from D1, the latest p-value and sample-size
//! progress (equal to `/stats` and `/api/v1/progress`), and passes `promtool check metrics`.

use cleave_e2e::Api;
use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn metrics_are_valid_prometheus_text_with_the_v1_api_names() {
    let api = Api::start("metrics");
    let e = api.running(json!({"name": "Metrics \"quoted\"", "variants": [{"name": "control"}, {"name": "b"}], "metrics": ["buy"], "target_sample_size": 100}));
    let id = e["id"].as_str().unwrap_or_default().to_string();
    let (_, draft) = api.admin(
        "POST",
        "/api/v1/experiments",
        Some(json!({"name": "Draft one", "variants": [{"name": "a"}, {"name": "b"}]})),
    );
    assert!(draft["id"].is_string());
    let exposures: Vec<_> = (0..40)
        .map(|i| {
            let user = format!("u{i}");
            let model: cleave_core::model::Experiment =
                serde_json::from_value(e.clone()).expect("model");
            let variant = model
                .assign(&user)
                .expect("valid")
                .variant_name()
                .map(str::to_string);
            json!({"experiment_id": id, "user_id": user, "variant": variant})
        })
        .collect();
    api.public(
        "POST",
        "/api/v1/exposures/batch",
        Some(json!({"exposures": exposures})),
    );
    let events: Vec<_> = (0..10)
        .map(|i| json!({"experiment_id": id, "user_id": format!("u{i}"), "event_name": "buy"}))
        .collect();
    api.public(
        "POST",
        "/api/v1/events/batch",
        Some(json!({"events": events})),
    );
    let (status, report) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    assert_eq!(status, 200);
    let (status, progress) = api.admin("GET", "/api/v1/progress", None);
    assert_eq!(status, 200);

    let text = api.metrics_text();
    for name in [
        "experimentation_experiments_total{status=\"running\"} 1",
        "experimentation_experiments_total{status=\"draft\"} 1",
        "experimentation_experiments_active 1",
        "experimentation_variant_assignments_total{",
        "experimentation_events_total{",
        "experimentation_significant_results_total{",
        "experimentation_analysis_duration_seconds{",
    ] {
        assert!(text.contains(name), "missing {name} in:\n{text}");
    }
    let assigned: u64 = text
        .lines()
        .filter(|l| l.starts_with("experimentation_variant_assignments_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(assigned, 40, "{text}");
    let events: u64 = text
        .lines()
        .filter(|l| l.starts_with("experimentation_events_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(events, 10, "{text}");

    let value_of = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in:\n{text}"))
    };
    let p_value = value_of(&format!(
        "experimentation_p_value{{experiment_id=\"{id}\",metric=\"buy\"}} "
    ));
    assert_eq!(Some(p_value), report["p_value"].as_f64(), "{report}");
    let ratio = value_of(&format!(
        "experimentation_sample_size_progress_ratio{{experiment_id=\"{id}\",status=\"running\"}} "
    ));
    let listed = progress
        .as_array()
        .and_then(|all| all.iter().find(|p| p["experiment_id"] == id.as_str()))
        .expect("the experiment in /api/v1/progress");
    assert_eq!(listed["required_sample_size"], 50, "{listed}");
    assert_eq!(Some(ratio), listed["progress"].as_f64(), "{listed}");
    assert_eq!(Some(ratio), report["progress"].as_f64(), "{report}");
    assert!(
        ratio > 0.0 && ratio <= 0.5,
        "≤ 40 users over 2 variants of 50: {ratio}"
    );

    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (installed by .ci/tools.sh promtool)");
    promtool
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = promtool.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
