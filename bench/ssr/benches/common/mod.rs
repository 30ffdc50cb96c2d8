//! The measurements both SSR bench binaries run (system allocator and mimalloc), with the Leptos
//! peer in the same group so both run in the same process.

pub mod leptos_table;

use std::hint::black_box;

use criterion::Criterion;
use rally_bench_ssr::{build, build_and_render, rows_1k};
use rally_view::render::to_html;

/// build+render (the figure), build only and render only of the 1,000-row table, then Leptos's
/// build+render of the same table (its HTML is checked against Rally's first).
pub fn ssr(c: &mut Criterion, group: &str) {
    let rows = rows_1k();
    leptos_table::assert_same_html(
        &build_and_render(&rows),
        &leptos_table::build_and_render(&rows),
    );
    let mut group = c.benchmark_group(group);
    group.bench_function("build_and_render", |b| {
        b.iter(|| build_and_render(black_box(&rows)))
    });
    // The tree is dropped outside the measurement so the figure is construction alone.
    group.bench_function("build", |b| {
        b.iter_with_large_drop(|| build(black_box(&rows)))
    });
    let tree = build(&rows);
    group.bench_function("render", |b| b.iter(|| to_html(black_box(&tree))));
    group.bench_function("leptos_build_and_render", |b| {
        b.iter(|| leptos_table::build_and_render(black_box(&rows)))
    });
    group.finish();
}
