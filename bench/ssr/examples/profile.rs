//! `cargo run --release -p rally-bench-ssr --example profile [-- N]`: the heap allocations (count
//! and bytes) made while building and rendering the 1,000-row table — the figure behind most of
//! its cost — then N build+render iterations (default 0) with their mean time: a fixed workload
//! for `perf stat`, `perf record` or `valgrind --tool=callgrind`. Also prints the allocations of
//! the Leptos peer's build+render of the same table.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

#[path = "../benches/common/leptos_table.rs"]
mod leptos_table;

use rally_bench_ssr::{build, rows_1k};
use rally_view::render::to_html;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size(), Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let (a, b) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    let out = f();
    (out, ALLOCS.load(Relaxed) - a, BYTES.load(Relaxed) - b)
}

fn main() {
    let rows = rows_1k();
    let (tree, build_allocs, build_bytes) = measure(|| build(&rows));
    let (html, render_allocs, render_bytes) = measure(|| to_html(&tree));
    println!("build:  {build_allocs} allocations (incl. reallocs), {build_bytes} bytes");
    println!("render: {render_allocs} allocations (incl. reallocs), {render_bytes} bytes");
    println!("html:   {} bytes", html.len());
    let (leptos_html, leptos_allocs, leptos_bytes) =
        measure(|| leptos_table::build_and_render(&rows));
    leptos_table::assert_same_html(&html, &leptos_html);
    println!(
        "leptos build+render: {leptos_allocs} allocations (incl. reallocs), {leptos_bytes} bytes"
    );
    drop((tree, html, leptos_html));

    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    if n > 0 {
        let start = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(to_html(&build(std::hint::black_box(&rows))));
        }
        let per = start.elapsed() / n;
        println!("{n} iterations of build+render: {per:?} each");
    }
}
