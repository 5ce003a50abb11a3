//! Proof that the assignment path allocates nothing: a counting global allocator.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic
#![cfg(not(target_arch = "wasm32"))]

use cleave_core::model::{Experiment, Status, Variant};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Allocations made by this thread (the test harness allocates on its own threads
    /// while a test runs, so a global count would blame the test for them).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// This thread's allocations so far.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: delegates to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn assigning_allocates_nothing() {
    let mut e = Experiment {
        id: "exp-1".into(),
        key: "exp".into(),
        name: "n".into(),
        status: Status::Running,
        traffic_allocation: 0.5,
        variants: (0..10)
            .map(|i| Variant {
                name: format!("v{i}"),
                weight: Some(1.0 + i as f64),
                ..Variant::default()
            })
            .collect(),
        ..Experiment::default()
    };
    e.forced.insert("qa-user".into(), "v3".into());
    let ids: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
    let prepared = e.allocation().unwrap();
    let mut assigned = 0;

    let before = allocations();
    for id in &ids {
        assigned += usize::from(e.assign_with(&prepared, id).in_experiment());
        assigned += usize::from(e.assign(id).unwrap().in_experiment());
    }
    assigned += usize::from(e.assign("qa-user").unwrap().in_experiment());
    let after = allocations();

    assert_eq!(after - before, 0, "the assignment path allocated");
    assert!(assigned > 800 && assigned < 1200, "assigned {assigned}");
}

#[test]
fn a_targeted_layered_decision_allocates_nothing() {
    use cleave_core::model::{Audience, Holdout, LayerRange};
    use cleave_core::targeting::{Groups, NoRegex};
    let e = Experiment {
        id: "exp-t".into(),
        status: Status::Running,
        variants: (0..2)
            .map(|i| Variant {
                name: format!("v{i}"),
                ..Variant::default()
            })
            .collect(),
        targeting: Some(serde_json::json!({
            "country": {"$in": ["DE", "AT", "CH"]}, "plan": {"$ne": "free"}, "age": {"$gte": 18},
            "beta": {"$exists": false}, "user.tier": {"$lt": 3}})),
        layer: Some(LayerRange {
            name: "checkout".into(),
            start: 0.0,
            end: 0.8,
        }),
        holdouts: vec!["h".into()],
        ..Experiment::default()
    };
    let holdouts = [Holdout {
        name: "h".into(),
        share: 0.05,
        ..Holdout::default()
    }];
    let groups = Groups::new();
    let attributes: Vec<serde_json::Value> = (0..100)
        .map(|i| {
            let country = ["DE", "FR", "AT"][i % 3];
            serde_json::json!({"country": country, "plan": "pro", "age": 20 + i, "user": {"tier": i % 4}})
        })
        .collect();
    let ids: Vec<String> = (0..100).map(|i| format!("user-{i}")).collect();
    let allocation = e.allocation().unwrap();
    // From the JSON, and prepared (compiled condition) as the hosts decide.
    let prepared = cleave_core::edge::prepare([e.clone()], "x-cleave-")
        .pop()
        .unwrap();
    let (mut assigned, mut assigned_prepared) = (0, 0);
    let before = allocations();
    for (id, attrs) in ids.iter().zip(&attributes) {
        let audience = Audience {
            attributes: attrs,
            holdouts: &holdouts,
            groups: &groups,
            regex: &NoRegex,
            gates: &cleave_core::model::NoGates,
        };
        assigned += usize::from(
            e.decide(&allocation, id, None, &audience, &mut |_| {})
                .in_experiment(),
        );
        assigned_prepared += usize::from(
            prepared
                .decide(id, None, &audience, &mut |_| {})
                .in_experiment(),
        );
    }
    let after = allocations();
    assert_eq!(after - before, 0, "the targeted decision allocated");
    assert!(assigned > 20 && assigned < 80, "assigned {assigned}");
    assert_eq!(assigned, assigned_prepared);
}
