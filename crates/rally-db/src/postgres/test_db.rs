//! Migrated Postgres databases for tests.
//!
//! The migrations (and seeds, when given) run once per process and directory into a template
//! database; every test database is a fresh `CREATE DATABASE … TEMPLATE …` of it, a file copy
//! on the server, so a test pays milliseconds, not the migrations.
//!
//! The server is `DATABASE_URL` when that is a `postgres://` URL (its user needs `CREATEDB`),
//! otherwise one [`TempCluster`] started on first use and kept for the process (a `static`).
//!
//! Databases are not dropped when their [`PgDb`] is: on the throwaway cluster they go away with
//! it when the process ends, however it ends. On a `DATABASE_URL` server they stay, named
//! `rally_tmpl_<pid>_<n>` (templates) and `rally_test_<pid>_<n>`; drop them when convenient
//! (templates need `ALTER DATABASE … IS_TEMPLATE false` first).
//!
//! ```no_run
//! use rally_db::postgres::{Error, test_db};
//! let db = test_db::for_app(env!("CARGO_MANIFEST_DIR"))?;
//! db.write_sync(|tx| Ok::<_, Error>(tx.execute("INSERT INTO users (name) VALUES ('ada')", &[])?))?;
//! # Ok::<(), Error>(())
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock, PoisonError};

use rally_sql::postgres::{ClusterError, TempCluster};

use super::{Error, PgConfig, PgDb, off_runtime};

/// The cluster for processes without a Postgres `DATABASE_URL`. A `static` is never dropped;
/// the cluster's watchdog stops it and deletes its directory when the process exits.
static CLUSTER: LazyLock<Result<TempCluster, ClusterError>> = LazyLock::new(TempCluster::start);

/// Numbers template and test database names; with the process id they are unique on a server
/// that several test binaries share.
static NEXT: AtomicU32 = AtomicU32::new(1);

fn unique_name(kind: &str) -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("rally_{kind}_{}_{n}", std::process::id())
}

/// Where test databases are created.
#[derive(Debug, Clone)]
enum Server {
    /// `DATABASE_URL`: databases are created through it and reached by swapping its database.
    Url(String),
    /// The process's throwaway cluster.
    Cluster(&'static TempCluster),
}

impl Server {
    fn get() -> Result<Server, Error> {
        if let Ok(url) = std::env::var("DATABASE_URL")
            && rally_sql::is_postgres_url(&url)
        {
            return Ok(Server::Url(url));
        }
        match &*CLUSTER {
            Ok(cluster) => Ok(Server::Cluster(cluster)),
            Err(error) => Err(Error::TestServer {
                reason: error.to_string(),
            }),
        }
    }

    /// The URL to issue `CREATE DATABASE` through.
    fn admin_url(&self) -> String {
        match self {
            Server::Url(url) => url.clone(),
            Server::Cluster(cluster) => cluster.url(),
        }
    }

    /// The URL of `database` on this server.
    fn url_for(&self, database: &str) -> String {
        match self {
            Server::Url(url) => with_database(url, database),
            Server::Cluster(cluster) => cluster.url_for(database),
        }
    }

    /// Runs one statement on the admin connection.
    fn execute(&self, sql: &str) -> Result<(), Error> {
        let mut client = rally_sql::postgres::connect(&self.admin_url())?;
        client.batch_execute(sql)?;
        Ok(())
    }
}

/// `url` with its database (the path) replaced by `database`; the query string is kept.
fn with_database(url: &str, database: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let query = url[authority_end..]
        .find('?')
        .map_or("", |i| &url[authority_end + i..]);
    format!("{}/{database}{query}", &url[..authority_end])
}

/// A migrated (and optionally seeded) template database that test databases are cloned from.
#[derive(Debug, Clone)]
pub struct Template {
    server: Server,
    name: String,
}

impl Template {
    /// Creates a template database on the test server and migrates it with `migrations_dir`.
    /// Prefer [`template`], which does this once per process and directory.
    pub fn new(migrations_dir: &Path) -> Result<Template, Error> {
        Template::seeded(migrations_dir, None)
    }

    /// Like [`Template::new`], then runs the seeds of `seeds_dir` (when given).
    pub fn seeded(migrations_dir: &Path, seeds_dir: Option<&Path>) -> Result<Template, Error> {
        off_runtime(|| Template::build(migrations_dir, seeds_dir))
    }

    fn build(migrations_dir: &Path, seeds_dir: Option<&Path>) -> Result<Template, Error> {
        let server = Server::get()?;
        let name = unique_name("tmpl");
        // Names come from `unique_name`: plain identifiers, no quoting needed.
        server.execute(&format!("CREATE DATABASE {name}"))?;
        let fill = || -> Result<(), Error> {
            let url = server.url_for(&name);
            rally_sql::postgres::migrate(&url, migrations_dir)?;
            if let Some(dir) = seeds_dir {
                rally_sql::postgres::seed(&url, dir)?;
            }
            // A template with a connection cannot be copied; refusing connections keeps a
            // stray client (a test connecting by hand) from breaking every later test.
            server.execute(&format!(
                "ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
            ))
        };
        if let Err(error) = fill() {
            // Best effort: a half-migrated database helps no one, and the error says why.
            let _ = server.execute(&format!("DROP DATABASE IF EXISTS {name}"));
            return Err(error);
        }
        Ok(Template { server, name })
    }

    /// The template database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates a new database as a copy of the template and returns its URL (for servers
    /// started as processes, which take a URL).
    pub fn database_url(&self) -> Result<String, Error> {
        let database = unique_name("test");
        // Postgres waits up to 5 s for the migrating connection to finish leaving the
        // template, so no retry is needed here.
        off_runtime(|| {
            self.server.execute(&format!(
                "CREATE DATABASE {database} TEMPLATE {}",
                self.name
            ))
        })?;
        Ok(self.server.url_for(&database))
    }

    /// A [`PgConfig`] for a new copy of the template, to adjust (pool size, timeouts) before
    /// [`PgDb::open`].
    pub fn config(&self) -> Result<PgConfig, Error> {
        Ok(PgConfig::new(self.database_url()?))
    }

    /// A new database copied from the template, opened with the default [`PgConfig`].
    pub fn db(&self) -> Result<PgDb, Error> {
        PgDb::open(self.config()?)
    }
}

type Key = (PathBuf, Option<PathBuf>);

fn templates() -> &'static Mutex<HashMap<Key, Template>> {
    static TEMPLATES: OnceLock<Mutex<HashMap<Key, Template>>> = OnceLock::new();
    TEMPLATES.get_or_init(Mutex::default)
}

fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// The template for `migrations_dir` and `seeds_dir`, built on first use and cached for the
/// process. Tests asking at once wait for the first one to build it.
pub fn seeded_template(
    migrations_dir: impl AsRef<Path>,
    seeds_dir: Option<&Path>,
) -> Result<Template, Error> {
    let migrations = migrations_dir.as_ref();
    let key = (canonical(migrations), seeds_dir.map(canonical));
    // Held while building, so two tests do not migrate the same directory twice.
    let mut cache = templates().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(template) = cache.get(&key) {
        return Ok(template.clone());
    }
    let template = Template::seeded(migrations, seeds_dir)?;
    cache.insert(key, template.clone());
    Ok(template)
}

/// The template for `migrations_dir` (no seeds), cached for the process.
pub fn template(migrations_dir: impl AsRef<Path>) -> Result<Template, Error> {
    seeded_template(migrations_dir, None)
}

/// A fresh database migrated with `migrations_dir` (template cached per directory).
pub fn new(migrations_dir: impl AsRef<Path>) -> Result<PgDb, Error> {
    template(migrations_dir)?.db()
}

/// A fresh database migrated with `migrations_dir` and seeded with `seeds_dir`.
pub fn seeded(
    migrations_dir: impl AsRef<Path>,
    seeds_dir: impl AsRef<Path>,
) -> Result<PgDb, Error> {
    seeded_template(migrations_dir, Some(seeds_dir.as_ref()))?.db()
}

/// [`new`] with the app's `db/migrations`: `test_db::for_app(env!("CARGO_MANIFEST_DIR"))`.
pub fn for_app(app_root: impl AsRef<Path>) -> Result<PgDb, Error> {
    new(app_root.as_ref().join("db/migrations"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_swaps_only_the_path() {
        assert_eq!(
            with_database("postgres://ada:pw@db:5432/app?sslmode=disable", "t_1"),
            "postgres://ada:pw@db:5432/t_1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://ada@db", "t_1"),
            "postgres://ada@db/t_1"
        );
        assert_eq!(
            with_database("postgresql://db?connect_timeout=2", "t_1"),
            "postgresql://db/t_1?connect_timeout=2"
        );
    }

    #[test]
    fn names_are_unique_identifiers() {
        let (a, b) = (unique_name("test"), unique_name("test"));
        assert_ne!(a, b);
        assert!(
            a.starts_with("rally_test_")
                && a.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
            "{a}"
        );
    }
}
