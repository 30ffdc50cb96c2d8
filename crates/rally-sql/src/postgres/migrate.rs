//! The migration, seed and reset runner on Postgres.

use std::fs;
use std::path::Path;
use std::time::Duration;

use ::postgres::{Client, Config, NoTls};

use crate::migrate::{Kind, MigrateError, Position, SqlFile, list_files, postgres_message};

/// How long connecting may take before the run fails, unless the URL sets `connect_timeout`:
/// an unreachable host should fail the command, not hang it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The key of the advisory lock that serialises runners on one database, so two processes
/// migrating at once apply each file once (the second sees it recorded and skips it).
const LOCK_KEY: i64 = 0x7261_6c6c_795f_6d67; // "rally_mg"

/// The databases `reset` never drops: it connects to `postgres` to drop the target, and the
/// templates are what `CREATE DATABASE` copies.
const PROTECTED: [(&str, &str); 3] = [
    (
        "postgres",
        "the maintenance database that reset connects to while it drops and recreates yours",
    ),
    (
        "template0",
        "a template database that CREATE DATABASE copies",
    ),
    (
        "template1",
        "a template database that CREATE DATABASE copies",
    ),
];

/// What [`reset`] did, for the CLI to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetReport {
    /// The database dropped (if it existed) and recreated.
    pub database: String,
    /// Whether it existed and was dropped.
    pub dropped: bool,
    /// The migrations applied, in order.
    pub migrations: Vec<SqlFile>,
    /// The seeds run, in order.
    pub seeds: Vec<SqlFile>,
}

/// `url` with its password replaced by `***`, for messages.
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

/// Parses a `postgres://` or `postgresql://` URL.
fn config(url: &str) -> Result<Config, MigrateError> {
    if !crate::is_postgres_url(url) {
        return Err(MigrateError::PostgresUrl {
            url: masked(url),
            reason: "it does not start with postgres:// or postgresql://".into(),
        });
    }
    let mut config: Config =
        url.parse()
            .map_err(|e: ::postgres::Error| MigrateError::PostgresUrl {
                url: masked(url),
                reason: e.to_string(),
            })?;
    if super::requires_tls(&config) {
        return Err(MigrateError::PostgresUrl {
            url: masked(url),
            reason: super::TLS_UNSUPPORTED.into(),
        });
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    Ok(config)
}

fn connect_with(config: &Config, url: &str) -> Result<Client, MigrateError> {
    config
        .connect(NoTls)
        .map_err(|source| MigrateError::PostgresConnect {
            url: masked(url),
            source,
        })
}

/// Connects to the database at `url` (`postgres://user:password@host:port/database`), without
/// TLS, failing after 10 seconds unless the URL sets `connect_timeout`.
pub fn connect(url: &str) -> Result<Client, MigrateError> {
    connect_with(&config(url)?, url)
}

fn read_sql(file: &SqlFile) -> Result<String, MigrateError> {
    fs::read_to_string(&file.path).map_err(|source| MigrateError::Read {
        path: file.path.clone(),
        source,
    })
}

/// The error for a failing file. When `sql` is the file's text (the error came from running
/// it), Postgres's position becomes a line and column in the file.
fn failed(
    kind: Kind,
    file: &SqlFile,
    sql: Option<&str>,
    source: ::postgres::Error,
) -> MigrateError {
    // Positions in queries Postgres generated itself (e.g. inside a function body) are not in
    // the file, so only `Original` ones are used.
    let position = match (sql, source.as_db_error().and_then(|db| db.position())) {
        (Some(sql), Some(::postgres::error::ErrorPosition::Original(offset))) => {
            usize::try_from(*offset)
                .ok()
                .and_then(|offset| Position::of_char(sql, offset))
        }
        _ => None,
    };
    MigrateError::PostgresFailed {
        kind,
        path: file.path.clone(),
        position,
        message: postgres_message(&source),
        source,
    }
}

/// Runs one file in a transaction: takes the runners' lock, skips a migration that another
/// runner recorded meanwhile, runs the SQL and records a migration. Returns whether it ran.
/// Any error drops the transaction, which rolls it back.
fn run_file(
    client: &mut Client,
    kind: Kind,
    file: &SqlFile,
    sql: &str,
) -> Result<bool, MigrateError> {
    let fail = |source| failed(kind, file, None, source);
    let mut tx = client.transaction().map_err(fail)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .map_err(fail)?;
    if kind == Kind::Migration {
        let recorded = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[&file.version],
            )
            .map_err(fail)?
            .is_some();
        if recorded {
            return Ok(false);
        }
    }
    tx.batch_execute(sql)
        .map_err(|source| failed(kind, file, Some(sql), source))?;
    if kind == Kind::Migration {
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&file.version],
        )
        .map_err(fail)?;
    }
    tx.commit().map_err(fail)?;
    Ok(true)
}

/// The versions recorded in `schema_migrations`, in order, creating the table when missing.
pub fn applied_versions(client: &mut Client) -> Result<Vec<String>, ::postgres::Error> {
    // Under the runners' lock, so two first runs do not race to create the table.
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
           version text PRIMARY KEY, \
           applied_at timestamptz NOT NULL DEFAULT now())",
    )?;
    let versions = tx
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect();
    tx.commit()?;
    Ok(versions)
}

/// Applies the pending migrations of `migrations_dir` to the database at `url`. Returns the
/// migrations applied by this run, in order (empty when up to date).
pub fn migrate(url: &str, migrations_dir: &Path) -> Result<Vec<SqlFile>, MigrateError> {
    // Check the files before connecting: a typo in a file name is the likelier mistake.
    list_files(migrations_dir, Kind::Migration)?;
    let mut client = connect(url)?;
    migrate_client(&mut client, migrations_dir).map_err(|e| with_url(e, url))
}

/// [`migrate`] on an open connection. Errors of the runner's own statements name no URL.
pub fn migrate_client(
    client: &mut Client,
    migrations_dir: &Path,
) -> Result<Vec<SqlFile>, MigrateError> {
    let files = list_files(migrations_dir, Kind::Migration)?;
    let applied = applied_versions(client).map_err(|source| MigrateError::Postgres {
        url: String::new(),
        action: "create or read the schema_migrations table",
        source,
    })?;
    let mut ran = Vec::new();
    for file in files {
        if applied.binary_search(&file.version).is_ok() {
            continue;
        }
        let sql = read_sql(&file)?;
        if run_file(client, Kind::Migration, &file, &sql)? {
            ran.push(file);
        }
    }
    Ok(ran)
}

/// Runs every seed of `seeds_dir` against the database at `url`, in order, each in its own
/// transaction. Returns the seeds run.
pub fn seed(url: &str, seeds_dir: &Path) -> Result<Vec<SqlFile>, MigrateError> {
    list_files(seeds_dir, Kind::Seed)?;
    let mut client = connect(url)?;
    seed_client(&mut client, seeds_dir).map_err(|e| with_url(e, url))
}

/// [`seed`] on an open connection.
pub fn seed_client(client: &mut Client, seeds_dir: &Path) -> Result<Vec<SqlFile>, MigrateError> {
    let files = list_files(seeds_dir, Kind::Seed)?;
    for file in &files {
        let sql = read_sql(file)?;
        run_file(client, Kind::Seed, file, &sql)?;
    }
    Ok(files)
}

/// Drops the database named in `url` (ending its other connections first) and creates it
/// again, then applies `app_root/db/migrations` and runs `app_root/db/seeds` (skipped when that
/// directory does not exist).
pub fn reset(url: &str, app_root: &Path) -> Result<ResetReport, MigrateError> {
    let seeds = app_root.join("db/seeds");
    let seeds = seeds.exists().then_some(seeds);
    reset_with(url, &app_root.join("db/migrations"), seeds.as_deref())
}

/// [`reset`] with explicit directories; `seeds_dir: None` runs no seeds.
///
/// Connects to the `postgres` maintenance database on the same server, as the same user, to
/// drop and create the target, so that user needs the right to create databases.
pub fn reset_with(
    url: &str,
    migrations_dir: &Path,
    seeds_dir: Option<&Path>,
) -> Result<ResetReport, MigrateError> {
    // Check everything that can be checked before dropping anything.
    list_files(migrations_dir, Kind::Migration)?;
    if let Some(dir) = seeds_dir {
        list_files(dir, Kind::Seed)?;
    }
    let config = config(url)?;
    let database = config
        .get_dbname()
        .filter(|name| !name.is_empty())
        .ok_or_else(|| MigrateError::ResetNoDatabase { url: masked(url) })?
        .to_owned();
    if let Some((_, why)) = PROTECTED.iter().find(|(name, _)| *name == database) {
        return Err(MigrateError::ResetProtectedDatabase {
            url: masked(url),
            database,
            why,
        });
    }

    let mut maintenance_config = config.clone();
    maintenance_config.dbname("postgres");
    let mut maintenance = connect_with(&maintenance_config, url)?;
    let reset_failed = |action: &'static str| {
        let url = masked(url);
        let database = database.clone();
        move |source| MigrateError::PostgresReset {
            url,
            database,
            action,
            source,
        }
    };
    let dropped = maintenance
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&database])
        .map_err(reset_failed("look up"))?
        .is_some();
    // DROP DATABASE fails while anyone is connected (a running app, a psql session). It waits
    // up to 5 seconds for terminated backends to exit, which covers the time they take.
    maintenance
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&database],
        )
        .map_err(reset_failed("end the other connections to"))?;
    let name = quote_identifier(&database);
    maintenance
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .map_err(reset_failed("drop"))?;
    maintenance
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .map_err(reset_failed("create"))?;
    drop(maintenance);

    let mut client = connect_with(&config, url)?;
    let migrations = migrate_client(&mut client, migrations_dir).map_err(|e| with_url(e, url))?;
    let seeds = match seeds_dir {
        Some(dir) => seed_client(&mut client, dir).map_err(|e| with_url(e, url))?,
        None => Vec::new(),
    };
    Ok(ResetReport {
        database,
        dropped,
        migrations,
        seeds,
    })
}

/// `name` as a quoted SQL identifier, so any database name (mixed case, `-`) is taken as is.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Fills in the URL of runner errors raised on a connection given without one.
fn with_url(error: MigrateError, url: &str) -> MigrateError {
    match error {
        MigrateError::Postgres {
            url: empty,
            action,
            source,
        } if empty.is_empty() => MigrateError::Postgres {
            url: masked(url),
            action,
            source,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            masked("postgres://app:s3cret@db:5432/app"),
            "postgres://app:***@db:5432/app"
        );
        assert_eq!(
            masked("postgresql://app:p@ss@db/app?sslmode=disable"),
            "postgresql://app:***@db/app?sslmode=disable"
        );
        assert_eq!(masked("postgres://app@db/app"), "postgres://app@db/app");
        assert_eq!(masked("postgres://db/app"), "postgres://db/app");
        assert_eq!(masked("not a url"), "not a url");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_identifier("my_app"), "\"my_app\"");
        assert_eq!(quote_identifier("we\"ird"), "\"we\"\"ird\"");
    }
}
