//! User ids, QA overrides, the routing value, header maps and snapshot acceptance, natively; and
//! fuzz-style properties: no parser panics on any input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::edge::Prepared;

/// A plan with everything owned (the filter's borrows its served experiments).
#[derive(Debug)]
struct HeaderPlan {
    remove: Vec<String>,
    add: Vec<(String, String)>,
    assignments: Vec<Assigned>,
}

#[derive(Debug)]
struct Assigned {
    reason: &'static str,
}
use cleave_core::edge::{UnitId, cookie_value, routing_value};
use cleave_envoy::config::Config;
use cleave_envoy::header_map;
use cleave_envoy::request::{self, user_id};
use cleave_envoy::snapshot::accept;
use proptest::prelude::*;

const CONFIG: &str = r#"{
  "user_id_headers": ["x-user-id"], "cookie": "cleave_uid", "generate_user_id": true,
  "routing_header": "x-cleave-route", "allow_force_header": true,
  "experiments": [{"id": "e1", "key": "banner", "name": "Banner", "status": "running",
                   "variants": [{"name": "blue"}, {"name": "green"}]}]
}"#;

/// Plans as the filter does, the host and path sent as pseudo-headers (`_experiments`: the
/// configuration's, which `merged` serves).
fn plan(
    c: &Config,
    _experiments: &[Prepared],
    headers: &[(&str, &str)],
    user: Option<&str>,
    host: &str,
    path: &str,
) -> HeaderPlan {
    let mut all = headers.to_vec();
    all.extend([(":authority", host), (":path", path)]);
    let served = c.merged(None);
    let attributes = request::attributes(c, &served, &all);
    let p = request::plan(
        c,
        &served,
        &all,
        user,
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
            .map(|a| Assigned { reason: a.reason })
            .collect(),
    }
}

/// Serialises pairs as the proxy-wasm host does.
fn serialise(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = (pairs.len() as u32).to_le_bytes().to_vec();
    for (name, value) in pairs {
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    }
    for (name, value) in pairs {
        out.extend_from_slice(name);
        out.push(0);
        out.extend_from_slice(value);
        out.push(0);
    }
    out
}

#[test]
fn malformed_header_maps_are_refused() {
    let good = serialise(&[(b"a", b"1"), (b"b", b"caf\xe9")]);
    assert_eq!(header_map::pairs(&good), Some(vec![("a", "1"), ("b", "")]));
    assert_eq!(header_map::pairs(&good[..good.len() - 2]), None);
    assert_eq!(header_map::pairs(&[]), None);
    assert_eq!(header_map::pairs(&0u32.to_le_bytes()), Some(vec![]));
    let mut huge = good.clone();
    huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(header_map::pairs(&huge), None);
}

fn h<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    pairs.to_vec()
}

#[test]
fn user_ids_come_from_headers_then_the_cookie_then_a_new_one() {
    let c = Config::parse(CONFIG.as_bytes()).unwrap();
    let never = || -> Option<[u8; 16]> { panic!("no id should be minted") };
    assert_eq!(
        user_id(
            &c,
            &h(&[("X-User-Id", "u1"), ("cookie", "cleave_uid=u2")]),
            never
        ),
        UnitId::Found("u1".into())
    );
    assert_eq!(
        user_id(&c, &h(&[("cookie", "a=1; cleave_uid=u2")]), never),
        UnitId::Found("u2".into())
    );
    assert_eq!(
        user_id(&c, &h(&[]), || Some([0xab; 16])),
        UnitId::Minted("ab".repeat(16))
    );
    let no_mint = Config::parse(br#"{"cookie": "cleave_uid"}"#).unwrap();
    assert_eq!(user_id(&no_mint, &h(&[]), || Some([1; 16])), UnitId::Absent);
    // A header id that breaks the identifier rule is skipped, as the API would refuse it.
    let long = "x".repeat(257);
    for bad in ["", long.as_str(), "tab\there"] {
        assert_eq!(
            user_id(
                &c,
                &h(&[("x-user-id", bad), ("cookie", "cleave_uid=u2")]),
                never
            ),
            UnitId::Found("u2".into()),
            "{bad:?}"
        );
    }
}

#[test]
fn force_overrides_apply_only_when_allowed_and_to_real_variants() {
    let c = Config::parse(CONFIG.as_bytes()).unwrap();
    let headers = h(&[
        ("x-user-id", "u1"),
        ("x-cleave-force", "banner=green, other=x"),
    ]);
    let p = plan(&c, &c.experiments, &headers, Some("u1"), "h", "/");
    assert!(
        p.add.contains(&("x-cleave-banner".into(), "green".into())),
        "{p:?}"
    );
    assert_eq!(p.assignments[0].reason, "forced");
    assert!(p.remove.contains(&"x-cleave-force".to_string()));
    let blue = h(&[("x-cleave-force", "banner=blue")]);
    let p = plan(&c, &c.experiments, &blue, Some("u1"), "h", "/");
    assert!(p.add.contains(&("x-cleave-banner".into(), "blue".into())));
    let unknown = h(&[("x-cleave-force", "banner=purple")]);
    let p = plan(&c, &c.experiments, &unknown, Some("u1"), "h", "/");
    assert_eq!(
        p.assignments[0].reason, "assigned",
        "not a variant: the hash decides"
    );
    let strict = Config::parse(
        br#"{"experiments": [{"id": "e1", "key": "banner", "name": "Banner", "status": "running",
                             "variants": [{"name": "blue"}, {"name": "green"}]}]}"#,
    )
    .unwrap();
    let p = plan(&strict, &strict.experiments, &blue, Some("u1"), "h", "/");
    assert_eq!(p.assignments[0].reason, "assigned", "off by default");
}

#[test]
fn the_routing_value_is_a_stable_per_user_number() {
    let c = Config::parse(CONFIG.as_bytes()).unwrap();
    let p = plan(
        &c,
        &c.experiments,
        &h(&[("x-cleave-route", "0")]),
        Some("user-9"),
        "h",
        "/",
    );
    let value = routing_value("user-9");
    assert!(
        p.add
            .contains(&("x-cleave-route".into(), value.to_string()))
    );
    assert_eq!(routing_value("user-9"), value);
    assert_ne!(routing_value("user-10"), value);
}

#[test]
fn snapshots_are_validated_before_use() {
    // v2 decides v1 experiments exactly as v1 did, so an older Worker's snapshot is fine.
    assert!(accept(br#"{"spec_version": 1, "etag": "\"x\"", "experiments": []}"#).is_ok());
    assert!(accept(br#"{"spec_version": 2, "experiments": []}"#).is_ok());
    assert!(
        accept(br#"{"spec_version": 3, "experiments": []}"#).is_err(),
        "a later contract version"
    );
    assert!(accept(br#"{"experiments": [{"id": "e", "key": "BAD KEY", "name": "n", "variants": [{"name": "a"}, {"name": "b"}]}]}"#).is_err());
    assert!(accept(b"<html>").is_err());
}

proptest! {
    #[test]
    fn cookie_parsing_never_panics_and_only_returns_safe_values(header in "\\PC{0,200}", name in "[a-z_]{1,10}") {
        if let Some(v) = cookie_value(&header, &name) {
            prop_assert!(!v.is_empty() && v.len() <= 256 && v.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b';' && b != b','));
        }
    }

    #[test]
    fn request_handling_never_panics(pairs in prop::collection::vec(("[a-zA-Z-]{1,20}", "\\PC{0,60}"), 0..12), path in "\\PC{0,40}") {
        let c = Config::parse(CONFIG.as_bytes()).unwrap();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let user = user_id(&c, &pairs, || Some([7; 16]));
        let _ = plan(&c, &c.experiments, &pairs, user.as_str(), "host", &path);
    }

    #[test]
    fn header_maps_read_back_in_place(pairs in prop::collection::vec(("[a-z:-]{1,20}", prop::collection::vec(any::<u8>(), 0..40)), 0..12)) {
        let raw: Vec<(&[u8], &[u8])> = pairs.iter().map(|(n, v)| (n.as_bytes(), v.as_slice())).collect();
        let bytes = serialise(&raw);
        let read = header_map::pairs(&bytes).expect("well-formed");
        prop_assert_eq!(read.len(), pairs.len());
        for ((name, value), (want_name, want_value)) in read.iter().zip(&pairs) {
            prop_assert_eq!(*name, want_name.as_str());
            // A value that is not UTF-8 reads as empty, never as something else.
            prop_assert_eq!(*value, std::str::from_utf8(want_value).unwrap_or(""));
        }
    }

    #[test]
    fn header_map_reading_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200), cut in any::<prop::sample::Index>()) {
        let _ = header_map::pairs(&bytes);
        // Truncated real maps too.
        let whole = serialise(&[(b"x-user-id".as_slice(), bytes.as_slice()), (b"cookie", b"a=1")]);
        let _ = header_map::pairs(&whole[..cut.index(whole.len() + 1)]);
    }

    #[test]
    fn snapshot_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = accept(&bytes);
    }
}
