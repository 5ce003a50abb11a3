//! HTTP routes: parse, check auth, call the service, map the result. Nothing else.

use crate::auth::require;
use crate::error::{ApiError, ApiResult};
use crate::host::{WorkerHost, setting};
use crate::service::{
    Host, assign, batch, calculators, experiments, metrics, snapshot, stats, track,
};
use crate::store::{AnalysisRun, D1Store, Store};
use cleave_core::model::{Action, Experiment};
use serde::Serialize;
use std::rc::Rc;
use worker::{Context, Env, Headers, Method, Request, Response, Result, RouteContext, Router};

type Ctx = RouteContext<Rc<Context>>;

/// The OpenAPI 3.1 document (checked against this router by `worker/tests/openapi.rs`).
const OPENAPI: &str = include_str!("../openapi.json");
/// The human-readable docs page; renders [`OPENAPI`] in the browser, no external assets.
const DOCS_PAGE: &str = include_str!("../docs.html");

fn static_file(body: &str, content_type: &str) -> Result<Response> {
    let mut r = Response::ok(body)?;
    r.headers_mut().set("content-type", content_type)?;
    Ok(r)
}

/// Builds the router.
pub fn router(ctx: Rc<Context>) -> Router<'static, Rc<Context>> {
    Router::with_data(ctx)
        .get_async("/ping", |_req, _c| async move { Response::ok("pong") })
        .get_async("/health", |_req, c| async move {
            crate::health::handle(&c.env).await
        })
        .get_async("/api/v1/experiments", |req, c| async move {
            let status = req.url().ok().and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "status")
                    .map(|(_, v)| v.into_owned())
            });
            admin(&req, &c.env, async {
                Ok((
                    200,
                    experiments::list(&store(&c.env)?, status.as_deref()).await?,
                ))
            })
            .await
        })
        .post_async("/api/v1/experiments", |mut req, c| async move {
            let body = req.bytes().await?;
            admin(&req, &c.env, async {
                let store = store(&c.env)?;
                let e =
                    experiments::create(&store, &WorkerHost, &body, experiments::Dialect::Cleave)
                        .await?;
                publish(&c.env, &store).await;
                Ok((201, e))
            })
            .await
        })
        .get_async("/api/v1/experiments/:id", |req, c| async move {
            let id = param(&c, "id");
            admin(&req, &c.env, async {
                Ok((200, experiments::load(&store(&c.env)?, &id).await?))
            })
            .await
        })
        .put_async("/api/v1/experiments/:id", |mut req, c| async move {
            let id = param(&c, "id");
            let body = req.bytes().await?;
            admin(&req, &c.env, async {
                let store = store(&c.env)?;
                let e = experiments::update(&store, &WorkerHost, &id, &body).await?;
                publish(&c.env, &store).await;
                Ok((200, e))
            })
            .await
        })
        .delete_async("/api/v1/experiments/:id", |req, c| async move {
            let id = param(&c, "id");
            admin(&req, &c.env, async {
                let store = store(&c.env)?;
                let e = experiments::delete(&store, &id).await?;
                publish(&c.env, &store).await;
                Ok((200, serde_json::json!({"deleted": true, "id": e.id})))
            })
            .await
        })
        .post_async("/api/v1/experiments/:id/assign", |mut req, c| async move {
            let id = param(&c, "id");
            let body = read_with_query(&mut req).await;
            public(&req, handle_assign(&c, &id, body).await)
        })
        .post_async("/api/v1/experiments/:id/track", |mut req, c| async move {
            let id = param(&c, "id");
            let body = read_with_query(&mut req).await;
            public(&req, handle_track(&c.env, &id, body).await)
        })
        .get_async("/api/v1/experiments/:id/stats", |req, c| async move {
            let id = param(&c, "id");
            let query = query_string(&req);
            admin(&req, &c.env, async {
                let started = WorkerHost.now_ms();
                let store = store(&c.env)?;
                let e = experiments::load(&store, &id).await?;
                let q: stats::StatsQuery = serde_urlencoded_query(&query)?;
                let response = stats::stats(&store, &e, q).await?;
                let run = AnalysisRun {
                    experiment_id: e.id.clone(),
                    metric: response.metric.clone(),
                    analyzed_at: WorkerHost.now_ms(),
                    duration_seconds: (WorkerHost.now_ms() - started) as f64 / 1000.0,
                    significant_results: response
                        .report
                        .comparisons
                        .iter()
                        .filter(|c| c.significant)
                        .count() as u64,
                };
                if let Err(err) = store.record_analysis(&run).await {
                    worker::console_error!("recording the analysis run failed: {err}");
                }
                Ok((200, response))
            })
            .await
        })
        .get_async("/metrics", |req, c| async move {
            let auth = req.headers().get("authorization").ok().flatten();
            if let Some(token) = setting(&c.env, "METRICS_TOKEN")
                && let Err(e) = require(auth.as_deref(), &[Some(token)], "metrics")
            {
                return e.into_response();
            }
            let data = match store(&c.env) {
                Ok(s) => s.metrics().await.map_err(ApiError::from),
                Err(e) => Err(e),
            };
            match data {
                Ok(d) => {
                    let mut r = Response::ok(metrics::render(&d))?;
                    r.headers_mut()
                        .set("content-type", "text/plain; version=0.0.4; charset=utf-8")?;
                    Ok(r)
                }
                Err(e) => e.into_response(),
            }
        })
        .post_async("/api/v1/experiments/:id/:action", |req, c| async move {
            let id = param(&c, "id");
            let action_name = param(&c, "action");
            admin(&req, &c.env, async {
                let action = Action::parse(&action_name).ok_or_else(|| {
                    ApiError::not_found(format!(
                        "no action '{action_name}' (start, pause, resume, stop, archive)"
                    ))
                })?;
                let store = store(&c.env)?;
                let e = experiments::transition(&store, &WorkerHost, &id, action).await?;
                publish(&c.env, &store).await;
                Ok((200, e))
            })
            .await
        })
        .post_async("/api/v1/events/batch", |mut req, c| async move {
            let body = req.bytes().await?;
            crate::exposures::flush_now(&c.env).await;
            let result = async {
                Ok((
                    200,
                    batch::events(&store(&c.env)?, &WorkerHost, &body).await?,
                ))
            }
            .await;
            public(&req, result)
        })
        .post_async("/api/v1/exposures/batch", |mut req, c| async move {
            let body = req.bytes().await?;
            let result = async {
                Ok((
                    200,
                    batch::exposures(&store(&c.env)?, &WorkerHost, &body).await?,
                ))
            }
            .await;
            public(&req, result)
        })
        // The second seed's client calls: thin aliases onto the same logic.
        .post_async("/api/experiments", |mut req, c| async move {
            let body = req.bytes().await?;
            admin(&req, &c.env, async {
                let store = store(&c.env)?;
                let e = experiments::create(
                    &store,
                    &WorkerHost,
                    &body,
                    experiments::Dialect::SecondSeed,
                )
                .await?;
                publish(&c.env, &store).await;
                Ok((201, e))
            })
            .await
        })
        .get_async("/api/experiments/:name", |req, c| async move {
            let name = param(&c, "name");
            admin(&req, &c.env, async {
                Ok((200, experiments::load(&store(&c.env)?, &name).await?))
            })
            .await
        })
        .post_async("/api/experiments/:name/status", |mut req, c| async move {
            let name = param(&c, "name");
            let body = req.bytes().await?;
            admin(&req, &c.env, async {
                #[derive(serde::Deserialize)]
                struct StatusBody {
                    status: String,
                }
                let target: StatusBody = crate::service::input::json_body(&body)?;
                let store = store(&c.env)?;
                let current = experiments::load(&store, &name).await?;
                let action = experiments::action_towards(current.status, &target.status)?;
                let e = experiments::transition(&store, &WorkerHost, &current.id, action).await?;
                publish(&c.env, &store).await;
                Ok((200, e))
            })
            .await
        })
        .get_async("/api/experiments/:name/stats", |req, c| async move {
            let name = param(&c, "name");
            admin(&req, &c.env, async {
                let store = store(&c.env)?;
                let e = experiments::load(&store, &name).await?;
                Ok((
                    200,
                    stats::stats(&store, &e, stats::StatsQuery::default()).await?,
                ))
            })
            .await
        })
        .post_async("/api/assignments/get", |mut req, c| async move {
            let body = req.bytes().await?;
            let result = async {
                let (experiment, subid) = seed_pair(&body, None)?;
                handle_assign(&c, &experiment, Ok(user_body(&subid, None))).await
            }
            .await;
            public(&req, result)
        })
        .post_async("/api/events/impression", |mut req, c| async move {
            let body = req.bytes().await?;
            let query = query_string(&req);
            let result = async {
                let (experiment, subid) = seed_pair(&body, Some(&query))?;
                handle_assign(&c, &experiment, Ok(user_body(&subid, None))).await
            }
            .await;
            public(&req, result)
        })
        .post_async("/api/events/conversion", |mut req, c| async move {
            let body = req.bytes().await?;
            let query = query_string(&req);
            let result = async {
                let (experiment, subid) = seed_pair(&body, Some(&query))?;
                handle_track(
                    &c.env,
                    &experiment,
                    Ok(user_body(&subid, Some("conversion"))),
                )
                .await
            }
            .await;
            public(&req, result)
        })
        .post_async("/api/v1/analyze", |mut req, _c| async move {
            let body = req.bytes().await?;
            public(&req, calculators::analyze_request(&body).map(|r| (200, r)))
        })
        .post_async("/api/v1/sample-size", |mut req, _c| async move {
            let body = req.bytes().await?;
            public(
                &req,
                calculators::sample_size_request(&body).map(|r| (200, r)),
            )
        })
        .get_async("/openapi.json", |_req, _c| async move {
            static_file(OPENAPI, "application/json")
        })
        .get_async("/docs", |_req, _c| async move {
            static_file(DOCS_PAGE, "text/html; charset=utf-8")
        })
        .get_async("/api/v1/snapshot", |req, c| async move {
            handle_snapshot(&req, &c.env).await
        })
        .options("/api/v1/*rest", |req, _| {
            with_cors(&req, Response::empty()?.with_status(204))
        })
        .or_else_any_method_async("/*path", |req, c| async move {
            match setting(&c.env, "ORIGIN_URL") {
                Some(origin) if !crate::proxy::is_cleave_path(&req.path()) => {
                    crate::proxy::forward(req, &c.env, &c.data, &origin).await
                }
                _ => ApiError::not_found(format!(
                    "no route for {} {}",
                    method_name(&req),
                    req.path()
                ))
                .into_response(),
            }
        })
}

fn method_name(req: &Request) -> &'static str {
    match req.method() {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Patch => "PATCH",
        _ => "request",
    }
}

fn param(c: &Ctx, name: &str) -> String {
    c.param(name).cloned().unwrap_or_default()
}

fn store(env: &Env) -> ApiResult<D1Store> {
    env.d1("DB")
        .map(D1Store::new)
        .map_err(|e| ApiError::new(503, "storage_unavailable", format!("D1 binding: {e}")))
}

fn query_string(req: &Request) -> String {
    req.url()
        .ok()
        .and_then(|u| u.query().map(str::to_string))
        .unwrap_or_default()
}

fn serde_urlencoded_query<T: serde::de::DeserializeOwned>(query: &str) -> ApiResult<T> {
    let map: serde_json::Map<String, serde_json::Value> =
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| {
                let value = v
                    .parse::<f64>()
                    .ok()
                    .filter(|_| {
                        k != "metric" && k != "user_id" && k != "event_name" && k != "event_id"
                    })
                    .and_then(serde_json::Number::from_f64)
                    .map(serde_json::Value::Number)
                    .unwrap_or_else(|| serde_json::Value::String(v.into_owned()));
                (k.into_owned(), value)
            })
            .collect();
    crate::service::input::json_body(serde_json::Value::Object(map).to_string().as_bytes())
}

/// The JSON body, or — when there is none — the Fawkes query-string form.
async fn read_with_query(req: &mut Request) -> ApiResult<Vec<u8>> {
    let body = req
        .bytes()
        .await
        .map_err(|e| ApiError::bad_request("body", e.to_string()))?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        return Ok(body);
    }
    let query = query_string(req);
    let map: serde_json::Map<String, serde_json::Value> =
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| {
                let value = match k.as_ref() {
                    "value" => v
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(serde_json::Value::Number),
                    "timestamp" => v.parse::<i64>().ok().map(serde_json::Value::from),
                    _ => None,
                }
                .unwrap_or_else(|| serde_json::Value::String(v.to_string()));
                (k.into_owned(), value)
            })
            .collect();
    Ok(serde_json::Value::Object(map).to_string().into_bytes())
}

/// `{subid, experiment_id}` from a JSON body or the query string (second seed).
fn seed_pair(body: &[u8], query: Option<&str>) -> ApiResult<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Pair {
        subid: String,
        experiment_id: String,
    }
    let pair: Pair = if body.iter().all(u8::is_ascii_whitespace) {
        let map: serde_json::Map<String, serde_json::Value> =
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
                .collect();
        crate::service::input::json_body(serde_json::Value::Object(map).to_string().as_bytes())?
    } else {
        crate::service::input::json_body(body)?
    };
    Ok((pair.experiment_id, pair.subid))
}

/// An assign or track body for a second-seed `subid`.
fn user_body(subid: &str, event_name: Option<&str>) -> Vec<u8> {
    match event_name {
        Some(name) => serde_json::json!({"user_id": subid, "event_name": name}),
        None => serde_json::json!({"user_id": subid}),
    }
    .to_string()
    .into_bytes()
}

async fn handle_assign(
    c: &Ctx,
    id: &str,
    body: ApiResult<Vec<u8>>,
) -> ApiResult<(u16, assign::AssignResponse)> {
    let req: assign::AssignRequest = crate::service::input::json_body(&body?)?;
    let experiment = find_for_edge(&c.env, id).await?;
    let (response, exposure) = assign::assign(&experiment, &req.user_id, WorkerHost.now_ms())?;
    if let Some(x) = exposure {
        crate::exposures::record(&c.env, &c.data, vec![x]);
    }
    Ok((200, response))
}

/// The experiment as the edge sees it: from the snapshot when running, else from D1.
async fn find_for_edge(env: &Env, id: &str) -> ApiResult<Experiment> {
    if let Some(p) = crate::cache::snapshot(env).await
        && let Some(e) = p
            .snapshot
            .experiments
            .iter()
            .find(|e| e.id == id || e.key == id)
    {
        return Ok(e.clone());
    }
    experiments::load(&store(env)?, id).await
}

async fn handle_track(
    env: &Env,
    id: &str,
    body: ApiResult<Vec<u8>>,
) -> ApiResult<(u16, track::TrackResponse)> {
    let req: track::TrackRequest = crate::service::input::json_body(&body?)?;
    crate::exposures::flush_now(env).await;
    let store = store(env)?;
    let experiment = experiments::load(&store, id).await?;
    Ok((
        200,
        track::track(&store, &WorkerHost, &experiment, req).await?,
    ))
}

async fn handle_snapshot(req: &Request, env: &Env) -> Result<Response> {
    let auth = req.headers().get("authorization").ok().flatten();
    if let Err(e) = require(
        auth.as_deref(),
        &[setting(env, "ADMIN_TOKEN"), setting(env, "SNAPSHOT_TOKEN")],
        "snapshot",
    ) {
        return e.into_response();
    }
    let Some(published) = crate::cache::snapshot(env).await else {
        return ApiError::new(
            503,
            "snapshot_unavailable",
            "the snapshot could not be built",
        )
        .into_response();
    };
    let s = &published.snapshot;
    let if_none_match = req.headers().get("if-none-match").ok().flatten();
    let mut response = if snapshot::not_modified(if_none_match.as_deref(), s) {
        Response::empty()?.with_status(304)
    } else {
        Response::from_json(s)?
    };
    response.headers_mut().set("etag", &s.etag)?;
    response.headers_mut().set("cache-control", "no-cache")?;
    Ok(response)
}

/// Rebuilds the snapshot from D1 and writes it to KV (logged, not fatal, on failure).
async fn publish(env: &Env, store: &D1Store) {
    if let Err(e) = crate::cache::publish(env, store).await {
        worker::console_error!("publishing the snapshot failed: {e}");
    }
}

/// Runs an admin handler after checking `ADMIN_TOKEN`.
async fn admin<T: Serialize>(
    req: &Request,
    env: &Env,
    f: impl Future<Output = ApiResult<(u16, T)>>,
) -> Result<Response> {
    let auth = req.headers().get("authorization").ok().flatten();
    match require(auth.as_deref(), &[setting(env, "ADMIN_TOKEN")], "admin") {
        Ok(()) => respond(f.await),
        Err(e) => e.into_response(),
    }
}

/// A public endpoint's response, with CORS.
fn public<T: Serialize>(req: &Request, result: ApiResult<(u16, T)>) -> Result<Response> {
    with_cors(req, respond(result)?)
}

fn respond<T: Serialize>(result: ApiResult<(u16, T)>) -> Result<Response> {
    match result {
        Ok((status, body)) => Ok(Response::from_json(&body)?.with_status(status)),
        Err(e) => e.into_response(),
    }
}

fn with_cors(req: &Request, mut response: Response) -> Result<Response> {
    let origin = req
        .headers()
        .get("origin")
        .ok()
        .flatten()
        .unwrap_or_else(|| "*".to_string());
    let headers: &mut Headers = response.headers_mut();
    headers.set("access-control-allow-origin", &origin)?;
    headers.set("access-control-allow-methods", "GET, POST, OPTIONS")?;
    headers.set(
        "access-control-allow-headers",
        "content-type, authorization",
    )?;
    headers.set("vary", "origin")?;
    Ok(response)
}
