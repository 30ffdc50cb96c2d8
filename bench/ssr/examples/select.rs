//! `cargo run --release -p rally-bench-ssr --example select [-- N [select|swap|replace|update|remove]]`:
//! the js-framework-benchmark "select row" (or "swap rows", "replace all rows", "update every
//! 10th row", "remove row": N at most 1,000) update natively — `view` of the
//! 1,000-row model plus the diff against the previous view on the in-memory DOM — timed over N
//! updates (default 2,000). The browser's script-only figure for these is mostly this work in
//! wasm; this is its native proxy for profiling (`perf record`, `valgrind --tool=callgrind`).
//! `row_view` is a `view!` template, and the benchmark's browser build has `dom-templates`
//! on, so changed rows are diffed hole by hole on both (docs/adr/0046).

use std::time::Instant;

use jsfb_rally::{Model, Msg, update, view};
use rally_view::dom::Dom;
use rally_view::dom::memory::MemoryDom;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    let op = std::env::args().nth(2).unwrap_or_default();
    let swap = op == "swap";
    let replace = op == "replace";
    let partial = op == "update";
    let remove = op == "remove";
    let mut model = Model::default();
    let _ = update(&mut model, Msg::Run);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, view(&model));
    let started = Instant::now();
    for i in 0..n {
        let msg = if replace {
            Msg::Run
        } else if partial {
            Msg::Update
        } else if swap {
            Msg::SwapRows
        } else if remove {
            // The fourth row, as the benchmark's "remove row" does; the table shrinks by one
            // row per update.
            Msg::Remove(model.rows.get(3).map_or(0, |r| r.id))
        } else {
            Msg::Select(1 + i % 1_000)
        };
        let _ = update(&mut model, msg);
        dom.update(view(&model));
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    let what = if replace {
        "replace"
    } else if partial {
        "update"
    } else if swap {
        "swap"
    } else if remove {
        "remove"
    } else {
        "select"
    };
    println!("{what}: {per:.1} µs per update (view + diff of 1,000 lazy rows)");
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(view(&model));
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("view alone: {per:.1} µs");
}
