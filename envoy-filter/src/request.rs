//! Per-request decisions, natively testable: the user id (headers, then cookie, then a
//! new one), QA force overrides, the header plan and the routing value.

use crate::config::Config;
use cleave_core::edge::{self, HeaderPlan, Prepared};

/// Where the user id came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserId {
    /// From a request header or the cookie.
    Found(String),
    /// Newly minted; must be returned in `Set-Cookie`.
    Minted(String),
    /// None (the request passes with spoofed headers stripped).
    Absent,
}

impl UserId {
    /// The id, if any.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Found(s) | Self::Minted(s) => Some(s),
            Self::Absent => None,
        }
    }
}

/// Finds the user id; `mint` supplies 16 random bytes when one must be generated.
pub fn user_id(
    config: &Config,
    headers: &[(&str, &str)],
    mint: impl FnOnce() -> Option<[u8; 16]>,
) -> UserId {
    let from_header = config.user_id_headers.iter().find_map(|wanted| {
        headers
            .iter()
            .find(|(n, v)| n.eq_ignore_ascii_case(wanted) && !v.is_empty() && v.len() <= 256)
    });
    if let Some((_, v)) = from_header {
        return UserId::Found(v.to_string());
    }
    if let Some(name) = &config.cookie {
        let found = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .find_map(|(_, v)| edge::cookie_value(v, name));
        if let Some(v) = found {
            return UserId::Found(v.to_string());
        }
        if config.generate_user_id
            && let Some(bytes) = mint()
        {
            return UserId::Minted(edge::user_id_from_bytes(&bytes));
        }
    }
    UserId::Absent
}

/// `key=variant` pairs from the force header, when allowed.
pub fn force_overrides(config: &Config, headers: &[(&str, &str)]) -> Vec<(String, String)> {
    if !config.allow_force_header {
        return Vec::new();
    }
    let name = format!("{}force", config.header_prefix);
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(&name))
        .flat_map(|(_, v)| v.split(','))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The header plan for one request, with force overrides applied to the experiments they name.
pub fn plan(
    config: &Config,
    experiments: &[Prepared],
    headers: &[(&str, &str)],
    user: Option<&str>,
    host: &str,
    path: &str,
) -> HeaderPlan {
    let overrides = force_overrides(config, headers);
    let forced: Vec<Prepared>;
    let experiments = if overrides.is_empty() || user.is_none() {
        experiments
    } else {
        forced = experiments
            .iter()
            .map(|p| {
                let mut p = p.clone();
                if let (Some((_, variant)), Some(u)) =
                    (overrides.iter().find(|(k, _)| *k == p.experiment.key), user)
                    && p.experiment.variant(variant).is_some()
                {
                    p.experiment.forced.insert(u.to_string(), variant.clone());
                }
                p
            })
            .collect();
        &forced
    };
    let mut out = edge::plan(
        experiments,
        &config.header_prefix,
        headers.iter().map(|(n, _)| *n),
        user,
        host,
        path,
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
