//! Static analysis speed on a generated 1,000-node, 2,000-edge map (target: lint under 50 ms).
//! Baseline in the same run: model validation of the same map, which every load already pays.

use criterion::{Criterion, criterion_group, criterion_main};
use sessionmap::compile::{self, Profile};
use sessionmap::model;

fn big_map() -> model::Map {
    let banking = sessionmap::templates::find("banking")
        .and_then(|t| t.load().ok())
        .map(|l| l.map)
        .unwrap_or_default();
    model::synthetic(&banking, 1_000, 2_000).unwrap_or_default()
}

fn lint(c: &mut Criterion) {
    let map = big_map();
    assert_eq!((map.nodes.len(), map.edges.len()), (1_000, 2_000));
    let mut group = c.benchmark_group("lint");
    group.bench_function("validate_baseline", |b| b.iter(|| model::validate(&map)));
    group.bench_function("compile", |b| b.iter(|| compile::compile(&map)));
    group.bench_function("compile_and_lint", |b| {
        b.iter(|| {
            let plan = compile::compile(&map);
            compile::lint(&map, &plan, Profile::default_profile())
        })
    });
    group.finish();
}

criterion_group!(benches, lint);
criterion_main!(benches);
