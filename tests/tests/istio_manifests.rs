//! deploy/istio/wasmplugin.yaml, checked offline (no Istio control plane here): the
//! WasmPlugin validates against Istio's CRD schema (tests/istio/manifests.mjs), its
//! `pluginConfig` and the ConfigMap's bootstrap are accepted by the filter's own parser,
//! and a real Envoy runs both exactly as written (only the wasm path is local).

use cleave_e2e::{EchoServer, Envoy, free_port, http, repo_root};
use cleave_envoy::config::{Config, Role};
use serde_json::{Value, json};
use std::process::Command;

/// The manifests as JSON, after the schema check in node.
fn manifests() -> Value {
    let out = Command::new("node")
        .arg("tests/istio/manifests.mjs")
        .current_dir(repo_root())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "deploy/istio/wasmplugin.yaml failed validation:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from manifests.mjs")
}

/// A wasm filter or service `config` block running the local build with `configuration`.
fn vm(name: &str, configuration: &str) -> Value {
    let wasm = repo_root().join("target/filter/cleave_envoy.wasm");
    json!({
        "name": name, "root_id": name,
        "vm_config": {"vm_id": "cleave", "runtime": "envoy.wasm.runtime.v8",
                      "code": {"local": {"filename": wasm}}},
        "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue",
                          "value": configuration}
    })
}

#[test]
fn the_istio_manifests_validate_and_run_in_envoy() {
    let m = manifests();
    let plugin_config = m["plugin_config"].to_string();
    let filter =
        Config::parse(plugin_config.as_bytes()).expect("pluginConfig is a valid filter config");
    assert_eq!(filter.role, Role::Filter);
    assert_eq!(filter.routing_header.as_deref(), Some("x-cleave-route"));

    let mut bootstrap = m["bootstrap"].clone();
    let service = &mut bootstrap["bootstrap_extensions"][0]["typed_config"]["config"];
    let sync_config = service["configuration"]["value"]
        .as_str()
        .expect("the sync configuration string")
        .to_string();
    let sync = Config::parse(sync_config.as_bytes()).expect("the bootstrap's sync config is valid");
    assert_eq!(sync.role, Role::Sync);
    let local = vm("cleave_sync", &sync_config);
    service["vm_config"] = local["vm_config"].clone();

    // The ConfigMap's bootstrap plus one listener running the WasmPlugin's pluginConfig.
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let address = |p: u16| json!({"socket_address": {"address": "127.0.0.1", "port_value": p}});
    let cluster = |name: &str, p: u16| {
        json!({
            "name": name, "type": "STATIC", "connect_timeout": "1s",
            "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [{"endpoint": {"address": address(p)}}]}]}
        })
    };
    bootstrap["admin"] = json!({"address": address(admin)});
    bootstrap["static_resources"] = json!({
        "listeners": [{
            "name": "inbound", "address": address(port),
            "filter_chains": [{"filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": "inbound",
                    "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"],
                        "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "app"}}]}]},
                    "http_filters": [
                        {"name": "envoy.filters.http.wasm", "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                            "config": vm("cleave", &plugin_config)}},
                        {"name": "envoy.filters.http.router", "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}
                    ]
                }
            }]}]
        }],
        // The Worker's cluster as Istio names it; nothing listens, so syncing fails open.
        "clusters": [cluster("app", echo.port), cluster("outbound|443||cleave.example.workers.dev", free_port())]
    });
    let envoy = Envoy::start("envoy-istio", &bootstrap.to_string(), port, admin);

    let response = http()
        .get(&format!("http://127.0.0.1:{}/", envoy.port))
        .call()
        .expect("a request through the filter");
    let cookie = response
        .header("set-cookie")
        .unwrap_or_default()
        .to_string();
    assert!(cookie.starts_with("cleave_uid="), "a minted id: {cookie}");
    let seen: Value = response.into_json().expect("echo");
    let uid = cleave_e2e::cleave_uid(&cookie);
    assert_eq!(
        seen["headers"]["x-cleave-route"],
        cleave_core::edge::routing_value(&uid).to_string(),
        "{seen}"
    );
}
