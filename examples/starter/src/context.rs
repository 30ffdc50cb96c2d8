//! What the app's pages receive on the server (`load`, `handle_save`, `after_save`,
//! `shared_state`): built once at startup from the database and the environment. Put the app's
//! services here — settings, an HTTP client, a mailer — rather than in globals.

use rally::db::Db;
use rally::env::{ConfigError, Env};

/// The app's context.
pub struct Context {
    /// The database.
    pub db: Db,
    /// How far one click moves the counter: `COUNTER_STEP`, default 1.
    pub step: i64,
}

/// Builds the context; the server stops with this error if it fails (a bad `COUNTER_STEP`).
pub fn context(db: Db, env: &Env) -> Result<Context, ConfigError> {
    let step = env
        .parse("COUNTER_STEP", "a whole number", "1")?
        .unwrap_or(1);
    Ok(Context { db, step })
}
