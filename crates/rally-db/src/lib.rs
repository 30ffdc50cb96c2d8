//! Rally's database runtime, re-exported by the `rally` crate as `rally::db` and
//! `rally::test_db`.
//!
//! - [`db`]: [`db::Db`] opens SQLite in WAL mode with `foreign_keys=ON`, a `busy_timeout` and
//!   `synchronous=NORMAL`; one writer connection plus a pool of read-only readers; closures run
//!   on tokio's blocking threads (`read`/`write`) or on the calling thread (`read_sync`,
//!   `write_sync`); writes run in a transaction, with nested savepoints; statements slower than
//!   a threshold are logged through `tracing`.
//! - [`test_db`]: a migrated in-memory [`db::Db`] per test, copied from a template migrated once
//!   per process.
//! - [`postgres`] (feature `postgres`): [`postgres::PgDb`], a pool of sync Postgres clients
//!   with the same shape — `read`/`write` on blocking threads, transactions with nested
//!   savepoints, timeouts, the slow-query log — and [`postgres::test_db`], databases cloned from
//!   a migrated template (docs/adr/0024).
//!
//! Generated query functions (see `rally-sql`) take a `&rusqlite::Connection` (or, on Postgres,
//! a `&mut impl postgres::Executor`, which caches prepared statements); the closures here hand
//! one out.

pub mod db;
pub mod test_db;

#[cfg(feature = "postgres")]
pub mod postgres;

pub use rusqlite;
