//! Configuration from the environment: the process environment first, then `./.env`; see
//! [`rally_env`], which the CLI reads too. This module adds what needs the server's crates.

pub use rally_env::*;

/// The session key from `SECRET_KEY_BASE`: required in production; in development a random key
/// with a warning when unset.
#[cfg(feature = "server")]
pub fn session_key(
    env: &Env,
) -> Result<rally_auth::session::SessionKey, rally_auth::session::SessionKeyError> {
    rally_auth::session::SessionKey::load(|k| env.get(k), env.app_env().is_production())
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    #[test]
    fn the_session_key_is_required_in_production() {
        let production = Env::from_pairs([("APP_ENV", "production")]);
        assert!(session_key(&production).is_err());
        assert!(session_key(&Env::from_pairs::<&str, &str>([])).is_ok());
    }
}
