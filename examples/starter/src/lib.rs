//! A Rally app: one mount (`public`) with a counter page whose count lives in SQLite.

/// The browser bundle's allocator (the `rally/allocator` feature): smaller than the default.
#[cfg(all(target_arch = "wasm32", feature = "browser"))]
#[global_allocator]
static ALLOCATOR: rally::browser::Allocator = rally::browser::Allocator::new();

pub mod broadcasts;
#[cfg(feature = "server")]
pub mod context;
pub mod generated;
pub mod public;
