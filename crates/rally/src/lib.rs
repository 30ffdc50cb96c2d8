//! Rally's runtime.
//!
//! Both targets: [`payload`] (the data the server embeds for the browser), [`document`] (the
//! HTML page around a rendered view), [`remote`] (loads and saves as effects) and [`wire`] (the
//! protocol). Feature `server`: [`server`] (axum: pages, the browser bundle, the `/ws`
//! endpoint, graceful shutdown). Feature `browser`: [`browser`] (read the payload, hydrate, the
//! tab's WebSocket).

pub mod broadcast;
pub mod document;
pub mod effect;
/// Configuration from the environment (`APP_ENV`, `.env`, typed errors that say what to do).
pub mod env;
pub mod form;
pub mod glue;
pub mod mount;
pub mod page;
pub mod payload;
pub mod remote;
pub mod shell;

#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "server")]
pub mod server;

/// Secret hashing, login codes and the per-mount authorization policy.
#[cfg(feature = "server")]
pub use rally_auth::auth;
/// The standard sign-in routes (email code, Google, sign-out) and per-request authentication.
#[cfg(feature = "server")]
pub use rally_auth::auth_http;
/// Sessions: the encrypted `__rally_auth` cookie backed by a server-side session store.
#[cfg(feature = "server")]
pub use rally_auth::session;
/// The Postgres runtime (`postgres::PgDb`, `postgres::test_db`); see `rally_db::postgres`.
#[cfg(feature = "postgres")]
pub use rally_db::postgres;
/// The database runtime (`db::Db`: WAL, one writer + readers, savepoints) and migrated
/// in-memory test databases (`test_db`); see the `rally-db` crate.
#[cfg(feature = "server")]
pub use rally_db::{db, test_db};
pub use rally_routes as routes;
/// Startup hooks, background jobs persisted in SQLite, graceful shutdown.
#[cfg(feature = "server")]
pub use rally_system as system;
pub use rally_view as view;
pub use rally_wire as wire;
/// Logging (`rally::tracing::error!`): the server logs through `tracing` to stderr, filtered by
/// `RUST_LOG`.
#[cfg(feature = "server")]
pub use tracing;
