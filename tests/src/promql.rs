//! Just enough PromQL and Prometheus text format to check that a Grafana dashboard only
//! queries metrics (and labels) that are actually exported.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};

/// What one query uses: metric names, the labels matched on each, and grouping labels.
#[derive(Debug, Default, PartialEq)]
pub struct QueryUse {
    /// Metric name → labels used in its `{...}` matchers.
    pub metrics: BTreeMap<String, BTreeSet<String>>,
    /// Labels in `by`, `without`, `on`, `ignoring`, `group_left`, `group_right` clauses.
    pub grouping: BTreeSet<String>,
}

const KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
];

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid regex")
}

/// The metrics and labels a PromQL expression uses (Grafana `$variables` are ignored).
pub fn query_use(expr: &str) -> QueryUse {
    let mut out = QueryUse::default();
    let expr = re(r"\$\{?\w+\}?").replace_all(expr, "").to_string();
    let selector = re(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}");
    let matcher = re(r#"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*""#);
    for c in selector.captures_iter(&expr) {
        let labels = matcher
            .captures_iter(&c[2])
            .map(|m| m[1].to_string())
            .collect::<BTreeSet<_>>();
        out.metrics
            .entry(c[1].to_string())
            .or_default()
            .extend(labels);
    }
    let rest = re(r"\{[^}]*\}").replace_all(&expr, " ");
    let rest = re(r"\[[^\]]*\]").replace_all(&rest, " ");
    let grouping = re(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)");
    for c in grouping.captures_iter(&rest) {
        out.grouping.extend(
            c[1].split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    let rest = grouping.replace_all(&rest, " ");
    let ident = re(r"[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?");
    for m in ident.captures_iter(&rest) {
        let name = m[0].trim_end_matches(|c: char| c == '(' || c.is_whitespace());
        let is_call = m.get(1).is_some();
        let starts_number = rest[..m.get(0).map_or(0, |x| x.start())]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_digit() || c == '.');
        if !is_call && !starts_number && !KEYWORDS.contains(&name) {
            out.metrics.entry(name.to_string()).or_default();
        }
    }
    out
}

/// The labels of the Grafana legend format (`{{label}}`).
pub fn legend_labels(format: &str) -> BTreeSet<String> {
    re(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
        .captures_iter(format)
        .map(|c| c[1].to_string())
        .collect()
}

/// Metric name → every label name seen on its samples, from Prometheus text format.
pub fn exported(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let sample = re(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{([^}]*)\})?\s");
    let label = re(r#"([A-Za-z_][A-Za-z0-9_]*)="(?:[^"\\]|\\.)*""#);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some(c) = sample.captures(line) {
            let labels = out.entry(c[1].to_string()).or_default();
            if let Some(l) = c.get(2) {
                labels.extend(label.captures_iter(l.as_str()).map(|m| m[1].to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_metrics_matchers_and_grouping() {
        let q = query_use(
            r#"sum by (experiment_id, variant) (a_total{experiment_id=~"$experiment", event_name="x"}) / on (experiment_id) sum(rate(b_seconds[$__rate_interval])) > 0.05"#,
        );
        assert_eq!(
            q.metrics.keys().collect::<Vec<_>>(),
            vec!["a_total", "b_seconds"]
        );
        assert_eq!(
            q.metrics["a_total"].iter().collect::<Vec<_>>(),
            vec!["event_name", "experiment_id"]
        );
        assert_eq!(
            q.grouping.iter().collect::<Vec<_>>(),
            vec!["experiment_id", "variant"]
        );
    }

    #[test]
    fn reads_the_text_format() {
        let m = exported("# HELP x y\nx_total{a=\"1\",b=\"q=2\"} 3\nup 1\n");
        assert_eq!(m["x_total"].iter().collect::<Vec<_>>(), vec!["a", "b"]);
        assert!(m["up"].is_empty());
    }
}
