//! The filter's per-request plan and config parsing, natively.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

/// A plan with everything owned (the filter's borrows its served experiments).
#[derive(Debug, PartialEq)]
struct HeaderPlan {
    remove: Vec<String>,
    add: Vec<(String, String)>,
    assignments: Vec<(String, String, &'static str)>,
}
use cleave_envoy::config::Config;
use cleave_envoy::request;
use proptest::prelude::*;

const CONFIG: &str = r#"{
  "user_id_headers": ["x-user-id", "x-anon-id"],
  "experiments": [
    {"id": "e1", "key": "checkout", "name": "Checkout", "status": "running",
     "variants": [{"name": "a"}, {"name": "b"}], "routes": [{"path_prefix": "/checkout"}]},
    {"id": "e2", "key": "banner", "name": "Banner", "status": "running",
     "variants": [{"name": "x"}, {"name": "y"}]},
    {"id": "e3", "key": "drafty", "name": "Draft", "status": "draft",
     "variants": [{"name": "x"}, {"name": "y"}]}
  ]
}"#;

/// What the filter does per request: find the user id (no minting here), build the
/// attributes, then plan (the host and path arrive as pseudo-headers).
fn plan(config: &Config, headers: &[(&str, &str)], host: &str, path: &str) -> HeaderPlan {
    let mut all = headers.to_vec();
    all.extend([(":authority", host), (":path", path), (":method", "GET")]);
    let user = request::user_id(config, &all, || None);
    let served = config.merged(None);
    let attributes = request::attributes(config, &served, &all);
    let p = request::plan(
        config,
        &served,
        &all,
        user.as_str(),
        &attributes,
        &cleave_core::targeting::LiteRegex,
    );
    HeaderPlan {
        remove: p.remove.clone(),
        add: p
            .add
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        assignments: p
            .assignments
            .iter()
            .map(|a| (a.experiment_id.to_string(), a.variant.to_string(), a.reason))
            .collect(),
    }
}

fn headers<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    pairs.to_vec()
}

#[test]
fn assigns_matching_running_experiments_and_strips_spoofed_headers() {
    let config = Config::parse(CONFIG.as_bytes()).unwrap();
    assert_eq!(config.experiments.len(), 2, "drafts are not served");
    let p = plan(
        &config,
        &headers(&[("X-Anon-Id", "u1"), ("X-Cleave-Banner", "evil")]),
        "shop.example",
        "/checkout/cart",
    );
    assert_eq!(p.remove, vec!["x-cleave-banner".to_string()]);
    let names: Vec<&str> = p.add.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "x-cleave-checkout",
            "x-cleave-banner",
            "x-cleave-assignments"
        ]
    );
    let want = config.experiments[0]
        .experiment
        .assign("u1")
        .unwrap()
        .variant_name()
        .unwrap()
        .to_string();
    assert_eq!(p.add[0].1, want);

    let elsewhere = plan(
        &config,
        &headers(&[("x-user-id", "u1")]),
        "shop.example",
        "/home",
    );
    assert_eq!(
        elsewhere.add.len(),
        2,
        "the checkout route does not match /home: {elsewhere:?}"
    );
}

#[test]
fn without_a_user_id_nothing_is_added() {
    let config = Config::parse(CONFIG.as_bytes()).unwrap();
    assert_eq!(
        plan(&config, &headers(&[("x-user-id", "")]), "h", "/").add,
        vec![]
    );
}

#[test]
fn bad_configs_name_the_field() {
    for (text, field) in [
        (r#"{"header_prefix": ""}"#, "header_prefix"),
        (r#"{"user_id_headers": []}"#, "user_id_headers"),
        (
            r#"{"user_id_headers": ["ok", "bad header"]}"#,
            "user_id_headers[1]",
        ),
        (
            r#"{"experiments": [{"id": "e", "key": "k", "name": "n", "variants": [{"name": "a"}]}]}"#,
            "experiments[0].variants",
        ),
        (r#"{"unknown": 1}"#, "unknown"),
        (r#"{"role": "synk"}"#, "role"),
        (
            r#"{"snapshot": {"cluster": "c", "refresh_ms": "soon"}}"#,
            "snapshot.refresh_ms",
        ),
        (r#"{"snapshot": {}}"#, "snapshot.cluster"),
        (
            r#"{"experiments": [{"id": "e", "key": "k", "name": "n", "variants": [{"name": "a", "weight": "x"}, {"name": "b"}]}]}"#,
            "experiments[0].variants[0].weight",
        ),
        ("not json", "$"),
    ] {
        assert_eq!(
            Config::parse(text.as_bytes()).unwrap_err().field,
            field,
            "{text}"
        );
    }
    assert!(
        Config::parse(b"").is_ok(),
        "empty configuration means defaults"
    );
}

proptest! {
    #[test]
    fn config_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Config::parse(&bytes);
    }

    #[test]
    fn planning_never_panics(pairs in prop::collection::vec(("\\PC{0,20}", "\\PC{0,40}"), 0..10), host in "\\PC{0,30}", path in "\\PC{0,30}") {
        let config = Config::parse(CONFIG.as_bytes()).unwrap();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let _ = plan(&config, &pairs, &host, &path);
    }
}

const TARGETED: &str = r#"{
  "user_id_headers": ["x-user-id"],
  "attributes": {"country": {"header": "x-country"}, "plan": {"header": "X-Plan"}},
  "holdouts": [{"name": "everyone", "share": 0.999999}],
  "groups": [{"name": "staff", "values": ["alice"]}],
  "experiments": [
    {"id": "t1", "key": "de-mobile", "name": "DE mobile", "status": "running",
     "targeting": {"country": "DE", "device": "mobile", "query.utm_source": {"$regex": "^news"}},
     "variants": [{"name": "x"}, {"name": "y"}]},
    {"id": "t2", "key": "held", "name": "Held", "status": "running", "holdouts": ["everyone"],
     "variants": [{"name": "x"}, {"name": "y"}]},
    {"id": "t3", "key": "staff-only", "name": "Staff", "status": "running",
     "targeting": {"plan": {"$inGroup": "staff"}}, "variants": [{"name": "x"}, {"name": "y"}]}
  ]
}"#;

#[test]
fn targeting_sees_mapped_headers_and_request_facts() {
    let config = Config::parse(TARGETED.as_bytes()).unwrap();
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
    let keys = |p: &HeaderPlan| -> Vec<String> { p.add.iter().map(|(k, _)| k.clone()).collect() };
    let hit = plan(
        &config,
        &[
            ("x-user-id", "u1"),
            ("x-country", "DE"),
            ("user-agent", iphone),
            ("x-plan", "alice"),
        ],
        "shop.example:8443",
        "/cart?utm_source=newsletter",
    );
    assert!(
        keys(&hit).contains(&"x-cleave-de-mobile".to_string()),
        "{hit:?}"
    );
    assert!(
        keys(&hit).contains(&"x-cleave-staff-only".to_string()),
        "{hit:?}"
    );
    assert!(
        !keys(&hit).contains(&"x-cleave-held".to_string()),
        "held out: {hit:?}"
    );
    let miss = plan(
        &config,
        &[
            ("x-user-id", "u1"),
            ("x-country", "FR"),
            ("user-agent", iphone),
            ("x-plan", "bob"),
        ],
        "shop.example",
        "/cart?utm_source=newsletter",
    );
    assert!(miss.assignments.is_empty(), "{miss:?}");
    let desktop = plan(
        &config,
        &[("x-user-id", "u1"), ("x-country", "DE")],
        "h",
        "/?utm_source=news",
    );
    assert!(!keys(&desktop).contains(&"x-cleave-de-mobile".to_string()));
}

#[test]
fn attribute_mappings_are_validated() {
    let bad = |json: &str| Config::parse(json.as_bytes()).unwrap_err().field;
    assert_eq!(
        bad(r#"{"attributes": {"country": {"header": "bad header"}}}"#),
        "attributes.country.header"
    );
    assert_eq!(
        bad(r#"{"attributes": {"no spaces": {"header": "x-a"}}}"#),
        "attributes.no spaces"
    );
    assert_eq!(
        bad(r#"{"attributes": {"a": {"cookie": "x"}}}"#),
        "attributes.a.cookie"
    );
    assert_eq!(
        bad(r#"{"holdouts": [{"name": "h", "share": 2}]}"#),
        "holdouts[0].share"
    );
}

#[test]
fn a_json_attributes_header_adds_typed_attributes_and_bad_ones_are_ignored() {
    let config = Config::parse(
        br#"{"user_id_headers": ["x-user-id"], "attributes_header": "X-Attrs",
             "attributes": {"country": {"header": "x-country"}},
             "experiments": [{"id": "a", "key": "adults", "name": "Adults", "status": "running",
                              "targeting": {"age": {"$gte": 18}, "country": "DE"},
                              "variants": [{"name": "x"}, {"name": "y"}]}]}"#,
    )
    .unwrap();
    let assigned = |attrs: &str| {
        !plan(
            &config,
            &[("x-user-id", "u1"), ("x-country", "FR"), ("x-attrs", attrs)],
            "h",
            "/",
        )
        .assignments
        .is_empty()
    };
    assert!(
        assigned(r#"{"age": 30, "country": "DE"}"#),
        "the header's keys win"
    );
    assert!(!assigned(r#"{"age": 12, "country": "DE"}"#));
    assert!(!assigned(r#"{"age": 30}"#), "country from x-country: FR");
    assert!(!assigned("not json"));
    assert!(!assigned(r#"[1, 2]"#));
    assert_eq!(
        Config::parse(br#"{"attributes_header": "bad header"}"#)
            .unwrap_err()
            .field,
        "attributes_header"
    );
}

#[test]
fn summary_mode_sends_one_header_whatever_the_count() {
    let text = CONFIG.replacen('{', r#"{"headers": "summary","#, 1);
    let config = Config::parse(text.as_bytes()).unwrap();
    let each = Config::parse(CONFIG.as_bytes()).unwrap();
    let request = headers(&[("x-user-id", "u1")]);
    let summary = plan(&config, &request, "shop.example", "/checkout/cart");
    let full = plan(&each, &request, "shop.example", "/checkout/cart");
    assert_eq!(summary.add.len(), 1, "{summary:?}");
    assert_eq!(summary.add[0].0, "x-cleave-assignments");
    assert_eq!(
        Some(&summary.add[0]),
        full.add.last(),
        "the same summary as in each mode"
    );
    assert_eq!(summary.assignments, full.assignments);
    assert!(Config::parse(br#"{"headers": "some"}"#).is_err());
}

#[test]
fn assignments_are_counted_by_index_and_taken_once() {
    let config = Config::parse(CONFIG.as_bytes()).unwrap();
    let served = config.merged(None);
    served.count(0, 1);
    served.count(0, 1);
    served.count(1, 0);
    served.count(7, 0); // out of range: ignored
    let key = &served.experiments[0].experiment.key;
    let variant = &served.experiments[0].experiment.variants[1].name;
    let mut taken = served.take_counts();
    taken.sort();
    assert!(
        taken.contains(&(format!("cleave.assignments.{key}.{variant}").as_str(), 2)),
        "{taken:?}"
    );
    assert_eq!(taken.len(), 2);
    assert!(served.take_counts().is_empty(), "taken once");
}
