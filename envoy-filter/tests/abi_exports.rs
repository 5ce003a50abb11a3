//! `make filter` keeps only the proxy-wasm entry points listed in `abi-exports.json`
//! (Envoy skips a callback a module does not export). A callback the filter implements but
//! the list leaves out would silently never run, so every trait callback found in the
//! sources must have its entry point in the list.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use std::path::Path;

/// proxy-wasm trait callbacks and the ABI exports through which Envoy calls them.
const CALLBACKS: &[(&str, &[&str])] = &[
    ("on_vm_start", &["proxy_on_vm_start"]),
    ("on_configure", &["proxy_on_configure"]),
    ("on_tick", &["proxy_on_tick"]),
    ("on_queue_ready", &["proxy_on_queue_ready"]),
    ("on_done", &["proxy_on_done"]),
    ("on_log", &["proxy_on_log"]),
    ("on_foreign_function", &["proxy_on_foreign_function"]),
    ("on_http_call_response", &["proxy_on_http_call_response"]),
    (
        "on_grpc_call_response",
        &["proxy_on_grpc_receive", "proxy_on_grpc_close"],
    ),
    (
        "on_grpc_stream_initial_metadata",
        &["proxy_on_grpc_receive_initial_metadata"],
    ),
    ("on_grpc_stream_message", &["proxy_on_grpc_receive"]),
    (
        "on_grpc_stream_trailing_metadata",
        &["proxy_on_grpc_receive_trailing_metadata"],
    ),
    ("on_grpc_stream_close", &["proxy_on_grpc_close"]),
    ("on_http_request_headers", &["proxy_on_request_headers"]),
    ("on_http_request_body", &["proxy_on_request_body"]),
    ("on_http_request_trailers", &["proxy_on_request_trailers"]),
    ("on_http_response_headers", &["proxy_on_response_headers"]),
    ("on_http_response_body", &["proxy_on_response_body"]),
    ("on_http_response_trailers", &["proxy_on_response_trailers"]),
    ("on_new_connection", &["proxy_on_new_connection"]),
    ("on_downstream_data", &["proxy_on_downstream_data"]),
    (
        "on_downstream_close",
        &["proxy_on_downstream_connection_close"],
    ),
    ("on_upstream_data", &["proxy_on_upstream_data"]),
    ("on_upstream_close", &["proxy_on_upstream_connection_close"]),
];

/// Entry points every module needs: memory, start-up, the ABI version, and creating and
/// freeing contexts. (`proxy_on_done` is not one: without it the host takes "done" as
/// true and still calls `proxy_on_delete`, which frees the context.)
const ALWAYS: &[&str] = &[
    "memory",
    "_initialize",
    "malloc",
    "proxy_abi_version_0_2_1",
    "proxy_on_context_create",
    "proxy_on_delete",
];

fn kept_exports() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("abi-exports.json");
    let text = std::fs::read_to_string(&path).expect("abi-exports.json");
    let nodes: Vec<serde_json::Value> = serde_json::from_str(&text).expect("a JSON array");
    nodes
        .iter()
        .map(|n| {
            assert_eq!(n["root"], true, "{n}: every listed export is kept");
            assert_eq!(n["name"], n["export"], "{n}");
            n["export"].as_str().expect("export name").to_string()
        })
        .collect()
}

/// Names of the `fn on_…` callbacks defined in the filter's sources.
fn implemented_callbacks() -> Vec<String> {
    let mut names = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("source directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source file");
                for rest in text.split("fn on_").skip(1) {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    names.push(format!("on_{name}"));
                }
            }
        }
    }
    names
}

#[test]
fn every_implemented_callback_keeps_its_entry_point() {
    let kept = kept_exports();
    let implemented = implemented_callbacks();
    assert!(
        implemented.iter().any(|n| n == "on_http_request_headers"),
        "the scan finds the callbacks: {implemented:?}"
    );
    for name in &implemented {
        if let Some((_, exports)) = CALLBACKS.iter().find(|(c, _)| c == name) {
            for export in *exports {
                assert!(
                    kept.iter().any(|k| k == export),
                    "{name} is implemented but abi-exports.json drops {export}"
                );
            }
        }
    }
    for export in ALWAYS {
        assert!(kept.iter().any(|k| k == export), "{export} must be kept");
    }
}

#[test]
fn only_entry_points_of_implemented_callbacks_are_kept() {
    let implemented = implemented_callbacks();
    for export in kept_exports() {
        let needed = ALWAYS.contains(&export.as_str())
            || CALLBACKS.iter().any(|(callback, exports)| {
                exports.contains(&export.as_str()) && implemented.iter().any(|n| n == callback)
            });
        assert!(
            needed,
            "{export} is kept but nothing implements it: remove it from abi-exports.json"
        );
    }
}
