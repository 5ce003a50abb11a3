//! Assignment loop, and an edge host's per-request planning, compiled to
//! `wasm32-unknown-unknown` and timed under node by `shared/benches/wasm_bench.mjs` (no JS
//! glue: plain exported functions).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::assign::Allocation;
use cleave_core::model::Experiment;

#[path = "../benches/fixture.rs"]
mod fixture;
use fixture::experiment;
use std::cell::RefCell;

/// Prepared user ids and experiments with their allocations.
type State = (Vec<String>, Vec<(Experiment, Allocation)>);

thread_local! {
    static STATE: RefCell<State> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Prepares `users` ids and 10 running experiments.
#[unsafe(no_mangle)]
pub extern "C" fn setup(users: u32) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.0 = (0..users)
            .map(|i| format!("user-{i:08}-a1b2c3d4"))
            .collect();
        s.1 = (0..10)
            .map(|i| {
                let e = experiment(i);
                let a = e.allocation().expect("valid");
                (e, a)
            })
            .collect();
    });
}

/// Assigns every prepared user to the first `experiments` experiments; returns how
/// many assignments put the user in a variant (so the work cannot be optimised away).
#[unsafe(no_mangle)]
pub extern "C" fn run(experiments: u32) -> u32 {
    STATE.with(|s| {
        let s = s.borrow();
        let mut hits = 0;
        for id in &s.0 {
            for (e, a) in s.1.iter().take(experiments as usize) {
                hits += u32::from(e.assign_with(a, id).variant.is_some());
            }
        }
        hits
    })
}

/// Twenty running experiments with a one-clause condition, prepared as edge hosts do.
fn edge_experiments() -> Vec<cleave_core::edge::Prepared> {
    let experiments = (0..20).map(|i| {
        let mut e = experiment(i);
        e.key = format!("exp-{i}");
        e.targeting = Some(serde_json::json!({"country": {"$in": ["DE", "AT", "CH"]}}));
        e
    });
    cleave_core::edge::prepare(experiments, "x-cleave-")
}

thread_local! {
    static EDGE: Vec<cleave_core::edge::Prepared> = edge_experiments();
    static ATTRIBUTES: serde_json::Value = serde_json::json!({"country": "DE", "path": "/"});
}

/// Runs `f` on every prepared user id with the edge experiments and their audience.
fn each_edge_user(
    mut f: impl FnMut(&str, &[cleave_core::edge::Prepared], &cleave_core::model::Audience<'_>) -> u32,
) -> u32 {
    let groups = cleave_core::targeting::Groups::new();
    STATE.with(|s| {
        EDGE.with(|prepared| {
            ATTRIBUTES.with(|attributes| {
                let audience = cleave_core::model::Audience {
                    attributes,
                    holdouts: &[],
                    groups: &groups,
                    regex: &cleave_core::targeting::NoRegex,
                    gates: &cleave_core::model::NoGates,
                };
                s.borrow()
                    .0
                    .iter()
                    .map(|id| f(id, prepared, &audience))
                    .sum()
            })
        })
    })
}

/// The 20 edge experiments' decisions alone for every prepared user (the yardstick of
/// [`edge_plan`]); returns the assignments made.
#[unsafe(no_mangle)]
pub extern "C" fn edge_decide() -> u32 {
    each_edge_user(|id, prepared, audience| {
        prepared
            .iter()
            .map(|p| u32::from(p.decide(id, None, audience, &mut |_| {}).in_experiment()))
            .sum()
    })
}

/// The header plan of the 20 edge experiments for every prepared user (`summary` 1: the
/// summary header only); returns the assignments made.
#[unsafe(no_mangle)]
pub extern "C" fn edge_plan(summary: u32) -> u32 {
    use cleave_core::edge::{HeaderMode, HeaderNames, plan};
    let mode = if summary == 1 {
        HeaderMode::Summary
    } else {
        HeaderMode::Each
    };
    let names = HeaderNames::new("x-cleave-", mode);
    each_edge_user(|id, prepared, audience| {
        let p = plan(
            prepared,
            &names,
            ["host", "user-agent", "x-user-id"],
            Some(id),
            "shop.example",
            "/",
            &[],
            audience,
        );
        p.assignments.len() as u32
    })
}

fn main() {}
