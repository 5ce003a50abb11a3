//! The OpenAPI document lists exactly the routes the router registers.

use std::collections::BTreeSet;

/// (method, path) pairs registered in `src/routes/*.rs`, with `:param` as `{param}`.
fn registered_routes() -> BTreeSet<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes");
    let mut source = String::new();
    for entry in std::fs::read_dir(dir).expect("src/routes") {
        source
            .push_str(&std::fs::read_to_string(entry.expect("entry").path()).expect("route file"));
    }
    let mut routes = BTreeSet::new();
    for method in ["get", "post", "put", "delete"] {
        let marker = format!(".{method}_async(");
        for (i, _) in source.match_indices(&marker) {
            let rest = source[i + marker.len()..].trim_start();
            let Some(path) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) else {
                continue;
            };
            let path: Vec<String> = path
                .split('/')
                .map(|seg| {
                    seg.strip_prefix(':')
                        .map_or(seg.to_string(), |p| format!("{{{p}}}"))
                })
                .collect();
            routes.insert((method.to_string(), path.join("/")));
        }
    }
    routes
}

fn documented_routes() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../openapi.json")).expect("valid JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete"] {
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
    assert!(
        code.len() >= 20,
        "found only {} routes in routes.rs",
        code.len()
    );
    let undocumented: Vec<_> = code.difference(&doc).collect();
    let phantom: Vec<_> = doc.difference(&code).collect();
    assert!(
        undocumented.is_empty() && phantom.is_empty(),
        "undocumented: {undocumented:?}\nnot in the router: {phantom:?}"
    );
}
