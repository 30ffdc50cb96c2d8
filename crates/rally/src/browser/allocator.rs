//! [`Allocator`]: talc as a browser bundle's `#[global_allocator]` (feature `talc`).
//!
//! Rust's default allocator on wasm32 is dlmalloc. talc does the same job in less code: the
//! counter's bundle is 1.8 KiB (gzip) smaller with it, 53.4 KiB against 55.2 (issue 19,
//! bench/README "Bundle sizes"), and creating 10,000 table rows took the same time with
//! either (ADR 0034). An app opts in with one line in its library, as servers do with
//! [`MiMalloc`](crate::server::MiMalloc):
//!
//! ```ignore
//! #[cfg(target_arch = "wasm32")]
//! #[global_allocator]
//! static ALLOCATOR: rally::browser::Allocator = rally::browser::Allocator::new();
//! ```

#![cfg(all(
    feature = "talc",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]

use std::alloc::{GlobalAlloc, Layout};

/// talc for an app's `#[global_allocator]` in the browser.
pub struct Allocator(talc::TalckWasm);

impl Allocator {
    /// The allocator, growing the wasm memory as it needs.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        // SAFETY: `TalckWasm` takes no lock and assumes one thread; this module is compiled
        // only for wasm32 without the `atomics` target feature, where there is one.
        Allocator(unsafe { talc::TalckWasm::new_global() })
    }
}

// SAFETY: every method forwards to talc's own `GlobalAlloc` implementation unchanged.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is talc's.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}
