//! The OpenAPI document lists exactly the routes of the route table.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_worker::routes::table::ROUTES;
use std::collections::BTreeSet;

/// (method, path) pairs of the route table, with `:param` as `{param}`.
fn registered_routes() -> BTreeSet<(String, String)> {
    ROUTES
        .iter()
        .map(|r| {
            let path: Vec<String> = r
                .path
                .split('/')
                .map(|seg| {
                    seg.strip_prefix(':')
                        .map_or(seg.to_string(), |p| format!("{{{p}}}"))
                })
                .collect();
            (r.method.as_ref().to_ascii_lowercase(), path.join("/"))
        })
        .collect()
}

fn documented_routes() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../openapi.json")).expect("valid JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    routes
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let code = registered_routes();
    let doc = documented_routes();
    assert!(code.len() >= 20, "only {} routes in the table", code.len());
    let undocumented: Vec<_> = code.difference(&doc).collect();
    let phantom: Vec<_> = doc.difference(&code).collect();
    assert!(
        undocumented.is_empty() && phantom.is_empty(),
        "undocumented: {undocumented:?}\nnot in the router: {phantom:?}"
    );
}
