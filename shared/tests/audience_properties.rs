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
