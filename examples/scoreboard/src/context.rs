//! What the Scoreboard's pages receive on the server: the database and the sign-in settings,
//! built once at startup from the environment.

use rally::env::Env;

use crate::auth::{SignInSettings, SignInSettingsError};
use crate::db::Db;

/// The app's context.
pub struct Context {
    /// The database.
    pub db: Db,
    /// The login-code secret and, in development only, the demo code.
    pub sign_in: SignInSettings,
}

impl Context {
    /// A development context over `db`: the demo secret and code (what tests use).
    pub fn development(db: impl Into<Db>) -> Self {
        Context {
            db: db.into(),
            sign_in: SignInSettings::development(),
        }
    }
}

/// Why the context cannot be built; the server stops with it.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The sign-in settings are unusable (a demo secret in production, for example).
    #[error(transparent)]
    SignIn(#[from] SignInSettingsError),
    /// The `postgres` build needs `DATABASE_URL`.
    #[error(transparent)]
    Config(#[from] rally::env::ConfigError),
    /// The Postgres server cannot be reached.
    #[cfg(feature = "postgres")]
    #[error("cannot open the Postgres database: {0}")]
    Database(#[from] crate::db::Error),
}

/// Builds the context; the server stops with this error if it fails. On SQLite the database
/// is the app's (`DATABASE_PATH`); the `postgres` build opens `DATABASE_URL` instead.
#[cfg_attr(feature = "postgres", allow(unused_variables))]
pub fn context(db: rally::db::Db, env: &Env) -> Result<Context, ContextError> {
    #[cfg(not(feature = "postgres"))]
    let db = Db::from(db);
    #[cfg(feature = "postgres")]
    let db = Db::open(&env.require(
        "DATABASE_URL",
        "the Postgres server, e.g. postgres://scoreboard@127.0.0.1:5432/scoreboard (run `cargo rally reset` with it set to create the tables)",
    )?)?;
    Ok(Context {
        db,
        sign_in: SignInSettings::from_env(env)?,
    })
}
