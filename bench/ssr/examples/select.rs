//! `cargo run --release -p rally-bench-ssr --example select [-- N]`: the js-framework-benchmark
//! "select row" update natively — `view` of the 1,000-row model plus the diff against the
//! previous view on the in-memory DOM — timed over N selects (default 2,000). The browser's
//! script-only figure for select is mostly this work in wasm; this is its native proxy for
//! profiling (`perf record`).

use std::time::Instant;

use jsfb_rally::{Model, Msg, update, view};
use rally_view::dom::Dom;
use rally_view::dom::memory::MemoryDom;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    let mut model = Model::default();
    let _ = update(&mut model, Msg::Run);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, view(&model));
    let started = Instant::now();
    for i in 0..n {
        let _ = update(&mut model, Msg::Select(1 + i % 1_000));
        dom.update(view(&model));
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("select: {per:.1} µs per update (view + diff of 1,000 lazy rows)");
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(view(&model));
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("view alone: {per:.1} µs");
}
