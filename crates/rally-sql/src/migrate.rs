//! Forward-only migrations, seeds and reset.
//!
//! - `db/migrations/NNN_name.sql`: applied in file-name order, each file in its own
//!   transaction together with its `schema_migrations` row; recorded files are skipped, so a
//!   re-run is idempotent; a failing file is rolled back, not recorded, and stops the run.
//!   Foreign keys are checked at the end of each migration rather than statement by statement,
//!   so a migration can rebuild a table that others reference (see `run_in_transaction`).
//! - `db/seeds/NNN_name.sql`: run in order, every time, each in its own transaction; nothing
//!   is recorded.
//! - reset: delete the database and its `-wal`, `-shm` and `-journal` files, migrate, seed.
//!
//! File names are checked strictly: three digits, `_`, a description of `[a-z0-9_]`, `.sql`.
//! Every entry of the directory is checked (names starting with `.` are ignored), so a stray
//! file fails the run instead of being skipped silently.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, TransactionBehavior};

/// The table that records applied migrations.
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

/// What kind of SQL file directory an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `db/migrations`.
    Migration,
    /// `db/seeds`.
    Seed,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Migration => "migration",
            Kind::Seed => "seed",
        })
    }
}

/// Why a migration, seed or reset failed. Every variant names the file or directory involved.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The directory does not exist.
    #[error("the {kind}s directory {} does not exist — create it and add a file such as 001_create_users.sql", path.display())]
    MissingDirectory {
        /// Migrations or seeds.
        kind: Kind,
        /// The directory looked for.
        path: PathBuf,
    },
    /// A file stands where the directory should be.
    #[error("{} is not a directory — the {kind} files live in a directory of that name", path.display())]
    NotADirectory {
        /// Migrations or seeds.
        kind: Kind,
        /// The path.
        path: PathBuf,
    },
    /// The directory holds no `.sql` files.
    #[error("no {kind} files in {} — add one such as 001_create_users.sql", path.display())]
    NoFiles {
        /// Migrations or seeds.
        kind: Kind,
        /// The directory.
        path: PathBuf,
    },
    /// A directory entry does not have the `NNN_name.sql` shape.
    #[error(
        "{}: invalid {kind} file name — expected three digits, `_`, a description of lowercase letters, digits and `_`, and `.sql` (e.g. 001_create_users.sql); rename or remove the file",
        path.display()
    )]
    InvalidFileName {
        /// Migrations or seeds.
        kind: Kind,
        /// The offending entry.
        path: PathBuf,
    },
    /// Two files share the same number, so their order is ambiguous.
    #[error("{} and {} both use number {number} — give each {kind} its own number", first.display(), second.display())]
    DuplicateNumber {
        /// Migrations or seeds.
        kind: Kind,
        /// The shared number.
        number: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A directory or file could not be read.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// What was read.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The database could not be opened or prepared for migrations.
    #[error("database {}: {source}", path.display())]
    Database {
        /// The database file (`:memory:` for a connection given by the caller).
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A migration or seed failed; its transaction was rolled back and nothing was recorded.
    #[error("{} failed, rolled back and not recorded: {message} — fix the file and run again", path.display())]
    Failed {
        /// Migration or seed.
        kind: Kind,
        /// The failing file.
        path: PathBuf,
        /// SQLite's message.
        message: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A migration left rows whose foreign key points at no row (checked before its commit,
    /// since migrations run with enforcement off); it was rolled back and not recorded.
    #[error(
        "{} failed, rolled back and not recorded: it leaves {count} row(s) whose foreign key points at no row (first: {first}) — make every reference point at a row that exists (a rebuilt table must keep its keys) and run again",
        path.display()
    )]
    ForeignKeyViolations {
        /// The migration.
        path: PathBuf,
        /// How many rows break a foreign key.
        count: usize,
        /// The first of them: `table row N → parent`.
        first: String,
    },
    /// `reset` was given a directory as the database path.
    #[error("{} is a directory, not a database file — reset deletes the database file, so point it at one", path.display())]
    ResetPathIsDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// `reset` could not delete one of the database files.
    #[error("could not delete {}: {source}", path.display())]
    Delete {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The `DATABASE_URL` given for Postgres is not a usable `postgres://` URL.
    #[cfg(feature = "postgres")]
    #[error(
        "`{url}` is not a usable Postgres URL: {reason} — write it as postgres://user:password@host:port/database"
    )]
    PostgresUrl {
        /// The URL, password masked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The Postgres server could not be reached or refused the connection.
    #[cfg(feature = "postgres")]
    #[error(
        "could not connect to Postgres at {url}: {} — check that the server runs and is reachable, and that the URL's user, password and database are right",
        postgres_message(source)
    )]
    PostgresConnect {
        /// The URL, password masked.
        url: String,
        /// The client's error.
        source: ::postgres::Error,
    },
    /// A statement of the runner itself (not of a migration or seed file) failed on Postgres.
    #[cfg(feature = "postgres")]
    #[error(
        "could not {action} on Postgres{}: {} — check that the user may do this in that database",
        if url.is_empty() { String::new() } else { format!(" at {url}") },
        postgres_message(source)
    )]
    Postgres {
        /// The URL, password masked; empty for a connection given by the caller.
        url: String,
        /// What the runner was doing, e.g. `create the schema_migrations table`.
        action: &'static str,
        /// The client's error.
        source: ::postgres::Error,
    },
    /// A migration or seed failed on Postgres; its transaction was rolled back and nothing was
    /// recorded.
    #[cfg(feature = "postgres")]
    #[error("{}{} failed, rolled back and not recorded: {message} — fix the file and run again", path.display(), position.map(|p| format!(":{p}")).unwrap_or_default())]
    PostgresFailed {
        /// Migration or seed.
        kind: Kind,
        /// The failing file.
        path: PathBuf,
        /// Where in the file Postgres located the error, when it did.
        position: Option<Position>,
        /// Postgres's message, with its detail and hint when it gave them.
        message: String,
        /// The client's error.
        source: ::postgres::Error,
    },
    /// `reset` was given a URL without a database name.
    #[cfg(feature = "postgres")]
    #[error(
        "{url} names no database — reset drops and recreates the database named in the URL, so name it: postgres://user@host:port/my_app"
    )]
    ResetNoDatabase {
        /// The URL, password masked.
        url: String,
    },
    /// `reset` was asked to drop a database it must not or cannot drop.
    #[cfg(feature = "postgres")]
    #[error(
        "refusing to reset database `{database}` at {url}: it is {why} — point DATABASE_URL at the app's own database, e.g. postgres://user@host:port/my_app"
    )]
    ResetProtectedDatabase {
        /// The URL, password masked.
        url: String,
        /// The database named in it.
        database: String,
        /// Why it is protected.
        why: &'static str,
    },
    /// Dropping or recreating the database failed.
    #[cfg(feature = "postgres")]
    #[error(
        "could not {action} database `{database}` at {url}: {} — stop the app and other clients using it, and check that the user may create databases (CREATEDB)",
        postgres_message(source)
    )]
    PostgresReset {
        /// The URL, password masked.
        url: String,
        /// The database being reset.
        database: String,
        /// `drop` or `create`, and so on.
        action: &'static str,
        /// The client's error.
        source: ::postgres::Error,
    },
}

/// A line and column (both from 1, the column counted in characters) in a SQL file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The line, from 1.
    pub line: usize,
    /// The column in characters, from 1.
    pub column: usize,
}

impl Position {
    /// The position of the `offset`-th character (from 1, as Postgres counts) of `text`; `None`
    /// when `text` is shorter.
    pub fn of_char(text: &str, offset: usize) -> Option<Position> {
        let mut position = Position { line: 1, column: 1 };
        let mut chars = 0;
        for c in text.chars() {
            chars += 1;
            if chars == offset {
                return Some(position);
            }
            if c == '\n' {
                position = Position {
                    line: position.line + 1,
                    column: 1,
                };
            } else {
                position.column += 1;
            }
        }
        // Postgres points one past the end for errors such as an unterminated statement.
        (offset == chars + 1).then_some(position)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The server's own message for a Postgres error (with its detail and hint), or the client's
/// description when the error did not come from the server.
#[cfg(feature = "postgres")]
pub(crate) fn postgres_message(error: &::postgres::Error) -> String {
    let Some(db) = error.as_db_error() else {
        return error.to_string();
    };
    let mut message = db.message().to_owned();
    if let Some(detail) = db.detail() {
        message.push_str(" (");
        message.push_str(detail);
        message.push(')');
    }
    if let Some(hint) = db.hint() {
        message.push_str(" (hint: ");
        message.push_str(hint);
        message.push(')');
    }
    message
}

/// Whether `url` names a Postgres database (`postgres://` or `postgresql://`) rather than a
/// SQLite file; the CLI picks the backend from `DATABASE_URL` with it.
pub fn is_postgres_url(url: &str) -> bool {
    let url = url.trim_start();
    ["postgres://", "postgresql://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    })
}

/// One numbered SQL file of a migrations or seeds directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFile {
    /// The file name without `.sql`, e.g. `001_create_users`; the migration's version.
    pub version: String,
    /// The full path.
    pub path: PathBuf,
}

/// What [`reset`] did, for the CLI to print.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetReport {
    /// The database files deleted (the database and its `-wal`, `-shm`, `-journal`).
    pub deleted: Vec<PathBuf>,
    /// The migrations applied, in order.
    pub migrations: Vec<SqlFile>,
    /// The seeds run, in order.
    pub seeds: Vec<SqlFile>,
}

/// Checks a file name against the `NNN_description.sql` shape and returns the stem.
fn version_of(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".sql")?;
    let bytes = stem.as_bytes();
    let digits_ok =
        bytes.len() > 4 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[3] == b'_';
    let rest_ok = bytes[4.min(bytes.len())..]
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
    (digits_ok && rest_ok).then_some(stem)
}

/// Lists and checks the numbered `.sql` files of `dir`, sorted by name.
///
/// Fails when the directory is missing, is a file, is empty, holds an entry that is not
/// `NNN_name.sql` (entries starting with `.` are ignored), or two files share a number.
pub fn list_files(dir: &Path, kind: Kind) -> Result<Vec<SqlFile>, MigrateError> {
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(MigrateError::MissingDirectory {
                kind,
                path: dir.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(MigrateError::Read {
                path: dir.to_path_buf(),
                source,
            });
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(MigrateError::NotADirectory {
                kind,
                path: dir.to_path_buf(),
            });
        }
        Ok(_) => {}
    }
    let read_err = |source| MigrateError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let name = entry.file_name();
        let path = entry.path();
        let Some(name) = name.to_str() else {
            return Err(MigrateError::InvalidFileName { kind, path });
        };
        if name.starts_with('.') {
            continue;
        }
        let is_file = entry.file_type().map_err(read_err)?.is_file();
        match version_of(name) {
            Some(version) if is_file => files.push(SqlFile {
                version: version.to_owned(),
                path,
            }),
            _ => return Err(MigrateError::InvalidFileName { kind, path }),
        }
    }
    if files.is_empty() {
        return Err(MigrateError::NoFiles {
            kind,
            path: dir.to_path_buf(),
        });
    }
    files.sort_by(|a, b| a.version.cmp(&b.version));
    for pair in files.windows(2) {
        if pair[0].version[..3] == pair[1].version[..3] {
            return Err(MigrateError::DuplicateNumber {
                kind,
                number: pair[0].version[..3].to_owned(),
                first: pair[0].path.clone(),
                second: pair[1].path.clone(),
            });
        }
    }
    Ok(files)
}

fn open(db_path: &Path) -> Result<Connection, MigrateError> {
    let conn = Connection::open(db_path).map_err(|source| MigrateError::Database {
        path: db_path.to_path_buf(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|source| MigrateError::Database {
            path: db_path.to_path_buf(),
            source,
        })?;
    Ok(conn)
}

fn read_sql(file: &SqlFile) -> Result<String, MigrateError> {
    fs::read_to_string(&file.path).map_err(|source| MigrateError::Read {
        path: file.path.clone(),
        source,
    })
}

/// Runs `sql` and then `record` (if any) in one immediate transaction; rolls back on any error.
///
/// A migration runs with foreign-key enforcement off and is checked with
/// `PRAGMA foreign_key_check` before its commit. That is SQLite's own procedure for changing a
/// table beyond what `ALTER TABLE` does (create the new table, copy, drop the old one, rename):
/// with enforcement on, dropping a table that other tables reference deletes its rows first,
/// and the commit then fails on every reference, though the renamed table holds the same keys.
/// The cost: `ON DELETE CASCADE` and `SET NULL` actions do not fire inside a migration, and a
/// delete that relied on them fails the check instead. Seeds run with enforcement on.
fn run_in_transaction(
    conn: &mut Connection,
    kind: Kind,
    file: &SqlFile,
    sql: &str,
    record: bool,
) -> Result<(), MigrateError> {
    let failed = |source: rusqlite::Error| MigrateError::Failed {
        kind,
        path: file.path.clone(),
        message: sqlite_message(&source),
        source,
    };
    // The pragma is a no-op inside a transaction, so it is switched around it.
    let suspend = kind == Kind::Migration && foreign_keys_enforced(conn).map_err(failed)?;
    if suspend {
        conn.pragma_update(None, "foreign_keys", false)
            .map_err(failed)?;
    }
    let outcome = run_and_commit(conn, file, sql, record, suspend).map_err(|e| match e {
        Step::Sqlite(source) => failed(source),
        Step::Dangling { count, first } => MigrateError::ForeignKeyViolations {
            path: file.path.clone(),
            count,
            first,
        },
    });
    if suspend {
        // After a commit the migration is applied: a failure here is the connection's, not the
        // file's, so it is not reported as a rolled-back migration.
        let restored = conn
            .pragma_update(None, "foreign_keys", true)
            .map_err(|source| MigrateError::Database {
                path: PathBuf::from(":memory:"),
                source,
            });
        outcome?;
        restored
    } else {
        outcome
    }
}

/// Why a file's transaction did not commit.
enum Step {
    Sqlite(rusqlite::Error),
    Dangling { count: usize, first: String },
}

impl From<rusqlite::Error> for Step {
    fn from(e: rusqlite::Error) -> Self {
        Step::Sqlite(e)
    }
}

fn run_and_commit(
    conn: &mut Connection,
    file: &SqlFile,
    sql: &str,
    record: bool,
    check_foreign_keys: bool,
) -> Result<(), Step> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(sql)?;
    if check_foreign_keys {
        dangling_references(&tx)?;
    }
    if record {
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, datetime('now'))",
            [&file.version],
        )?;
    }
    // Dropping `tx` on an error path above rolls it back.
    tx.commit()?;
    Ok(())
}

/// Whether the connection enforces foreign keys (the bundled SQLite's default, and `rally::db`'s).
fn foreign_keys_enforced(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0))
}

/// `Err` naming the first row whose foreign key points at no row, with how many do. Only the
/// first is described: a broken rebuild of a large table can leave millions.
fn dangling_references(conn: &Connection) -> Result<(), Step> {
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let mut rows = stmt.query([])?;
    let Some(row) = rows.next()? else {
        return Ok(());
    };
    let table: String = row.get(0)?;
    let parent: String = row.get(2)?;
    let first = match row.get::<_, Option<i64>>(1)? {
        Some(id) => format!("{table} row {id} → {parent}"),
        None => format!("a row of {table} → {parent}"),
    };
    let mut count = 1;
    while rows.next()?.is_some() {
        count += 1;
    }
    Err(Step::Dangling { count, first })
}

/// SQLite's own message for an error, without rusqlite's wrapping.
fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

/// The versions recorded in `schema_migrations`, creating the table when missing.
pub fn applied_versions(conn: &Connection) -> Result<Vec<String>, rusqlite::Error> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let mut stmt = conn.prepare("SELECT version FROM schema_migrations ORDER BY version")?;
    stmt.query_map([], |row| row.get(0))?.collect()
}

/// Applies the pending migrations of `migrations_dir` to the database at `db_path` (created
/// when missing). Returns the migrations applied by this run, in order (empty when up to date).
pub fn migrate(db_path: &Path, migrations_dir: &Path) -> Result<Vec<SqlFile>, MigrateError> {
    let mut conn = open(db_path)?;
    migrate_connection(&mut conn, migrations_dir).map_err(|e| with_db_path(e, db_path))
}

/// [`migrate`] on an open connection (e.g. an in-memory database).
pub fn migrate_connection(
    conn: &mut Connection,
    migrations_dir: &Path,
) -> Result<Vec<SqlFile>, MigrateError> {
    let files = list_files(migrations_dir, Kind::Migration)?;
    let applied = applied_versions(conn).map_err(|source| MigrateError::Database {
        path: PathBuf::from(":memory:"),
        source,
    })?;
    let mut ran = Vec::new();
    for file in files {
        if applied.binary_search(&file.version).is_ok() {
            continue;
        }
        let sql = read_sql(&file)?;
        run_in_transaction(conn, Kind::Migration, &file, &sql, true)?;
        ran.push(file);
    }
    Ok(ran)
}

/// Runs every seed of `seeds_dir` against the database at `db_path`, in order, each in its own
/// transaction. Returns the seeds run.
pub fn seed(db_path: &Path, seeds_dir: &Path) -> Result<Vec<SqlFile>, MigrateError> {
    let mut conn = open(db_path)?;
    seed_connection(&mut conn, seeds_dir).map_err(|e| with_db_path(e, db_path))
}

/// [`seed`] on an open connection.
pub fn seed_connection(
    conn: &mut Connection,
    seeds_dir: &Path,
) -> Result<Vec<SqlFile>, MigrateError> {
    let files = list_files(seeds_dir, Kind::Seed)?;
    for file in &files {
        let sql = read_sql(file)?;
        run_in_transaction(conn, Kind::Seed, file, &sql, false)?;
    }
    Ok(files)
}

/// Deletes the database at `db_path` with its `-wal`, `-shm` and `-journal` files, then applies
/// `app_root/db/migrations` and runs `app_root/db/seeds` (skipped when that directory does not
/// exist).
pub fn reset(db_path: &Path, app_root: &Path) -> Result<ResetReport, MigrateError> {
    let seeds = app_root.join("db/seeds");
    let seeds = seeds.exists().then_some(seeds);
    reset_with(db_path, &app_root.join("db/migrations"), seeds.as_deref())
}

/// [`reset`] with explicit directories; `seeds_dir: None` runs no seeds.
pub fn reset_with(
    db_path: &Path,
    migrations_dir: &Path,
    seeds_dir: Option<&Path>,
) -> Result<ResetReport, MigrateError> {
    if db_path.is_dir() {
        return Err(MigrateError::ResetPathIsDirectory {
            path: db_path.to_path_buf(),
        });
    }
    // Check the directories before deleting anything.
    list_files(migrations_dir, Kind::Migration)?;
    if let Some(dir) = seeds_dir {
        list_files(dir, Kind::Seed)?;
    }
    let deleted = delete_database_files(db_path)?;
    let mut conn = open(db_path)?;
    let migrations =
        migrate_connection(&mut conn, migrations_dir).map_err(|e| with_db_path(e, db_path))?;
    let seeds = match seeds_dir {
        Some(dir) => seed_connection(&mut conn, dir).map_err(|e| with_db_path(e, db_path))?,
        None => Vec::new(),
    };
    Ok(ResetReport {
        deleted,
        migrations,
        seeds,
    })
}

/// Deletes a database file and its `-wal`, `-shm` and `-journal` companions; returns those that
/// existed.
pub fn delete_database_files(db_path: &Path) -> Result<Vec<PathBuf>, MigrateError> {
    let mut deleted = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db_path.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        match fs::remove_file(&path) {
            Ok(()) => deleted.push(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(MigrateError::Delete { path, source }),
        }
    }
    Ok(deleted)
}

fn with_db_path(error: MigrateError, db_path: &Path) -> MigrateError {
    match error {
        MigrateError::Database { source, .. } => MigrateError::Database {
            path: db_path.to_path_buf(),
            source,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls() {
        for url in [
            "postgres://u@h/db",
            "postgresql://h:5432/db",
            "POSTGRES://h/db",
            "  postgres://h/db",
        ] {
            assert!(is_postgres_url(url), "{url}");
        }
        for url in [
            "db/app.sqlite",
            "sqlite://app.db",
            "postgres:/h",
            "postgre://h",
            "",
        ] {
            assert!(!is_postgres_url(url), "{url}");
        }
    }

    #[test]
    fn char_offsets_become_lines_and_columns() {
        let text = "select 1;\nsélect nope;\n";
        assert_eq!(
            Position::of_char(text, 1),
            Some(Position { line: 1, column: 1 })
        );
        assert_eq!(
            Position::of_char(text, 10),
            Some(Position {
                line: 1,
                column: 10
            })
        );
        // Characters, not bytes: `é` is one column.
        assert_eq!(
            Position::of_char(text, 18),
            Some(Position { line: 2, column: 8 })
        );
        assert_eq!(
            Position::of_char(text, 23),
            Some(Position {
                line: 2,
                column: 13
            })
        );
        // One past the end, where Postgres points at an unexpected end of input.
        assert_eq!(
            Position::of_char(text, 24),
            Some(Position { line: 3, column: 1 })
        );
        assert_eq!(Position::of_char(text, 25), None);
        assert_eq!(Position::of_char(text, 0), None);
        assert_eq!(Position { line: 2, column: 8 }.to_string(), "2:8");
    }

    #[test]
    fn file_name_shapes() {
        assert_eq!(version_of("001_create_users.sql"), Some("001_create_users"));
        assert_eq!(version_of("120_a1_b2.sql"), Some("120_a1_b2"));
        for bad in [
            "1_x.sql",
            "0001_x.sql",
            "001_.sql",
            "001-x.sql",
            "001_X.sql",
            "001_x.SQL",
            "001_x",
            "abc_x.sql",
            "001_x y.sql",
        ] {
            assert_eq!(version_of(bad), None, "{bad}");
        }
    }
}
