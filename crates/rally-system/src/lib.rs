//! Rally system runtime.
