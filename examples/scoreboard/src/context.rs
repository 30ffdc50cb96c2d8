//! What the Scoreboard's pages receive on the server: the database and the sign-in settings,
//! built once at startup from the environment.

use rally::db::Db;
use rally::env::Env;

use crate::auth::{SignInSettings, SignInSettingsError};

/// The app's context.
pub struct Context {
    /// The database.
    pub db: Db,
    /// The login-code secret and, in development only, the demo code.
    pub sign_in: SignInSettings,
}

impl Context {
    /// A development context over `db`: the demo secret and code (what tests use).
    pub fn development(db: Db) -> Self {
        Context {
            db,
            sign_in: SignInSettings::development(),
        }
    }
}

/// Builds the context; the server stops with this error if it fails (a demo secret in
/// production, for example).
pub fn context(db: Db, env: &Env) -> Result<Context, SignInSettingsError> {
    Ok(Context {
        db,
        sign_in: SignInSettings::from_env(env)?,
    })
}
