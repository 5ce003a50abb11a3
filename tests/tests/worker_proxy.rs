//! Edge proxy mode against a local origin: assignment headers, spoofing stripped,
//! cookie minted once, bodies streamed, exposures recorded.

use cleave_core::model::Experiment;
use cleave_e2e::{Api, EchoServer, Wrangler, http};
use serde_json::{Value, json};

#[test]
fn proxy_mode_assigns_strips_spoofing_sets_the_cookie_and_streams() {
    let origin = EchoServer::start();
    let origin_url = format!("http://127.0.0.1:{}", origin.port);
    let api = Api {
        w: Wrangler::start_with("proxy", &[("ORIGIN_URL", &origin_url)]),
    };
    let banner: Experiment = serde_json::from_value(api.running(json!({"name": "Banner", "key": "banner", "variants": [{"name": "blue"}, {"name": "green"}]}))).expect("model");
    api.running(json!({"name": "Shop", "key": "shop", "variants": [{"name": "a"}, {"name": "b"}], "routes": [{"path_prefix": "/shop"}]}));

    let first = http()
        .get(&api.url("/page?x=1"))
        .set("x-cleave-banner", "spoofed")
        .set("x-cleave-admin", "1")
        .call()
        .expect("proxied");
    assert_eq!(first.status(), 200);
    let cookie = first
        .header("set-cookie")
        .expect("a new cookie")
        .to_string();
    assert!(
        cookie.starts_with("cleave_uid=")
            && cookie.contains("HttpOnly")
            && cookie.contains("Max-Age="),
        "{cookie}"
    );
    let uid = cleave_e2e::cleave_uid(&cookie);
    let seen: Value = first.into_json().expect("echo");
    assert_eq!(seen["path"], "/page?x=1");
    let expected = banner
        .assign(&uid)
        .expect("valid")
        .variant_name()
        .expect("assigned")
        .to_string();
    assert_eq!(
        seen["headers"]["x-cleave-banner"],
        expected.as_str(),
        "{seen}"
    );
    assert_eq!(
        seen["headers"]["x-cleave-assignments"],
        format!("banner={expected}"),
        "{seen}"
    );
    assert!(
        seen["headers"].get("x-cleave-admin").is_none()
            && seen["headers"].get("x-cleave-shop").is_none(),
        "{seen}"
    );

    // The site's root is proxied too (the catch-all route does not match it by itself).
    let root: Value = http()
        .get(&api.url("/"))
        .set("cookie", &format!("cleave_uid={uid}"))
        .call()
        .expect("root proxied")
        .into_json()
        .expect("echo");
    assert_eq!(root["path"], "/", "{root}");

    let second = http()
        .get(&api.url("/shop/cart"))
        .set("cookie", &format!("other=1; cleave_uid={uid}"))
        .call()
        .expect("proxied");
    assert!(
        second.header("set-cookie").is_none(),
        "no new cookie when one is sent"
    );
    let seen: Value = second.into_json().expect("echo");
    assert_eq!(seen["headers"]["x-cleave-banner"], expected.as_str());
    assert!(
        seen["headers"]["x-cleave-shop"].is_string(),
        "the /shop route matches: {seen}"
    );

    let posted: Value = http()
        .post(&api.url("/submit"))
        .set("cookie", &format!("cleave_uid={uid}"))
        .send_string("hello origin")
        .expect("post")
        .into_json()
        .expect("echo");
    assert_eq!(
        (posted["method"].as_str(), posted["body"].as_str()),
        (Some("POST"), Some("hello origin")),
        "{posted}"
    );

    // API paths are never proxied.
    let (status, _) = api.public("GET", "/api/v1/nope", None);
    assert_eq!(status, 404);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (_, s) = api.admin(
        "GET",
        &format!("/api/v1/experiments/{}/stats", banner.id),
        None,
    );
    let users: u64 = cleave_e2e::exposed_users(&s);
    assert_eq!(users, 1, "the proxied user was exposed once: {s}");
}

#[test]
fn proxy_mode_targets_by_request_attributes() {
    let origin = EchoServer::start();
    let origin_url = format!("http://127.0.0.1:{}", origin.port);
    let api = Api {
        w: Wrangler::start_with(
            "proxy-targeting",
            &[
                ("ORIGIN_URL", &origin_url),
                ("CLEAVE_ATTRIBUTE_COOKIES", "plan"),
            ],
        ),
    };
    // Newsletter visitors on mobile with the pro plan cookie, on /sale pages only.
    let e: Experiment = serde_json::from_value(api.running(json!({
        "name": "Sale", "key": "sale", "variants": [{"name": "a"}, {"name": "b"}],
        "targeting": {"query.utm_source": "newsletter", "device": "mobile", "cookie.plan": "pro",
                      "path": {"$regex": "^/sale"}, "method": "GET"}})))
    .expect("model");
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
    let visit = |path: &str, ua: &str, cookie: &str| -> Value {
        http()
            .get(&api.url(path))
            .set("user-agent", ua)
            .set("cookie", cookie)
            .call()
            .expect("proxied")
            .into_json()
            .expect("echo")
    };
    let hit = visit(
        "/sale/shoes?utm_source=newsletter",
        iphone,
        "cleave_uid=t-1; plan=pro",
    );
    assert!(hit["headers"]["x-cleave-sale"].is_string(), "{hit}");
    for (path, ua, cookie) in [
        (
            "/sale/shoes?utm_source=ads",
            iphone,
            "cleave_uid=t-1; plan=pro",
        ),
        (
            "/sale/shoes?utm_source=newsletter",
            "Mozilla/5.0 (Macintosh)",
            "cleave_uid=t-1; plan=pro",
        ),
        (
            "/sale/shoes?utm_source=newsletter",
            iphone,
            "cleave_uid=t-1; plan=free",
        ),
        (
            "/home?utm_source=newsletter",
            iphone,
            "cleave_uid=t-1; plan=pro",
        ),
    ] {
        let miss = visit(path, ua, cookie);
        assert!(
            miss["headers"].get("x-cleave-sale").is_none(),
            "{path} {ua} {cookie}: {miss}"
        );
    }
    // The exposure is stored with the attributes it was decided with.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (_, s) = api.admin("GET", &format!("/api/v1/experiments/{}/stats", e.id), None);
    assert_eq!(cleave_e2e::exposed_users(&s), 1, "{s}");
    let (status, dry) = api.admin(
        "POST",
        &format!("/api/v1/experiments/{}/evaluate", e.id),
        Some(json!({"user_id": "t-1", "attributes": {"query": {"utm_source": "newsletter"},
                     "device": "mobile", "cookie": {"plan": "pro"}, "path": "/sale/x", "method": "GET"}})),
    );
    assert_eq!(
        (status, dry["reason"].as_str()),
        (200, Some("assigned")),
        "{dry}"
    );
    assert_eq!(
        dry["variant"], hit["headers"]["x-cleave-sale"],
        "the dry run agrees with the proxy"
    );
}
