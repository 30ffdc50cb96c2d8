//! Migrated in-memory databases for tests.
//!
//! The migrations run once per process into a template database, which is kept as a
//! serialized image; every test database is a fresh in-memory connection loaded from that image
//! (`sqlite3_deserialize`, a memory copy), so a test pays microseconds, not the migrations.
//!
//! ```no_run
//! let db = rally_db::test_db::for_app(env!("CARGO_MANIFEST_DIR")).unwrap();
//! db.write_sync(|tx| tx.execute("INSERT INTO users (name) VALUES ('ada')", [])).unwrap();
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rusqlite::{Connection, MAIN_DB};

use crate::db::{Db, Error};

/// A migrated (and optionally seeded) database image that test databases are copied from.
#[derive(Debug, Clone)]
pub struct Template {
    image: Arc<Vec<u8>>,
}

impl Template {
    /// Migrates a fresh in-memory database with `migrations_dir` and keeps its image.
    pub fn new(migrations_dir: &Path) -> Result<Template, Error> {
        Template::seeded(migrations_dir, None)
    }

    /// Like [`Template::new`], then runs the seeds of `seeds_dir` (when given).
    pub fn seeded(migrations_dir: &Path, seeds_dir: Option<&Path>) -> Result<Template, Error> {
        let mut conn = Connection::open_in_memory()?;
        rally_sql::migrate_connection(&mut conn, migrations_dir)?;
        if let Some(dir) = seeds_dir {
            rally_sql::seed_connection(&mut conn, dir)?;
        }
        Template::from_connection(&conn)
    }

    /// The image of an existing database (e.g. one a test set up by hand).
    pub fn from_connection(conn: &Connection) -> Result<Template, Error> {
        let data = conn.serialize(MAIN_DB)?;
        Ok(Template {
            image: Arc::new(data.to_vec()),
        })
    }

    /// Writes the template as a database file at `path` (for servers started as processes,
    /// which open their database by path).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.image.as_slice())
    }

    /// A new private in-memory database holding a copy of the template.
    pub fn db(&self) -> Result<Db, Error> {
        let mut conn = Connection::open_in_memory()?;
        conn.deserialize_read_exact(MAIN_DB, self.image.as_slice(), self.image.len(), false)?;
        Db::from_connection(conn)
    }
}

fn templates() -> &'static Mutex<HashMap<PathBuf, Template>> {
    static TEMPLATES: OnceLock<Mutex<HashMap<PathBuf, Template>>> = OnceLock::new();
    TEMPLATES.get_or_init(Mutex::default)
}

/// The template for `migrations_dir`, migrated on first use and cached for the process.
pub fn template(migrations_dir: impl AsRef<Path>) -> Result<Template, Error> {
    let dir = migrations_dir.as_ref();
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut cache = templates().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(template) = cache.get(&key) {
        return Ok(template.clone());
    }
    let template = Template::new(dir)?;
    cache.insert(key, template.clone());
    Ok(template)
}

/// A fresh in-memory database migrated with `migrations_dir` (template cached per directory).
pub fn new(migrations_dir: impl AsRef<Path>) -> Result<Db, Error> {
    template(migrations_dir)?.db()
}

/// [`new`] with the app's `db/migrations`: `test_db::for_app(env!("CARGO_MANIFEST_DIR"))`.
pub fn for_app(app_root: impl AsRef<Path>) -> Result<Db, Error> {
    new(app_root.as_ref().join("db/migrations"))
}
