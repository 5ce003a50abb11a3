//! Per-request decisions, natively testable: the unit id, QA overrides and the header plan
//! come from the core's edge rules (`cleave_core::edge`); this adds the filter's own
//! `routing_header`.

use crate::config::Config;
use cleave_core::edge::{self, HeaderPlan, Prepared, UnitId};

/// Finds the unit id (the configured headers, then the cookie, else a new one when
/// `generate_user_id` is on); `mint` supplies 16 random bytes.
pub fn user_id(
    config: &Config,
    headers: &[(&str, &str)],
    mut mint: impl FnMut() -> Option<[u8; 16]>,
) -> UnitId {
    let mint: Option<&mut dyn FnMut() -> Option<[u8; 16]>> = if config.generate_user_id {
        Some(&mut mint)
    } else {
        None
    };
    edge::resolve_unit_id(
        headers.iter().copied(),
        &config.user_id_headers,
        config.cookie.as_deref(),
        mint,
    )
}

/// The header plan for one request: QA overrides when `allow_force_header` is on, and the
/// routing value when `routing_header` is set.
pub fn plan(
    config: &Config,
    experiments: &[Prepared],
    headers: &[(&str, &str)],
    user: Option<&str>,
    host: &str,
    path: &str,
) -> HeaderPlan {
    let overrides = if config.allow_force_header {
        edge::force_overrides(&config.header_prefix, headers.iter().copied())
    } else {
        Vec::new()
    };
    let mut out = edge::plan(
        experiments,
        &config.header_prefix,
        headers.iter().map(|(n, _)| *n),
        user,
        host,
        path,
        &overrides,
    );
    if let (Some(header), Some(u)) = (&config.routing_header, user) {
        out.add
            .push((header.clone(), edge::routing_value(u).to_string()));
        if !out.remove.contains(header)
            && headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(header))
        {
            out.remove.push(header.clone());
        }
    }
    out
}
