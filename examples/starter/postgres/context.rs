//! What the app's pages receive on the server (`load`, `handle_save`, `after_save`,
//! `shared_state`): built once at startup from the database and the environment. Put the app's
//! services here — settings, an HTTP client, a mailer — rather than in globals.

use rally::env::{ConfigError, Env};
use rally::postgres::{PgConfig, PgDb};

/// The app's context.
pub struct Context {
    /// The database: a pool on `DATABASE_URL`.
    pub db: PgDb,
    /// How far one click moves the counter: `COUNTER_STEP`, default 1.
    pub step: i64,
}

/// Why the context cannot be built; the server stops with it.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// A setting is missing or malformed (`DATABASE_URL`, `COUNTER_STEP`).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The Postgres server cannot be reached.
    #[error("cannot open the Postgres database: {0}")]
    Database(#[from] rally::postgres::Error),
}

/// Builds the context; the server stops with this error if it fails (no `DATABASE_URL`, a
/// server that does not answer, a bad `COUNTER_STEP`). The app is on Postgres, so the SQLite
/// database the server opens as well is not used.
pub fn context(_sqlite: rally::db::Db, env: &Env) -> Result<Context, ContextError> {
    let url = env.require(
        "DATABASE_URL",
        "the Postgres database, e.g. postgres://app@127.0.0.1:5432/app (`cargo rally migrate` creates the tables)",
    )?;
    let db = PgDb::open(PgConfig::new(url))?;
    let step = env
        .parse("COUNTER_STEP", "a whole number", "1")?
        .unwrap_or(1);
    Ok(Context { db, step })
}
