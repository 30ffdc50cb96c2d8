//! `cargo run --release -p rally-bench-ssr --example append [-- N ROWS]`: the
//! js-framework-benchmark "append rows to large table" update natively — 1,000 rows added to a
//! table of ROWS (default 10,000): `view` plus the diff on the in-memory DOM, timed alone over
//! N runs (default 20), each from a fresh table. A native proxy for profiling, like `select`.

use std::time::{Duration, Instant};

use jsfb_rally::{Model, Msg, update, view};
use rally_view::dom::Dom;
use rally_view::dom::memory::MemoryDom;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().ok());
    let n = args.next().flatten().unwrap_or(20);
    let rows = args.next().flatten().unwrap_or(10_000);
    let mut spent = Duration::ZERO;
    let mut viewing = Duration::ZERO;
    // DOM writes of the last update: an append should touch only the new rows.
    let mut writes = (0, 0);
    for _ in 0..n {
        let mut model = Model::default();
        model.rows = std::sync::Arc::new(model.build_rows(rows));
        let mut backend = MemoryDom::new();
        let root = backend.create_container();
        let mut dom = Dom::mount(backend, root, view(&model));
        let _ = update(&mut model, Msg::Add);
        let before = (dom.backend().mutations, dom.backend().clones);
        let started = Instant::now();
        let next = view(&model);
        viewing += started.elapsed();
        dom.update(next);
        spent += started.elapsed();
        let after = (dom.backend().mutations, dom.backend().clones);
        writes = (after.0 - before.0, after.1 - before.1);
    }
    let per = spent.as_secs_f64() * 1e6 / n as f64;
    let view_per = viewing.as_secs_f64() * 1e6 / n as f64;
    println!(
        "append 1,000 rows to {rows}: {per:.0} µs per update (view + diff), of which view \
         {view_per:.0} µs; {} DOM mutations and {} clones",
        writes.0, writes.1
    );
}
