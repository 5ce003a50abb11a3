//! HTTP routes: the table (`table.rs`) says what exists and who may call it; the
//! dispatcher here checks access from the headers alone (before any body is read), answers
//! preflights and wrong methods from the table, runs the handler and adds the CORS headers.
//! Handlers parse, call the service layer and map the result. One file per area.

mod audience;
mod bulk;
mod call;
mod compat;
mod cors;
pub mod doc;
mod edge;
mod experiments;
mod frontend;
mod integrations;
pub mod ofrep;
mod ops;
mod policy;
pub mod table;
mod units;
mod upgrade;

pub use call::Call;
pub use compat::StatusRequest;
pub use experiments::Deleted;
pub use integrations::Integrations;

use crate::error::{ApiError, ApiResult};
use crate::store::CloudStore;
use std::rc::Rc;
use table::{ROUTES, Route};
use worker::{Context, Env, Method, Request, Response, Result};

thread_local! {
    /// Path pattern → the routes of that path (one per method), built once per isolate.
    static PATHS: matchit::Router<Vec<usize>> = paths();
}

/// Groups [`ROUTES`] by path. A pattern matchit refuses is logged and left out (the
/// `route_table` test fails on it, so it never ships).
fn paths() -> matchit::Router<Vec<usize>> {
    let mut grouped: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, r) in ROUTES.iter().enumerate() {
        match grouped.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, indexes)) => indexes.push(i),
            None => grouped.push((r.path, vec![i])),
        }
    }
    let mut router = matchit::Router::new();
    for (path, indexes) in grouped {
        if let Err(e) = router.insert(path, indexes) {
            worker::console_error!("route {path} not registered: {e}");
        }
    }
    router
}

/// Path parameters by name, in path order.
pub type Params = Vec<(String, String)>;

/// The routes of the path `path` and its parameters, if any route matches it.
pub fn lookup(path: &str) -> Option<(Vec<&'static Route>, Params)> {
    PATHS.with(|router| {
        router.at(path).ok().map(|m| {
            let routes = m.value.iter().filter_map(|&i| ROUTES.get(i)).collect();
            let params = m
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (routes, params)
        })
    })
}

/// The `Allow` header value for a path's methods.
pub fn allow_header(methods: &[Method]) -> String {
    let mut names: Vec<&str> = methods.iter().map(Method::as_ref).collect();
    names.push("OPTIONS");
    names.join(", ")
}

/// Handles one request.
pub async fn handle(req: Request, env: Env, ctx: Rc<Context>) -> Result<Response> {
    let Some((routes, params)) = lookup(&req.path()) else {
        return ops::fallback(req, env, &ctx).await;
    };
    let methods: Vec<Method> = routes.iter().map(|r| r.method.clone()).collect();
    // The method as sent: workers-rs reads methods it does not know (`QUERY`, `FOO`) as GET.
    let method = req.inner().method();
    let matched = routes.iter().find(|r| r.method.as_ref() == method);
    // A method's own class; a preflight or a wrong method gets the path's most open one.
    let Some(access) = matched.map(|r| r.access).or_else(|| path_access(&routes)) else {
        return ApiError::not_found("no route").into_response();
    };
    let compat = routes.iter().any(|r| r.doc.tag == doc::Tag::Compatibility);
    let origin = req.headers().get("origin").ok().flatten();
    let answer = if method == "OPTIONS" {
        cors::preflight(&env, access, &methods, origin.as_deref())
    } else {
        match matched {
            None => Err(ApiError::method_not_allowed(
                &method,
                &allow_header(&methods),
            )),
            Some(route) => match policy::admit(&req, &env, access).await {
                Err(e) => Err(e),
                Ok(()) => {
                    let outbox = crate::outbox::Outbox::new(&env, req.headers(), None);
                    let call = Call {
                        req,
                        env: env.clone(),
                        ctx: ctx.clone(),
                        params,
                        outbox: outbox.clone(),
                    };
                    let answer = (route.handler)(call).await;
                    outbox.send_in_background(&ctx, &env);
                    answer
                }
            },
        }
    };
    let response = match answer {
        Ok(r) => r,
        // The ab-testing-service API's clients read FastAPI's `{"detail": …}`.
        Err(e) if compat => e.into_detail_response()?,
        Err(e) => e.into_response()?,
    };
    match cors::decorate(response, &env, access, &methods, origin.as_deref()) {
        Ok(r) => Ok(r),
        Err(e) => e.into_response(),
    }
}

/// The access class a path shows before a method is chosen (preflights, wrong methods):
/// the most open of its routes' classes, so a path whose `POST` is public preflights like a
/// public endpoint (its admin methods still check their own class).
fn path_access(routes: &[&Route]) -> Option<table::Access> {
    routes
        .iter()
        .map(|r| r.access)
        .find(|a| a.any_origin())
        .or_else(|| routes.first().map(|r| r.access))
}

/// The store (D1 and the shards), or 503.
pub(super) fn store(env: &Env) -> ApiResult<CloudStore> {
    CloudStore::from_env(env).map_err(ApiError::from)
}

/// Rebuilds the snapshot from D1 and writes it to KV (logged, not fatal, on failure).
pub(super) async fn publish(env: &Env, store: &CloudStore) {
    if let Err(e) = crate::cache::publish(env, store).await {
        worker::console_error!("publishing the snapshot failed: {e}");
    }
}

/// A query string as a JSON object body, so one body parser (and its field-named errors)
/// serves both forms: the `numeric` keys become numbers when they parse as JSON numbers,
/// everything else stays a string.
pub(super) fn query_as_json(query: &str, numeric: &[&str]) -> Vec<u8> {
    let map: serde_json::Map<String, serde_json::Value> =
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| {
                let number = numeric
                    .contains(&k.as_ref())
                    .then(|| serde_json::from_str::<serde_json::Number>(&v).ok())
                    .flatten();
                let value = number.map_or_else(
                    || serde_json::Value::String(v.to_string()),
                    serde_json::Value::Number,
                );
                (k.into_owned(), value)
            })
            .collect();
    serde_json::Value::Object(map).to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::table::ROUTES;

    #[test]
    fn route_table() {
        let router = super::paths();
        for r in ROUTES.iter() {
            let concrete = r.path.replace(":id", "x").replace(":name", "x");
            let m = router
                .at(&concrete)
                .unwrap_or_else(|_| panic!("{} not routed", r.path));
            assert!(
                m.value
                    .iter()
                    .any(|&i| ROUTES.get(i).is_some_and(|x| std::ptr::eq(x, r))),
                "{}",
                r.path
            );
            let same_path: Vec<_> = ROUTES.iter().filter(|o| o.path == r.path).collect();
            assert!(
                same_path.iter().all(|o| o.doc.tag == r.doc.tag),
                "every method of {} is in the same section (its errors have one shape)",
                r.path
            );
            assert_eq!(
                same_path.iter().filter(|o| o.method == r.method).count(),
                1,
                "{} {:?} is listed once",
                r.path,
                r.method
            );
        }
    }
}
