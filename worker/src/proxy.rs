//! Edge proxy mode: with `ORIGIN_URL` set, every non-API request goes to the origin
//! with `x-cleave-<experiment>: <variant>` headers, the body streamed both ways.

use crate::host::{WorkerHost, setting};
use crate::outbox::Outbox;
use crate::service::Host;
use crate::store::{CloudStore, Exposure, HoldoutMember, Store};
use cleave_core::edge::{self, DEFAULT_COOKIE, DEFAULT_HEADER_PREFIX, UnitId};
use worker::wasm_bindgen::JsValue;
use worker::{
    Context, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response, Result,
};

/// Request headers never forwarded to the origin (the runtime sets its own).
const HOP_HEADERS: [&str; 2] = ["host", "content-length"];

/// Whether a path belongs to Cleave itself rather than the origin: every path of the route
/// table, and anything under `/api/` (a JSON 404 rather than the origin's page).
pub fn is_cleave_path(path: &str) -> bool {
    path.starts_with("/api/") || crate::routes::lookup(path).is_some()
}

/// The request's targeting attributes: the core's request facts, Cloudflare's location
/// (`country`, `region`, `city`, `asn` from `request.cf`) and the cookies named in
/// `CLEAVE_ATTRIBUTE_COOKIES` (comma-separated; `cookie.<name>` in conditions).
fn request_attributes(
    req: &Request,
    env: &Env,
    url: &worker::Url,
    host: &str,
    headers: &[(String, String)],
) -> serde_json::Value {
    use serde_json::Value;
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let mut extra: Vec<(String, Value)> = Vec::new();
    if let Some(cf) = req.cf() {
        let located = [
            ("country", cf.country()),
            ("region", cf.region()),
            ("city", cf.city()),
        ];
        for (name, value) in located {
            if let Some(v) = value {
                extra.push((name.to_string(), Value::String(v)));
            }
        }
        if let Some(asn) = cf.asn() {
            extra.push(("asn".to_string(), Value::from(asn)));
        }
    }
    let cookie_names: Vec<String> = setting(env, "CLEAVE_ATTRIBUTE_COOKIES")
        .map(|names| {
            names
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let method = req.method();
    let facts = edge::RequestFacts {
        host,
        path: url.path(),
        method: method.as_ref(),
        query: url.query(),
        user_agent: header("user-agent"),
        cookie_header: header("cookie"),
        cookie_names: &cookie_names,
    };
    edge::request_attributes(&facts, extra.iter().map(|(n, v)| (n.as_str(), v.clone())))
}

/// Records the plan's exposures (each experiment's in its shards, in parallel) and holdout
/// arms.
async fn record_decisions(
    env: &Env,
    outbox: &Outbox,
    experiments: &[edge::Prepared],
    plan: &edge::HeaderPlan<'_>,
    user: &str,
    context: Option<String>,
) -> crate::store::StoreResult<()> {
    if plan.assignments.is_empty() && plan.holdouts.is_empty() {
        return Ok(());
    }
    let store = CloudStore::from_env(env)?;
    let now = WorkerHost.now_ms();
    let writes = plan.assignments.iter().filter_map(|a| {
        let prepared = experiments
            .iter()
            .find(|p| p.experiment.id == a.experiment_id)?;
        let exposure = Exposure {
            experiment_id: a.experiment_id.to_string(),
            user_id: user.to_string(),
            variant: a.variant.to_string(),
            reason: a.reason.to_string(),
            at: now,
            context: context.clone(),
        };
        let store = &store;
        Some(async move {
            let exposed = store
                .record_exposures(&prepared.experiment, std::slice::from_ref(&exposure))
                .await?;
            outbox.exposed(
                &prepared.experiment,
                std::slice::from_ref(&exposure),
                &exposed,
            );
            if !exposed.refused.is_empty() {
                // The origin already has the variant's header; the unit is not counted.
                worker::console_warn!(
                    "experiment {} is at its total_population: unit {} was not recorded",
                    prepared.experiment.id,
                    exposure.user_id
                );
            }
            Ok::<_, crate::store::StoreError>(())
        })
    });
    let members: Vec<HoldoutMember> = plan
        .holdouts
        .iter()
        .map(|h| HoldoutMember {
            holdout: h.holdout.to_string(),
            user_id: user.to_string(),
            held_out: h.held_out,
            at: now,
        })
        .collect();
    let (written, arms) = futures_util::future::join(
        futures_util::future::try_join_all(writes),
        store.record_holdout_members(&members),
    )
    .await;
    written?;
    arms
}

/// Proxies `req` to `origin`, assigning the user to every matching running experiment.
pub async fn forward(req: Request, env: &Env, ctx: &Context, origin: &str) -> Result<Response> {
    let url = req.url()?;
    let cookie_name = setting(env, "CLEAVE_COOKIE").unwrap_or_else(|| DEFAULT_COOKIE.to_string());
    let id_headers: Vec<String> = setting(env, "CLEAVE_USER_ID_HEADERS")
        .map(|v| {
            v.split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let request_headers: Vec<(String, String)> = req.headers().entries().collect();
    let pairs = || {
        request_headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
    };
    // The core's order: configured headers, the cookie, else a new id (128 random bits).
    let mut mint = || Some(WorkerHost.new_bytes());
    let unit = edge::resolve_unit_id(pairs(), &id_headers, Some(&cookie_name), Some(&mut mint));
    // Minting never fails here, so the unit is always found or minted.
    let (user, minted) = match unit {
        UnitId::Found(id) => (id, false),
        UnitId::Minted(id) => (id, true),
        UnitId::Absent => (WorkerHost.new_id(), true),
    };
    let new_cookie = minted.then(|| {
        let forwarded = req.headers().get("x-forwarded-proto").ok().flatten();
        let secure = edge::is_https(Some(url.scheme()), forwarded.as_deref());
        edge::set_cookie(&cookie_name, &user, secure)
    });
    let published = crate::cache::snapshot(env).await;
    let experiments = published
        .as_ref()
        .map_or(&[][..], |p| p.prepared.as_slice());
    let fallback_names = edge::HeaderNames::new(DEFAULT_HEADER_PREFIX, edge::HeaderMode::Each);
    let names = published.as_ref().map_or(&fallback_names, |p| &p.names);
    let overrides = if setting(env, "CLEAVE_ALLOW_FORCE_HEADER").is_some_and(|v| v == "true") {
        edge::force_overrides(&names.prefix, pairs())
    } else {
        Vec::new()
    };
    let host = url.host_str().unwrap_or_default().to_string();
    let attributes = request_attributes(&req, env, &url, &host, &request_headers);
    let no_groups = cleave_core::targeting::Groups::new();
    let audience = match &published {
        Some(p) => p.audience().with(&attributes),
        None => cleave_core::model::Audience {
            attributes: &attributes,
            holdouts: &[],
            groups: &no_groups,
            regex: &cleave_core::targeting::NoRegex,
            gates: &cleave_core::model::NoGates,
        },
    };
    let plan = edge::plan(
        experiments,
        names,
        pairs().map(|(n, _)| n),
        Some(&user),
        &host,
        url.path(),
        &overrides,
        &audience,
    );
    let context = crate::service::assign::stored_context(&attributes);

    let outgoing = Headers::new();
    for (name, value) in req.headers().entries() {
        if !plan.remove.contains(&name) && !HOP_HEADERS.contains(&name.as_str()) {
            outgoing.append(&name, &value)?;
        }
    }
    for (name, value) in &plan.add {
        outgoing.set(name, value)?;
    }
    let mut target = worker::Url::parse(origin)
        .map_err(|e| worker::Error::RustError(format!("ORIGIN_URL: {e}")))?;
    target.set_path(&format!(
        "{}{}",
        target.path().trim_end_matches('/'),
        url.path()
    ));
    target.set_query(url.query());
    let method = req.method();
    let mut init = RequestInit::new();
    init.with_method(method.clone())
        .with_headers(outgoing)
        .with_redirect(RequestRedirect::Manual);
    if !matches!(method, Method::Get | Method::Head) {
        init.with_body(req.inner().body().map(JsValue::from));
    }
    // The exposures are written while the origin answers; both finish before the answer,
    // so a response means the exposures are durable, at no extra round trip.
    let upstream_request = Fetch::Request(Request::new_with_init(target.as_str(), &init)?);
    let fetch = upstream_request.send();
    let outbox = Outbox::new(env, req.headers(), Some(url.as_str()));
    let record = record_decisions(env, &outbox, experiments, &plan, &user, context);
    let (fetched, recorded) = futures_util::future::join(fetch, record).await;
    outbox.send_in_background(ctx, env);
    if let Err(e) = recorded {
        worker::console_error!("recording the proxy's exposures failed: {e}");
        return crate::error::ApiError::from(e).into_response();
    }
    let upstream = match fetched {
        Ok(r) => r,
        Err(e) => {
            return crate::error::ApiError::new(
                crate::error::ErrorCode::OriginUnreachable,
                format!("the origin did not answer: {e}"),
            )
            .into_response();
        }
    };

    // Fetched responses have immutable headers: copy them, add the cookie, keep the stream.
    let headers = Headers::new();
    for (name, value) in upstream.headers().entries() {
        headers.append(&name, &value)?;
    }
    if let Some(cookie) = new_cookie {
        headers.append("set-cookie", &cookie)?;
    }
    Ok(Response::builder()
        .with_status(upstream.status_code())
        .with_headers(headers)
        .body(upstream.body().clone()))
}
