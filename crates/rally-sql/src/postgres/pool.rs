//! A small pool of sync Postgres connections for short statements made from anywhere —
//! blocking threads, plain threads, or (blocking briefly) async tasks — used by the Postgres
//! session store and job queue (docs/adr/0025).
//!
//! The sync client drives each connection on a Tokio runtime of its own, which Tokio refuses to
//! start, block on or drop inside another runtime (a panic). So when called from inside a
//! runtime, the pool does its work — connecting, running the statement, closing a connection —
//! through `block_in_place` (a multi-thread runtime) or on a scoped thread (a current-thread
//! one), which blocks the caller as a SQLite statement would, and panics nowhere.
//!
//! Idle connections sit behind a `Mutex` that is held only to take or return one, never across
//! a statement, so concurrent callers use separate connections. A pooled connection the server
//! closed (a restart, a fail-over, an idle time-out) is noticed when used: it is dropped and the
//! statement tried once more on a new connection, so the pool recovers by itself when the server
//! is back.
//!
//! The connections are [`Connection`]s, so a statement the stores run through
//! [`Executor`](super::Executor) is prepared once per connection and then costs one round trip
//! (a plain `query(&str, …)` prepares on every call: two).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use ::postgres::{Config, NoTls};

use super::Connection;

/// How long connecting may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long sent data may stay unacknowledged before the connection counts as dead, so a
/// vanished server fails a call instead of hanging it (unless the URL says otherwise).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a [`Pool`] call failed.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The URL is not a Postgres connection string.
    #[error(
        "not a valid Postgres connection string: {} — use postgres://user:password@host:5432/database",
        describe(.0)
    )]
    InvalidUrl(#[source] ::postgres::Error),
    /// The URL asks for TLS, which the pool's connections do not support.
    #[error("not a usable Postgres connection string: {}", super::TLS_UNSUPPORTED)]
    TlsRequired,
    /// No connection could be opened.
    #[error(
        "cannot connect to Postgres: {} — check that the server is running and reachable, and the URL's host, port, user and password",
        describe(.0)
    )]
    Connect(#[source] ::postgres::Error),
    /// The statement failed (the server refused it, or the connection broke while it ran).
    #[error(
        "Postgres statement failed: {} — if this repeats, check the server and its log",
        describe(.0)
    )]
    Query(#[source] ::postgres::Error),
}

/// What went wrong, in words: the server's message (with its detail and hint) for an error the
/// server reported, else the client's description followed by its causes — the client's own
/// `Display` says only `db error` or `error connecting to server`.
pub fn describe(error: &::postgres::Error) -> String {
    if error.as_db_error().is_some() {
        return crate::migrate::postgres_message(error);
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Up to `max_idle` reusable connections to one database; see the module documentation.
pub struct Pool {
    config: Config,
    statement_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    /// A pool for `url` (`postgres://user:password@host/db`, unencrypted: a private network)
    /// keeping up to `max_idle` idle connections, whose statements Postgres cancels after
    /// `statement_timeout` (including time spent waiting for locks). Does not connect yet.
    pub fn new(url: &str, max_idle: usize, statement_timeout: Duration) -> Result<Pool, PoolError> {
        let mut config: Config = url.parse().map_err(PoolError::InvalidUrl)?;
        if super::requires_tls(&config) {
            return Err(PoolError::TlsRequired);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        Ok(Pool {
            config,
            statement_timeout,
            max_idle,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Runs `f` on an idle connection, or a new one. A pooled connection found closed is
    /// replaced and `f` run once more, so `f` must be safe to repeat: the first run's statement
    /// normally never reached the server, but if the connection broke while it ran it may have.
    pub fn with<T: Send>(
        &self,
        f: impl FnMut(&mut Connection) -> Result<T, ::postgres::Error> + Send,
    ) -> Result<T, PoolError> {
        off_runtime(|| self.with_here(f))
    }

    fn with_here<T>(
        &self,
        mut f: impl FnMut(&mut Connection) -> Result<T, ::postgres::Error>,
    ) -> Result<T, PoolError> {
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
                // The server answered (a constraint, a time-out): the connection is fine.
                Err(error) if !connection_gone(&client, &error) => {
                    self.put_back(client);
                    return Err(PoolError::Query(error));
                }
                Err(error) => {
                    tracing::info!(%error, "Postgres closed a pooled connection; reconnecting");
                }
            }
        }
        let mut client = self.connect()?;
        let result = f(&mut client).map_err(PoolError::Query);
        self.put_back(client);
        result
    }

    fn connect(&self) -> Result<Connection, PoolError> {
        let mut client = self.config.connect(NoTls).map_err(PoolError::Connect)?;
        let millis = self.statement_timeout.as_millis();
        client
            .batch_execute(&format!("SET statement_timeout = {millis}"))
            .map_err(PoolError::Connect)?;
        Ok(Connection::new(client))
    }

    fn put_back(&self, client: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle && !client.is_closed() {
            idle.push(client);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing a client blocks on its runtime: not allowed on an async task's thread.
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(PoisonError::into_inner));
        if !idle.is_empty() {
            off_runtime(move || drop(idle));
        }
    }
}

/// Whether `error` means the connection is gone rather than the statement refused. The server's
/// FATAL notice of a terminated session (`pg_terminate_backend`, a shutdown) can arrive before
/// the client has seen the socket close, so its code counts as well as the client's own state.
fn connection_gone(client: &Connection, error: &::postgres::Error) -> bool {
    use ::postgres::error::SqlState;
    client.is_closed()
        || error.is_closed()
        || error.code().is_some_and(|code| {
            [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
            ]
            .contains(code)
        })
}

/// Runs `f` where the sync client may block (see the module documentation): here outside a
/// runtime; through `block_in_place` in a multi-thread runtime (on a worker it hands the
/// worker's other tasks to another thread meanwhile; on a `spawn_blocking` thread it just runs
/// `f`); on a scoped thread in a current-thread runtime, which has no other thread to hand its
/// tasks to. A panic in `f` is resumed in the caller.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match tokio::runtime::Handle::try_current() {
        Err(_) => f(),
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        Ok(_) => std::thread::scope(|scope| match scope.spawn(f).join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }),
    }
}
