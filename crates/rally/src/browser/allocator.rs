//! [`Allocator`]: rlsf as a browser bundle's `#[global_allocator]` (feature `allocator`).
//!
//! Rust's default allocator on wasm32 is dlmalloc. rlsf's TLSF in its size-optimised
//! configuration does the same job in less code: the counter's bundle is 1.1 KiB (gzip)
//! smaller than with talc, which Rally used before (ADR 0034), and 2.5 KiB smaller than with
//! dlmalloc, at the same speed in the js-framework-benchmark app (ADR 0045). An app opts in
//! with one line in its library, as servers do with [`MiMalloc`](crate::server::MiMalloc):
//!
//! ```ignore
//! #[cfg(target_arch = "wasm32")]
//! #[global_allocator]
//! static ALLOCATOR: rally::browser::Allocator = rally::browser::Allocator::new();
//! ```

#![cfg(all(
    feature = "allocator",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]

use std::alloc::{GlobalAlloc, Layout};

/// rlsf for an app's `#[global_allocator]` in the browser.
pub struct Allocator(rlsf::SmallGlobalTlsf);

impl Allocator {
    /// The allocator, growing the wasm memory as it needs.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        // rlsf's global allocator takes no lock on wasm32 without `atomics`, the only target
        // this module is compiled for: there is one thread.
        Allocator(rlsf::SmallGlobalTlsf::new())
    }
}

// SAFETY: every method forwards to rlsf's own `GlobalAlloc` implementation unchanged.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is rlsf's.
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
