//! What the filter does to one request's headers: the user id from the configured
//! headers, then the core's shared edge plan.

use crate::config::Config;
pub use cleave_core::edge::HeaderPlan as Plan;

/// Plans the header changes for a request to `host` + `path` with `headers`.
pub fn plan(config: &Config, headers: &[(String, String)], host: &str, path: &str) -> Plan {
    let user = config.user_id_headers.iter().find_map(|wanted| {
        headers
            .iter()
            .find(|(n, v)| n.eq_ignore_ascii_case(wanted) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    });
    cleave_core::edge::plan(
        &config.experiments,
        &config.header_prefix,
        headers.iter().map(|(n, _)| n.as_str()),
        user,
        host,
        path,
    )
}
