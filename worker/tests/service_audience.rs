//! Who may enter, natively over the memory store: holdouts and saved groups, the rules that
//! tie experiments to them, layer ranges, the dry run and attributes on `/assign`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::model::{Action, Holdout, SavedGroup};
use cleave_core::targeting::LiteRegex;
use cleave_worker::service::{assign, audience, batch, evaluate, experiments};
use cleave_worker::store::{MemoryStore, Store};
use pollster::block_on;
use serde_json::{Value, json};

mod support;
use support::{TestHost, body, create, host};

fn experiment(name: &str, extra: Value) -> Vec<u8> {
    let mut v = json!({"name": name, "variants": [{"name": "control"}, {"name": "b"}]});
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    body(v)
}

fn start(
    store: &MemoryStore,
    h: &TestHost,
    id: &str,
) -> Result<(), cleave_worker::error::ApiError> {
    block_on(experiments::transition(store, h, id, Action::Start, None)).map(|_| ())
}

#[test]
fn holdouts_and_groups_are_validated_listed_and_protected_while_used() {
    let (store, h) = (MemoryStore::default(), host());
    let put_h =
        |name: &str, v: Value| block_on(audience::put::<Holdout, _>(&store, &h, name, &body(v)));
    let (created, new) = put_h("global", json!({"share": 0.05, "metrics": ["buy"]})).unwrap();
    assert!(new);
    assert_eq!((created.name.as_str(), created.share), ("global", 0.05));
    assert!(
        !put_h("global", json!({"share": 0.1})).unwrap().1,
        "a replace"
    );
    let bad = put_h("global", json!({"share": 1.5})).unwrap_err();
    assert_eq!((bad.status(), bad.field.as_deref()), (422, Some("share")));
    let renamed = put_h("global", json!({"name": "other", "share": 0.1})).unwrap_err();
    assert_eq!(renamed.field.as_deref(), Some("name"));
    let bad_name = put_h("no spaces", json!({"share": 0.1})).unwrap_err();
    assert_eq!(bad_name.field.as_deref(), Some("name"));

    let group = json!({"values": ["u1", "u2", 7]});
    block_on(audience::put::<SavedGroup, _>(
        &store,
        &h,
        "beta",
        &body(group),
    ))
    .unwrap();
    let bad_group = block_on(audience::put::<SavedGroup, _>(
        &store,
        &h,
        "x",
        &body(json!({"values": [{"a": 1}]})),
    ))
    .unwrap_err();
    assert_eq!(bad_group.field.as_deref(), Some("values[0]"));

    let unknown = block_on(create(
        &store,
        &h,
        &experiment("Uses", json!({"holdouts": ["nope"]})),
    ))
    .unwrap_err();
    assert_eq!(
        (unknown.status(), unknown.field.as_deref()),
        (422, Some("holdouts[0]"))
    );
    let e = block_on(create(
        &store,
        &h,
        &experiment(
            "Uses",
            json!({
        "holdouts": ["global"], "targeting": {"id": {"$inGroup": "beta"}}}),
        ),
    ))
    .unwrap();
    let in_use = block_on(audience::delete::<Holdout, _>(&store, "global")).unwrap_err();
    assert_eq!(in_use.code, "in_use");
    assert!(in_use.message.contains(&e.key), "{}", in_use.message);
    let group_in_use = block_on(audience::delete::<SavedGroup, _>(&store, "beta")).unwrap_err();
    assert_eq!(group_in_use.code, "in_use");
    block_on(experiments::delete(&store, &e.id)).unwrap();
    block_on(audience::delete::<SavedGroup, _>(&store, "beta")).unwrap();
    assert_eq!(
        block_on(audience::get::<SavedGroup, _>(&store, "beta"))
            .unwrap_err()
            .status(),
        404
    );
    assert_eq!(
        block_on(audience::list::<Holdout, _>(&store))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn invalid_targeting_is_refused_with_the_path_inside_it() {
    let (store, h) = (MemoryStore::default(), host());
    let cases = [
        (
            json!({"$and": [{"x": 1}, {"country": {"$in": "DE"}}]}),
            "targeting.$and[1].country.$in",
        ),
        (json!({"age": {"$gtt": 3}}), "targeting.age.$gtt"),
        (
            json!({"email": {"$regex": "(unclosed"}}),
            "targeting.email.$regex",
        ),
        (json!([1, 2]), "targeting"),
    ];
    for (condition, field) in cases {
        let err = block_on(create(
            &store,
            &h,
            &experiment("T", json!({"targeting": condition})),
        ))
        .unwrap_err();
        assert_eq!((err.status(), err.field.as_deref()), (422, Some(field)));
    }
    let mut deep = json!({"x": 1});
    for _ in 0..40 {
        deep = json!({"$not": deep});
    }
    let err = block_on(create(
        &store,
        &h,
        &experiment("T", json!({"targeting": deep})),
    ))
    .unwrap_err();
    assert_eq!(err.status(), 422);
    assert!(err.message.contains("deeper than 32"), "{}", err.message);
    let ok = json!({"email": {"$regex": "@example\\.com$"}, "country": {"$in": ["DE"]}});
    block_on(create(
        &store,
        &h,
        &experiment("T", json!({"targeting": ok})),
    ))
    .unwrap();
}

#[test]
fn live_experiments_of_one_layer_never_overlap() {
    let (store, h) = (MemoryStore::default(), host());
    let layer =
        |start: f64, end: f64| json!({"layer": {"name": "checkout", "start": start, "end": end}});
    let a = block_on(create(&store, &h, &experiment("A", layer(0.0, 0.5)))).unwrap();
    let b = block_on(create(&store, &h, &experiment("B", layer(0.25, 0.75)))).unwrap();
    let c = block_on(create(&store, &h, &experiment("C", layer(0.5, 1.0)))).unwrap();
    start(&store, &h, &a.id).unwrap();
    let clash = start(&store, &h, &b.id).unwrap_err();
    assert_eq!(
        (clash.status(), clash.code),
        (409, cleave_worker::error::ErrorCode::LayerOverlap)
    );
    assert!(clash.message.contains(&a.key), "{}", clash.message);
    start(&store, &h, &c.id).unwrap();
    // Widening a live range into a neighbour's is refused too; shrinking needs a new phase.
    let grow = block_on(experiments::update(
        &store,
        &h,
        &a.id,
        &body(layer(0.0, 0.6)),
        None,
    ))
    .unwrap_err();
    assert_eq!(grow.code, "layer_overlap");
    let shrink = block_on(experiments::update(
        &store,
        &h,
        &a.id,
        &body(layer(0.1, 0.5)),
        None,
    ))
    .unwrap_err();
    assert_eq!(shrink.code, "traffic_decrease");
    let bad = block_on(create(&store, &h, &experiment("D", layer(0.6, 0.6)))).unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("layer.end"));
    // A stopped experiment frees its range.
    block_on(experiments::transition(
        &store,
        &h,
        &a.id,
        Action::Stop,
        None,
    ))
    .unwrap();
    let b2 = block_on(create(&store, &h, &experiment("B2", layer(0.0, 0.5)))).unwrap();
    start(&store, &h, &b2.id).unwrap();
}

#[test]
fn the_dry_run_reports_every_check_and_records_nothing() {
    let (store, h) = (MemoryStore::default(), host());
    block_on(audience::put::<Holdout, _>(
        &store,
        &h,
        "tiny",
        &body(json!({"share": 0.000001})),
    ))
    .unwrap();
    let e = block_on(create(
        &store,
        &h,
        &experiment(
            "Dry",
            json!({
        "holdouts": ["tiny"], "targeting": {"country": {"$in": ["DE", "AT"]}},
        "layer": {"name": "l", "start": 0.0, "end": 1.0}}),
        ),
    ))
    .unwrap();
    let run = |v: Value| {
        let req: evaluate::EvaluateRequest = serde_json::from_value(v).unwrap();
        block_on(evaluate::evaluate(
            &store,
            &e,
            &req,
            &cleave_core::model::NoGates,
        ))
        .unwrap()
    };
    let draft = run(json!({"user_id": "u1", "attributes": {"country": "DE"}}));
    assert_eq!((draft.reason, draft.steps.len()), ("not_running", 1));
    let tried =
        run(json!({"user_id": "u1", "attributes": {"country": "DE"}, "assume_running": true}));
    assert!(tried.assumed_running);
    assert_eq!(tried.reason, "assigned");
    let checks: Vec<&str> = tried.steps.iter().map(|s| s.check).collect();
    assert_eq!(
        checks,
        [
            "running",
            "forced",
            "holdout",
            "targeting",
            "layer",
            "traffic"
        ]
    );
    assert_eq!(tried.steps[2].subject.as_deref(), Some("tiny"));
    let outside =
        run(json!({"user_id": "u1", "context": {"country": "FR"}, "assume_running": true}));
    assert_eq!(outside.reason, "not_targeted");
    assert_eq!(
        outside.steps.last().map(|s| (s.check, s.passed)),
        Some(("targeting", false))
    );
    let forced = run(json!({"user_id": "u1", "force": "b", "assume_running": true}));
    assert_eq!(
        (forced.reason, forced.variant.as_deref()),
        ("forced", Some("b"))
    );
    assert!(
        block_on(store.assignment_counts()).unwrap().is_empty(),
        "nothing recorded"
    );
}

#[test]
fn assign_takes_context_or_attributes_within_limits_and_stores_them() {
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(
        &store,
        &h,
        &experiment("Ctx", json!({"targeting": {"plan": "pro"}})),
    ))
    .unwrap();
    start(&store, &h, &e.id).unwrap();
    let e = block_on(experiments::load(&store, &e.id)).unwrap();
    let allocation = e.allocation().unwrap();
    let groups = cleave_core::targeting::Groups::new();
    let config = assign::AudienceConfig {
        holdouts: &[],
        groups: &groups,
        regex: &LiteRegex,
        gates: &cleave_core::model::NoGates,
    };
    let call = |v: Value| {
        let req: assign::AssignRequest = serde_json::from_value(v).unwrap();
        assign::assign(&e, &allocation, None, &req, &config, 5).map(|a| (a.response, a.exposure))
    };
    let (r, x) =
        call(json!({"user_id": "u1", "context": {"plan": "pro", "source": "web"}})).unwrap();
    assert_eq!(r.reason, "assigned");
    let stored: Value = serde_json::from_str(x.unwrap().context.as_deref().unwrap()).unwrap();
    assert_eq!(stored, json!({"plan": "pro", "source": "web"}));
    let (r, x) = call(json!({"user_id": "u1", "attributes": {"plan": "free"}})).unwrap();
    assert_eq!(
        (r.reason, r.in_experiment, x.is_none()),
        ("not_targeted", false, true)
    );
    // Attributes of an unexpected type never error: they just do not match.
    assert_eq!(
        call(json!({"user_id": "u1", "context": {"plan": 42}}))
            .unwrap()
            .0
            .reason,
        "not_targeted"
    );
    let both = call(json!({"user_id": "u1", "context": {}, "attributes": {}})).unwrap_err();
    assert_eq!(
        (both.status(), both.field.as_deref()),
        (400, Some("attributes"))
    );
    let mut deep = json!(1);
    for _ in 0..9 {
        deep = json!({"a": deep});
    }
    let err = call(json!({"user_id": "u1", "context": {"x": deep}})).unwrap_err();
    assert_eq!(err.status(), 422);
    assert!(
        err.field
            .as_deref()
            .unwrap_or_default()
            .starts_with("context.x.a"),
        "{:?}",
        err.field
    );
    let many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    let err = call(json!({"user_id": "u1", "context": many})).unwrap_err();
    assert_eq!((err.status(), err.field.as_deref()), (422, Some("context")));
}

#[test]
fn an_edge_exposure_is_decided_again_with_the_attributes_it_sends() {
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(
        &store,
        &h,
        &experiment("Edge", json!({"targeting": {"country": "DE"}})),
    ))
    .unwrap();
    start(&store, &h, &e.id).unwrap();
    let e = block_on(experiments::load(&store, &e.id)).unwrap();
    let variant = {
        let groups = cleave_core::targeting::Groups::new();
        let attrs = json!({"country": "DE"});
        let audience = cleave_core::model::Audience {
            attributes: &attrs,
            holdouts: &[],
            groups: &groups,
            regex: &LiteRegex,
            gates: &cleave_core::model::NoGates,
        };
        e.decide(&e.allocation().unwrap(), "u9", None, &audience, &mut |_| {})
            .variant_name()
            .unwrap()
            .to_string()
    };
    let send = |context: Value| {
        let b = body(
            json!({"exposures": [{"experiment_id": e.id, "user_id": "u9", "variant": variant, "context": context}]}),
        );
        block_on(batch::exposures(
            &store,
            &h,
            &b,
            false,
            &cleave_core::model::NoGates,
        ))
        .unwrap()
    };
    assert_eq!(
        send(json!({"country": "FR"})).recorded,
        0,
        "not targeted: refused"
    );
    assert_eq!(send(json!({"country": "DE"})).recorded, 1);
}

#[test]
fn the_targeting_check_is_the_experiment_rule() {
    let check =
        |v: Value| evaluate::check(&serde_json::from_value(json!({"targeting": v})).unwrap());
    let ok = check(json!({"country": "DE", "$or": [{"age": {"$gt": 1}}, {"user.plan": "pro"}]}))
        .unwrap();
    assert_eq!(ok.attributes, ["age", "country", "user.plan"]);
    let err = check(json!({"$and": [{"x": 1}, {"country": {"$in": "DE"}}]})).unwrap_err();
    assert_eq!(
        (err.status(), err.field.as_deref()),
        (422, Some("targeting.$and[1].country.$in"))
    );
}

#[test]
fn results_by_segment_come_from_the_stored_context_and_are_corrected_together() {
    use cleave_worker::service::{stats, track};
    let (store, h) = (MemoryStore::default(), host());
    let e = block_on(create(
        &store,
        &h,
        &experiment("Seg", json!({"metrics": ["buy"]})),
    ))
    .unwrap();
    start(&store, &h, &e.id).unwrap();
    let e = block_on(experiments::load(&store, &e.id)).unwrap();
    let allocation = e.allocation().unwrap();
    let groups = cleave_core::targeting::Groups::new();
    let config = assign::AudienceConfig {
        holdouts: &[],
        groups: &groups,
        regex: &LiteRegex,
        gates: &cleave_core::model::NoGates,
    };
    let countries = [
        "DE", "DE", "DE", "FR", "FR", "US", "JP", "BR", "IN", "CN", "MX",
    ];
    for i in 0..660 {
        let country = countries[i % countries.len()];
        let context = if i % 50 == 0 {
            json!({})
        } else {
            json!({"geo": {"country": country}})
        };
        let req: assign::AssignRequest =
            serde_json::from_value(json!({"user_id": format!("u{i}"), "context": context}))
                .unwrap();
        let x = assign::assign(&e, &allocation, None, &req, &config, 5)
            .unwrap()
            .exposure;
        block_on(store.record_exposures(&e, &[x.unwrap()])).unwrap();
        if i % 3 == 0 {
            let t: track::TrackRequest =
                serde_json::from_value(json!({"user_id": format!("u{i}"), "event_name": "buy"}))
                    .unwrap();
            block_on(track::track(&store, &h, &e, t)).unwrap();
        }
    }
    let q: stats::StatsQuery = serde_json::from_value(json!({"dimension": "geo.country"})).unwrap();
    let r = block_on(stats::stats(&store, &e, q)).unwrap();
    let seg = r.segments.unwrap();
    let values: Vec<&str> = seg.segments.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(&values[..2], ["DE", "FR"], "{values:?}");
    assert!(
        values.contains(&"(none)") && values.last() == Some(&"other"),
        "{values:?}"
    );
    assert_eq!(
        seg.segments.len(),
        7,
        "5 largest, (none), other: {values:?}"
    );
    let total: u64 = seg.segments.iter().map(|s| s.users).sum();
    assert_eq!(total, 660, "every exposed user is in one segment");
    for s in &seg.segments {
        for c in &s.report.comparisons {
            if let (Some(raw), Some(adj)) = (c.p_value, c.adjusted_p_value) {
                assert!(adj >= raw, "{}: adjusted {adj} < raw {raw}", s.value);
            }
        }
    }
    let bad: stats::StatsQuery = serde_json::from_value(json!({"dimension": "a..b"})).unwrap();
    let err = block_on(stats::stats(&store, &e, bad)).unwrap_err();
    assert_eq!(
        (err.status(), err.field.as_deref()),
        (422, Some("dimension"))
    );
}

#[test]
fn a_start_racing_another_for_an_overlapping_range_loses_with_layer_overlap() {
    let (store, h) = (MemoryStore::default(), host());
    let layer =
        |start: f64, end: f64| json!({"layer": {"name": "checkout", "start": start, "end": end}});
    let a = block_on(create(&store, &h, &experiment("A", layer(0.0, 0.5)))).unwrap();
    let b = block_on(create(&store, &h, &experiment("B", layer(0.4, 1.0)))).unwrap();
    // B starts between A's check (nothing live) and A's write: the store refuses A's write
    // and the answer names B.
    let mut b_live = b.clone();
    b_live.status = cleave_core::model::Status::Running;
    store.sneak_in_before_next_update(b_live);
    let lost = start(&store, &h, &a.id).unwrap_err();
    assert_eq!(
        (lost.status(), lost.code),
        (409, cleave_worker::error::ErrorCode::LayerOverlap)
    );
    assert!(lost.message.contains(&b.key), "{}", lost.message);
    let a_now = block_on(experiments::load(&store, &a.id)).unwrap();
    assert_eq!(
        a_now.status,
        cleave_core::model::Status::Draft,
        "A was not started"
    );
}
