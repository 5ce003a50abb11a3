//! The experiment every benchmark uses (native criterion and the wasm loop alike).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may panic

use cleave_core::model::{Experiment, Status, Variant};

/// A running experiment: 3 variants weighted 1:2:3, 80 % traffic.
pub fn experiment(i: usize) -> Experiment {
    Experiment {
        id: format!("experiment-{i:04}"),
        key: format!("exp-{i}"),
        name: format!("Experiment {i}"),
        status: Status::Running,
        traffic_allocation: 0.8,
        variants: (0..3)
            .map(|v| Variant {
                name: format!("v{v}"),
                weight: Some(1.0 + v as f64),
                ..Variant::default()
            })
            .collect(),
        ..Experiment::default()
    }
}
