//! The filter's JSON reader against serde_json (what the Worker uses): the same documents
//! accepted, the same values produced — floats to the bit — and the same field named on
//! errors. Generated documents plus the hand-picked edge cases serde_json is strict about.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::model::Experiment;
use cleave_envoy::json;
use proptest::prelude::*;
use serde_json::Value;

/// Both readers on one text: both accept with equal values, or both refuse.
fn agree(text: &str) {
    let ours = json::from_slice::<Value>(text.as_bytes());
    let theirs = serde_json::from_str::<Value>(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
        (Err(_), Err(_)) => {}
        _ => panic!("{text:?}: filter {ours:?}, serde_json {theirs:?}"),
    }
}

#[test]
fn accepts_and_refuses_what_serde_json_does() {
    for text in [
        "null",
        "true",
        "false",
        "0",
        "-0",
        "1",
        "-1",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "0.1",
        "1e400",
        "-1e400",
        "1e-400",
        "2.5E+3",
        "1E2",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "0x10",
        r#""""#,
        r#""a\"b\\c\/d\b\f\n\r\t""#,
        r#""\u00e9\u20ac\ud83d\ude00""#,
        r#""\ud83d""#,
        r#""\ude00""#,
        r#""\ud83dx""#,
        r#""\x""#,
        "\"a\u{1}b\"",
        "\"é€😀\"",
        "[]",
        "[1,2]",
        "[1,]",
        "[,1]",
        "[1 2]",
        "{}",
        r#"{"a":1}"#,
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        r#"{a:1}"#,
        r#"{"a":1 "b":2}"#,
        r#"{"a":1,"a":2}"#,
        " [ 1 , { } ] ",
        "[1] x",
        "",
        "   ",
        "nul",
        "truex",
        "[",
        "{",
        r#"{"a":"#,
        "\"abc",
    ] {
        agree(text);
    }
    let deep = "[".repeat(200) + &"]".repeat(200);
    agree(&deep);
    let fine = "[".repeat(100) + &"]".repeat(100);
    agree(&fine);
    assert!(json::from_slice::<Value>(b"\"\xff\"").is_err());
    assert!(serde_json::from_slice::<Value>(b"\"\xff\"").is_err());
}

#[test]
fn experiments_parse_to_the_same_structs() {
    let text = r#"{"id": "e1", "key": "banner", "name": "Banner \u00e9", "status": "running",
        "traffic_allocation": 0.8000000000000002, "salt": "s",
        "variants": [{"name": "a", "weight": 0.1, "is_control": true, "config": {"x": [1, -0, 2.5e-3, null]}},
                     {"name": "b", "weight": 3.0000000000000004}],
        "forced": {"u1": "b"}, "routes": [{"host": "example.com", "path_prefix": "/shop"}],
        "metrics": ["purchase"], "unknown_field": {"ignored": [true]}}"#;
    let ours: Experiment = json::from_slice(text.as_bytes()).unwrap();
    let theirs: Experiment = serde_json::from_str(text).unwrap();
    // `config` is kept as text: the filter keeps it as written (whitespace dropped), the
    // Worker canonically; both hold the same value.
    assert_eq!(
        ours.variants[0].config.as_str(),
        r#"{"x":[1,-0,2.5e-3,null]}"#
    );
    assert_eq!(
        theirs.variants[0].config.as_str(),
        r#"{"x":[1,-0.0,0.0025,null]}"#
    );
    assert_eq!(same_configs(ours), same_configs(theirs));
    assert_eq!(
        json::from_slice::<Experiment>(text.as_bytes())
            .unwrap()
            .traffic_allocation
            .to_bits(),
        serde_json::from_str::<Experiment>(text)
            .unwrap()
            .traffic_allocation
            .to_bits()
    );
}

/// `e` with every variant's config rewritten canonically, for comparing the two readers.
fn same_configs(mut e: Experiment) -> Experiment {
    for v in &mut e.variants {
        v.config = v.config.to_value().expect("config is JSON").into();
    }
    e
}

/// An experiment document whose first variant's config is `config` (as text).
fn with_config(config: &str) -> String {
    format!(
        r#"{{"id": "e", "key": "k", "name": "n", "variants": [{{"name": "a", "config": {config}}}, {{"name": "b"}}]}}"#
    )
}

#[test]
fn configs_keep_their_text_without_whitespace() {
    for (written, kept) in [
        ("null", "null"),
        (" 17 ", "17"),
        (r#"  "a \" b\\" "#, r#""a \" b\\""#),
        (
            "{ \"k k\" : [ 1 , 2.50 , \"\\u00e9 \\t\" ] ,\n\t\"z\" : { } }",
            r#"{"k k":[1,2.50,"\u00e9 \t"],"z":{}}"#,
        ),
        (r#"{"b": 1, "a": 2, "a": 3}"#, r#"{"b":1,"a":2,"a":3}"#),
    ] {
        let text = with_config(written);
        let ours: Experiment = json::from_slice(text.as_bytes()).unwrap();
        assert_eq!(ours.variants[0].config.as_str(), kept, "{written}");
        let theirs: Experiment = serde_json::from_str(&text).unwrap();
        assert_eq!(same_configs(ours), theirs, "{written}");
    }
    let absent: Experiment = json::from_slice(with_config("null").as_bytes()).unwrap();
    assert_eq!(absent.variants[1].config.as_str(), "null");
}

#[test]
fn bad_configs_are_refused_by_both_readers_naming_the_field() {
    for written in [
        "[1,]",
        "{\"a\" 1}",
        "01",
        "\"\\x\"",
        "nul",
        &"[".repeat(200),
    ] {
        let text = with_config(written);
        let ours = json::from_slice::<Experiment>(text.as_bytes()).unwrap_err();
        assert!(
            serde_json::from_str::<Experiment>(&text).is_err(),
            "{written}"
        );
        let field =
            cleave_core::json_path::field_at(text.as_bytes(), ours.offset(), ours.missing_field());
        assert!(
            field
                .as_deref()
                .is_some_and(|f| f.starts_with("variants[0].config")),
            "{written}: {field:?} ({ours})"
        );
    }
}

#[test]
fn errors_name_the_field_like_the_worker() {
    for (text, field) in [
        (r#"{"id": "e", "key": 5}"#, "key"),
        (
            r#"{"id": "e", "key": "k", "name": "n", "variants": [{"name": "a", "weight": "x"}]}"#,
            "variants[0].weight",
        ),
        (
            r#"{"id": "e", "key": "k", "name": "n", "variants": [{"weight": 1}]}"#,
            "variants[0].name",
        ),
        (
            r#"{"id": "e", "key": "k", "name": "n", "variants": [], "status": "runnin"}"#,
            "status",
        ),
        (
            r#"{"id": "e", "key": "k", "name": "n", "traffic_allocation": 1e999}"#,
            "traffic_allocation",
        ),
    ] {
        let ours = json::from_slice::<Experiment>(text.as_bytes()).unwrap_err();
        let theirs = serde_json::from_str::<Experiment>(text).unwrap_err();
        let ours_field =
            cleave_core::json_path::field_at(text.as_bytes(), ours.offset(), ours.missing_field());
        assert_eq!(ours_field.as_deref(), Some(field), "{text}: {ours}");
        assert_eq!(
            cleave_core::json_path::error_field(text.as_bytes(), &theirs).as_deref(),
            Some(field),
            "{text}: serde_json {theirs}"
        );
    }
}

#[test]
fn written_strings_read_back() {
    for s in [
        "plain",
        "quote\" back\\slash",
        "ctl\u{1}\u{1f}\n\r\t",
        "é€😀",
        "",
    ] {
        let mut out = String::new();
        json::push_str(&mut out, s);
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
        assert_eq!(json::from_slice::<String>(out.as_bytes()).unwrap(), s);
    }
}

/// Arbitrary JSON values (serde_json's `Value`), including awkward floats and strings.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn generated_documents_read_the_same(v in value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        let ours = json::from_slice::<Value>(text.as_bytes()).unwrap();
        prop_assert_eq!(&ours, &v);
    }

    #[test]
    fn generated_configs_hold_the_same_value(v in value(), pretty in any::<bool>()) {
        let config = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        let text = with_config(&config);
        let ours: Experiment = json::from_slice(text.as_bytes()).unwrap();
        let theirs: Experiment = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(ours.variants[0].config.to_value().unwrap(), v);
        prop_assert_eq!(same_configs(ours), theirs);
    }

    #[test]
    fn decimal_numbers_round_the_same(mantissa in any::<u64>(), point in 0usize..22, exp in -330i32..330, neg in any::<bool>()) {
        let digits = mantissa.to_string();
        let point = point.min(digits.len());
        let text = format!("{}{}.{}0e{exp}", if neg { "-" } else { "" }, &digits[..point.max(1)], &digits[point.max(1)..]);
        let ours = json::from_slice::<f64>(text.as_bytes());
        let theirs = serde_json::from_str::<f64>(&text);
        match (ours, theirs) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a.to_bits(), b.to_bits(), "{}", text),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{}: filter {:?}, serde_json {:?}", text, a, b),
        }
    }

    #[test]
    fn decimals_near_every_double_round_like_the_standard_library(bits in any::<u64>(), extra in 0usize..30, nudge in 0u8..10) {
        let x = f64::from_bits(bits).abs();
        prop_assume!(x.is_finite());
        // The double itself, then a long expansion near it with its last digit changed:
        // close to halfway points, where a sloppy parser rounds the wrong way.
        let shortest = format!("{x:e}");
        let long = format!("{x:.*e}", 16 + extra);
        let (mantissa, exponent) = long.split_once('e').unwrap();
        let nudged = format!("{}{nudge}e{exponent}", &mantissa[..mantissa.len() - 1]);
        for text in [shortest, long, nudged] {
            let want: f64 = text.parse().unwrap();
            let got = cleave_envoy::decimal::parse(text.as_bytes());
            if want.is_finite() {
                prop_assert_eq!(got.map(f64::to_bits), Some(want.to_bits()), "{}", text);
            } else {
                prop_assert_eq!(got, None, "{}", text);
            }
        }
    }

    #[test]
    fn mangled_documents_never_panic_and_agree(v in value(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut text = serde_json::to_string(&v).unwrap().into_bytes();
        let at = cut.index(text.len() + 1);
        text.insert(at, byte);
        let ours = json::from_slice::<Value>(&text);
        let theirs = serde_json::from_slice::<Value>(&text);
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}", String::from_utf8_lossy(&text));
        if let (Ok(a), Ok(b)) = (ours, theirs) {
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = json::from_slice::<Value>(&bytes);
        let _ = json::from_slice::<Experiment>(&bytes);
    }
}
