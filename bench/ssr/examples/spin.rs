//! `cargo run --release -p rally-bench-ssr --example spin -- N [build|render|both|leptos]`: N
//! iterations of one part of the SSR benchmark with mimalloc (or of the Leptos peer's build and
//! render), and nothing else — a fixed workload for `perf stat -e instructions,cycles` or
//! `valgrind --tool=callgrind`, whose instruction counts stay meaningful on a machine busy with
//! other work (timings do not).

use std::hint::black_box;

// Shared with the benches; this example uses only the build and render.
#[allow(dead_code)]
#[path = "../benches/common/leptos_table.rs"]
mod leptos_table;

use rally_bench_ssr::{build, build_and_render, rows_1k};
use rally_view::render::to_html;

#[global_allocator]
static GLOBAL: rally::server::MiMalloc = rally::server::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let part = args.next().unwrap_or_else(|| "both".into());
    let rows = rows_1k();
    let tree = build(&rows);
    for _ in 0..n {
        match part.as_str() {
            "build" => drop(black_box(build(black_box(&rows)))),
            "render" => drop(black_box(to_html(black_box(&tree)))),
            "leptos" => drop(black_box(leptos_table::build_and_render(black_box(&rows)))),
            _ => drop(black_box(build_and_render(black_box(&rows)))),
        }
    }
}
