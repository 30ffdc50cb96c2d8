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
//!
//! Generated query functions (see `rally-sql`) take a `&rusqlite::Connection`; the closures
//! here hand one out.

pub mod db;
pub mod test_db;

pub use rusqlite;
