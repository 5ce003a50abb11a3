//! Per-request decisions, natively testable: the unit id, QA overrides and the header plan
//! come from the core's edge rules (`cleave_core::edge`); this adds the filter's own
//! `routing_header`.

use crate::config::Config;
use crate::served::Served;
use cleave_core::edge::{self, HeaderPlan, RequestFacts, UnitId};
use cleave_core::model::Audience;
use cleave_core::targeting::RegexEngine;
use serde_json::Value;
use std::borrow::Cow;

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

/// The request's targeting attributes: the JSON object in `attributes_header` (when valid:
/// its keys win), the core's request facts (`host` without the port, `path` without the
/// query, `method`, `query`, `user_agent`, `device`) and the configured header attributes.
/// `Null` (nothing built) when no served experiment has targeting.
pub fn attributes(config: &Config, served: &Served, headers: &[(&str, &str)]) -> Value {
    if !served.needs_attributes {
        return Value::Null;
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    let authority = header(":authority").unwrap_or_default();
    let host = authority.split(':').next().unwrap_or(authority);
    let full = header(":path").unwrap_or_default();
    let (path, query) = match full.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (full, None),
    };
    let facts = RequestFacts {
        host,
        path,
        method: header(":method").unwrap_or_default(),
        query,
        user_agent: header("user-agent"),
        ..RequestFacts::default()
    };
    let mapped = config.attributes.iter().filter_map(|(name, source)| {
        header(source).map(|v| (name.as_str(), Value::String(v.to_string())))
    });
    let attributes = edge::request_attributes(&facts, mapped);
    let given = config
        .attributes_header
        .as_deref()
        .and_then(header)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .filter(|v| v.is_object() && cleave_core::targeting::check_attributes(v).is_ok());
    let (Some(Value::Object(given)), Value::Object(mut all)) = (given, attributes.clone()) else {
        return attributes;
    };
    let alone = Value::Object(given.clone());
    all.extend(given);
    let merged = Value::Object(all);
    // Over the limits together: the header's object alone (it is within them).
    if cleave_core::targeting::check_attributes(&merged).is_ok() {
        merged
    } else {
        alone
    }
}

/// The header plan for one request: QA overrides when `allow_force_header` is on, the
/// request's attributes for targeting, and the routing value when `routing_header` is set.
pub fn plan<'a>(
    config: &'a Config,
    served: &'a Served,
    headers: &[(&str, &str)],
    user: Option<&str>,
    attributes: &Value,
    regex: &dyn RegexEngine,
) -> HeaderPlan<'a> {
    let overrides = if config.allow_force_header {
        edge::force_overrides(&config.header_prefix, headers.iter().copied())
    } else {
        Vec::new()
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| *v)
    };
    let audience = Audience {
        attributes,
        holdouts: &served.holdouts,
        groups: &served.groups,
        regex,
        gates: &cleave_core::model::NoGates,
    };
    let mut out = edge::plan(
        &served.experiments,
        &config.names,
        headers.iter().map(|(n, _)| *n),
        user,
        header(":authority"),
        header(":path"),
        &overrides,
        &audience,
    );
    if let (Some(header), Some(u)) = (&config.routing_header, user) {
        out.add.push((
            Cow::Borrowed(header.as_str()),
            Cow::Owned(edge::routing_value(u).to_string()),
        ));
        if !out.remove.contains(header)
            && headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(header))
        {
            out.remove.push(header.clone());
        }
    }
    out
}
