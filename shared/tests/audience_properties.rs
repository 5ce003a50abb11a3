//! Invariants of contract v2's eligibility steps: widening a layer range or a targeting
//! condition never moves a unit that stays eligible, overlapping checks agree with
//! admission, holdouts only remove, and the dry-run trace ends where the decision does.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic
#![cfg(not(target_arch = "wasm32"))]

use cleave_core::assign::Reason;
use cleave_core::model::{Audience, Check, Experiment, Holdout, LayerRange, Status, Variant};
use cleave_core::targeting::{Groups, NoRegex};
use proptest::prelude::*;
use serde_json::{Value, json};

fn experiment() -> Experiment {
    Experiment {
        id: "exp-audience".into(),
        status: Status::Running,
        variants: (0..3)
            .map(|i| Variant {
                name: format!("v{i}"),
                ..Variant::default()
            })
            .collect(),
        ..Experiment::default()
    }
}

fn decide(
    e: &Experiment,
    unit: &str,
    attributes: &Value,
    holdouts: &[Holdout],
) -> (Reason, Option<String>) {
    let groups = Groups::new();
    let audience = Audience {
        attributes,
        holdouts,
        groups: &groups,
        regex: &NoRegex,
        gates: &cleave_core::model::NoGates,
    };
    let a = e.decide(&e.allocation().unwrap(), unit, None, &audience, &mut |_| {});
    (a.reason, a.variant_name().map(String::from))
}

proptest! {
    #[test]
    fn widening_a_layer_range_keeps_admitted_units_and_their_variant(
        unit in "\\PC{1,40}", a in 0.0f64..1.0, b in 0.0f64..1.0, grow in 0.0f64..0.5,
    ) {
        let (start, end) = if a < b { (a, b) } else { (b, a) };
        prop_assume!(start < end);
        let mut narrow = experiment();
        narrow.layer = Some(LayerRange { name: "l".into(), start, end });
        let mut wide = narrow.clone();
        wide.layer = Some(LayerRange { name: "l".into(), start: (start - grow).max(0.0), end: (end + grow).min(1.0) });
        let before = decide(&narrow, &unit, &json!({}), &[]);
        if before.0 == Reason::Assigned {
            prop_assert_eq!(decide(&wide, &unit, &json!({}), &[]), before);
        }
    }

    #[test]
    fn widening_targeting_keeps_targeted_units_and_their_variant(
        unit in "[a-z0-9]{1,20}", country in "[A-C]", extra in "[D-F]",
    ) {
        let attrs = json!({"country": country});
        let mut narrow = experiment();
        narrow.targeting = Some(json!({"country": {"$in": ["A", "B"]}}));
        let mut wide = narrow.clone();
        wide.targeting = Some(json!({"$or": [{"country": {"$in": ["A", "B", "C"]}}, {"country": extra}]}));
        let before = decide(&narrow, &unit, &attrs, &[]);
        if before.0 == Reason::Assigned {
            prop_assert_eq!(decide(&wide, &unit, &attrs, &[]), before);
        }
    }

    #[test]
    fn a_holdout_only_removes_units(unit in "\\PC{1,40}", share in 0.0001f64..0.9999) {
        let plain = experiment();
        let mut listed = plain.clone();
        listed.holdouts = vec!["h".into()];
        let h = Holdout { name: "h".into(), share, ..Holdout::default() };
        let (reason, variant) = decide(&listed, &unit, &json!({}), std::slice::from_ref(&h));
        if h.holds_out(&unit) {
            prop_assert_eq!(reason, Reason::Holdout);
        } else {
            prop_assert_eq!((reason, variant), decide(&plain, &unit, &json!({}), &[]));
        }
    }

    #[test]
    fn overlapping_ranges_are_exactly_those_that_can_share_a_unit(
        a in 0.0f64..1.0, b in 0.0f64..1.0, c in 0.0f64..1.0, d in 0.0f64..1.0,
    ) {
        let range = |x: f64, y: f64| LayerRange { name: "l".into(), start: x.min(y), end: x.max(y) };
        let (r, s) = (range(a, b), range(c, d));
        prop_assume!(r.start < r.end && s.start < s.end);
        let shared = r.start.max(s.start) < r.end.min(s.end);
        prop_assert_eq!(r.overlaps(&s), shared);
    }
}

#[test]
fn the_trace_lists_every_check_up_to_the_one_that_decided() {
    let mut e = experiment();
    e.holdouts = vec!["none-held".into()];
    e.targeting = Some(json!({"country": "DE"}));
    e.layer = Some(LayerRange {
        name: "l".into(),
        start: 0.0,
        end: 1.0,
    });
    let holdouts = [Holdout {
        name: "none-held".into(),
        share: 1e-9,
        ..Holdout::default()
    }];
    let groups = Groups::new();
    let run = |attrs: Value| {
        let audience = Audience {
            attributes: &attrs,
            holdouts: &holdouts,
            groups: &groups,
            regex: &NoRegex,
            gates: &cleave_core::model::NoGates,
        };
        let mut steps = Vec::new();
        let a = e.decide(&e.allocation().unwrap(), "u-1", None, &audience, &mut |s| {
            steps.push((s.check, s.subject.map(String::from), s.passed));
        });
        (a.reason, steps)
    };
    let (reason, steps) = run(json!({"country": "DE"}));
    assert_eq!(reason, Reason::Assigned);
    let checks: Vec<Check> = steps.iter().map(|s| s.0).collect();
    assert_eq!(
        checks,
        [
            Check::Running,
            Check::Forced,
            Check::Holdout,
            Check::Targeting,
            Check::Layer,
            Check::Traffic
        ]
    );
    assert_eq!(steps[2].1.as_deref(), Some("none-held"));
    assert!(steps.iter().all(|s| s.2));
    let (reason, steps) = run(json!({"country": "FR"}));
    assert_eq!(reason, Reason::NotTargeted);
    assert_eq!(
        steps.last().map(|s| (s.0, s.2)),
        Some((Check::Targeting, false))
    );
    assert_eq!(steps.len(), 4);
}

proptest! {
    #[test]
    fn planning_reports_each_listed_holdouts_arm_until_one_holds_the_unit_out(
        unit in "[a-z0-9]{1,24}", first in 0.0001f64..0.9999, second in 0.0001f64..0.9999,
    ) {
        use cleave_core::edge::{HeaderMode, HeaderNames, plan, prepare};
        let mut e = experiment();
        e.key = "k".into();
        e.holdouts = vec!["h1".into(), "h2".into()];
        let holdouts = [
            Holdout { name: "h1".into(), share: first, ..Holdout::default() },
            Holdout { name: "h2".into(), share: second, ..Holdout::default() },
        ];
        let prepared = prepare([e.clone()], "x-cleave-");
        let names = HeaderNames::new("x-cleave-", HeaderMode::Each);
        let groups = Groups::new();
        let attrs = json!({});
        let audience = Audience { attributes: &attrs, holdouts: &holdouts, groups: &groups, regex: &NoRegex, gates: &cleave_core::model::NoGates };
        let p = plan(&prepared, &names, [], Some(&unit), "h", "/", &[], &audience);
        let arms: Vec<(&str, bool)> = p.holdouts.iter().map(|a| (a.holdout, a.held_out)).collect();
        let mut expected = vec![("h1", holdouts[0].holds_out(&unit))];
        if !expected[0].1 {
            expected.push(("h2", holdouts[1].holds_out(&unit)));
        }
        prop_assert_eq!(&arms, &expected);
        let held = expected.iter().any(|a| a.1);
        prop_assert_eq!(p.assignments.is_empty(), held);
        prop_assert_eq!(decide(&e, &unit, &attrs, &holdouts).0 == Reason::Holdout, held);
    }
}

/// Random JSON values of the shapes conditions and attributes take.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        prop::sample::select(vec!["a", "b", "1.2.0", "10", "", "A"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "a",
                    "b",
                    "a.b",
                    "$or",
                    "$and",
                    "$nor",
                    "$not",
                    "$eq",
                    "$ne",
                    "$gt",
                    "$lte",
                    "$in",
                    "$nin",
                    "$ini",
                    "$all",
                    "$alli",
                    "$size",
                    "$exists",
                    "$type",
                    "$elemMatch",
                    "$vgt",
                    "$veq",
                    "$inGroup",
                    "$bogus",
                ])
                .prop_map(String::from),
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    #[test]
    fn a_compiled_condition_answers_as_the_json_does(
        condition in json_value(), attributes in json_value(),
    ) {
        use cleave_core::targeting::{Compiled, Context, matches};
        let mut groups = Groups::new();
        groups.insert("g".into(), vec![json!("a"), json!(1)]);
        let cx = Context { groups: &groups, regex: &NoRegex };
        prop_assert_eq!(
            Compiled::new(&condition).matches(&attributes, &cx),
            matches(&condition, &attributes, &cx)
        );
    }
}
