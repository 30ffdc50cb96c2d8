//! Sessions in Postgres, for server nodes that share the app's Postgres database (issue 16).
//!
//! One row per session in `rally_sessions` (created when missing), keyed by the session id, with
//! indexes on `user_id` ("sign out everywhere") and `expires_at` (the sweep). Calls are
//! synchronous, as [`SessionStore`]'s are: they run on blocking threads and each is one indexed
//! statement.
//!
//! Connections sit in a small pool behind a `Mutex`: the lock is held only to take or return an
//! idle client, never across a statement, so concurrent requests run their statements on
//! separate connections instead of queueing behind one. A connection that Postgres closed (a
//! restart, a fail-over, an idle timeout) is dropped, and a statement that found its pooled
//! connection closed is tried once more on a fresh one, so the store recovers by itself once the
//! server is back; while it is away every call answers an error within the connect time-out, and
//! a failing store signs requests out rather than letting them in.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use postgres::{Client, Config, NoTls};

use crate::session::{SessionId, SessionRecord, SessionStore, StoreError, now_unix};

/// How long connecting may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long sent data may stay unacknowledged before the connection counts as dead, so a
/// vanished server fails a call instead of hanging it.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest one statement may run (including waiting for a lock) before Postgres cancels it.
const STATEMENT_TIMEOUT: &str = "5s";
/// Idle connections kept for reuse.
const POOL: usize = 16;
/// The advisory lock taken while creating the table, so nodes starting together do not race
/// on `CREATE TABLE IF NOT EXISTS` (which can fail on a concurrent create). Arbitrary but fixed:
/// "rally_sessions" as bytes.
const SCHEMA_LOCK: i64 = 0x7261_6c6c_795f_7373;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rally_sessions (
    id text PRIMARY KEY,
    user_id bigint NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS rally_sessions_user_id ON rally_sessions (user_id);
CREATE INDEX IF NOT EXISTS rally_sessions_expires_at ON rally_sessions (expires_at);
";

/// Why the Postgres session store failed. Wrapped in [`StoreError`] by the store's methods.
#[derive(Debug, thiserror::Error)]
pub enum PgStoreError {
    /// The URL is not a Postgres connection string.
    #[error(
        "the session store URL is not a valid Postgres connection string: {0} — use postgres://user:password@host:5432/database"
    )]
    InvalidUrl(#[source] postgres::Error),
    /// No connection could be opened.
    #[error(
        "cannot connect to the session database: {0} — check that Postgres is running and reachable, and the URL's host, port, user and password"
    )]
    Connect(#[source] postgres::Error),
    /// Creating the `rally_sessions` table or its indexes failed.
    #[error(
        "cannot create the rally_sessions table: {0} — the database user needs the CREATE privilege on the schema, or create the table beforehand"
    )]
    Schema(#[source] postgres::Error),
    /// A statement failed.
    #[error(
        "session database statement failed: {0} — if this repeats, check the Postgres server and its log"
    )]
    Query(#[source] postgres::Error),
}

impl From<PgStoreError> for StoreError {
    fn from(error: PgStoreError) -> Self {
        StoreError(Box::new(error))
    }
}

/// A [`SessionStore`] in Postgres: nodes on several machines share sessions through the
/// database they already share.
pub struct PgSessionStore {
    config: Config,
    idle: Mutex<Vec<Client>>,
}

impl PgSessionStore {
    /// A store in the database at `url` (`postgres://user:password@host/db`; unencrypted, for a
    /// private network). Connects once and creates the `rally_sessions` table when missing.
    ///
    /// Blocks (the sync client runs its own small runtime): call it from synchronous code or
    /// `tokio::task::spawn_blocking`, not directly inside an async task.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut config: Config = url.parse().map_err(PgStoreError::InvalidUrl)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        let store = PgSessionStore {
            config,
            idle: Mutex::new(Vec::new()),
        };
        let mut client = store.connect()?;
        create_schema(&mut client)?;
        store.put_back(client);
        Ok(store)
    }

    /// A new connection with the statement time-out set.
    fn connect(&self) -> Result<Client, PgStoreError> {
        let mut client = self.config.connect(NoTls).map_err(PgStoreError::Connect)?;
        client
            .batch_execute(&format!("SET statement_timeout = '{STATEMENT_TIMEOUT}'"))
            .map_err(PgStoreError::Connect)?;
        Ok(client)
    }

    fn put_back(&self, client: Client) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL && !client.is_closed() {
            idle.push(client);
        }
    }

    /// Runs `f` on a pooled connection (or a new one). A pooled connection found closed is
    /// replaced and `f` tried once more, because an idle connection can be closed by the server
    /// at any time without the client noticing until it is used; a new connection failing is
    /// the error. Every statement `f` runs is idempotent or fails closed, so the retry is safe.
    fn with<T>(
        &self,
        mut f: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(mut client) = pooled {
            match f(&mut client) {
                Ok(value) => {
                    self.put_back(client);
                    return Ok(value);
                }
                Err(error) if !client.is_closed() => {
                    // The server answered (a constraint, a time-out): the connection is fine.
                    self.put_back(client);
                    return Err(PgStoreError::Query(error).into());
                }
                Err(error) => {
                    tracing::info!(%error, "session store: a pooled connection was closed; reconnecting");
                }
            }
        }
        let mut client = self.connect()?;
        let result = f(&mut client).map_err(PgStoreError::Query);
        self.put_back(client);
        Ok(result?)
    }
}

/// Creates the table and indexes under a transaction-level advisory lock.
fn create_schema(client: &mut Client) -> Result<(), PgStoreError> {
    let mut tx = client.transaction().map_err(PgStoreError::Schema)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .map_err(PgStoreError::Schema)?;
    tx.batch_execute(SCHEMA).map_err(PgStoreError::Schema)?;
    tx.commit().map_err(PgStoreError::Schema)
}

/// Unix seconds as Postgres `bigint`; times past `i64::MAX` are "never".
fn to_sql_time(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// A stored time back as Unix seconds; a negative value (written by something else) is 0,
/// which reads as long expired — failing closed.
fn from_sql_time(t: i64) -> u64 {
    u64::try_from(t).unwrap_or(0)
}

impl SessionStore for PgSessionStore {
    fn insert(&self, r: &SessionRecord) -> Result<(), StoreError> {
        let (created, expires) = (to_sql_time(r.created_at), to_sql_time(r.expires_at));
        self.with(|c| {
            c.execute(
                "INSERT INTO rally_sessions (id, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&r.id.as_str(), &r.user_id, &created, &expires],
            )
        })
        .map(drop)
    }

    /// The session with this id, unless it has ended: like Redis expiring its keys, an expired
    /// row that the sweep has not removed yet is not a session.
    fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let now = to_sql_time(now_unix());
        let row = self.with(|c| {
            c.query_opt(
                "SELECT user_id, created_at, expires_at FROM rally_sessions
                 WHERE id = $1 AND expires_at > $2",
                &[&id.as_str(), &now],
            )
        })?;
        Ok(row.map(|row| SessionRecord {
            id: id.clone(),
            user_id: row.get(0),
            created_at: from_sql_time(row.get(1)),
            expires_at: from_sql_time(row.get(2)),
        }))
    }

    fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        self.with(|c| c.execute("DELETE FROM rally_sessions WHERE id = $1", &[&id.as_str()]))
            .map(drop)
    }

    fn remove_user(&self, user_id: i64) -> Result<(), StoreError> {
        self.with(|c| c.execute("DELETE FROM rally_sessions WHERE user_id = $1", &[&user_id]))
            .map(drop)
    }

    fn remove_expired(&self, now: u64) -> Result<usize, StoreError> {
        let now = to_sql_time(now);
        let removed =
            self.with(|c| c.execute("DELETE FROM rally_sessions WHERE expires_at <= $1", &[&now]))?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}
