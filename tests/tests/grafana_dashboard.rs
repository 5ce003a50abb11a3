//! deploy/grafana/cleave.json only queries what Cleave exports: every metric in every panel
//! and variable exists in the Worker's `/metrics` or the Envoy filter's `/stats/prometheus`
//! (with traffic flowing through both), and every label it matches, groups by or shows in
//! a legend is a label of a metric in that query.

use cleave_e2e::promql::{exported, legend_labels, query_use};
use cleave_e2e::{Api, EchoServer, Envoy, Wrangler, free_port, http, repo_root, send, wait_for};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const SNAPSHOT_TOKEN: &str = "grafana-snapshot-token";

/// Every (expression, legend format) in the dashboard: panel targets and variable queries.
fn queries(dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap_or_default();
            assert!(
                !expr.is_empty(),
                "panel {} has a target without expr",
                panel["title"]
            );
            out.push((
                expr.to_string(),
                target["legendFormat"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
    }
    let label_values = regex::Regex::new(r"label_values\(\s*([^,]+),\s*(\w+)\s*\)").expect("regex");
    for var in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let query = var["query"]["query"].as_str().unwrap_or_default();
        if let Some(c) = label_values.captures(query) {
            out.push((c[1].to_string(), format!("{{{{{}}}}}", &c[2])));
        }
    }
    out
}

fn text(url: &str) -> String {
    let (status, body) = send(http().get(url), None);
    assert_eq!(status, 200, "{url}: {body}");
    body
}

/// Runs an experiment through the Worker API and Envoy so that every labelled series exists.
fn generate_traffic(api: &Api, envoy: &Envoy) {
    let created = api.running(json!({
        "name": "Grafana", "key": "grafana", "metrics": ["checkout"],
        "base_rate": 0.1, "min_detectable_effect": 0.2,
        "variants": [{"name": "control"}, {"name": "green"}]
    }));
    let id = created["id"].as_str().unwrap_or_default().to_string();
    for i in 0..40 {
        let user = format!("g-{i}");
        let (status, _) = api.public(
            "POST",
            &format!("/api/v1/experiments/{id}/assign"),
            Some(json!({"user_id": user})),
        );
        assert_eq!(status, 200);
        if i % 3 == 0 {
            let (status, body) = api.public(
                "POST",
                &format!("/api/v1/experiments/{id}/track"),
                Some(json!({"user_id": user, "event_name": "checkout"})),
            );
            assert_eq!(status, 200, "{body}");
        }
    }
    let (status, _) = api.admin("GET", &format!("/api/v1/experiments/{id}/stats"), None);
    assert_eq!(status, 200);
    // The snapshot reaches Envoy (refresh 2 s), then requests are assigned there too.
    wait_for("the experiment in Envoy", Duration::from_secs(15), || {
        let (_, body) = send(
            http()
                .get(&format!("http://127.0.0.1:{}/x", envoy.port))
                .set("x-user-id", "probe"),
            None,
        );
        body.contains("x-cleave-grafana")
    });
    for i in 0..20 {
        send(
            http()
                .get(&format!("http://127.0.0.1:{}/x", envoy.port))
                .set("x-user-id", &format!("mesh-{i}")),
            None,
        );
    }
}

#[test]
fn every_metric_the_grafana_dashboard_queries_is_exported() {
    let api = Api {
        w: Wrangler::start_with("grafana", &[("SNAPSHOT_TOKEN", SNAPSHOT_TOKEN)]),
    };
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let config =
        cleave_e2e::envoy_synced_config(port, admin, echo.port, api.w.port(), SNAPSHOT_TOKEN);
    let envoy = Envoy::start("envoy-grafana", &config, port, admin);
    generate_traffic(&api, &envoy);

    let stats_url = format!("http://127.0.0.1:{admin}/stats/prometheus");
    wait_for(
        "per-variant counters in Envoy",
        Duration::from_secs(10),
        || text(&stats_url).contains("cleave_assignments{"),
    );
    let mut available: BTreeMap<String, BTreeSet<String>> = exported(&api.metrics_text());
    for (name, labels) in exported(&text(&stats_url)) {
        available.entry(name).or_default().extend(labels);
    }

    let path = repo_root().join("deploy/grafana/cleave.json");
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("dashboard")).expect("JSON");
    let queries = queries(&dashboard);
    assert!(queries.len() >= 15, "only {} queries found", queries.len());
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for (expr, legend) in &queries {
        let q = query_use(expr);
        assert!(!q.metrics.is_empty(), "no metric found in {expr}");
        let mut labels_here = BTreeSet::new();
        for (metric, matched) in &q.metrics {
            used.insert(metric.clone());
            match available.get(metric) {
                None => problems.push(format!("{metric} is not exported (in `{expr}`)")),
                Some(labels) => {
                    labels_here.extend(labels.iter().cloned());
                    for l in matched.difference(labels) {
                        problems.push(format!("{metric} has no label {l} (in `{expr}`)"));
                    }
                }
            }
        }
        for l in q.grouping.iter().chain(legend_labels(legend).iter()) {
            if !labels_here.contains(l) {
                problems.push(format!("label {l} is on no metric of `{expr}`"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "dashboard problems:\n  {}",
        problems.join("\n  ")
    );
    for metric in [
        "experimentation_experiments_total",
        "experimentation_experiments_active",
        "experimentation_variant_assignments_total",
        "experimentation_events_total",
        "experimentation_significant_results_total",
        "experimentation_p_value",
        "experimentation_sample_size_progress_ratio",
        "cleave_assignments",
    ] {
        assert!(
            used.contains(metric),
            "the dashboard does not chart {metric}"
        );
    }
}
