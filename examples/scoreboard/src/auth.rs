//! Sign-in for the Scoreboard: the demo's users sign in with an email and the code `A1Z9Q`,
//! whose hash the seeds store per user; only admins may open the score desk.
//!
//! The demo sends no mail. Asking for a code (`POST /sign_in/code`) logs that the demo code is
//! A1Z9Q, and the code that Rally generates is not kept: the stored demo hash stays the one to
//! enter. Wrong guesses are counted per email in memory: the fifth locks the code until the
//! routes give up on it, which resets the count (the demo code must keep working, and its hash
//! is public anyway).

/// Where a sign-in may return: the score desk (`/admin`, `/admin/…`) or the account page
/// (`/me`), else `/admin/games`.
pub fn after_sign_in(path: &str) -> String {
    let bare = path.split(['?', '#']).next().unwrap_or(path);
    if bare == "/admin" || bare.starts_with("/admin/") || bare == "/me" {
        path.to_owned()
    } else {
        "/admin/games".to_owned()
    }
}

#[cfg(feature = "server")]
use std::collections::HashMap;
#[cfg(feature = "server")]
use std::sync::{Arc, Mutex, PoisonError};

#[cfg(feature = "server")]
use rally::auth::PendingCode;
#[cfg(feature = "server")]
use rally::auth_http::{AppError, Auth, AuthApp, AuthConfig};
#[cfg(feature = "server")]
use rally::db::Db;
#[cfg(feature = "server")]
use rally::session::{
    MemorySessionStore, SessionConfig, SessionStore, Sessions, SqliteSessionStore,
};

#[cfg(feature = "server")]
use crate::generated::sql::root_sql::{user_by_email, user_by_id};
#[cfg(feature = "server")]
use crate::identity::normalize_email;

/// The secret the seeded sign-in code hashes were made with.
pub const LOGIN_CODE_SECRET: &str = "scoreboard-demo-secret";

/// The code every seeded user signs in with.
pub const DEMO_CODE: &str = "A1Z9Q";

/// The app side of Rally's sign-in routes.
#[cfg(feature = "server")]
pub struct ScoreboardAuth {
    db: Db,
    /// Wrong guesses per email since the last code request or sign-in.
    attempts: Mutex<HashMap<String, u32>>,
}

#[cfg(feature = "server")]
impl ScoreboardAuth {
    /// Users from `db`.
    pub fn new(db: Db) -> Self {
        ScoreboardAuth {
            db,
            attempts: Mutex::default(),
        }
    }

    fn attempts(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.attempts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn role(&self, user_id: i64) -> Result<Option<String>, AppError> {
        let rows = self.db.read(move |c| user_by_id(c, user_id)).await?;
        Ok(rows.into_iter().next().map(|row| row.role))
    }
}

#[cfg(feature = "server")]
impl AuthApp for ScoreboardAuth {
    async fn user_by_email(&self, email: &str) -> Result<Option<i64>, AppError> {
        let email = normalize_email(email);
        let rows = self.db.read(move |c| user_by_email(c, &email)).await?;
        Ok(rows.into_iter().next().map(|row| row.id))
    }

    /// The user's stored demo hash, which never expires, with the wrong guesses so far.
    async fn load_code(&self, email: &str) -> Result<Option<PendingCode>, AppError> {
        let email = normalize_email(email);
        let key = email.clone();
        let rows = self.db.read(move |c| user_by_email(c, &email)).await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let attempts = self.attempts().get(&key).copied().unwrap_or(0);
        Ok(Some(PendingCode {
            hash: row.sign_in_code_hash,
            expires_at: u64::MAX,
            attempts,
        }))
    }

    /// Keeps only the attempt count: the seeded hash stays the code. `None` (after a sign-in,
    /// or after too many wrong guesses) resets the count, since the demo code must keep working.
    async fn store_code(&self, email: &str, code: Option<PendingCode>) -> Result<(), AppError> {
        let email = normalize_email(email);
        let mut attempts = self.attempts();
        match code {
            Some(code) => attempts.insert(email, code.attempts),
            None => attempts.remove(&email),
        };
        Ok(())
    }

    async fn deliver_code(&self, email: &str, _code: &str) -> Result<(), AppError> {
        tracing::info!(
            email,
            "sign-in code requested; this demo sends no mail: the code is {DEMO_CODE}"
        );
        Ok(())
    }

    fn narrow_return_to(&self, path: &str) -> String {
        crate::auth::after_sign_in(path)
    }

    async fn can_access(&self, mount: &str, user_id: i64) -> Result<bool, AppError> {
        if mount != "admin" {
            return Ok(true);
        }
        Ok(self.role(user_id).await?.as_deref() == Some("admin"))
    }
}

/// The sign-in routes and request authentication.
///
/// Sessions are sealed with `SECRET_KEY_BASE` (required when `APP_ENV=production`; in
/// development a random key, so sessions end with the server) and recorded in
/// `SESSIONS_DATABASE_PATH` (default `db/sessions.db`) when the key is fixed, in memory
/// otherwise.
#[cfg(feature = "server")]
pub fn auth(db: &Db) -> Result<Auth<ScoreboardAuth>, Box<dyn std::error::Error + Send + Sync>> {
    let env = rally::env::Env::load()?;
    let production = env.app_env().is_production();
    let key = env.session_key()?;
    let fixed_key = env
        .get(rally::session::SECRET_KEY_BASE)
        .is_some_and(|v| !v.trim().is_empty());
    let store: Arc<dyn SessionStore> = if fixed_key {
        let path = env
            .get("SESSIONS_DATABASE_PATH")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "db/sessions.db".to_owned());
        Arc::new(SqliteSessionStore::open(&path)?)
    } else {
        Arc::new(MemorySessionStore::default())
    };
    let sessions = Sessions::new(key, store, SessionConfig::for_env(production));
    auth_with(db, sessions)
}

/// The sign-in routes over `sessions` (tests pass in-memory sessions with a random key, so
/// they depend on nothing in the environment).
#[cfg(feature = "server")]
pub fn auth_with(
    db: &Db,
    sessions: Sessions,
) -> Result<Auth<ScoreboardAuth>, Box<dyn std::error::Error + Send + Sync>> {
    let mut config = AuthConfig::new(LOGIN_CODE_SECRET);
    config.sign_in_default_return_to = "/admin/games".to_owned();
    config.sign_out_default_return_to = "/games".to_owned();
    let app = ScoreboardAuth::new(db.clone());
    Ok(Auth::new(app, sessions, config)?)
}

#[cfg(all(test, feature = "server"))]
mod server_tests {
    use super::*;
    use rally::auth::CodeError;

    fn app() -> ScoreboardAuth {
        ScoreboardAuth::new(crate::test_support::seeded_db())
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn the_demo_code_works_for_both_seeded_users() {
        runtime().block_on(async {
            let app = app();
            for email in ["admin@example.com", " Fan@Example.com "] {
                let mut pending = app.load_code(email).await.unwrap().expect("seeded");
                let scope = normalize_email(email);
                assert_eq!(
                    pending.check(
                        &scope,
                        "a1z9q",
                        LOGIN_CODE_SECRET.as_bytes(),
                        rally::session::now_unix(),
                        5
                    ),
                    Ok(())
                );
            }
            assert!(app.load_code("nobody@example.com").await.unwrap().is_none());
            assert_eq!(app.user_by_email("FAN@example.com").await.unwrap(), Some(2));
        });
    }

    #[test]
    fn wrong_guesses_are_counted_and_the_demo_code_survives_a_lockout() {
        runtime().block_on(async {
            let app = app();
            let email = "admin@example.com";
            let secret = LOGIN_CODE_SECRET.as_bytes();
            for n in 1..=5 {
                let mut pending = app.load_code(email).await.unwrap().unwrap();
                let checked = pending.check(email, "WRONG", secret, 0, 5);
                if n < 5 {
                    assert!(matches!(checked, Err(CodeError::Wrong { .. })));
                    app.store_code(email, Some(pending)).await.unwrap();
                    assert_eq!(app.load_code(email).await.unwrap().unwrap().attempts, n);
                } else {
                    assert_eq!(checked, Err(CodeError::TooManyAttempts));
                    // What the routes do with a locked code.
                    app.store_code(email, None).await.unwrap();
                }
            }
            // Asking for a code does not replace the demo hash.
            let fresh = PendingCode::new(email, "ZZZZZ", secret, 0, PendingCode::DEFAULT_TTL);
            app.store_code(email, Some(fresh)).await.unwrap();
            let mut pending = app.load_code(email).await.unwrap().unwrap();
            assert_eq!(pending.attempts, 0);
            assert_eq!(pending.check(email, DEMO_CODE, secret, 0, 5), Ok(()));
        });
    }

    #[test]
    fn only_admins_may_open_the_score_desk() {
        runtime().block_on(async {
            let app = app();
            assert!(app.can_access("admin", 1).await.unwrap());
            assert!(!app.can_access("admin", 2).await.unwrap());
            assert!(!app.can_access("admin", 99).await.unwrap());
            assert!(app.can_access("public", 2).await.unwrap());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::after_sign_in;

    #[test]
    fn sign_in_returns_to_the_score_desk_or_the_account() {
        assert_eq!(after_sign_in("/admin"), "/admin");
        assert_eq!(after_sign_in("/admin/games"), "/admin/games");
        assert_eq!(after_sign_in("/me"), "/me");
        assert_eq!(after_sign_in("/me?tab=1"), "/me?tab=1");
        assert_eq!(after_sign_in("/meeting"), "/admin/games");
        assert_eq!(after_sign_in("/games"), "/admin/games");
        assert_eq!(after_sign_in("/administrator"), "/admin/games");
        assert_eq!(after_sign_in("/"), "/admin/games");
    }
}
