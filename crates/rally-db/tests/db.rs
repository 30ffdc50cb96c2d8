//! The database runtime against real SQLite files and in-memory test databases.

use std::path::{Path, PathBuf};

use rally_db::db::{Config, Db, Error};
use rally_db::test_db;
use rusqlite::Connection;

const MIGRATION: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id));
";

fn migrations(dir: &Path) -> PathBuf {
    let migrations = dir.join("db/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(migrations.join("001_init.sql"), MIGRATION).unwrap();
    migrations
}

fn file_db(dir: &Path) -> Db {
    let path = dir.join("app.sqlite");
    rally_sql::migrate(&path, &migrations(dir)).unwrap();
    Db::open(Config::new(path)).unwrap()
}

fn names(conn: &Connection) -> Vec<String> {
    let mut stmt = conn.prepare("SELECT name FROM users ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn insert(conn: &Connection, name: &str) -> Result<(), Error> {
    conn.execute("INSERT INTO users (name) VALUES (?1)", [name])?;
    Ok(())
}

#[derive(Debug)]
struct Refused;

impl From<rusqlite::Error> for Refused {
    fn from(_: rusqlite::Error) -> Self {
        Refused
    }
}

impl From<Error> for Refused {
    fn from(_: Error) -> Self {
        Refused
    }
}

#[test]
fn opens_in_wal_mode_with_foreign_keys_and_read_only_readers() {
    let tmp = tempfile::tempdir().unwrap();
    let db = file_db(tmp.path());
    let (mode, fk, sync): (String, i64, i64) = db
        .write_sync(|tx| {
            Ok::<_, rusqlite::Error>((
                tx.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                tx.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
                tx.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!((mode.as_str(), fk, sync), ("wal", 1, 1));

    let orphan = db.write_sync(|tx| tx.execute("INSERT INTO posts (user_id) VALUES (42)", []));
    assert!(orphan.unwrap_err().to_string().contains("FOREIGN KEY"));

    // Readers refuse writes.
    let write_on_reader =
        db.read_sync(|conn| conn.execute("INSERT INTO users (name) VALUES ('x')", []));
    assert!(write_on_reader.is_err());

    db.write_sync(|tx| insert(tx, "ada")).unwrap();
    assert_eq!(db.read_sync(names), ["ada"]);
}

#[test]
fn savepoints_roll_back_only_their_own_work() {
    let db = test_db::new(migrations(tempfile::tempdir().unwrap().path())).unwrap();
    db.write_sync(|tx| {
        insert(tx, "outer")?;
        tx.savepoint(|sp| {
            assert_eq!(sp.depth(), 1);
            insert(sp, "kept")?;
            let inner = sp.savepoint(|sp2| {
                assert_eq!(sp2.depth(), 2);
                insert(sp2, "undone-inner")?;
                Err::<(), _>(Refused)
            });
            assert!(inner.is_err());
            Ok::<_, Error>(())
        })?;
        let failed = tx.savepoint(|sp| {
            insert(sp, "undone")?;
            Err::<(), _>(Refused)
        });
        assert!(failed.is_err());
        // The transaction sees its own surviving work before commit.
        assert_eq!(names(tx), ["outer", "kept"]);
        Ok::<_, Error>(())
    })
    .unwrap();
    assert_eq!(db.read_sync(names), ["outer", "kept"]);

    // An error in the transaction itself rolls everything back, savepoints included.
    let result = db.write_sync(|tx| {
        insert(tx, "gone")?;
        tx.savepoint(|sp| insert(sp, "gone too"))?;
        Err::<(), _>(Error::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    });
    assert!(result.is_err());
    assert_eq!(db.read_sync(names), ["outer", "kept"]);
}

#[test]
fn a_panic_rolls_back_and_the_database_stays_usable() {
    let db = test_db::new(migrations(tempfile::tempdir().unwrap().path())).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        db.write_sync(|tx| {
            insert(tx, "before panic")?;
            tx.savepoint(|sp| -> Result<(), Error> {
                insert(sp, "in savepoint")?;
                panic!("boom")
            })
        })
    }));
    assert!(caught.is_err());
    assert!(db.read_sync(names).is_empty());
    db.write_sync(|tx| insert(tx, "after")).unwrap();
    assert_eq!(db.read_sync(names), ["after"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_reads_and_writes_run_on_blocking_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let db = file_db(tmp.path());
    let mut tasks = Vec::new();
    for i in 0..20 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(move |tx| insert(tx, &format!("user {i}")))
                .await
                .unwrap();
            db.read(|conn| conn.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0)))
                .await
                .unwrap()
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap() >= 1);
    }
    let total: i64 = db
        .read(|conn| conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0)))
        .await
        .unwrap();
    assert_eq!(total, 20);
}

#[test]
fn a_thousand_test_databases_are_independent_copies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = migrations(tmp.path());
    std::fs::write(
        dir.join("002_seed_admin.sql"),
        "INSERT INTO users (name) VALUES ('admin');",
    )
    .unwrap();
    let mut dbs = Vec::with_capacity(1000);
    for i in 0..1000 {
        let db = test_db::new(&dir).unwrap();
        db.write_sync(|tx| insert(tx, &format!("user {i}")))
            .unwrap();
        dbs.push(db);
    }
    for (i, db) in dbs.iter().enumerate() {
        assert_eq!(
            db.read_sync(names),
            ["admin".to_owned(), format!("user {i}")]
        );
        let applied: i64 = db
            .read_sync(|c| c.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(applied, 2);
    }
    // The template is migrated once and cached; a fresh database is still pristine.
    let fresh = test_db::for_app(tmp.path()).unwrap();
    assert_eq!(fresh.read_sync(names), ["admin"]);
    let fk: i64 = fresh
        .read_sync(|c| c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(fk, 1);
}
