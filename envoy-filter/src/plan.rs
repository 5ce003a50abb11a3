//! What the filter does to one request's headers: a pure function of the config and
//! the incoming headers, so it is tested natively.

use crate::config::Config;

/// Header changes for the upstream request.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Client-sent headers with the filter's prefix, removed (no spoofing).
    pub remove: Vec<String>,
    /// Headers to set: one per assigned experiment plus the summary.
    pub add: Vec<(String, String)>,
}

/// Plans the header changes for a request to `host` + `path` with `headers`.
pub fn plan(config: &Config, headers: &[(String, String)], host: &str, path: &str) -> Plan {
    let mut out = Plan::default();
    for (name, _) in headers {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with(&config.header_prefix) && !out.remove.contains(&lower) {
            out.remove.push(lower);
        }
    }
    let user = config.user_id_headers.iter().find_map(|wanted| {
        headers
            .iter()
            .find(|(n, v)| n.eq_ignore_ascii_case(wanted) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    });
    let Some(user) = user else {
        return out;
    };
    let mut summary = String::new();
    for p in config
        .experiments
        .iter()
        .filter(|p| p.experiment.applies_to(host, path))
    {
        let assignment = p.experiment.assign_with(&p.allocation, user);
        if let Some(variant) = assignment.variant_name() {
            out.add.push((
                format!("{}{}", config.header_prefix, p.experiment.key),
                variant.to_string(),
            ));
            if !summary.is_empty() {
                summary.push(',');
            }
            summary.push_str(&p.experiment.key);
            summary.push('=');
            summary.push_str(variant);
        }
    }
    if !summary.is_empty() {
        out.add
            .push((format!("{}assignments", config.header_prefix), summary));
    }
    out
}
