//! Gates in contract v2's precedence: after targeting, before the layer and the traffic;
//! a forced variant or a holdout decides first; an open gate changes nothing about the
//! variant; a host without a flag engine (`NoGates`) keeps everyone out.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::assign::Reason;
use cleave_core::model::{
    Audience, Check, Experiment, FixedGates, Gate, Gates, Holdout, NoGates, Status, Variant,
};
use cleave_core::targeting::{Groups, NoRegex};
use serde_json::{Value, json};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn gated() -> Experiment {
    Experiment {
        id: "exp-gated".into(),
        status: Status::Running,
        variants: ["a", "b"]
            .iter()
            .map(|n| Variant {
                name: (*n).into(),
                ..Variant::default()
            })
            .collect(),
        gate: Some(Gate {
            unleash: "beta".into(),
        }),
        ..Experiment::default()
    }
}

fn decide(
    e: &Experiment,
    unit: &str,
    attributes: &Value,
    holdouts: &[Holdout],
    gates: &dyn Gates,
) -> (Reason, Option<String>, Vec<Check>) {
    let groups = Groups::new();
    let audience = Audience {
        attributes,
        holdouts,
        groups: &groups,
        regex: &NoRegex,
        gates,
    };
    let mut checks = Vec::new();
    let a = e.decide(&e.allocation().unwrap(), unit, None, &audience, &mut |s| {
        checks.push(s.check)
    });
    (a.reason, a.variant_name().map(String::from), checks)
}

#[test]
fn a_closed_gate_keeps_units_out_and_an_open_one_changes_nothing() {
    let e = gated();
    let mut ungated = e.clone();
    ungated.gate = None;
    for i in 0..200 {
        let unit = format!("u{i}");
        let (reason, variant, checks) = decide(&e, &unit, &json!({}), &[], &NoGates);
        assert_eq!((reason, variant), (Reason::Gated, None));
        assert_eq!(checks.last(), Some(&Check::Gate));
        let open = decide(&e, &unit, &json!({}), &[], &FixedGates(true));
        let plain = decide(&ungated, &unit, &json!({}), &[], &NoGates);
        assert_eq!(
            (open.0, open.1),
            (plain.0, plain.1),
            "the gate does not move variants"
        );
    }
}

#[test]
fn targeting_and_holdouts_come_first_the_layer_after() {
    let mut e = gated();
    e.targeting = Some(json!({"country": "DE"}));
    let (reason, _, _) = decide(&e, "u1", &json!({"country": "FR"}), &[], &FixedGates(false));
    assert_eq!(
        reason,
        Reason::NotTargeted,
        "targeting is checked before the gate"
    );
    let holdout = Holdout {
        name: "all".into(),
        share: 0.999_999,
        ..Holdout::default()
    };
    e.holdouts = vec!["all".into()];
    let (reason, _, _) = decide(
        &e,
        "u1",
        &json!({"country": "DE"}),
        &[holdout],
        &FixedGates(false),
    );
    assert_eq!(
        reason,
        Reason::Holdout,
        "a holdout is checked before the gate"
    );
    e.holdouts.clear();
    e.layer = Some(cleave_core::model::LayerRange {
        name: "l".into(),
        start: 0.0,
        end: 0.000_001,
    });
    let (reason, _, checks) = decide(&e, "u1", &json!({"country": "DE"}), &[], &FixedGates(true));
    assert_eq!(reason, Reason::NotInLayer);
    assert_eq!(
        checks,
        [
            Check::Running,
            Check::Forced,
            Check::Targeting,
            Check::Gate,
            Check::Layer
        ]
    );
    e.forced.insert("u1".into(), "b".into());
    let (reason, variant, _) = decide(&e, "u1", &json!({}), &[], &NoGates);
    assert_eq!(
        (reason, variant.as_deref()),
        (Reason::Forced, Some("b")),
        "forced wins"
    );
}

#[test]
fn a_gates_toggle_name_is_checked() {
    let mut e = gated();
    e.key = "gated".into();
    e.name = "Gated".into();
    assert!(e.validate().is_ok());
    e.gate = Some(Gate {
        unleash: String::new(),
    });
    let errors = e.validate().unwrap_err();
    assert_eq!(errors[0].field, "gate.unleash");
    e.gate = Some(Gate {
        unleash: "a\nb".into(),
    });
    assert_eq!(e.validate().unwrap_err()[0].field, "gate.unleash");
}
