//! Sign-in for the Scoreboard.
//!
//! In development every seeded user signs in with the demo code `A1Z9Q` (`DEMO_SIGN_IN_CODE`),
//! and the sign-in page says so. The demo sends no mail: asking for a code logs that the demo
//! code is the one to enter, and the code Rally generates is not kept.
//!
//! In production (`APP_ENV=production`) there is no demo code: each code request makes a fresh
//! code, kept in memory for its ten minutes, and — since the Scoreboard has no mailer — writes
//! it to the server's log, which only the operator reads (a real app mails it here). The
//! login-code secret is `LOGIN_CODE_SECRET` or, unset, derived from `SECRET_KEY_BASE`; the
//! server refuses to start with the public demo secret or a demo code.
//!
//! Wrong guesses, lockouts and rate limits are Rally's (`rally::auth_http::SignInLimits`): they
//! count per email across code requests, whatever this store does with its own count.

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
use crate::db::Db;
#[cfg(feature = "server")]
use rally::auth::PendingCode;
#[cfg(feature = "server")]
use rally::auth_http::{AppError, Auth, AuthApp, AuthConfig};
#[cfg(feature = "server")]
use rally::session::{
    MemorySessionStore, SessionConfig, SessionStore, Sessions, SqliteSessionStore,
};

#[cfg(feature = "server")]
use crate::context::Context;
#[cfg(feature = "server")]
use crate::generated::sql::root_sql::{user_by_email, user_by_id};
#[cfg(feature = "server")]
use crate::identity::normalize_email;

/// The development login-code secret. It is public, so production refuses it.
pub const DEMO_LOGIN_CODE_SECRET: &str = "scoreboard-demo-secret";

/// The development demo code, for every seeded user.
pub const DEMO_CODE: &str = "A1Z9Q";

/// The login-code secret's variable.
pub const LOGIN_CODE_SECRET: &str = "LOGIN_CODE_SECRET";

/// The demo code's variable (development only; empty turns the demo code off).
pub const DEMO_SIGN_IN_CODE: &str = "DEMO_SIGN_IN_CODE";

/// How the Scoreboard checks login codes.
#[cfg(feature = "server")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInSettings {
    /// The login-code HMAC key.
    pub secret: Vec<u8>,
    /// The code every user may sign in with (development only).
    pub demo_code: Option<String>,
}

/// The sign-in settings cannot be used.
#[cfg(feature = "server")]
#[derive(Debug, thiserror::Error)]
pub enum SignInSettingsError {
    /// The public demo secret in production.
    #[error(
        "{LOGIN_CODE_SECRET} is the Scoreboard's public demo secret, which anyone can use to make sign-in codes. In production set it to a secret of your own (for example `openssl rand -hex 32`), or unset it to derive one from SECRET_KEY_BASE."
    )]
    DemoSecretInProduction,
    /// A demo code in production.
    #[error(
        "{DEMO_SIGN_IN_CODE} is set, but a demo code would let anyone sign in as any user. Unset it in production; codes are then made per request."
    )]
    DemoCodeInProduction,
    /// No secret to derive one from.
    #[error(transparent)]
    SessionKey(#[from] rally::session::SessionKeyError),
}

#[cfg(feature = "server")]
impl SignInSettings {
    /// The demo secret and code: what development and tests use.
    pub fn development() -> Self {
        SignInSettings {
            secret: DEMO_LOGIN_CODE_SECRET.as_bytes().to_vec(),
            demo_code: Some(DEMO_CODE.to_owned()),
        }
    }

    /// From `LOGIN_CODE_SECRET` and `DEMO_SIGN_IN_CODE`; in production the demo secret and any
    /// demo code are refused.
    pub fn from_env(env: &rally::env::Env) -> Result<Self, SignInSettingsError> {
        let set = |name: &str| env.get(name).filter(|v| !v.trim().is_empty());
        let secret = set(LOGIN_CODE_SECRET);
        if !env.app_env().is_production() {
            return Ok(SignInSettings {
                secret: secret
                    .unwrap_or_else(|| DEMO_LOGIN_CODE_SECRET.to_owned())
                    .into_bytes(),
                demo_code: match env.get(DEMO_SIGN_IN_CODE) {
                    None => Some(DEMO_CODE.to_owned()),
                    Some(code) if code.trim().is_empty() => None,
                    Some(code) => Some(code.trim().to_owned()),
                },
            });
        }
        if secret.as_deref() == Some(DEMO_LOGIN_CODE_SECRET) {
            return Err(SignInSettingsError::DemoSecretInProduction);
        }
        if set(DEMO_SIGN_IN_CODE).is_some() {
            return Err(SignInSettingsError::DemoCodeInProduction);
        }
        let secret = match secret {
            Some(secret) => secret.into_bytes(),
            None => AuthConfig::from_session_key(&rally::env::session_key(env)?).login_code_secret,
        };
        Ok(SignInSettings {
            secret,
            demo_code: None,
        })
    }
}

/// The app side of Rally's sign-in routes.
#[cfg(feature = "server")]
pub struct ScoreboardAuth {
    db: Db,
    /// The demo code, whose hash every user's pending code is (development only).
    demo: Option<DemoCode>,
    /// Codes waiting to be entered, per email (when there is no demo code).
    pending: Mutex<HashMap<String, PendingCode>>,
}

/// The demo code with the key its hashes are made with.
#[cfg(feature = "server")]
struct DemoCode {
    code: String,
    secret: Vec<u8>,
}

#[cfg(feature = "server")]
impl ScoreboardAuth {
    /// Users from `db`; with a demo code, every user's code is that one.
    fn new(db: Db, demo: Option<DemoCode>) -> Self {
        ScoreboardAuth {
            db,
            demo,
            pending: Mutex::default(),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, PendingCode>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user's role; blocking (called beside the session lookup, on a blocking thread).
    fn role(&self, user_id: i64) -> Result<Option<String>, AppError> {
        let row = self.db.read_sync(|c| user_by_id(c, user_id))?;
        Ok(row.map(|row| row.role))
    }
}

#[cfg(feature = "server")]
impl AuthApp for ScoreboardAuth {
    async fn user_by_email(&self, email: &str) -> Result<Option<i64>, AppError> {
        let email = normalize_email(email);
        let row = self.db.read(move |c| user_by_email(c, &email)).await?;
        Ok(row.map(|row| row.id))
    }

    /// The pending code; with a demo code, the demo code's hash (which never expires) with the
    /// wrong guesses counted so far.
    async fn load_code(&self, email: &str) -> Result<Option<PendingCode>, AppError> {
        let email = normalize_email(email);
        let stored = self.pending().get(&email).cloned();
        let Some(demo) = &self.demo else {
            return Ok(stored);
        };
        if self.user_by_email(&email).await?.is_none() {
            return Ok(None);
        }
        Ok(Some(PendingCode {
            hash: rally::auth::hash_login_code(&email, &demo.code, &demo.secret),
            expires_at: u64::MAX,
            attempts: stored.map_or(0, |code| code.attempts),
        }))
    }

    /// Keeps the code (with a demo code, only its count of wrong guesses); `None` deletes it.
    async fn store_code(&self, email: &str, code: Option<PendingCode>) -> Result<(), AppError> {
        let email = normalize_email(email);
        let mut pending = self.pending();
        match code {
            Some(code) => pending.insert(email, code),
            None => pending.remove(&email),
        };
        Ok(())
    }

    async fn deliver_code(&self, email: &str, code: &str) -> Result<(), AppError> {
        match &self.demo {
            Some(demo) => tracing::info!(
                email,
                "sign-in code requested; this demo sends no mail: the code is {}",
                demo.code
            ),
            None => tracing::info!(
                email,
                "sign-in code {code}: the Scoreboard has no mailer, so codes go to this log"
            ),
        }
        Ok(())
    }

    fn narrow_return_to(&self, path: &str) -> String {
        crate::auth::after_sign_in(path)
    }

    fn can_access(&self, mount: &str, user_id: i64) -> Result<bool, AppError> {
        if mount != "admin" {
            return Ok(true);
        }
        Ok(self.role(user_id)?.as_deref() == Some("admin"))
    }
}

/// The sign-in routes and request authentication.
///
/// Sessions are sealed with `SECRET_KEY_BASE` (required when `APP_ENV=production`; in
/// development a random key, so sessions end with the server) and recorded, when the key is
/// fixed, in `SESSIONS_DATABASE_PATH` (default `db/sessions.db`), or in Redis when
/// `SESSIONS_STORE` is a `redis://` URL (nodes on several machines); in memory otherwise.
#[cfg(feature = "server")]
pub fn auth(
    ctx: &Context,
) -> Result<Auth<ScoreboardAuth>, Box<dyn std::error::Error + Send + Sync>> {
    let env = rally::env::Env::load()?;
    let production = env.app_env().is_production();
    let key = rally::env::session_key(&env)?;
    let fixed_key = env
        .get(rally::session::SECRET_KEY_BASE)
        .is_some_and(|v| !v.trim().is_empty());
    let store: Arc<dyn SessionStore> = if fixed_key {
        let set = |name: &str| env.get(name).filter(|v| !v.trim().is_empty());
        match set("SESSIONS_STORE") {
            // Nodes that share no disk share sessions through Redis.
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => Arc::new(
                rally::session::RedisSessionStore::open(&url, "rally:scoreboard:")?,
            ),
            // The Postgres build keeps sessions in its own database server.
            #[cfg(feature = "postgres")]
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Arc::new(rally::session::PgSessionStore::open(&url)?)
            }
            Some(other) if other != "sqlite" => {
                return Err(format!(
                    "SESSIONS_STORE={other} is not a session store — use `sqlite` (the default: the file at SESSIONS_DATABASE_PATH), a Redis URL such as `redis://127.0.0.1:6379`, or (the postgres build) a Postgres URL"
                )
                .into());
            }
            _ => {
                let path =
                    set("SESSIONS_DATABASE_PATH").unwrap_or_else(|| "db/sessions.db".to_owned());
                Arc::new(SqliteSessionStore::open(&path)?)
            }
        }
    } else {
        Arc::new(MemorySessionStore::default())
    };
    let sessions = Sessions::new(key, store, SessionConfig::for_env(production));
    auth_with(ctx, sessions)
}

/// The sign-in routes over `sessions` (tests pass in-memory sessions with a random key, so
/// they depend on nothing in the environment).
#[cfg(feature = "server")]
pub fn auth_with(
    ctx: &Context,
    sessions: Sessions,
) -> Result<Auth<ScoreboardAuth>, Box<dyn std::error::Error + Send + Sync>> {
    let settings = &ctx.sign_in;
    let mut config = AuthConfig::new(settings.secret.clone());
    config.sign_in_default_return_to = "/admin/games".to_owned();
    config.sign_out_default_return_to = "/games".to_owned();
    let demo = settings.demo_code.as_ref().map(|code| DemoCode {
        code: code.clone(),
        secret: config.login_code_secret.clone(),
    });
    let app = ScoreboardAuth::new(ctx.db.clone(), demo);
    Ok(Auth::new(app, sessions, config)?)
}

#[cfg(all(test, feature = "server"))]
mod server_tests {
    use super::*;
    use rally::auth::CodeError;
    use rally::env::Env;

    fn demo_app() -> ScoreboardAuth {
        ScoreboardAuth::new(
            crate::test_support::seeded_db(),
            Some(DemoCode {
                code: DEMO_CODE.to_owned(),
                secret: DEMO_LOGIN_CODE_SECRET.as_bytes().to_vec(),
            }),
        )
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    const KEY: &str = "SECRET_KEY_BASE";
    const A_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn development_has_the_demo_secret_and_code_unless_configured() {
        let settings = SignInSettings::from_env(&Env::from_pairs::<&str, &str>([])).unwrap();
        assert_eq!(settings, SignInSettings::development());
        let settings = SignInSettings::from_env(&Env::from_pairs([
            (LOGIN_CODE_SECRET, "mine"),
            (DEMO_SIGN_IN_CODE, "B2C3D"),
        ]))
        .unwrap();
        assert_eq!(settings.secret, b"mine");
        assert_eq!(settings.demo_code.as_deref(), Some("B2C3D"));
        let off = SignInSettings::from_env(&Env::from_pairs([(DEMO_SIGN_IN_CODE, "")])).unwrap();
        assert_eq!(off.demo_code, None);
    }

    #[test]
    fn production_refuses_the_demo_secret_and_any_demo_code() {
        let production = |extra: &[(&str, &str)]| {
            let mut pairs = vec![("APP_ENV", "production"), (KEY, A_KEY)];
            pairs.extend_from_slice(extra);
            SignInSettings::from_env(&Env::from_pairs(pairs))
        };
        let demo_secret = production(&[(LOGIN_CODE_SECRET, DEMO_LOGIN_CODE_SECRET)]).unwrap_err();
        assert!(matches!(
            demo_secret,
            SignInSettingsError::DemoSecretInProduction
        ));
        assert!(
            demo_secret.to_string().contains("openssl rand"),
            "{demo_secret}"
        );
        let demo_code = production(&[(DEMO_SIGN_IN_CODE, DEMO_CODE)]).unwrap_err();
        assert!(matches!(
            demo_code,
            SignInSettingsError::DemoCodeInProduction
        ));

        let derived = production(&[]).unwrap();
        assert_eq!(derived.demo_code, None);
        assert_ne!(derived.secret, DEMO_LOGIN_CODE_SECRET.as_bytes());
        assert_eq!(
            derived,
            production(&[]).unwrap(),
            "derived from SECRET_KEY_BASE, stable"
        );
        let own = production(&[(LOGIN_CODE_SECRET, "an operator's own secret")]).unwrap();
        assert_eq!(own.secret, b"an operator's own secret");

        let no_key = SignInSettings::from_env(&Env::from_pairs([("APP_ENV", "production")]));
        assert!(matches!(no_key, Err(SignInSettingsError::SessionKey(_))));
    }

    #[test]
    fn the_demo_code_works_for_both_seeded_users_and_nobody_else() {
        runtime().block_on(async {
            let app = demo_app();
            for email in ["admin@example.com", " Fan@Example.com "] {
                let mut pending = app.load_code(email).await.unwrap().expect("seeded");
                let scope = normalize_email(email);
                let secret = DEMO_LOGIN_CODE_SECRET.as_bytes();
                let now = rally::session::now_unix();
                assert_eq!(pending.check(&scope, "a1z9q", secret, now, 5), Ok(()));
            }
            assert!(app.load_code("nobody@example.com").await.unwrap().is_none());
            assert_eq!(app.user_by_email("FAN@example.com").await.unwrap(), Some(2));
        });
    }

    #[test]
    fn wrong_guesses_are_counted_against_the_demo_code() {
        runtime().block_on(async {
            let app = demo_app();
            let email = "admin@example.com";
            let secret = DEMO_LOGIN_CODE_SECRET.as_bytes();
            for n in 1..5 {
                let mut pending = app.load_code(email).await.unwrap().unwrap();
                let checked = pending.check(email, "WRONG", secret, 0, 5);
                assert!(matches!(checked, Err(CodeError::Wrong { .. })));
                app.store_code(email, Some(pending)).await.unwrap();
                assert_eq!(app.load_code(email).await.unwrap().unwrap().attempts, n);
            }
            // A generated code does not replace the demo code, and keeps the count.
            let mut fresh = PendingCode::new(email, "ZZZZZ", secret, 0, PendingCode::DEFAULT_TTL);
            fresh.attempts = 4;
            app.store_code(email, Some(fresh)).await.unwrap();
            let mut pending = app.load_code(email).await.unwrap().unwrap();
            assert_eq!(pending.attempts, 4);
            assert_eq!(pending.check(email, DEMO_CODE, secret, 0, 5), Ok(()));
        });
    }

    #[test]
    fn without_a_demo_code_only_the_delivered_code_works() {
        runtime().block_on(async {
            let app = ScoreboardAuth::new(crate::test_support::seeded_db(), None);
            let email = "admin@example.com";
            let secret = b"an operator's own secret";
            assert!(
                app.load_code(email).await.unwrap().is_none(),
                "none asked for"
            );
            let code = rally::auth::generate_login_code().unwrap();
            let pending = PendingCode::new(email, &code, secret, 0, PendingCode::DEFAULT_TTL);
            app.store_code(email, Some(pending)).await.unwrap();
            let mut stored = app.load_code(email).await.unwrap().unwrap();
            assert!(matches!(
                stored.clone().check(email, DEMO_CODE, secret, 1, 5),
                Err(CodeError::Wrong { .. })
            ));
            assert_eq!(stored.check(email, &code, secret, 1, 5), Ok(()));
        });
    }

    #[test]
    fn only_admins_may_open_the_score_desk() {
        runtime().block_on(async {
            let app = demo_app();
            assert!(app.can_access("admin", 1).unwrap());
            assert!(!app.can_access("admin", 2).unwrap());
            assert!(!app.can_access("admin", 99).unwrap());
            assert!(app.can_access("public", 2).unwrap());
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
