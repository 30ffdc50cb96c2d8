//! The `public` mount, served at `/`.

use serde::{Deserialize, Serialize};

pub mod pages;

/// What every page of the mount receives in `initial_model`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SharedState {}

/// Builds the shared state from a request (cookies, signed-in user).
#[cfg(feature = "server")]
pub fn shared_state(
    _ctx: &crate::context::Context,
    _request: &rally::server::PageRequest<'_>,
) -> SharedState {
    SharedState {}
}
