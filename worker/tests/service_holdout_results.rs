//! A holdout's own results, natively over the memory store: the arms recorded at each
//! decision, events of held-out units accepted for the holdout, the analysis of held-out
//! against exposed units, and results restarting when the share changes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::model::{Action, Holdout};
use cleave_core::targeting::{Groups, LiteRegex};
use cleave_worker::service::holdout_results::{HoldoutResultsQuery, results};
use cleave_worker::service::{assign, audience, batch, experiments, track};
use cleave_worker::store::{MemoryStore, Store};
use pollster::block_on;
use serde_json::json;

mod support;
use support::{body, create, host};

fn track_req(user: &str, metric: &str, event_id: &str) -> track::TrackRequest {
    serde_json::from_value(json!({"user_id": user, "event_name": metric, "event_id": event_id}))
        .unwrap()
}

#[test]
fn held_out_units_are_compared_with_exposed_ones_on_the_holdouts_metrics() {
    let (store, h) = (MemoryStore::default(), host());
    block_on(audience::put::<Holdout, _>(
        &store,
        &h,
        "global",
        &body(json!({"share": 0.3, "metrics": ["buy"]})),
    ))
    .unwrap();
    let spec = json!({"name": "Checkout", "variants": [{"name": "control"}, {"name": "b"}],
        "holdouts": ["global"], "metrics": ["buy"]});
    let e = block_on(create(&store, &h, &body(spec))).unwrap();
    block_on(experiments::transition(
        &store,
        &h,
        &e.id,
        Action::Start,
        None,
    ))
    .unwrap();
    let e = block_on(experiments::load(&store, &e.id)).unwrap();
    let (holdouts, _) = block_on(audience::load(&store)).unwrap();
    let groups = Groups::new();
    let config = assign::AudienceConfig {
        holdouts: &holdouts,
        groups: &groups,
        regex: &LiteRegex,
        gates: &cleave_core::model::NoGates,
    };
    let allocation = e.allocation().unwrap();
    let (mut held, mut exposed, mut held_buyers, mut exposed_buyers) = (0u64, 0u64, 0u64, 0u64);
    for i in 0..400 {
        let user = format!("u{i}");
        let req: assign::AssignRequest = serde_json::from_value(json!({"user_id": user})).unwrap();
        let a = assign::assign(&e, &allocation, None, &req, &config, 5).unwrap();
        let is_held = a.response.reason == "holdout";
        assert_eq!(is_held, holdouts[0].holds_out(&user), "{user}");
        assert_eq!(a.members.len(), 1, "one arm per listed holdout");
        assert_eq!(a.members[0].held_out, is_held);
        block_on(store.record_exposures(&e, &a.exposure.into_iter().collect::<Vec<_>>())).unwrap();
        block_on(store.record_holdout_members(&a.members)).unwrap();
        // Held-out units buy more often: every second one, against every fourth.
        let buys = if is_held { i % 2 == 0 } else { i % 4 == 0 };
        if is_held {
            held += 1;
        } else {
            exposed += 1;
        }
        if buys {
            let r = block_on(track::track(
                &store,
                &h,
                &e,
                track_req(&user, "buy", &format!("e{i}")),
            ))
            .unwrap();
            assert_eq!(r.holdouts, ["global"], "{user}");
            assert_eq!(
                r.variant.is_none(),
                is_held,
                "held-out units have no variant"
            );
            assert!(r.recorded);
            if is_held {
                held_buyers += 1;
            } else {
                exposed_buyers += 1;
            }
        }
    }
    assert!(
        held > 80 && exposed > 200,
        "{held} held out, {exposed} exposed"
    );
    // Nothing held-out leaks into the experiment's own results.
    let agg = block_on(store.aggregates(&e, "buy")).unwrap().arms;
    assert_eq!(agg.iter().map(|a| a.users).sum::<u64>(), exposed);
    assert_eq!(
        agg.iter().map(|a| a.converters).sum::<u64>(),
        exposed_buyers
    );

    // A repeat counts once; a metric the holdout does not measure is refused for a held-out
    // unit (it is not in the experiment); a unit never decided for is refused.
    let held_user = (0..400)
        .map(|i| format!("u{i}"))
        .find(|u| holdouts[0].holds_out(u))
        .unwrap();
    let again = block_on(track::track(
        &store,
        &h,
        &e,
        track_req(&held_user, "buy", "e-repeat"),
    ))
    .unwrap();
    let repeat = block_on(track::track(
        &store,
        &h,
        &e,
        track_req(&held_user, "buy", "e-repeat"),
    ))
    .unwrap();
    assert!(again.recorded && !repeat.recorded);
    held_buyers += u64::from(!(0..400).any(|i| format!("u{i}") == held_user && i % 2 == 0));
    let other = block_on(track::track(
        &store,
        &h,
        &e,
        track_req(&held_user, "view", "e-view"),
    ))
    .unwrap_err();
    assert_eq!(
        (other.status(), other.field.as_deref()),
        (409, Some("user_id"))
    );
    let stranger = block_on(track::track(
        &store,
        &h,
        &e,
        track_req("never-seen", "buy", "e-x"),
    ))
    .unwrap_err();
    assert_eq!(stranger.status(), 409);

    let r = block_on(results(
        &store,
        &holdouts[0],
        HoldoutResultsQuery::default(),
    ))
    .unwrap();
    assert_eq!(
        (r.metric.as_str(), r.report.control_variant.as_str()),
        ("buy", "held_out")
    );
    let arm = |name: &str| {
        r.report
            .variants
            .iter()
            .find(|v| v.variant == name)
            .unwrap()
    };
    assert_eq!(
        (arm("held_out").sample_size, arm("held_out").conversions),
        (held, held_buyers)
    );
    assert_eq!(
        (arm("exposed").sample_size, arm("exposed").conversions),
        (exposed, exposed_buyers)
    );
    let lift = r.report.comparisons[0].difference;
    assert!(lift < 0.0, "exposed convert less here: difference {lift}");

    // Batches count for the holdout too.
    let held_again = (400..800)
        .map(|i| format!("u{i}"))
        .find(|u| holdouts[0].holds_out(u))
        .unwrap();
    let req: assign::AssignRequest =
        serde_json::from_value(json!({"user_id": held_again})).unwrap();
    let a = assign::assign(&e, &allocation, None, &req, &config, 5).unwrap();
    block_on(store.record_holdout_members(&a.members)).unwrap();
    let batch_body = body(json!({"events": [
        {"experiment_id": e.id, "user_id": held_again, "event_name": "buy", "event_id": "b1"},
        {"experiment_id": e.id, "user_id": held_again, "event_name": "buy", "event_id": "b1"},
        {"experiment_id": e.id, "user_id": "never-seen", "event_name": "buy", "event_id": "b2"},
    ]}));
    let out = block_on(batch::events(&store, &h, &batch_body)).unwrap();
    let statuses: Vec<&str> = out.results.iter().map(|r| r.status).collect();
    assert_eq!(statuses, ["recorded", "duplicate", "rejected"]);
    let r = block_on(results(
        &store,
        &holdouts[0],
        HoldoutResultsQuery::default(),
    ))
    .unwrap();
    let arm = |name: &str| {
        r.report
            .variants
            .iter()
            .find(|v| v.variant == name)
            .unwrap()
            .clone()
    };
    assert_eq!(arm("held_out").sample_size, held + 1);

    // A new share puts units in other arms: the results restart.
    block_on(audience::put::<Holdout, _>(
        &store,
        &h,
        "global",
        &body(json!({"share": 0.2, "metrics": ["buy"]})),
    ))
    .unwrap();
    let (holdouts, _) = block_on(audience::load(&store)).unwrap();
    let r = block_on(results(
        &store,
        &holdouts[0],
        HoldoutResultsQuery::default(),
    ))
    .unwrap();
    assert_eq!(
        r.report.variants.iter().map(|v| v.sample_size).sum::<u64>(),
        0
    );
}

#[test]
fn a_holdout_without_metrics_needs_one_named() {
    let (store, h) = (MemoryStore::default(), host());
    let (hd, _) = block_on(audience::put::<Holdout, _>(
        &store,
        &h,
        "bare",
        &body(json!({"share": 0.1})),
    ))
    .unwrap();
    let err = block_on(results(&store, &hd, HoldoutResultsQuery::default())).unwrap_err();
    assert_eq!((err.status(), err.field.as_deref()), (422, Some("metric")));
    let q = HoldoutResultsQuery {
        metric: Some("buy".into()),
        ..HoldoutResultsQuery::default()
    };
    let r = block_on(results(&store, &hd, q)).unwrap();
    assert_eq!(r.report.variants.len(), 2);
}

#[test]
fn edges_report_holdout_arms_which_the_worker_decides_again() {
    let (store, h) = (MemoryStore::default(), host());
    block_on(audience::put::<Holdout, _>(
        &store,
        &h,
        "edge",
        &body(json!({"share": 0.5, "metrics": ["buy"]})),
    ))
    .unwrap();
    let spec = json!({"name": "Edge", "variants": [{"name": "a"}, {"name": "b"}],
        "holdouts": ["edge"], "traffic_allocation": 0.5});
    let e = block_on(create(&store, &h, &body(spec))).unwrap();
    block_on(experiments::transition(
        &store,
        &h,
        &e.id,
        Action::Start,
        None,
    ))
    .unwrap();
    let (holdouts, _) = block_on(audience::load(&store)).unwrap();
    let users: Vec<String> = (0..40).map(|i| format!("edge-{i}")).collect();
    let items: Vec<_> = users
        .iter()
        .map(|u| json!({"experiment_id": e.id, "user_id": u, "holdout": "edge"}))
        .chain([
            json!({"experiment_id": e.id, "user_id": "x", "holdout": "other"}),
            json!({"experiment_id": e.id, "user_id": "x"}),
        ])
        .collect();
    let out = block_on(batch::exposures(
        &store,
        &h,
        &body(json!({"exposures": items})),
        false,
        &cleave_core::model::NoGates,
    ))
    .unwrap();
    assert_eq!(out.recorded, 40, "{:?}", out.results);
    let fields: Vec<Option<&str>> = out.results[40..]
        .iter()
        .map(|r| r.error.as_ref().and_then(|e| e.field.as_deref()))
        .collect();
    assert_eq!(
        fields,
        [Some("exposures[40].holdout"), Some("exposures[41].variant")]
    );
    let held = users.iter().filter(|u| holdouts[0].holds_out(u)).count() as u64;
    assert!(held > 5 && held < 35, "{held}");
    let r = block_on(results(
        &store,
        &holdouts[0],
        HoldoutResultsQuery::default(),
    ))
    .unwrap();
    let arm = |name: &str| {
        r.report
            .variants
            .iter()
            .find(|v| v.variant == name)
            .unwrap()
            .sample_size
    };
    // Every reported unit is in its own arm, whether or not traffic then took it.
    assert_eq!((arm("held_out"), arm("exposed")), (held, 40 - held));
}
