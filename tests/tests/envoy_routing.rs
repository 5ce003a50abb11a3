//! Sticky weighted routing: the filter's `routing_header` feeds Envoy's
//! `WeightedCluster.header_name`, so each user always lands on the same one of two 50/50
//! clusters and users split evenly. A client-sent routing header is replaced.

use cleave_core::stats::sample_ratio_mismatch;
use cleave_e2e::{EchoServer, Envoy, free_port, http};
use serde_json::Value;

#[test]
fn weighted_splits_are_sticky_per_user() {
    let (a, b) = (EchoServer::start(), EchoServer::start());
    let (port, admin) = (free_port(), free_port());
    let plugin = r#"{"user_id_headers": ["x-user-id"], "routing_header": "x-cleave-route"}"#;
    let config = cleave_e2e::envoy_example_config(port, admin, a.port, Some(plugin))
        .replace(
            "route: { cluster: upstream }",
            "route: { weighted_clusters: { header_name: x-cleave-route, clusters: [ { name: upstream, weight: 50 }, { name: upstream_b, weight: 50 } ] } }",
        )
        .replace(
            "    - name: upstream\n",
            &format!(
                "    - name: upstream_b\n      type: STATIC\n      connect_timeout: 1s\n      load_assignment:\n        cluster_name: upstream_b\n        endpoints:\n          - lb_endpoints:\n              - endpoint:\n                  address:\n                    socket_address: {{ address: 127.0.0.1, port_value: {} }}\n    - name: upstream\n",
                b.port
            ),
        );
    let _envoy = Envoy::start("envoy-routing", &config, port, admin);
    let mut counts = [0u64; 2];
    for user in 0..400 {
        let mut landed = None;
        for _ in 0..3 {
            let echoed: Value = http()
                .get(&format!("http://127.0.0.1:{port}/"))
                .set("x-user-id", &format!("user-{user}"))
                .set("x-cleave-route", "0")
                .call()
                .expect("request")
                .into_json()
                .expect("json");
            let server = echoed["server_port"].as_u64().expect("echo port");
            assert!(
                landed.is_none_or(|s| s == server),
                "user-{user} moved between clusters"
            );
            landed = Some(server);
        }
        counts[usize::from(landed == Some(u64::from(b.port)))] += 1;
    }
    let srm = sample_ratio_mismatch(&counts, &[1.0, 1.0]).expect("counts");
    assert!(
        srm.p_value > 0.001 && counts.iter().all(|c| *c > 0),
        "split {counts:?}, p = {}",
        srm.p_value
    );
}

#[test]
fn a_client_sent_routing_header_outside_the_prefix_is_replaced_not_doubled() {
    let echo = EchoServer::start();
    let (port, admin) = (free_port(), free_port());
    let plugin = r#"{"user_id_headers": ["x-user-id"], "routing_header": "x-bucket"}"#;
    let config = cleave_e2e::envoy_example_config(port, admin, echo.port, Some(plugin));
    let _envoy = Envoy::start("envoy-routing-replace", &config, port, admin);
    for (user, sent) in [("user-1", Some("12345")), ("user-2", None)] {
        let mut req = http()
            .get(&format!("http://127.0.0.1:{port}/"))
            .set("x-user-id", user);
        if let Some(value) = sent {
            req = req.set("x-bucket", value);
        }
        let echoed: Value = req.call().expect("request").into_json().expect("json");
        assert_eq!(
            echoed["headers"]["x-bucket"],
            cleave_core::edge::routing_value(user).to_string(),
            "{echoed}"
        );
    }
}
