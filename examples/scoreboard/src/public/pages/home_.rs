//! `/`: the games page under another name (same model, messages, load and markup).

pub use super::games::*;
