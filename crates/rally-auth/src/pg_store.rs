//! Sessions in Postgres, for server nodes that share the app's Postgres database (issue 16).
//!
//! One row per session in `rally_sessions` (created when missing), keyed by the session id, with
//! indexes on `user_id` ("sign out everywhere") and `expires_at` (the sweep). Calls are
//! synchronous, as [`SessionStore`]'s are: they run on blocking threads and each is one indexed
//! statement.
//!
//! Connections come from a [`Pool`] (a few idle clients behind a `Mutex` held only to take or
//! return one, so concurrent requests run their statements on separate connections instead of
//! queueing behind one). A connection that Postgres closed (a restart, a fail-over, an idle
//! time-out) is replaced and its statement tried once more, so the store recovers by itself
//! once the server is back; while it is away every call answers an error within the connect
//! time-out, and a failing store signs requests out rather than letting them in. Calls made from
//! inside an async task do not panic (the sync client cannot run inside a runtime): the pool
//! steps out of the runtime for them.

use std::time::Duration;

use postgres::types::{ToSql, Type};
use rally_sql::postgres::{Connection, Executor, Pool, PoolError, describe};

use crate::session::{SessionId, SessionRecord, SessionStore, StoreError, now_unix};

/// Idle connections kept for reuse: one per concurrent request being authorized, up to this.
const POOL: usize = 16;
/// The longest one statement may run (including waiting for a lock) before Postgres cancels
/// it: an answer within seconds, even an error, beats a request hanging on its sign-in check.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
/// The advisory lock taken while creating the table, so nodes starting together do not race
/// on `CREATE TABLE IF NOT EXISTS` (which can fail on a concurrent create). Arbitrary but fixed:
/// "rally_ss" as bytes.
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
        "the session store URL is not a valid Postgres connection string: {} — use postgres://user:password@host:5432/database",
        describe(.0)
    )]
    InvalidUrl(#[source] postgres::Error),
    /// The URL asks for TLS, which the session store's connections do not support.
    #[error(
        "the session store URL is not usable: {}",
        rally_sql::postgres::TLS_UNSUPPORTED
    )]
    TlsRequired,
    /// No connection could be opened.
    #[error(
        "cannot connect to the session database: {} — check that Postgres is running and reachable, and the URL's host, port, user and password",
        describe(.0)
    )]
    Connect(#[source] postgres::Error),
    /// Creating the `rally_sessions` table or its indexes failed.
    #[error(
        "cannot create the rally_sessions table: {} — the database user needs the CREATE privilege on the schema, or create the table beforehand",
        describe(.0)
    )]
    Schema(#[source] postgres::Error),
    /// A statement failed.
    #[error(
        "session database statement failed: {} — if this repeats, check the Postgres server and its log",
        describe(.0)
    )]
    Query(#[source] postgres::Error),
}

impl From<PoolError> for PgStoreError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::InvalidUrl(e) => PgStoreError::InvalidUrl(e),
            PoolError::TlsRequired => PgStoreError::TlsRequired,
            PoolError::Connect(e) => PgStoreError::Connect(e),
            PoolError::Query(e) => PgStoreError::Query(e),
        }
    }
}

impl From<PgStoreError> for StoreError {
    fn from(error: PgStoreError) -> Self {
        StoreError(Box::new(error))
    }
}

/// A [`SessionStore`] in Postgres: nodes on several machines share sessions through the
/// database they already share.
pub struct PgSessionStore {
    pool: Pool,
}

impl PgSessionStore {
    /// A store in the database at `url` (`postgres://user:password@host/db`; unencrypted, for a
    /// private network). Connects once and creates the `rally_sessions` table when missing.
    /// Blocks while it does, like every call of the store.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let pool = Pool::new(url, POOL, STATEMENT_TIMEOUT).map_err(PgStoreError::from)?;
        pool.with(create_schema).map_err(|e| match e {
            PoolError::Query(e) => PgStoreError::Schema(e),
            other => other.into(),
        })?;
        Ok(PgSessionStore { pool })
    }

    /// Runs `f` on a pooled connection. Every statement of this store is safe to repeat
    /// ([`Pool::with`] may): reads and deletes are idempotent, and a repeated insert is refused
    /// by the primary key, which fails closed.
    fn with<T: Send>(
        &self,
        f: impl FnMut(&mut Connection) -> Result<T, postgres::Error> + Send,
    ) -> Result<T, StoreError> {
        Ok(self.pool.with(f).map_err(PgStoreError::from)?)
    }
}

/// Creates the table and indexes under a transaction-level advisory lock.
fn create_schema(client: &mut Connection) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute(SCHEMA)?;
    tx.commit()
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
            c.execute_static(
                "INSERT INTO rally_sessions (id, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[
                    (&r.id.as_str() as &(dyn ToSql + Sync), Type::TEXT),
                    (&r.user_id, Type::INT8),
                    (&created, Type::INT8),
                    (&expires, Type::INT8),
                ],
            )
        })
        .map(drop)
    }

    /// The session with this id, unless it has ended: like Redis expiring its keys, an expired
    /// row that the sweep has not removed yet is not a session.
    fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let now = to_sql_time(now_unix());
        let row = self.with(|c| {
            c.query_opt_static(
                "SELECT user_id, created_at, expires_at FROM rally_sessions
                 WHERE id = $1 AND expires_at > $2",
                &[
                    (&id.as_str() as &(dyn ToSql + Sync), Type::TEXT),
                    (&now, Type::INT8),
                ],
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
        self.with(|c| {
            c.execute_static(
                "DELETE FROM rally_sessions WHERE id = $1",
                &[(&id.as_str() as &(dyn ToSql + Sync), Type::TEXT)],
            )
        })
        .map(drop)
    }

    fn remove_user(&self, user_id: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute_static(
                "DELETE FROM rally_sessions WHERE user_id = $1",
                &[(&user_id as &(dyn ToSql + Sync), Type::INT8)],
            )
        })
        .map(drop)
    }

    fn remove_expired(&self, now: u64) -> Result<usize, StoreError> {
        let now = to_sql_time(now);
        let removed = self.with(|c| {
            c.execute_static(
                "DELETE FROM rally_sessions WHERE expires_at <= $1",
                &[(&now as &(dyn ToSql + Sync), Type::INT8)],
            )
        })?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}
