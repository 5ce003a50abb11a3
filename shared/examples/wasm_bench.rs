//! Assignment loop compiled to `wasm32-unknown-unknown` and timed under node by
//! `shared/benches/wasm_bench.mjs` (no JS glue: plain exported functions).
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

fn main() {}
