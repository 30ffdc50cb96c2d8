//! `cargo bench -p rally-bench-ssr --bench ssr_mimalloc`: the same measurements with mimalloc as
//! the global allocator. Most of the cost is allocation, and glibc's malloc returns the freed
//! tree to the kernel after every page (heap trimming), so the allocator moves the figure a lot.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn ssr(c: &mut Criterion) {
    common::ssr(c, "ssr_1k_rows_mimalloc");
}

criterion_group!(benches, ssr);
criterion_main!(benches);
