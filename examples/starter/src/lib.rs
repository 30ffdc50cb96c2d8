//! A Rally app: one mount (`public`) with a counter page whose count lives in SQLite.

pub mod broadcasts;
#[cfg(feature = "server")]
pub mod context;
pub mod generated;
pub mod public;
