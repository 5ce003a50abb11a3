//! Plausible: with `PLAUSIBLE_URL` and `PLAUSIBLE_DOMAIN` set, first exposures and
//! recorded events go to its Events API in the background, with the original client's
//! `User-Agent` and `X-Forwarded-For`, checked by a stand-in server against the documented
//! contract; repeats and experiments with `"plausible": false` send nothing; a failing or
//! unreachable Plausible never fails the request, and `/metrics` counts sent, failed and
//! dropped events.

use cleave_e2e::{Api, EchoServer, PlausibleEvent, PlausibleStub, Wrangler, http, send, wait_for};
use serde_json::{Value, json};
use std::time::Duration;

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) cleave-e2e";

/// A public POST as a browser on another machine would send it.
fn from_browser(api: &Api, path: &str, body: Value, ip: &str) -> (u16, Value) {
    let req = http()
        .post(&api.url(path))
        .set("user-agent", UA)
        .set("x-forwarded-for", ip)
        .set("referer", "https://shop.example/cart");
    let (status, text) = send(req, Some(&body));
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Waits until the stand-in holds `n` events; returns them.
fn events(stub: &PlausibleStub, n: usize) -> Vec<PlausibleEvent> {
    wait_for("Plausible events", Duration::from_secs(15), || {
        stub.events().len() >= n
    });
    stub.events()
}

/// The counter line of one outcome in `/metrics`.
fn counted(api: &Api, outcome: &str) -> u64 {
    let prefix = format!("cleave_plausible_events_total{{outcome=\"{outcome}\"}} ");
    api.metrics_text()
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

#[test]
fn exposures_and_conversions_reach_plausible_with_the_clients_headers() {
    let stub = PlausibleStub::start();
    let origin = EchoServer::start();
    let origin_url = format!("http://127.0.0.1:{}", origin.port);
    let plausible_url = stub.url();
    let api = Api {
        w: Wrangler::start_with(
            "plausible",
            &[
                ("PLAUSIBLE_URL", plausible_url.as_str()),
                ("PLAUSIBLE_DOMAIN", "shop.example"),
                ("PLAUSIBLE_CURRENCY", "EUR"),
                ("ORIGIN_URL", origin_url.as_str()),
            ],
        ),
    };
    let e = api.running(json!({"name": "Checkout", "variants": [{"name": "control"}, {"name": "b"}], "metrics": ["purchase"]}));
    let quiet = api.running(json!({"name": "Quiet", "variants": [{"name": "control"}, {"name": "b"}], "plausible": false}));
    let id = e["id"].as_str().unwrap_or_default();

    // A first exposure: one event; the same unit again: none.
    let (status, a) = from_browser(
        &api,
        &format!("/api/v1/experiments/{id}/assign"),
        json!({"user_id": "u1"}),
        "203.0.113.9",
    );
    assert_eq!(status, 200, "{a}");
    let variant = a["variant"].as_str().unwrap_or_default().to_string();
    let got = events(&stub, 1);
    assert_eq!(got[0].problem, None, "{:?}", got[0]);
    assert_eq!(
        got[0].body,
        json!({"name": "Exposure", "url": "https://shop.example/cart", "domain": "shop.example",
               "props": {"experiment": "checkout", "variant": variant}})
    );
    assert_eq!(
        (got[0].user_agent.as_str(), got[0].forwarded_for.as_str()),
        (UA, "203.0.113.9")
    );
    from_browser(
        &api,
        &format!("/api/v1/experiments/{id}/assign"),
        json!({"user_id": "u1"}),
        "203.0.113.9",
    );
    let quiet_id = quiet["id"].as_str().unwrap_or_default();
    let (status, _) = from_browser(
        &api,
        &format!("/api/v1/experiments/{quiet_id}/assign"),
        json!({"user_id": "u1"}),
        "203.0.113.9",
    );
    assert_eq!(status, 200);

    // A conversion with a value carries revenue; its retry (same event id) sends nothing.
    let purchase =
        json!({"user_id": "u1", "event_name": "purchase", "value": 12.5, "event_id": "order-1"});
    for _ in 0..2 {
        let (status, t) = from_browser(
            &api,
            &format!("/api/v1/experiments/{id}/track"),
            purchase.clone(),
            "203.0.113.9",
        );
        assert_eq!(status, 200, "{t}");
    }
    let got = events(&stub, 2);
    assert_eq!(got[1].body["name"], "purchase", "{:?}", got[1]);
    assert_eq!(
        got[1].body["props"],
        json!({"experiment": "checkout", "variant": variant})
    );
    assert_eq!(
        got[1].body["revenue"],
        json!({"currency": "EUR", "amount": 12.5})
    );

    // The ab-testing-service API's impression announces the exposure once.
    let (status, r) = from_browser(
        &api,
        "/api/events/impression",
        json!({"subid": "u2", "experiment_id": "checkout"}),
        "198.51.100.4",
    );
    assert_eq!(status, 202, "{r}");
    let got = events(&stub, 3);
    assert_eq!(
        (got[2].body["name"].as_str(), got[2].forwarded_for.as_str()),
        (Some("Exposure"), "198.51.100.4")
    );

    // The edge proxy: the page is the proxied URL.
    let page = http()
        .get(&api.url("/products/42?ref=mail"))
        .set("user-agent", UA)
        .set("x-forwarded-for", "192.0.2.33");
    let (status, _) = send(page, None);
    assert_eq!(status, 200);
    let got = events(&stub, 4);
    let url = got[3].body["url"].as_str().unwrap_or_default();
    assert!(url.ends_with("/products/42?ref=mail"), "{:?}", got[3]);
    assert_eq!(got[3].body["props"]["experiment"], "checkout");

    // Nothing more came: the repeats and the quiet experiment sent nothing; every request
    // kept the contract.
    std::thread::sleep(Duration::from_millis(500));
    let all = stub.events();
    assert_eq!(all.len(), 4, "{all:#?}");
    assert!(all.iter().all(|ev| ev.problem.is_none()), "{all:#?}");
    wait_for("sent counted", Duration::from_secs(10), || {
        counted(&api, "sent") == 4
    });

    // Without the client's User-Agent an event cannot be counted by Plausible: dropped.
    let anonymous = http()
        .post(&api.url(&format!("/api/v1/experiments/{id}/assign")))
        .set("user-agent", "");
    let (status, _) = send(anonymous, Some(&json!({"user_id": "u3"})));
    assert_eq!(status, 200);
    wait_for("dropped counted", Duration::from_secs(10), || {
        counted(&api, "dropped") == 1
    });

    // Plausible failing: the request still succeeds; the failure is counted.
    stub.answer_with(500);
    let (status, _) = from_browser(
        &api,
        &format!("/api/v1/experiments/{id}/assign"),
        json!({"user_id": "u4"}),
        "203.0.113.10",
    );
    assert_eq!(status, 200);
    wait_for("failed counted", Duration::from_secs(10), || {
        counted(&api, "failed") == 1
    });
    assert_eq!(counted(&api, "sent"), 4);
    let (status, o) = api.admin("GET", "/api/v1/integrations", None);
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        o["plausible"],
        json!({"configured": true, "domain": "shop.example", "sent": 4, "failed": 1, "dropped": 1})
    );
    assert_eq!(o["unleash"]["configured"], false);
}

#[test]
fn an_unreachable_plausible_never_fails_a_request() {
    let closed = cleave_e2e::free_port();
    let url = format!("http://127.0.0.1:{closed}");
    let api = Api {
        w: Wrangler::start_with(
            "plausible-unreachable",
            &[
                ("PLAUSIBLE_URL", url.as_str()),
                ("PLAUSIBLE_DOMAIN", "shop.example"),
            ],
        ),
    };
    let e = api
        .running(json!({"name": "Unreachable", "variants": [{"name": "control"}, {"name": "b"}]}));
    let id = e["id"].as_str().unwrap_or_default();
    for i in 0..5 {
        let (status, a) = from_browser(
            &api,
            &format!("/api/v1/experiments/{id}/assign"),
            json!({"user_id": format!("u{i}")}),
            "203.0.113.9",
        );
        assert_eq!(status, 200, "{a}");
    }
    wait_for("failures counted", Duration::from_secs(20), || {
        counted(&api, "failed") == 5
    });
    let (status, _) = api.public("GET", "/health", None);
    assert_eq!(status, 200);
}
