//! `cargo bench -p rally-bench-ssr --bench ssr`: build and render the 1,000-row table with the
//! system allocator.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};

fn ssr(c: &mut Criterion) {
    common::ssr(c, "ssr_1k_rows");
}

criterion_group!(benches, ssr);
criterion_main!(benches);
