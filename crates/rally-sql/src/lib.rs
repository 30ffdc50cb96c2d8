//! Rally's SQL tooling, the library behind `cargo rally migrate`, `reset` and `gen`.
//!
//! - [`migrate`](mod@migrate): forward-only migrations (`db/migrations/NNN_name.sql`), seeds
//!   (`db/seeds/NNN_name.sql`) and reset. Always available; `rally-db` uses it for
//!   `test_db`.
//! - [`postgres`] (feature `postgres`): the same migrations, seeds and reset on a Postgres
//!   database named by a `postgres://` URL, and [`postgres::TempCluster`], a throwaway server
//!   for tests and tools. [`is_postgres_url`] tells the two backends' URLs apart.
//! - `codegen` (feature `codegen`, on by default): every `sql/*.sql` file under the app's `src/`
//!   becomes a typed Rust function in `src/generated/sql/`, with parameter and column types and
//!   nullability inferred from the migrated schema. See [`generate`] and [`check`].
//!
//! The conventions are documented in `docs/sql.md`.

pub mod migrate;

pub use migrate::{
    MigrateError, Position, ResetReport, SqlFile, is_postgres_url, migrate, migrate_connection,
    reset, reset_with, seed, seed_connection,
};

#[cfg(feature = "postgres")]
pub mod postgres;

#[cfg(feature = "codegen")]
pub mod codegen;

#[cfg(feature = "codegen")]
pub use codegen::{
    CodegenError, DEFAULT_POSTGRES_RUNTIME, Dialect, GeneratedFile, Options, Stale, WriteReport,
    check, check_with, generate, generate_with, write, write_to,
};
