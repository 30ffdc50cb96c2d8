//! Postgres: migrations, seeds and reset with the same files and semantics as on SQLite, and a
//! throwaway server for tests and tools (docs/adr/0022).
//!
//! - [`migrate`]: `db/migrations/NNN_name.sql` in file-name order, each file in one
//!   transaction together with its `schema_migrations` row; recorded files are skipped; a
//!   failing file is rolled back, not recorded, and stops the run.
//! - [`seed`]: `db/seeds/NNN_name.sql`, every time, each in its own transaction.
//! - [`reset`]: drop and recreate the database named in the URL, then migrate and seed.
//! - [`TempCluster`]: `initdb` + `pg_ctl` in a temporary directory, gone on drop.
//! - [`Connection`], [`Transaction`] and [`Executor`]: what generated query functions run on;
//!   each query is prepared once per connection (docs/adr/0027).
//! - [`Pool`]: a few reusable connections for short statements, safe to call from async tasks
//!   (the Postgres session store and job queue use it).
//!
//! Files run through the simple query protocol, so one file may hold many statements. The
//! connection is unencrypted (`NoTls`): meant for a local server or a private network.

mod cluster;
mod executor;
mod migrate;
mod pool;

pub use cluster::{ClusterError, TempCluster};
pub use executor::{Connection, Executor, Params, Transaction};
pub use migrate::{
    ResetReport, applied_versions, connect, migrate, migrate_client, reset, reset_with, seed,
    seed_client,
};
pub use pool::{Pool, PoolError, describe};

/// The sync Postgres client these functions take, re-exported so callers need no own dependency.
pub use ::postgres::{Client, NoTls};

/// Why a URL that asks for TLS (`sslmode=require`) is refused: Rally's Postgres connections are
/// unencrypted, and failing at start-up says so where a handshake error would not.
pub const TLS_UNSUPPORTED: &str = "it asks for TLS (sslmode=require), which Rally's Postgres connections do not support yet — reach the server over a private network or a local TLS-terminating proxy (pgbouncer, stunnel) and use sslmode=disable or prefer";

/// Whether `config` requires TLS, which these connections cannot give it (see
/// [`TLS_UNSUPPORTED`]).
pub fn requires_tls(config: &::postgres::Config) -> bool {
    config.get_ssl_mode() == ::postgres::config::SslMode::Require
}
