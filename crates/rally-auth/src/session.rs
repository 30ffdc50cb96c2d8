//! Sessions: the encrypted `__rally_auth` cookie plus a server-side record per session.
//!
//! The cookie value is upstream Rally's format, `v1.<iv>.<ciphertext>.<tag>` (base64url without
//! padding, AES-256-GCM, 12-byte random IV, associated data `__rally_auth:v1`). The plaintext is
//! `v=1&sid=<session id>&user_id=<id>&exp=<unix seconds>`. A cookie authenticates only while
//! it decrypts with this server's key, has not expired, and its session id is still in the
//! [`SessionStore`] for the same user. Signing out removes the record, so every other tab or
//! WebSocket holding the same cookie is signed out at its next request.
//!
//! ```
//! use rally_auth::session::{MemorySessionStore, SessionConfig, SessionKey, Sessions};
//! use std::sync::Arc;
//!
//! let sessions = Sessions::new(
//!     SessionKey::random().unwrap(),
//!     Arc::new(MemorySessionStore::default()),
//!     SessionConfig::development(),
//! );
//! let issued = sessions.issue(42).unwrap();
//! let mut headers = http::HeaderMap::new();
//! headers.insert(http::header::COOKIE, issued.cookie_header().parse().unwrap());
//! assert_eq!(sessions.authenticate(&headers).map(|i| i.user_id), Some(42));
//! sessions.sign_out(&headers);
//! assert!(sessions.authenticate(&headers).is_none());
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use cookie::{Cookie, SameSite};
use http::HeaderMap;
use rally_db::db::{Config as DbConfig, Db};

use crate::crypto::{self, CryptoError, Sealer};

/// The session cookie's name (upstream Rally's).
pub const AUTH_COOKIE: &str = "__rally_auth";
/// The environment variable holding the session key.
pub const SECRET_KEY_BASE: &str = "SECRET_KEY_BASE";
const AUTH_AAD: &[u8] = b"__rally_auth:v1";

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The 32-byte AES-256-GCM key that encrypts session cookies.
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

/// Why no session key could be had.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionKeyError {
    /// Production without a key: refusing to start.
    #[error(
        "{var} is not set. Production needs a fixed session key: set {var} to 32 random bytes in base64url, for example the output of `head -c32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='`."
    )]
    NotSet {
        /// The variable's name.
        var: String,
    },
    /// The value is not base64url.
    #[error(
        "{var} must be valid base64url (letters, digits, '-' and '_'). Generate one with `head -c32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='`."
    )]
    InvalidBase64 {
        /// The variable's name.
        var: String,
    },
    /// The value decodes to the wrong number of bytes.
    #[error(
        "{var} must decode to exactly 32 bytes, got {got}. Generate one with `head -c32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='`."
    )]
    WrongLength {
        /// The variable's name.
        var: String,
        /// How many bytes it decoded to.
        got: usize,
    },
    /// The operating system's random number generator failed (development key).
    #[error("cannot make a development session key: {0}")]
    Random(String),
}

/// Base64url, padded or not.
const KEY_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl SessionKey {
    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SessionKey(bytes)
    }

    /// A fresh random key: every session made with it dies when the process exits.
    pub fn random() -> Result<Self, CryptoError> {
        crypto::random_bytes().map(SessionKey)
    }

    /// Decodes `value` (base64url of exactly 32 bytes); `var` names the variable in errors.
    pub fn from_base64url(var: &str, value: &str) -> Result<Self, SessionKeyError> {
        let bytes = KEY_ENGINE
            .decode(value.trim())
            .map_err(|_| SessionKeyError::InvalidBase64 { var: var.into() })?;
        let got = bytes.len();
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SessionKeyError::WrongLength {
            var: var.into(),
            got,
        })?;
        Ok(SessionKey(bytes))
    }

    /// The key from `SECRET_KEY_BASE` read through `get` (use `rally::env::get`). Unset or blank:
    /// in production an error (refuse to start); in development a random key and a warning.
    pub fn load(
        get: impl Fn(&str) -> Option<String>,
        production: bool,
    ) -> Result<Self, SessionKeyError> {
        Self::load_var(SECRET_KEY_BASE, get, production)
    }

    /// As [`SessionKey::load`] with another variable name.
    pub fn load_var(
        var: &str,
        get: impl Fn(&str) -> Option<String>,
        production: bool,
    ) -> Result<Self, SessionKeyError> {
        match get(var).filter(|v| !v.trim().is_empty()) {
            Some(value) => Self::from_base64url(var, &value),
            None if production => Err(SessionKeyError::NotSet { var: var.into() }),
            None => {
                tracing::warn!(
                    "{var} is not set; using an in-memory development session key (sessions end when the server stops)"
                );
                Self::random().map_err(|e| SessionKeyError::Random(e.to_string()))
            }
        }
    }

    /// The key as base64url without padding (what `SECRET_KEY_BASE` holds).
    pub fn to_base64url(&self) -> String {
        general_purpose::URL_SAFE_NO_PAD.encode(self.0)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A session's random identifier: 16 bytes as 32 lowercase hex characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh random id.
    pub fn generate() -> Result<Self, CryptoError> {
        crypto::random_bytes::<16>().map(|b| SessionId(crypto::hex(&b)))
    }

    /// Accepts exactly 32 lowercase hex characters.
    pub fn parse(text: &str) -> Option<Self> {
        let valid =
            text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| SessionId(text.to_owned()))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a request comes from: a signed-in user and the session they signed in with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The app's user id.
    pub user_id: i64,
    /// The session, for signing out this one session.
    pub session_id: SessionId,
    /// When the session ends (Unix seconds).
    pub expires_at: u64,
}

/// A session as the server stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session's id (also in the cookie).
    pub id: SessionId,
    /// The signed-in user.
    pub user_id: i64,
    /// When it was issued (Unix seconds).
    pub created_at: u64,
    /// When it ends (Unix seconds).
    pub expires_at: u64,
}

/// A session store failed (for example its database is unavailable).
#[derive(Debug, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(pub Box<dyn std::error::Error + Send + Sync>);

/// Where live sessions are recorded. Calls are short and synchronous (an in-memory map or one
/// indexed SQLite row); a failing store signs requests out rather than letting them in.
pub trait SessionStore: Send + Sync + 'static {
    /// Records a new session.
    fn insert(&self, record: &SessionRecord) -> Result<(), StoreError>;
    /// The session with this id, if it is still recorded.
    fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError>;
    /// Ends one session.
    fn remove(&self, id: &SessionId) -> Result<(), StoreError>;
    /// Ends every session of a user (sign out everywhere, password change, account removal).
    fn remove_user(&self, user_id: i64) -> Result<(), StoreError>;
    /// Forgets sessions that ended at or before `now`; returns how many.
    fn remove_expired(&self, now: u64) -> Result<usize, StoreError>;
}

#[cfg(feature = "postgres")]
pub use crate::pg_store::{PgSessionStore, PgStoreError};
#[cfg(feature = "redis")]
pub use crate::redis_store::RedisSessionStore;

/// Sessions in a map: lost on restart. For development and tests.
#[derive(Default)]
pub struct MemorySessionStore {
    sessions: Mutex<HashMap<SessionId, SessionRecord>>,
}

impl MemorySessionStore {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, SessionRecord>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SessionStore for MemorySessionStore {
    fn insert(&self, record: &SessionRecord) -> Result<(), StoreError> {
        self.map().insert(record.id.clone(), record.clone());
        Ok(())
    }

    fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.map().get(id).cloned())
    }

    fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        self.map().remove(id);
        Ok(())
    }

    fn remove_user(&self, user_id: i64) -> Result<(), StoreError> {
        self.map().retain(|_, r| r.user_id != user_id);
        Ok(())
    }

    fn remove_expired(&self, now: u64) -> Result<usize, StoreError> {
        let mut map = self.map();
        let before = map.len();
        map.retain(|_, r| r.expires_at > now);
        Ok(before - map.len())
    }
}

/// Sessions in a SQLite table `rally_sessions` (created when missing), through `rally::db`
/// like every other table: they survive restarts and are shared by every process using the
/// same database file. Each call blocks on one indexed statement; async callers run it on a
/// blocking thread (`Auth` does).
pub struct SqliteSessionStore {
    db: Db,
}

impl SqliteSessionStore {
    /// Opens (creating when missing) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::new(Db::open(DbConfig::new(path.as_ref())).map_err(store_err)?)
    }

    /// A store in a private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::new(Db::open_in_memory().map_err(store_err)?)
    }

    /// Uses `db` (the app's database, say), creating the table when missing.
    pub fn new(db: Db) -> Result<Self, StoreError> {
        db.write_sync(|tx| {
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS rally_sessions (
                     id TEXT PRIMARY KEY NOT NULL,
                     user_id INTEGER NOT NULL,
                     created_at INTEGER NOT NULL,
                     expires_at INTEGER NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS rally_sessions_user_id ON rally_sessions(user_id);",
            )
        })
        .map_err(store_err)?;
        Ok(SqliteSessionStore { db })
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.db.read_sync(f).map_err(store_err)
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.db.write_sync(|tx| f(tx)).map_err(store_err)
    }
}

fn store_err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError(Box::new(e))
}

fn to_sql_time(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

impl SessionStore for SqliteSessionStore {
    fn insert(&self, r: &SessionRecord) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO rally_sessions (id, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![
                    r.id.as_str(),
                    r.user_id,
                    to_sql_time(r.created_at),
                    to_sql_time(r.expires_at)
                ],
            )
            .map(drop)
        })
    }

    fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        use rusqlite::OptionalExtension;
        self.read(|c| {
            c.query_row(
                "SELECT user_id, created_at, expires_at FROM rally_sessions WHERE id = ?1",
                [id.as_str()],
                |row| {
                    Ok(SessionRecord {
                        id: id.clone(),
                        user_id: row.get(0)?,
                        created_at: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                        expires_at: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                    })
                },
            )
            .optional()
        })
    }

    fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute("DELETE FROM rally_sessions WHERE id = ?1", [id.as_str()])
                .map(drop)
        })
    }

    fn remove_user(&self, user_id: i64) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute("DELETE FROM rally_sessions WHERE user_id = ?1", [user_id])
                .map(drop)
        })
    }

    fn remove_expired(&self, now: u64) -> Result<usize, StoreError> {
        self.write(|c| {
            c.execute(
                "DELETE FROM rally_sessions WHERE expires_at <= ?1",
                [to_sql_time(now)],
            )
        })
    }
}

/// How session cookies are issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Adds `Secure` to cookies: on in production (HTTPS only).
    pub secure: bool,
    /// How long a session lasts (cookie `Max-Age` and the server-side record).
    pub ttl: Duration,
}

impl SessionConfig {
    /// The default session length: 30 days.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

    /// Development: cookies without `Secure` (plain `http://localhost` works).
    pub fn development() -> Self {
        SessionConfig {
            secure: false,
            ttl: Self::DEFAULT_TTL,
        }
    }

    /// Production: `Secure` cookies.
    pub fn production() -> Self {
        SessionConfig {
            secure: true,
            ttl: Self::DEFAULT_TTL,
        }
    }

    /// [`SessionConfig::production`] when `production`, else [`SessionConfig::development`].
    pub fn for_env(production: bool) -> Self {
        if production {
            Self::production()
        } else {
            Self::development()
        }
    }
}

/// Issuing a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Randomness or encryption failed.
    #[error("cannot issue a session: {0}")]
    Crypto(#[from] CryptoError),
    /// The store could not record it.
    #[error("cannot issue a session: {0}")]
    Store(#[from] StoreError),
}

/// A newly issued session: who, and the cookie that carries it.
#[derive(Clone, Debug)]
pub struct IssuedSession {
    /// The session's identity.
    pub identity: Identity,
    /// The `Set-Cookie` to send.
    pub cookie: Cookie<'static>,
}

impl IssuedSession {
    /// The `Set-Cookie` header value.
    pub fn set_cookie_header(&self) -> String {
        self.cookie.to_string()
    }

    /// What a browser sends back in its `Cookie` header.
    pub fn cookie_header(&self) -> String {
        self.cookie.stripped().to_string()
    }
}

/// Issues, checks and ends sessions. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Sessions {
    sealer: Sealer,
    store: Arc<dyn SessionStore>,
    config: SessionConfig,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions encrypted with `key`, recorded in `store`.
    pub fn new(key: SessionKey, store: Arc<dyn SessionStore>, config: SessionConfig) -> Self {
        Sessions {
            sealer: Sealer::new(key.bytes()),
            store,
            config,
        }
    }

    /// How cookies are issued.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    #[cfg(feature = "google")]
    pub(crate) fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// Signs `user_id` in now: records a session and returns its cookie.
    pub fn issue(&self, user_id: i64) -> Result<IssuedSession, SessionError> {
        self.issue_at(user_id, now_unix())
    }

    /// As [`Sessions::issue`] at the given time (Unix seconds).
    pub fn issue_at(&self, user_id: i64, now: u64) -> Result<IssuedSession, SessionError> {
        let ttl = self.config.ttl.as_secs();
        let record = SessionRecord {
            id: SessionId::generate()?,
            user_id,
            created_at: now,
            expires_at: now.saturating_add(ttl),
        };
        let plaintext = format!(
            "v=1&sid={}&user_id={}&exp={}",
            record.id, record.user_id, record.expires_at
        );
        let value = self.sealer.seal(AUTH_AAD, plaintext.as_bytes())?;
        self.store.insert(&record)?;
        let cookie = self
            .base_cookie(value)
            .max_age(cookie::time::Duration::seconds(
                i64::try_from(ttl).unwrap_or(i64::MAX),
            ))
            .build();
        Ok(IssuedSession {
            identity: Identity {
                user_id,
                session_id: record.id,
                expires_at: record.expires_at,
            },
            cookie,
        })
    }

    fn base_cookie(&self, value: String) -> cookie::CookieBuilder<'static> {
        Cookie::build((AUTH_COOKIE, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.config.secure)
    }

    /// The `Set-Cookie` that deletes the session cookie in the browser.
    pub fn removal_cookie(&self) -> Cookie<'static> {
        let mut cookie = self.base_cookie(String::new()).build();
        cookie.make_removal();
        cookie
    }

    /// The signed-in identity of a request with these headers (its `Cookie` headers), now.
    /// `None` when there is no session cookie, or it is foreign, changed, expired or signed out.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<Identity> {
        self.authenticate_at(headers, now_unix())
    }

    /// As [`Sessions::authenticate`] at the given time (Unix seconds).
    pub fn authenticate_at(&self, headers: &HeaderMap, now: u64) -> Option<Identity> {
        auth_cookie_values(headers).find_map(|value| self.check(&value, now))
    }

    /// Decrypts a cookie value without asking the store: `(session id, user id, expiry)`.
    fn decode(&self, value: &str) -> Option<(SessionId, i64, u64)> {
        let plaintext = self.sealer.open(AUTH_AAD, value)?;
        let plaintext = String::from_utf8(plaintext).ok()?;
        let (mut version, mut sid, mut user_id, mut exp) = (None, None, None, None);
        for pair in plaintext.split('&') {
            let (k, v) = pair.split_once('=')?;
            match k {
                "v" => version = Some(v),
                "sid" => sid = SessionId::parse(v),
                "user_id" => user_id = v.parse::<i64>().ok(),
                "exp" => exp = v.parse::<u64>().ok(),
                _ => {}
            }
        }
        (version == Some("1")).then_some(())?;
        Some((sid?, user_id?, exp?))
    }

    fn check(&self, value: &str, now: u64) -> Option<Identity> {
        let (session_id, user_id, expires_at) = self.decode(value)?;
        if expires_at <= now {
            return None;
        }
        let record = match self.store.get(&session_id) {
            Ok(record) => record?,
            Err(e) => {
                tracing::warn!(error = %e, "session store unavailable; treating request as signed out");
                return None;
            }
        };
        (record.user_id == user_id && record.expires_at > now).then_some(Identity {
            user_id,
            session_id,
            expires_at: expires_at.min(record.expires_at),
        })
    }

    /// Ends the session these headers carry, if any. Every holder of the same cookie (other
    /// tabs, open WebSockets) is signed out from their next request on.
    pub fn sign_out(&self, headers: &HeaderMap) {
        for value in auth_cookie_values(headers) {
            if let Some((session_id, _, _)) = self.decode(&value) {
                self.end(&session_id);
            }
        }
    }

    /// Ends one session.
    pub fn end(&self, session_id: &SessionId) {
        if let Err(e) = self.store.remove(session_id) {
            tracing::error!(error = %e, "cannot end session");
        }
    }

    /// Ends every session of `user_id`.
    pub fn end_all(&self, user_id: i64) -> Result<(), StoreError> {
        self.store.remove_user(user_id)
    }

    /// Forgets expired sessions (call it now and then, for example from a job).
    pub fn remove_expired(&self) -> Result<usize, StoreError> {
        self.store.remove_expired(now_unix())
    }
}

/// The values of every `__rally_auth` cookie in the request's `Cookie` headers.
pub fn auth_cookie_values(headers: &HeaderMap) -> impl Iterator<Item = String> + '_ {
    cookie_values(headers, AUTH_COOKIE)
}

/// The values of every cookie called `name` in the request's `Cookie` headers.
pub(crate) fn cookie_values<'a>(
    headers: &'a HeaderMap,
    name: &'a str,
) -> impl Iterator<Item = String> + 'a {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(move |c| c.name() == name)
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000;

    fn sessions(config: SessionConfig) -> Sessions {
        Sessions::new(
            SessionKey::from_bytes([3; 32]),
            Arc::new(MemorySessionStore::default()),
            config,
        )
    }

    fn headers(cookie_header: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::COOKIE, cookie_header.parse().unwrap());
        h
    }

    #[test]
    fn round_trip() {
        let s = sessions(SessionConfig::development());
        let issued = s.issue_at(7, T0).unwrap();
        let h = headers(&format!("dark=1; {}; other=x", issued.cookie_header()));
        let identity = s.authenticate_at(&h, T0 + 10).unwrap();
        assert_eq!(identity.user_id, 7);
        assert_eq!(identity, issued.identity);
        assert_eq!(
            identity.expires_at,
            T0 + SessionConfig::DEFAULT_TTL.as_secs()
        );
    }

    #[test]
    fn tampered_cookie_is_signed_out() {
        let s = sessions(SessionConfig::development());
        let issued = s.issue_at(7, T0).unwrap();
        let value = issued.cookie.value().to_owned();
        // Flip one character in each part in turn.
        let parts: Vec<&str> = value.split('.').collect();
        for i in 1..parts.len() {
            let mut changed: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
            let flipped = if changed[i].starts_with('A') {
                "B"
            } else {
                "A"
            };
            changed[i].replace_range(0..1, flipped);
            let h = headers(&format!("{AUTH_COOKIE}={}", changed.join(".")));
            assert_eq!(s.authenticate_at(&h, T0), None, "part {i}");
        }
        for bad in ["", "v1", "v1.a.b.c", "garbage", "v2.AAAA.AAAA.AAAA"] {
            assert_eq!(
                s.authenticate_at(&headers(&format!("{AUTH_COOKIE}={bad}")), T0),
                None
            );
        }
    }

    #[test]
    fn expired_cookie_is_signed_out() {
        let s = sessions(SessionConfig {
            secure: false,
            ttl: Duration::from_secs(60),
        });
        let issued = s.issue_at(7, T0).unwrap();
        let h = headers(&issued.cookie_header());
        assert!(s.authenticate_at(&h, T0 + 59).is_some());
        assert_eq!(s.authenticate_at(&h, T0 + 60), None);
        assert_eq!(s.store.remove_expired(T0 + 60).unwrap(), 1);
    }

    #[test]
    fn foreign_key_cookie_is_signed_out() {
        let ours = sessions(SessionConfig::development());
        let theirs = sessions(SessionConfig::development());
        let foreign = Sessions::new(
            SessionKey::from_bytes([4; 32]),
            theirs.store.clone(),
            SessionConfig::development(),
        );
        let issued = foreign.issue_at(7, T0).unwrap();
        assert_eq!(
            ours.authenticate_at(&headers(&issued.cookie_header()), T0),
            None
        );
    }

    #[test]
    fn unknown_session_id_is_signed_out() {
        // Same key, but the session was never recorded in this store (e.g. a restored backup).
        let a = sessions(SessionConfig::development());
        let b = sessions(SessionConfig::development());
        let issued = a.issue_at(7, T0).unwrap();
        assert_eq!(
            b.authenticate_at(&headers(&issued.cookie_header()), T0),
            None
        );
    }

    #[test]
    fn sign_out_ends_the_session_for_every_holder() {
        let s = sessions(SessionConfig::development());
        let tab_a = headers(&s.issue_at(7, T0).unwrap().cookie_header());
        let other = headers(&s.issue_at(7, T0).unwrap().cookie_header());
        let tab_b = tab_a.clone();
        s.sign_out(&tab_a);
        assert_eq!(s.authenticate_at(&tab_b, T0), None);
        assert!(s.authenticate_at(&other, T0).is_some());
        s.end_all(7).unwrap();
        assert_eq!(s.authenticate_at(&other, T0), None);
    }

    #[test]
    fn cookie_attributes_in_development_and_production() {
        let dev = sessions(SessionConfig::development())
            .issue_at(1, T0)
            .unwrap();
        let header = dev.set_cookie_header();
        assert!(header.starts_with("__rally_auth=v1."), "{header}");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
            assert!(header.contains(attr), "{attr} in {header}");
        }
        assert!(!header.contains("Secure"), "{header}");
        let prod = sessions(SessionConfig::production())
            .issue_at(1, T0)
            .unwrap();
        assert!(prod.set_cookie_header().contains("; Secure"));
        let removal = sessions(SessionConfig::production())
            .removal_cookie()
            .to_string();
        assert!(removal.starts_with("__rally_auth=;"), "{removal}");
        assert!(removal.contains("Max-Age=0") && removal.contains("Secure"));
    }

    #[test]
    fn key_from_env() {
        let key = SessionKey::from_bytes([9; 32]).to_base64url();
        let get = |v: &'static str| move |_: &str| Some(v.to_string());
        assert!(SessionKey::load(|_| Some(key.clone()), true).is_ok());
        assert!(SessionKey::load(|_| Some(format!("{key}=")), true).is_ok());
        assert_eq!(
            SessionKey::load(|_| None, true).unwrap_err(),
            SessionKeyError::NotSet {
                var: SECRET_KEY_BASE.into()
            }
        );
        assert!(SessionKey::load(get("  "), true).is_err());
        assert!(SessionKey::load(|_| None, false).is_ok());
        assert_eq!(
            SessionKey::load(get("abc+/"), false).unwrap_err(),
            SessionKeyError::InvalidBase64 {
                var: SECRET_KEY_BASE.into()
            }
        );
        let err = SessionKey::load(get("AAAA"), false).unwrap_err();
        assert_eq!(
            err,
            SessionKeyError::WrongLength {
                var: SECRET_KEY_BASE.into(),
                got: 3
            }
        );
        assert!(
            err.to_string()
                .starts_with("SECRET_KEY_BASE must decode to exactly 32 bytes, got 3.")
        );
    }

    #[test]
    fn sqlite_store() {
        let store = SqliteSessionStore::open_in_memory().unwrap();
        let s = Sessions::new(
            SessionKey::from_bytes([3; 32]),
            Arc::new(store),
            SessionConfig::development(),
        );
        let a = headers(&s.issue_at(5, T0).unwrap().cookie_header());
        let b = headers(&s.issue_at(5, T0 + 100).unwrap().cookie_header());
        assert_eq!(s.authenticate_at(&a, T0).map(|i| i.user_id), Some(5));
        s.sign_out(&a);
        assert_eq!(s.authenticate_at(&a, T0), None);
        assert!(s.authenticate_at(&b, T0).is_some());
        let ttl = SessionConfig::DEFAULT_TTL.as_secs();
        assert_eq!(s.store.remove_expired(T0 + ttl + 100).unwrap(), 1);
        assert_eq!(s.authenticate_at(&b, T0), None);
    }
}
