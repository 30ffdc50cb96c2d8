//! The database handle: one writer, a reader pool, transactions with nested savepoints.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rally_db::db::Error> {
//! use rally_db::db::{Config, Db};
//! let db = Db::open(Config::new("app.sqlite"))?;
//! let count: i64 = db.read(|conn| conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))).await?;
//! db.write(|tx| {
//!     tx.execute("INSERT INTO users (name) VALUES ('ada')", [])?;
//!     // A failing savepoint undoes only its own work.
//!     let _ = tx.savepoint(|sp| sp.execute("INSERT INTO users (id) VALUES (1)", []).map(drop));
//!     Ok::<_, rally_db::db::Error>(())
//! })
//! .await?;
//! # let _ = count; Ok(()) }
//! ```
//!
//! Page handlers run on blocking threads and use the `_sync` forms; every write is one
//! transaction, rolled back when the closure returns `Err`:
//!
//! ```
//! use rally_db::db::{Db, Error};
//!
//! let db = Db::open_in_memory()?;
//! db.write_sync(|tx| tx.execute_batch("CREATE TABLE users (name TEXT NOT NULL)"))?;
//! db.write_sync(|tx| tx.execute("INSERT INTO users (name) VALUES ('ada')", []))?;
//! let refused: Result<(), Error> = db.write_sync(|tx| {
//!     tx.execute("INSERT INTO users (name) VALUES ('grace')", [])?;
//!     Err(Error::from(rusqlite::Error::InvalidQuery)) // undoes the insert above
//! });
//! assert!(refused.is_err());
//! let names: i64 = db.read_sync(|c| c.query_row("SELECT count(*) FROM users", [], |r| r.get(0)))?;
//! assert_eq!(names, 1);
//! # Ok::<(), Error>(())
//! ```

use std::borrow::Cow;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::{Connection, OpenFlags};

/// Errors of the database runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database file could not be opened or configured.
    #[error("could not open the database {}: {source}", path.display())]
    Open {
        /// The database path.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A statement failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// Migrating a test database failed.
    #[error(transparent)]
    Migrate(#[from] rally_sql::MigrateError),
}

/// How [`Db::open`] configures the database.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database file (created when missing).
    pub path: PathBuf,
    /// Read-only connections in the pool (at least 1).
    pub readers: usize,
    /// How long a connection waits for a lock before failing with `SQLITE_BUSY`.
    pub busy_timeout: Duration,
    /// Statements that run longer than this are logged at `warn` level (target `rally::db`).
    /// The threshold is process-wide: the last opened database sets it.
    pub slow_query: Duration,
    /// Prepared statements cached per connection (generated functions use `prepare_cached`).
    pub statement_cache: usize,
}

impl Config {
    /// Defaults for the database at `path`: 4 readers, 5 s busy timeout, 100 ms slow-query
    /// threshold, 128 cached statements per connection.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Config {
            path: path.into(),
            readers: 4,
            busy_timeout: Duration::from_secs(5),
            slow_query: Duration::from_millis(100),
            statement_cache: 128,
        }
    }
}

static SLOW_QUERY_NANOS: AtomicU64 = AtomicU64::new(100_000_000);

fn log_slow(event: TraceEvent<'_>) {
    if let TraceEvent::Profile(stmt, elapsed) = event {
        let limit = SLOW_QUERY_NANOS.load(Ordering::Relaxed);
        if elapsed.as_nanos() >= u128::from(limit) {
            tracing::warn!(
                target: "rally::db",
                elapsed_ms = elapsed.as_secs_f64() * 1000.0,
                sql = %stmt.sql(),
                "slow query"
            );
        }
    }
}

/// Sets the process-wide slow-query threshold used by every [`Db`] connection.
pub fn set_slow_query_threshold(threshold: Duration) {
    let nanos = u64::try_from(threshold.as_nanos()).unwrap_or(u64::MAX);
    SLOW_QUERY_NANOS.store(nanos, Ordering::Relaxed);
}

/// Applies the per-connection settings shared by writers, readers and test databases.
pub(crate) fn configure(
    conn: &Connection,
    busy_timeout: Duration,
    statement_cache: usize,
) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.set_prepared_statement_cache_capacity(statement_cache);
    conn.trace_v2(TraceEventCodes::SQLITE_TRACE_PROFILE, Some(log_slow));
    Ok(())
}

/// A pool of reader connections; `acquire` blocks until one is free.
struct Readers {
    idle: Mutex<Vec<Connection>>,
    freed: Condvar,
}

/// A reader borrowed from the pool; returned on drop.
struct Reader<'a> {
    pool: &'a Readers,
    conn: Option<Connection>,
}

impl Readers {
    fn acquire(&self) -> Reader<'_> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(conn) = idle.pop() {
                return Reader {
                    pool: self,
                    conn: Some(conn),
                };
            }
            idle = self
                .freed
                .wait(idle)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            self.pool.freed.notify_one();
        }
    }
}

struct Inner {
    writer: Mutex<Connection>,
    /// `None` for single-connection databases (in memory): reads use the writer.
    readers: Option<Readers>,
}

/// A SQLite database: one writer connection and a pool of readers. Cheap to clone (shared).
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("pooled_readers", &self.inner.readers.is_some())
            .finish()
    }
}

impl Db {
    /// Opens (creating when missing) the database file of `config` in WAL mode with
    /// `foreign_keys=ON`, `synchronous=NORMAL` and the configured busy timeout.
    pub fn open(config: Config) -> Result<Db, Error> {
        let open_err = |source| Error::Open {
            path: config.path.clone(),
            source,
        };
        set_slow_query_threshold(config.slow_query);
        let writer = Connection::open(&config.path).map_err(open_err)?;
        configure(&writer, config.busy_timeout, config.statement_cache).map_err(open_err)?;
        let mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(target: "rally::db", path = %config.path.display(), mode, "WAL mode not available");
        }
        let mut readers = Vec::with_capacity(config.readers.max(1));
        for _ in 0..config.readers.max(1) {
            readers.push(open_reader(&config.path, &config).map_err(open_err)?);
        }
        Ok(Db {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers: Some(Readers {
                    idle: Mutex::new(readers),
                    freed: Condvar::new(),
                }),
            }),
        })
    }

    /// A private in-memory database on one connection (reads and writes share it).
    pub fn open_in_memory() -> Result<Db, Error> {
        let conn = Connection::open_in_memory().map_err(|source| Error::Open {
            path: PathBuf::from(":memory:"),
            source,
        })?;
        Db::from_connection(conn)
    }

    /// Wraps one connection (configured like the others); reads and writes share it.
    pub fn from_connection(conn: Connection) -> Result<Db, Error> {
        let defaults = Config::new(":memory:");
        configure(&conn, defaults.busy_timeout, defaults.statement_cache)?;
        Ok(Db {
            inner: Arc::new(Inner {
                writer: Mutex::new(conn),
                readers: None,
            }),
        })
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic inside a closure has already rolled its transaction back (see `TxGuard`), so
        // the connection behind a poisoned lock is consistent.
        self.inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` with a reader connection on the calling thread (blocking it). Use from code
    /// that already runs on a blocking thread; async code uses [`Db::read`].
    pub fn read_sync<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        match &self.inner.readers {
            Some(pool) => {
                let reader = pool.acquire();
                // `conn` is only `None` after drop.
                let conn = reader.conn.as_ref().expect("reader present until drop");
                f(conn)
            }
            None => f(&self.writer()),
        }
    }

    /// Runs `f` in a write transaction (`BEGIN IMMEDIATE`) on the writer connection, on the
    /// calling thread: committed when `f` returns `Ok`, rolled back on `Err` or panic.
    pub fn write_sync<T, E>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let conn = self.writer();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let mut guard = TxGuard {
            conn: &conn,
            undo: Cow::Borrowed("ROLLBACK"),
            armed: true,
        };
        let result = f(&Tx {
            conn: &conn,
            depth: 0,
        });
        guard.armed = false;
        match result {
            Ok(value) => match conn.execute_batch("COMMIT") {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Err(e.into())
                }
            },
            Err(e) => {
                conn.execute_batch("ROLLBACK")?;
                Err(e)
            }
        }
    }

    /// Runs `f` with a reader connection on a tokio blocking thread.
    pub async fn read<T, F>(&self, f: F) -> T
    where
        F: FnOnce(&Connection) -> T + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        join(tokio::task::spawn_blocking(move || db.read_sync(f)).await)
    }

    /// [`Db::write_sync`] on a tokio blocking thread.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Tx<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<rusqlite::Error> + Send + 'static,
    {
        let db = self.clone();
        join(tokio::task::spawn_blocking(move || db.write_sync(f)).await)
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

fn open_reader(path: &Path, config: &Config) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, config.busy_timeout, config.statement_cache)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Undoes a transaction or savepoint whose closure panicked.
struct TxGuard<'c> {
    conn: &'c Connection,
    undo: Cow<'static, str>,
    armed: bool,
}

impl Drop for TxGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.conn.execute_batch(&self.undo);
        }
    }
}

/// A write transaction, or a savepoint inside one. Derefs to the writer [`Connection`], so
/// generated query functions take `&tx`.
pub struct Tx<'c> {
    conn: &'c Connection,
    depth: u32,
}

impl Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Tx<'_> {
    /// How many savepoints deep this is (0 for the transaction itself).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Runs `f` inside a savepoint: released when `f` returns `Ok`; on `Err` (or panic) only
    /// the savepoint's own work is rolled back and the enclosing transaction goes on.
    pub fn savepoint<T, E>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let depth = self.depth + 1;
        let name = format!("rally_sp_{depth}");
        self.conn.execute_batch(&format!("SAVEPOINT {name}"))?;
        let undo = format!("ROLLBACK TO {name}; RELEASE {name}");
        let mut guard = TxGuard {
            conn: self.conn,
            undo: Cow::Owned(undo.clone()),
            armed: true,
        };
        let result = f(&Tx {
            conn: self.conn,
            depth,
        });
        guard.armed = false;
        match result {
            Ok(value) => {
                self.conn.execute_batch(&format!("RELEASE {name}"))?;
                Ok(value)
            }
            Err(e) => {
                self.conn.execute_batch(&undo)?;
                Err(e)
            }
        }
    }
}
