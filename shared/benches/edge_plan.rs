//! Criterion benchmark of what an edge host does per request beyond assigning: planning the
//! headers of 20 targeted experiments (prepared header names, borrowed variant names, the
//! summary header, one assignment record each) against the same 20 prepared decisions
//! alone, in the same run; the difference over 20 is the per-assigned-experiment overhead
//! the Envoy filter's goal bounds (≤ 0.1 µs). `make bench` runs it; results in
//! `docs/benchmarks.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark code may panic; criterion generates the undocumented entry points

use cleave_core::edge::{HeaderMode, HeaderNames, plan, prepare};
use cleave_core::model::{Audience, Experiment, Status, Variant};
use cleave_core::targeting::{Groups, NoRegex};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use serde_json::json;

fn experiments() -> Vec<Experiment> {
    (0..20)
        .map(|i| Experiment {
            id: format!("bench-{i}"),
            key: format!("exp-{i}"),
            status: Status::Running,
            targeting: Some(json!({"country": {"$in": ["DE", "AT", "CH"]}})),
            variants: ["control", "a", "b"]
                .iter()
                .map(|n| Variant {
                    name: (*n).into(),
                    ..Variant::default()
                })
                .collect(),
            ..Experiment::default()
        })
        .collect()
}

fn edge_plan(c: &mut Criterion) {
    let prepared = prepare(experiments(), "x-cleave-");
    let attributes = json!({"country": "DE", "path": "/", "host": "shop.example"});
    let groups = Groups::new();
    let audience = Audience {
        attributes: &attributes,
        holdouts: &[],
        groups: &groups,
        regex: &NoRegex,
        gates: &cleave_core::model::NoGates,
    };
    let ids: Vec<String> = (0..64).map(|i| format!("user-{i:08}-a1b2c3d4")).collect();
    let headers = ["host", "user-agent", "x-user-id", "accept"];
    let mut group = c.benchmark_group("edge");
    group.throughput(Throughput::Elements(20));
    let mut i = 0usize;
    group.bench_function("20 targeted decisions alone (yardstick)", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            let mut n = 0;
            for p in &prepared {
                n += usize::from(
                    p.decide(black_box(&ids[i]), None, &audience, &mut |_| {})
                        .in_experiment(),
                );
            }
            black_box(n)
        })
    });
    for (name, mode) in [
        (
            "plan of 20 targeted experiments, a header each",
            HeaderMode::Each,
        ),
        (
            "plan of 20 targeted experiments, summary header only",
            HeaderMode::Summary,
        ),
    ] {
        let names = HeaderNames::new("x-cleave-", mode);
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) & 63;
                let p = plan(
                    &prepared,
                    &names,
                    headers,
                    Some(black_box(&ids[i])),
                    "shop.example",
                    "/",
                    &[],
                    &audience,
                );
                black_box(p.assignments.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, edge_plan);
criterion_main!(benches);
