//! `cargo bench -p rally-bench-ssr --bench ssr_mimalloc`: the same measurements with mimalloc as
//! the global allocator, through `rally::server::MiMalloc` as Rally's servers use it (plain
//! `mi_malloc` for the usual alignments; the `mimalloc` crate's `mi_malloc_aligned` took a slow
//! path, issue 19), for Rally and Leptos alike. Most of the cost is allocation, and glibc's malloc returns the freed
//! tree to the kernel after every page (heap trimming), so the allocator moves the figure a lot.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: rally::server::MiMalloc = rally::server::MiMalloc;

fn ssr(c: &mut Criterion) {
    common::ssr(c, "ssr_1k_rows_mimalloc");
}

criterion_group!(benches, ssr);
criterion_main!(benches);
