//! Criterion benchmarks of the hot paths: assignment (1 and 10 experiments) and analysis.
//! Run with `make bench`; results are recorded in `docs/benchmarks.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark code may panic; criterion generates the undocumented entry points

use cleave_core::analysis::{AnalysisSettings, MetricType, VariantData, analyze};
use cleave_core::assign::Allocation;
use cleave_core::model::Experiment;
use cleave_core::stats::MAX_COUNT;
mod fixture;

use criterion::{BatchSize, Criterion, Throughput, black_box, criterion_group, criterion_main};
use fixture::experiment;

fn assignment(c: &mut Criterion) {
    let ids: Vec<String> = (0..1024).map(|i| format!("user-{i:08}-a1b2c3d4")).collect();
    let experiments: Vec<(Experiment, Allocation)> = (0..10)
        .map(experiment)
        .map(|e| {
            let a = e.allocation().unwrap();
            (e, a)
        })
        .collect();
    let mut group = c.benchmark_group("assign");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    // The yardstick of the assignment goal: one SHA-256 of the very bytes assignment hashes
    // (salt ‖ 0x00 ‖ id), prepared in advance.
    let hashed: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| {
            [
                experiments[0].0.effective_salt().as_bytes(),
                &[0],
                id.as_bytes(),
            ]
            .concat()
        })
        .collect();
    group.bench_function("one SHA-256 of salt|0x00|id (yardstick)", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(<sha2::Sha256 as sha2::Digest>::digest(black_box(
                &hashed[i],
            )))
        })
    });
    group.bench_function("one user, 1 experiment (prepared)", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            let (e, a) = &experiments[0];
            black_box(e.assign_with(a, black_box(&ids[i])).variant.is_some())
        })
    });
    group.bench_function("one user, 1 experiment (unprepared)", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(
                experiments[0]
                    .0
                    .assign(black_box(&ids[i]))
                    .map(|a| a.variant.is_some()),
            )
        })
    });
    group.throughput(Throughput::Elements(10));
    group.bench_function("one user, 10 experiments (prepared)", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            let id = black_box(&ids[i]);
            experiments
                .iter()
                .filter(|(e, a)| e.assign_with(a, id).variant.is_some())
                .count()
        })
    });
    group.finish();
}

fn analysis(c: &mut Criterion) {
    let two = vec![
        VariantData::binary("control", 50_000, 5_000),
        VariantData::binary("treatment", 50_000, 5_300),
    ];
    let four: Vec<VariantData> = (0..4)
        .map(|i| VariantData::binary(format!("v{i}"), 100_000, 10_000 + 150 * i))
        .collect();
    let settings = AnalysisSettings {
        sequential_tau2: Some(0.0001),
        required_sample_size: Some(40_000),
        ..AnalysisSettings::default()
    };
    let mut group = c.benchmark_group("analyze");
    group.bench_function("2 variants × 50k users, binary", |b| {
        b.iter_batched(
            || two.clone(),
            |d| black_box(analyze(&d, &settings).is_ok()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("4 variants × 100k users, binary", |b| {
        b.iter_batched(
            || four.clone(),
            |d| black_box(analyze(&d, &settings).is_ok()),
            BatchSize::SmallInput,
        )
    });
    // The largest inputs the API accepts: cost must not grow with the counts.
    let largest_binary: Vec<VariantData> = (0..20)
        .map(|i| VariantData::binary(format!("v{i}"), MAX_COUNT, MAX_COUNT / 2 + i * 1_000_000))
        .collect();
    let largest_continuous: Vec<VariantData> = (0..20)
        .map(|i| VariantData::continuous(format!("v{i}"), MAX_COUNT, 1e15 - i as f64, 1e30))
        .collect();
    let continuous = AnalysisSettings {
        metric_type: MetricType::Continuous,
        ..AnalysisSettings::default()
    };
    group.bench_function("20 variants × 2^53 users, binary", |b| {
        b.iter_batched(
            || largest_binary.clone(),
            |d| black_box(analyze(&d, &settings).is_ok()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("20 variants × 2^53 users, continuous", |b| {
        b.iter_batched(
            || largest_continuous.clone(),
            |d| black_box(analyze(&d, &continuous).is_ok()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, assignment, analysis);
criterion_main!(benches);
