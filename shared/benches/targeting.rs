//! Criterion benchmarks of contract v2's eligibility: a 5-clause condition (no regex), the
//! same with a regex clause (compiled per call, and cached), and the whole decision with a
//! layer and a holdout, each beside plain assignment in the same run. `make bench` runs it;
//! results are in `docs/benchmarks.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark code may panic; criterion generates the undocumented entry points

use cleave_core::edge::prepare;
use cleave_core::model::{Audience, Holdout, LayerRange};
use cleave_core::targeting::{CachedRegex, Compiled, Context, Groups, LiteRegex, NoRegex, matches};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use serde_json::{Value, json};
mod fixture;

fn five_clauses() -> Value {
    json!({"country": {"$in": ["DE", "AT", "CH"]}, "plan": {"$ne": "free"}, "age": {"$gte": 18},
           "beta": {"$exists": false}, "user.tier": {"$lt": 3}})
}

fn targeting(c: &mut Criterion) {
    let attributes: Vec<Value> = (0..64)
        .map(|i| {
            let country = ["DE", "FR", "AT", "CH"][i % 4];
            json!({"country": country, "plan": "pro", "age": 20 + i, "user": {"tier": i % 4},
                   "email": format!("user{i}@example.com")})
        })
        .collect();
    let ids: Vec<String> = (0..64).map(|i| format!("user-{i:08}-a1b2c3d4")).collect();
    let groups = Groups::new();
    let plain = fixture::experiment(0);
    let plain_allocation = plain.allocation().unwrap();
    let mut targeted = plain.clone();
    targeted.targeting = Some(five_clauses());
    let mut full = targeted.clone();
    full.layer = Some(LayerRange {
        name: "checkout".into(),
        start: 0.0,
        end: 0.8,
    });
    full.holdouts = vec!["global".into()];
    let holdouts = [Holdout {
        name: "global".into(),
        share: 0.05,
        ..Holdout::default()
    }];
    let mut with_regex = five_clauses();
    with_regex["email"] = json!({"$regex": "@example\\.(com|org)$"});
    let cached = CachedRegex::default();

    let mut group = c.benchmark_group("targeting");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("plain assignment (yardstick)", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(
                plain
                    .assign_with(&plain_allocation, black_box(&ids[i]))
                    .in_experiment(),
            )
        })
    });
    let condition = five_clauses();
    let cx = Context {
        groups: &groups,
        regex: &NoRegex,
    };
    group.bench_function("5-clause condition alone, from its JSON", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(matches(&condition, black_box(&attributes[i]), &cx))
        })
    });
    let compiled = Compiled::new(&condition);
    group.bench_function("5-clause condition alone, compiled", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(compiled.matches(black_box(&attributes[i]), &cx))
        })
    });
    let allocation = targeted.allocation().unwrap();
    group.bench_function("assignment with a 5-clause condition, from its JSON", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            let audience = Audience {
                attributes: &attributes[i],
                holdouts: &holdouts,
                groups: &groups,
                regex: &NoRegex,
                gates: &cleave_core::model::NoGates,
            };
            black_box(
                targeted
                    .decide(
                        &allocation,
                        black_box(&ids[i]),
                        None,
                        &audience,
                        &mut |_| {},
                    )
                    .in_experiment(),
            )
        })
    });
    // What the hosts run: the experiment prepared once (split and compiled condition).
    for (name, e) in [
        ("assignment with a 5-clause condition (prepared)", &targeted),
        ("… plus a layer and a holdout (prepared)", &full),
    ] {
        let prepared = prepare([e.clone()], "x-cleave-").pop().unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) & 63;
                let audience = Audience {
                    attributes: &attributes[i],
                    holdouts: &holdouts,
                    groups: &groups,
                    regex: &NoRegex,
                    gates: &cleave_core::model::NoGates,
                };
                black_box(
                    prepared
                        .decide(black_box(&ids[i]), None, &audience, &mut |_| {})
                        .in_experiment(),
                )
            })
        });
    }
    let lite = Context {
        groups: &groups,
        regex: &LiteRegex,
    };
    group.bench_function("5 clauses + $regex, compiled per call", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(matches(&with_regex, black_box(&attributes[i]), &lite))
        })
    });
    let kept = Context {
        groups: &groups,
        regex: &cached,
    };
    group.bench_function("5 clauses + $regex, cached (CachedRegex)", |b| {
        b.iter(|| {
            i = (i + 1) & 63;
            black_box(matches(&with_regex, black_box(&attributes[i]), &kept))
        })
    });
    group.finish();
}

criterion_group!(benches, targeting);
criterion_main!(benches);
