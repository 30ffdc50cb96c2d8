//! The Postgres runtime (feature `postgres`, docs/adr/0024): a pool of sync `postgres` clients
//! for the handler threads, transactions with nested savepoints, timeouts, and a slow-query log
//! shaped like the SQLite one.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rally_db::postgres::Error> {
//! use rally_db::postgres::{Error, PgConfig, PgDb, Savepoint};
//! use std::time::Duration;
//!
//! let db = PgDb::open(
//!     PgConfig::new("postgres://app:secret@localhost/app").statement_timeout(Duration::from_secs(5)),
//! )?;
//! let users: i64 = db
//!     .read(|client| Ok::<_, Error>(client.query_one("SELECT count(*) FROM users", &[])?.get(0)))
//!     .await?;
//! db.write(|tx| {
//!     tx.execute("INSERT INTO users (name) VALUES ('ada')", &[])?;
//!     // A failing savepoint undoes only its own work; the insert above is committed.
//!     let _ = tx.nest(|sp| sp.execute("INSERT INTO users (id) VALUES (1)", &[]));
//!     Ok::<_, Error>(())
//! })
//! .await?;
//! # let _ = users; Ok(()) }
//! ```
//!
//! Closures get a `&mut Connection` (reads) or a `&mut Transaction` (writes). Both are
//! [`Executor`]s, so generated query functions (`fn get_game(client: &mut impl Executor, …)`)
//! take them as they are, and each query is prepared once per pooled connection
//! (docs/adr/0027); through `Deref` they are also a `postgres::Client` and a
//! `postgres::Transaction` for hand-written SQL.

use std::fmt;
use std::panic::Location;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ::postgres::config::Host;
use ::postgres::error::SqlState;
use ::postgres::{Config, NoTls};

pub mod test_db;

/// What the closures receive, and what generated query functions take.
pub use rally_sql::postgres::{Connection, Executor, Params, Transaction};

/// The `postgres` types beside them, re-exported so callers need no own dependency.
pub use ::postgres::{Client, GenericClient, Row};

/// How long `read`/`write` wait for a free pooled connection by default.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long opening one connection may take by default (unless the URL sets `connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The server-side limit on one statement by default.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// Closures slower than this are logged by default; the same default as SQLite's `Config`.
const SLOW_QUERY: Duration = Duration::from_millis(100);

/// Errors of the Postgres runtime. Each message says what failed and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL could not be parsed as a Postgres connection URL.
    #[error(
        "the database URL is not a usable Postgres URL: {reason} — write it as postgres://user:password@host:port/database (check DATABASE_URL)"
    )]
    Url {
        /// What is wrong with it.
        reason: String,
    },
    /// The first connection, made by [`PgDb::open`], failed.
    #[error(
        "could not connect to Postgres at {target}: {} — check DATABASE_URL (host, port, user, password, database) and that the server is running and accepts connections",
        message(source)
    )]
    Connect {
        /// `user@host:port/database`, without the password.
        target: String,
        /// The client's error.
        source: ::postgres::Error,
    },
    /// Every pooled connection stayed busy for the whole acquire timeout.
    #[error(
        "all {size} pooled Postgres connections stayed busy for {waited:?} — raise the pool size (PgConfig::pool_size) or find the slow query holding them (look for `slow query` in the log)"
    )]
    PoolExhausted {
        /// The pool's size.
        size: u32,
        /// How long the caller waited.
        waited: Duration,
    },
    /// The pool had room but could not open a new connection within the acquire timeout.
    #[error(
        "no connection to Postgres at {target} within {waited:?}: {reason} — check that the server is running and reachable, and DATABASE_URL"
    )]
    Unavailable {
        /// `user@host:port/database`, without the password.
        target: String,
        /// How long the caller waited.
        waited: Duration,
        /// The pool's report, with the last connection error when there was one.
        reason: String,
    },
    /// Postgres cancelled a statement: it ran past `statement_timeout` (or an operator cancelled it).
    #[error(
        "Postgres cancelled the statement ({}) — it ran past statement_timeout; speed it up (EXPLAIN ANALYZE, an index) or raise PgConfig::statement_timeout",
        message(source)
    )]
    StatementTimeout {
        /// The client's error (SQLSTATE 57014).
        source: ::postgres::Error,
    },
    /// A statement, `BEGIN`, `COMMIT` or savepoint failed; the message is Postgres's own, with
    /// its detail and hint.
    #[error("{}", message(.0))]
    Postgres(::postgres::Error),
    /// Migrating or seeding a test template failed.
    #[error(transparent)]
    Migrate(#[from] rally_sql::MigrateError),
    /// No Postgres server for test databases: `DATABASE_URL` is not a Postgres URL and the
    /// throwaway cluster could not start.
    #[error(
        "no Postgres server for test databases: {reason} — set DATABASE_URL to a postgres:// URL of a server where this user may CREATE DATABASE, or install Postgres (apt-get install postgresql)"
    )]
    TestServer {
        /// Why the throwaway cluster could not start.
        reason: String,
    },
}

impl From<::postgres::Error> for Error {
    fn from(source: ::postgres::Error) -> Self {
        if source.code() == Some(&SqlState::QUERY_CANCELED) {
            Error::StatementTimeout { source }
        } else {
            Error::Postgres(source)
        }
    }
}

/// Postgres's message with its detail and hint: the client's own display of a server error is
/// only "db error".
fn message(error: &::postgres::Error) -> String {
    let Some(db) = error.as_db_error() else {
        return match std::error::Error::source(error) {
            Some(cause) => format!("{error}: {cause}"),
            None => error.to_string(),
        };
    };
    let mut text = format!("{}: {}", db.severity(), db.message());
    if let Some(detail) = db.detail() {
        text.push_str(" (");
        text.push_str(detail);
        text.push(')');
    }
    if let Some(hint) = db.hint() {
        text.push_str(" (hint: ");
        text.push_str(hint);
        text.push(')');
    }
    text
}

/// Runs `f`, which uses the sync client, where that is allowed. The client drives its own
/// runtime and panics inside a tokio one, and `open` and `test_db` are called from async code
/// (`#[tokio::main]`, `#[tokio::test]`), so there `f` runs on a short-lived thread while the
/// caller waits: a one-off at start-up or in test set-up, not per request.
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// How [`PgDb::open`] connects and sizes its pool. Built with [`PgConfig::new`] and the builder
/// methods; settings the URL makes itself (`connect_timeout`, `application_name`, `options`) win
/// over the builder's.
#[derive(Clone)]
pub struct PgConfig {
    url: String,
    pool_size: u32,
    acquire_timeout: Duration,
    connect_timeout: Duration,
    statement_timeout: Duration,
    slow_query: Duration,
    application_name: String,
}

impl fmt::Debug for PgConfig {
    // By hand, so the URL's password never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("url", &masked(&self.url))
            .field("pool_size", &self.pool_size)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("slow_query", &self.slow_query)
            .field("application_name", &self.application_name)
            .finish()
    }
}

impl PgConfig {
    /// Defaults for the database at `url` (`postgres://user:password@host:port/database`): a
    /// pool of twice the number of cores, a 5 s acquire timeout, a 10 s connect timeout, a 30 s
    /// `statement_timeout`, a 100 ms slow-query threshold and `application_name=rally`.
    pub fn new(url: impl Into<String>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        PgConfig {
            url: url.into(),
            pool_size: u32::try_from(cores.saturating_mul(2)).unwrap_or(u32::MAX),
            acquire_timeout: ACQUIRE_TIMEOUT,
            connect_timeout: CONNECT_TIMEOUT,
            statement_timeout: STATEMENT_TIMEOUT,
            slow_query: SLOW_QUERY,
            application_name: "rally".into(),
        }
    }

    /// The most connections the pool opens (at least 1). They are opened on demand and closed
    /// after 10 minutes idle.
    #[must_use]
    pub fn pool_size(mut self, size: u32) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long `read`/`write` wait for a free connection before failing with
    /// [`Error::PoolExhausted`] (at least 1 ms).
    #[must_use]
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long opening one connection may take (ignored when the URL sets `connect_timeout`).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The server-side `statement_timeout` of every connection: a longer statement is
    /// cancelled with [`Error::StatementTimeout`]. `Duration::ZERO` turns it off. Set in the
    /// startup packet, so it costs no round trip; `-c statement_timeout=…` in the URL's
    /// `options` wins.
    #[must_use]
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// Closures that hold a connection longer than this are logged at `warn` (target
    /// `rally::db`, message `slow query`), per database.
    #[must_use]
    pub fn slow_query(mut self, threshold: Duration) -> Self {
        self.slow_query = threshold;
        self
    }

    /// The `application_name` the connections report in `pg_stat_activity` (ignored when the
    /// URL sets one).
    #[must_use]
    pub fn application_name(mut self, name: impl Into<String>) -> Self {
        self.application_name = name.into();
        self
    }

    /// The client configuration: the URL plus the settings it does not make itself.
    fn client_config(&self) -> Result<Config, Error> {
        if !rally_sql::is_postgres_url(&self.url) {
            return Err(Error::Url {
                reason: "it does not start with postgres:// or postgresql://".into(),
            });
        }
        let mut config: Config = self
            .url
            .parse()
            .map_err(|e: ::postgres::Error| Error::Url {
                // The display is only "invalid connection string"; the source says what.
                reason: match std::error::Error::source(&e) {
                    Some(detail) => format!("{e}: {detail}"),
                    None => e.to_string(),
                },
            })?;
        if rally_sql::postgres::requires_tls(&config) {
            return Err(Error::Url {
                reason: rally_sql::postgres::TLS_UNSUPPORTED.into(),
            });
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(self.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name(&self.application_name);
        }
        // Postgres applies `options` left to right, so the URL's own `-c` settings come last
        // and win.
        let timeout = format!(
            "-c statement_timeout={}",
            self.statement_timeout.as_millis()
        );
        let options = match config.get_options() {
            Some(own) => format!("{timeout} {own}"),
            None => timeout,
        };
        config.options(&options);
        Ok(config)
    }
}

/// `user@host:port/database` for messages: what the client connects to, never the password.
fn target(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(dir) => dir.display().to_string(),
            };
            // One port applies to every host; otherwise they pair up.
            let port = match config.get_ports() {
                [] => 5432,
                [port] => *port,
                ports => ports.get(i).copied().unwrap_or(5432),
            };
            format!("{name}:{port}")
        })
        .collect();
    let user = config.get_user().unwrap_or("");
    // Postgres defaults the database to the user name.
    let database = config.get_dbname().unwrap_or(user);
    let hosts = if hosts.is_empty() {
        "localhost:5432".to_owned()
    } else {
        hosts.join(",")
    };
    if user.is_empty() {
        format!("{hosts}/{database}")
    } else {
        format!("{user}@{hosts}/{database}")
    }
}

/// `url` with the password (between `user:` and `@`) replaced by `***`.
fn masked(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    match authority[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        None => url.to_owned(),
    }
}

/// Sends the pool's background connection failures to `tracing` (r2d2 would use `log`) and
/// keeps the last one for [`Error::Unavailable`]: r2d2's own report uses the client's display,
/// which for a server error is only "db error".
#[derive(Debug)]
struct LogConnectErrors {
    target: String,
    last: Arc<Mutex<Option<String>>>,
}

impl r2d2::HandleError<::postgres::Error> for LogConnectErrors {
    fn handle_error(&self, error: ::postgres::Error) {
        let error = message(&error);
        tracing::warn!(target: "rally::db", database = %self.target, %error, "could not open a pooled Postgres connection");
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
    }
}

/// A connection used within this long is handed out unchecked; one idle for longer is checked
/// with an empty query first. A check per checkout costs a round trip, as much as a short query
/// (bench/sql); a server restart or an administrator's `pg_terminate_backend` happen while
/// connections sit idle, so it is the idle ones worth checking (HikariCP's "alive bypass").
const TRUST_RECENT: Duration = Duration::from_millis(500);

/// A pooled [`Connection`] and when it was last handed back.
struct Pooled {
    connection: Connection,
    used: Instant,
}

/// Opens the pool's connections: each a [`Connection`] with its own statement cache.
#[derive(Debug)]
struct Manager {
    config: Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = ::postgres::Error;

    fn connect(&self) -> Result<Pooled, ::postgres::Error> {
        Ok(Pooled {
            connection: self.config.connect(NoTls)?.into(),
            used: Instant::now(),
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), ::postgres::Error> {
        if pooled.used.elapsed() < TRUST_RECENT {
            return Ok(());
        }
        pooled.connection.simple_query("").map(drop)
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.connection.is_closed()
    }
}

struct Inner {
    /// `None` only inside `drop`.
    pool: Option<r2d2::Pool<Manager>>,
    target: String,
    /// The last error opening a pooled connection, from [`LogConnectErrors`].
    last_connect_error: Arc<Mutex<Option<String>>>,
    pool_size: u32,
    slow_query: Duration,
}

/// A Postgres database: a pool of connections handed to closures on the calling thread
/// (`read_sync`, `write_sync`) or on tokio's blocking threads (`read`, `write`). Cheap to clone
/// (shared).
#[derive(Clone)]
pub struct PgDb {
    inner: Arc<Inner>,
}

impl Inner {
    fn pool(&self) -> &r2d2::Pool<Manager> {
        self.pool.as_ref().expect("the pool is only taken by drop")
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let Some(pool) = self.pool.take() else { return };
        if tokio::runtime::Handle::try_current().is_err() {
            drop(pool);
            return;
        }
        // Dropping the pool closes its idle clients, and closing a sync client blocks on its
        // own runtime, which panics on an async worker (the last `PgDb` clone often goes away in
        // async code). Closing them on a thread of their own keeps the worker free. If no
        // thread can be started, the closure is dropped here without running, and
        // `ManuallyDrop` then leaks the connections (the server sees them go at exit) rather
        // than panic inside a destructor.
        let pool = std::mem::ManuallyDrop::new(pool);
        if let Err(error) = std::thread::Builder::new()
            .name("rally-pg-close".into())
            .spawn(move || drop(std::mem::ManuallyDrop::into_inner(pool)))
        {
            tracing::warn!(target: "rally::db", %error, "could not start a thread to close Postgres connections; leaving them open");
        }
    }
}

impl fmt::Debug for PgDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.pool().state();
        f.debug_struct("PgDb")
            .field("target", &self.inner.target)
            .field("pool_size", &self.inner.pool_size)
            .field("connections", &state.connections)
            .field("idle", &state.idle_connections)
            .finish()
    }
}

impl PgDb {
    /// Opens a pool for `config`. Connects once first, so a wrong URL, a stopped server or a
    /// refused login fails here, with Postgres's reason and the `user@host:port/database` it
    /// tried (never the password), instead of at the first request.
    pub fn open(config: PgConfig) -> Result<PgDb, Error> {
        let client_config = config.client_config()?;
        let target = target(&client_config);
        off_runtime(|| client_config.connect(NoTls).map(drop)).map_err(|source| {
            Error::Connect {
                target: target.clone(),
                source,
            }
        })?;
        let last_connect_error = Arc::default();
        let pool = r2d2::Pool::builder()
            .max_size(config.pool_size)
            // Connections open on demand: a test database or a quiet app holds few.
            .min_idle(Some(0))
            .connection_timeout(config.acquire_timeout)
            .error_handler(Box::new(LogConnectErrors {
                target: target.clone(),
                last: Arc::clone(&last_connect_error),
            }))
            // `build` would wait for `min_idle` connections and report a failure as a bare
            // timeout; the check above already gave the clear error.
            .build_unchecked(Manager {
                config: client_config,
            });
        Ok(PgDb {
            inner: Arc::new(Inner {
                pool: Some(pool),
                target,
                last_connect_error,
                pool_size: config.pool_size,
                slow_query: config.slow_query,
            }),
        })
    }

    /// `user@host:port/database` of this database, for messages (no password).
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// Waits up to the acquire timeout for a pooled connection.
    fn acquire(&self) -> Result<r2d2::PooledConnection<Manager>, Error> {
        let started = Instant::now();
        let pool = self.inner.pool();
        pool.get().map_err(|error| {
            let waited = started.elapsed();
            let state = pool.state();
            // r2d2 reports both cases as a timeout; a full pool with nothing idle means the
            // connections were busy, anything else that new ones could not be opened.
            if state.connections >= self.inner.pool_size && state.idle_connections == 0 {
                Error::PoolExhausted {
                    size: self.inner.pool_size,
                    waited,
                }
            } else {
                Error::Unavailable {
                    target: self.inner.target.clone(),
                    waited,
                    reason: self
                        .inner
                        .last_connect_error
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take()
                        .unwrap_or_else(|| error.to_string()),
                }
            }
        })
    }

    /// Runs `f` with a pooled client on the calling thread (blocking it). Use from code that
    /// already runs on a blocking thread; async code uses [`PgDb::read`].
    ///
    /// Fails with [`Error::PoolExhausted`] when no connection frees up within the acquire
    /// timeout, which is why `f` returns a `Result` whose error takes an [`Error`]. The
    /// connection is not read-only: "read" says what the closure is for, not what Postgres
    /// enforces.
    #[track_caller]
    pub fn read_sync<T, E>(&self, f: impl FnOnce(&mut Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
    {
        self.read_at(Location::caller(), f)
    }

    fn read_at<T, E>(
        &self,
        caller: &'static Location<'static>,
        f: impl FnOnce(&mut Connection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<Error>,
    {
        let waiting = Instant::now();
        let mut client = self.acquire()?;
        let running = Instant::now();
        let result = f(&mut client.connection);
        client.used = Instant::now();
        self.log_if_slow("read", caller, waiting, running);
        result
    }

    /// Runs `f` in a transaction on the calling thread: committed when `f` returns `Ok`,
    /// rolled back on `Err` or panic. Nest savepoints with [`Savepoint::nest`].
    #[track_caller]
    pub fn write_sync<T, E>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<Error>,
    {
        self.write_at(Location::caller(), f)
    }

    fn write_at<T, E>(
        &self,
        caller: &'static Location<'static>,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<Error>,
    {
        let waiting = Instant::now();
        let mut client = self.acquire()?;
        let running = Instant::now();
        let result = transaction(&mut client.connection, f);
        client.used = Instant::now();
        self.log_if_slow("write", caller, waiting, running);
        result
    }

    /// [`PgDb::read_sync`] on a tokio blocking thread: the sync client blocks, and must never
    /// run on an async worker.
    #[track_caller]
    pub fn read<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send + 'static
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        // Taken here, not in the future, so the log names the caller and not this file.
        let caller = Location::caller();
        let db = self.clone();
        async move { join(tokio::task::spawn_blocking(move || db.read_at(caller, f)).await) }
    }

    /// [`PgDb::write_sync`] on a tokio blocking thread.
    #[track_caller]
    pub fn write<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send + 'static
    where
        F: FnOnce(&mut Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let caller = Location::caller();
        let db = self.clone();
        async move { join(tokio::task::spawn_blocking(move || db.write_at(caller, f)).await) }
    }

    /// Logs a closure that held its connection at least the slow-query threshold. The
    /// target, message and `elapsed_ms` match the SQLite runtime's, so one dashboard query
    /// covers both; the sync client has no per-statement hook, so instead of `sql` the event
    /// names the calling `file:line`.
    fn log_if_slow(
        &self,
        access: &'static str,
        caller: &Location<'_>,
        waiting: Instant,
        running: Instant,
    ) {
        let elapsed = running.elapsed();
        if elapsed >= self.inner.slow_query {
            tracing::warn!(
                target: "rally::db",
                elapsed_ms = elapsed.as_secs_f64() * 1000.0,
                wait_ms = running.duration_since(waiting).as_secs_f64() * 1000.0,
                access,
                caller = %caller,
                database = %self.inner.target,
                "slow query"
            );
        }
    }
}

/// Runs `f` in a transaction on `client`: commit on `Ok`, roll back on `Err`; a panic drops the
/// transaction, whose destructor rolls back.
fn transaction<T, E>(
    client: &mut Connection,
    f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<Error>,
{
    let mut tx = client.transaction().map_err(Error::from)?;
    match f(&mut tx) {
        Ok(value) => {
            tx.commit().map_err(Error::from)?;
            Ok(value)
        }
        Err(e) => {
            // The closure's error is the one worth reporting. A failing ROLLBACK means the
            // connection is gone, and with it the transaction; the pool discards closed clients.
            let _ = tx.rollback();
            Err(e)
        }
    }
}

/// Savepoints as closures, on a write transaction (or a savepoint inside one).
pub trait Savepoint {
    /// Runs `f` in a savepoint (`Transaction::transaction`): released when `f` returns `Ok`;
    /// on `Err` or panic only the savepoint's own work is rolled back and the enclosing
    /// transaction goes on.
    fn nest<T, E>(&mut self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<::postgres::Error>;
}

impl Savepoint for Transaction<'_> {
    fn nest<T, E>(&mut self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<::postgres::Error>,
    {
        let mut savepoint = self.transaction()?;
        match f(&mut savepoint) {
            Ok(value) => {
                savepoint.commit()?;
                Ok(value)
            }
            Err(e) => {
                // As in `transaction`: a failing ROLLBACK TO leaves the outer transaction
                // aborted, so its COMMIT rolls back and nothing half-done is kept.
                let _ = savepoint.rollback();
                Err(e)
            }
        }
    }
}

/// Re-raises a panic from a blocking task on the awaiting task.
fn join<T>(result: Result<T, tokio::task::JoinError>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("database task cancelled: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_hides_only_the_password() {
        assert_eq!(
            masked("postgres://ada:s3cret@db:5432/app?sslmode=disable"),
            "postgres://ada:***@db:5432/app?sslmode=disable"
        );
        assert_eq!(masked("postgres://ada@db/app"), "postgres://ada@db/app");
        assert_eq!(masked("postgresql://db/app"), "postgresql://db/app");
    }

    #[test]
    fn target_names_user_hosts_ports_and_database() {
        let config: Config = "postgres://ada:s3cret@db1:6543/app".parse().unwrap();
        assert_eq!(target(&config), "ada@db1:6543/app");
        let config: Config = "postgres://ada@db1,db2/app".parse().unwrap();
        assert_eq!(target(&config), "ada@db1:5432,db2:5432/app");
        // Without a database name Postgres uses the user's.
        let config: Config = "postgres://ada@db".parse().unwrap();
        assert_eq!(target(&config), "ada@db:5432/ada");
    }

    #[test]
    fn client_config_adds_timeouts_and_name_unless_the_url_sets_them() {
        let config = PgConfig::new("postgres://ada@db/app")
            .statement_timeout(Duration::from_millis(1500))
            .client_config()
            .unwrap();
        assert_eq!(config.get_options(), Some("-c statement_timeout=1500"));
        assert_eq!(config.get_application_name(), Some("rally"));
        assert_eq!(config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));

        let config = PgConfig::new(
            "postgres://ada@db/app?application_name=worker&connect_timeout=3&options=-c%20search_path%3Dx",
        )
        .client_config()
        .unwrap();
        assert_eq!(config.get_application_name(), Some("worker"));
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(
            config.get_options(),
            Some("-c statement_timeout=30000 -c search_path=x")
        );
    }

    #[test]
    fn bad_urls_are_refused_with_the_fix() {
        let error = PgConfig::new("sqlite://app.db")
            .client_config()
            .unwrap_err();
        assert!(matches!(error, Error::Url { .. }), "{error:?}");
        assert!(
            error.to_string().contains("postgres://user:password@host"),
            "{error}"
        );
        let error = PgConfig::new("postgres://ada@db/app?sslmode=require")
            .client_config()
            .unwrap_err();
        assert!(error.to_string().contains("sslmode=require"), "{error}");
        assert!(error.to_string().contains("sslmode=disable"), "{error}");
        let error = PgConfig::new("postgres://ada@db/app?bogus=1")
            .client_config()
            .unwrap_err();
        assert!(error.to_string().contains("bogus"), "{error}");
    }

    #[test]
    fn debug_masks_the_password() {
        let config = PgConfig::new("postgres://ada:s3cret@db/app").pool_size(0);
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("s3cret") && debug.contains("ada:***@db"),
            "{debug}"
        );
        // A pool of zero would never hand out a connection.
        assert!(debug.contains("pool_size: 1"), "{debug}");
    }
}
