//! The Postgres runtime against a real server: `DATABASE_URL` when it is a Postgres URL, else one
//! throwaway cluster for this test binary (started by `test_db` on first use). Mirrors
//! `tests/db.rs` where the behaviour is the same.
#![cfg(feature = "postgres")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use postgres::types::{ToSql, Type};
use rally_db::postgres::{Connection, Error, Executor, PgConfig, PgDb, Savepoint, test_db};

const MIGRATION: &str = "
CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));
";

/// One migrations directory for the whole binary, so every test clones the same template.
fn migrations() -> &'static Path {
    static DIR: std::sync::LazyLock<(tempfile::TempDir, PathBuf)> =
        std::sync::LazyLock::new(|| {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("db/migrations");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("001_init.sql"), MIGRATION).unwrap();
            (tmp, dir)
        });
    &DIR.1
}

fn db() -> PgDb {
    test_db::new(migrations()).unwrap_or_else(|e| panic!("{e}"))
}

/// Takes `impl Executor` and calls it as generated query functions do, so every call below also
/// checks that reads (`&mut Connection`) and writes (`&mut Transaction`) fit them.
fn insert(client: &mut impl Executor, name: &str) -> Result<(), Error> {
    client.execute_static(
        "INSERT INTO users (name) VALUES ($1)",
        &[(&name as &(dyn ToSql + Sync), Type::TEXT)],
    )?;
    Ok(())
}

fn names(client: &mut impl Executor) -> Result<Vec<String>, Error> {
    Ok(client
        .query_static("SELECT name FROM users ORDER BY id", &[])?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// A pool of one connection on a fresh copy of the template, so every closure gets the same one.
fn one_connection() -> PgDb {
    PgDb::open(
        test_db::template(migrations())
            .unwrap()
            .config()
            .unwrap()
            .pool_size(1),
    )
    .unwrap()
}

fn read_names(db: &PgDb) -> Vec<String> {
    db.read_sync(names).unwrap()
}

#[derive(Debug)]
struct Refused;

impl From<Error> for Refused {
    fn from(_: Error) -> Self {
        Refused
    }
}

impl From<postgres::Error> for Refused {
    fn from(_: postgres::Error) -> Self {
        Refused
    }
}

#[test]
fn writes_commit_and_reads_see_them() {
    let db = db();
    db.write_sync(|tx| {
        insert(tx, "ada")?;
        insert(tx, "grace")
    })
    .unwrap();
    assert_eq!(read_names(&db), ["ada", "grace"]);

    let orphan = db.write_sync(|tx| {
        tx.execute("INSERT INTO posts (user_id) VALUES (42)", &[])
            .map_err(Error::from)
    });
    let error = orphan.unwrap_err();
    assert!(
        error.to_string().contains("foreign key"),
        "{error}: {error:?}"
    );
    // The connections are set up as configured.
    let (name, timeout): (String, String) = db
        .read_sync(|c: &mut Connection| {
            let row = c.query_one(
                "SELECT current_setting('application_name'), current_setting('statement_timeout')",
                &[],
            )?;
            Ok::<_, Error>((row.get(0), row.get(1)))
        })
        .unwrap();
    assert_eq!((name.as_str(), timeout.as_str()), ("rally", "30s"));
}

#[test]
fn a_failing_write_rolls_back() {
    let db = db();
    db.write_sync(|tx| insert(tx, "kept")).unwrap();
    let refused = db.write_sync(|tx| {
        insert(tx, "undone")?;
        Err::<(), _>(Refused)
    });
    assert!(refused.is_err());
    // A failing statement aborts the transaction; it is rolled back, not committed.
    let failed = db.write_sync(|tx| {
        insert(tx, "undone too")?;
        tx.execute("INSERT INTO users (name) VALUES (NULL)", &[])?;
        Ok::<_, Error>(())
    });
    assert!(
        failed.unwrap_err().to_string().contains("null value"),
        "a NOT NULL violation"
    );
    assert_eq!(read_names(&db), ["kept"]);
}

#[test]
fn savepoints_roll_back_only_their_own_work() {
    let db = db();
    db.write_sync(|tx| {
        insert(tx, "outer")?;
        tx.nest(|sp| {
            insert(sp, "kept")?;
            let inner = sp.nest(|sp2| {
                insert(sp2, "undone-inner")?;
                Err::<(), _>(Refused)
            });
            assert!(inner.is_err());
            Ok::<_, Error>(())
        })?;
        let failed = tx.nest(|sp| {
            insert(sp, "undone")?;
            // A failed statement inside a savepoint does not abort the outer transaction.
            sp.execute("INSERT INTO users (name) VALUES (NULL)", &[])?;
            Ok::<_, Error>(())
        });
        assert!(failed.is_err());
        // The transaction sees its own surviving work before commit.
        assert_eq!(names(tx)?, ["outer", "kept"]);
        Ok::<_, Error>(())
    })
    .unwrap();
    assert_eq!(read_names(&db), ["outer", "kept"]);

    // An error in the transaction itself rolls everything back, savepoints included.
    let result = db.write_sync(|tx| {
        insert(tx, "gone")?;
        tx.nest(|sp| insert(sp, "gone too"))?;
        Err::<(), _>(Refused)
    });
    assert!(result.is_err());
    assert_eq!(read_names(&db), ["outer", "kept"]);
}

#[test]
fn a_panic_rolls_back_and_the_connection_is_reused() {
    // One connection, so the read after the panic gets the connection the panic left.
    let db = one_connection();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        db.write_sync(|tx| {
            insert(tx, "before panic")?;
            tx.nest(|sp| -> Result<(), Error> {
                insert(sp, "in savepoint")?;
                panic!("boom")
            })
        })
    }));
    assert!(caught.is_err());
    assert!(read_names(&db).is_empty());
    // Outside a transaction every statement gets its own transaction id; inside a leftover
    // one they would share it.
    let xid = || {
        db.read_sync(|c| Ok::<i64, Error>(c.query_one("SELECT txid_current()", &[])?.get(0)))
            .unwrap()
    };
    assert_ne!(xid(), xid(), "the connection came back idle");
    db.write_sync(|tx| insert(tx, "after")).unwrap();
    assert_eq!(read_names(&db), ["after"]);
}

// A current-thread runtime: the sync client panics when it blocks inside an async context, so
// this passes only if `read`/`write` move the closures to blocking threads, and if opening (in
// `db()`) and dropping the last `PgDb` (at the end) keep the client off the runtime too.
#[tokio::test(flavor = "current_thread")]
async fn async_reads_and_writes_run_on_blocking_threads() {
    let db = db();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(move |tx| insert(tx, &format!("user {i}")))
                .await
                .unwrap();
            db.read(|c| Ok::<i64, Error>(c.query_one("SELECT count(*) FROM users", &[])?.get(0)))
                .await
                .unwrap()
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap() >= 1);
    }
    let total: i64 = db
        .read(|c| Ok::<_, Error>(c.query_one("SELECT count(*) FROM users", &[])?.get(0)))
        .await
        .unwrap();
    assert_eq!(total, 20);
}

#[test]
fn an_exhausted_pool_fails_clearly_within_the_acquire_timeout() {
    let timeout = Duration::from_millis(300);
    let config = test_db::template(migrations())
        .unwrap()
        .config()
        .unwrap()
        .pool_size(1)
        .acquire_timeout(timeout);
    let db = PgDb::open(config).unwrap();
    let (error, waited) = db
        .read_sync(|_held| {
            let started = Instant::now();
            let inner =
                db.read_sync(|c| Ok::<_, Error>(c.query_one("SELECT 1", &[])?.get::<_, i32>(0)));
            Ok::<_, Error>((inner.unwrap_err(), started.elapsed()))
        })
        .unwrap();
    assert!(
        matches!(error, Error::PoolExhausted { size: 1, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("raise the pool size")
            && error.to_string().contains("slow query"),
        "{error}"
    );
    assert!(
        waited >= timeout && waited < timeout + Duration::from_secs(2),
        "waited {waited:?}"
    );
    // Released, the connection serves the next caller.
    assert!(read_names(&db).is_empty());
}

#[test]
fn a_login_refused_after_open_is_reported_as_unavailable() {
    let admin = db();
    let role = format!("rally_gate_{}", std::process::id());
    admin
        .read_sync(|c| Ok::<_, Error>(c.batch_execute(&format!("CREATE ROLE {role} LOGIN"))?))
        .unwrap();
    let url = test_db::template(migrations())
        .unwrap()
        .database_url()
        .unwrap();
    let url = url.replacen("://postgres@", &format!("://{role}@"), 1);
    assert!(url.contains(&role), "{url}");
    let db = PgDb::open(PgConfig::new(url).acquire_timeout(Duration::from_millis(500))).unwrap();
    db.read_sync(|c| Ok::<_, Error>(c.execute("SELECT 1", &[])?))
        .unwrap();
    // The role may no longer log in, and its pooled session ends: the pool must open another.
    admin
        .read_sync(|c| {
            c.batch_execute(&format!("ALTER ROLE {role} NOLOGIN"))?;
            c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                &[&role],
            )?;
            Ok::<_, Error>(())
        })
        .unwrap();
    // A connection idle this long is checked before it is handed out (one used more recently
    // is trusted, and would fail its first statement instead).
    std::thread::sleep(Duration::from_millis(600));
    let error = db
        .read_sync(|c| Ok::<_, Error>(c.execute("SELECT 1", &[])?))
        .unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&format!("{role}@"))
            && message.contains("not permitted to log in")
            && message.contains("server is running"),
        "{message}"
    );
}

#[test]
fn each_pooled_connection_prepares_a_query_once_for_reads_and_writes() {
    // One connection, so every closure below gets the same one.
    let db = one_connection();
    // Through the simple protocol: a `query` would prepare a statement of its own.
    let prepared = |c: &mut Connection| -> Result<String, Error> {
        let messages = c.simple_query("SELECT count(*) FROM pg_prepared_statements")?;
        Ok(messages
            .iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                _ => None,
            })
            .unwrap_or_default())
    };
    for name in ["ada", "grace"] {
        db.write_sync(|tx| insert(tx, name)).unwrap();
    }
    db.write_sync(|tx| tx.nest(|sp| insert(sp, "linus")))
        .unwrap();
    assert_eq!(read_names(&db), ["ada", "grace", "linus"]);
    assert_eq!(read_names(&db), ["ada", "grace", "linus"]);
    let (cached, on_server) = db
        .read_sync(|c| Ok::<_, Error>((c.cached_statements(), prepared(c)?)))
        .unwrap();
    // The insert and the select, each prepared once, whether in a transaction, a savepoint or
    // neither.
    assert_eq!((cached, on_server.as_str()), (2, "2"));
}

#[test]
fn an_idle_connection_the_server_closed_is_replaced_unnoticed() {
    let pool = one_connection();
    let backend = || {
        pool.read_sync(|c| Ok::<i32, Error>(c.query_one("SELECT pg_backend_pid()", &[])?.get(0)))
            .unwrap()
    };
    let first = backend();
    let admin = db();
    admin
        .read_sync(|c| Ok::<_, Error>(c.execute("SELECT pg_terminate_backend($1)", &[&first])?))
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    let second = backend();
    assert_ne!(
        first, second,
        "a new connection took the closed one's place"
    );
}

#[test]
fn statement_timeout_cancels_a_long_statement() {
    let config = test_db::template(migrations())
        .unwrap()
        .config()
        .unwrap()
        .statement_timeout(Duration::from_millis(200));
    let db = PgDb::open(config).unwrap();
    let started = Instant::now();
    let error = db
        .read_sync(|c| Ok::<_, Error>(c.execute("SELECT pg_sleep(10)", &[])?))
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(error, Error::StatementTimeout { .. }), "{error:?}");
    assert!(error.to_string().contains("statement_timeout"), "{error}");
    // Writes too; the cancelled transaction is rolled back.
    let error = db
        .write_sync(|tx| {
            insert(tx, "slow")?;
            tx.execute("SELECT pg_sleep(10)", &[])?;
            Ok::<_, Error>(())
        })
        .unwrap_err();
    assert!(matches!(error, Error::StatementTimeout { .. }), "{error:?}");
    assert!(read_names(&db).is_empty());
}

#[test]
fn test_databases_are_isolated_copies_of_a_migrated_template() {
    let template = test_db::template(migrations()).unwrap();
    // Cached: asking again gives the same template, not a second migration.
    assert_eq!(
        test_db::template(migrations()).unwrap().name(),
        template.name()
    );
    let (a, b) = (db(), db());
    assert_ne!(a.target(), b.target());
    a.write_sync(|tx| insert(tx, "only in a")).unwrap();
    assert_eq!(read_names(&a), ["only in a"]);
    assert!(read_names(&b).is_empty());
    let applied: Vec<String> = b
        .read_sync(|c| {
            Ok::<_, Error>(
                c.query("SELECT version FROM schema_migrations", &[])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect(),
            )
        })
        .unwrap();
    assert_eq!(applied, ["001_init"]);
    // The template refuses connections, so a stray client cannot block the copies.
    let (is_template, allows_connections): (bool, bool) = a
        .read_sync(|c| {
            let row = c.query_one(
                "SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1",
                &[&template.name()],
            )?;
            Ok::<_, Error>((row.get(0), row.get(1)))
        })
        .unwrap();
    assert!(is_template && !allows_connections);
}

#[test]
fn seeded_templates_and_for_app() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("db/migrations")).unwrap();
    std::fs::create_dir_all(root.join("db/seeds")).unwrap();
    std::fs::write(root.join("db/migrations/001_init.sql"), MIGRATION).unwrap();
    std::fs::write(
        root.join("db/seeds/001_admin.sql"),
        "INSERT INTO users (name) VALUES ('admin');",
    )
    .unwrap();
    let seeded = test_db::seeded(root.join("db/migrations"), root.join("db/seeds")).unwrap();
    assert_eq!(read_names(&seeded), ["admin"]);
    let unseeded = test_db::for_app(root).unwrap();
    assert!(read_names(&unseeded).is_empty());
}

#[test]
fn a_failing_migration_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("001_bad.sql"), "CREATE TABLE (;").unwrap();
    let error = test_db::new(tmp.path()).unwrap_err();
    assert!(matches!(error, Error::Migrate(_)), "{error:?}");
    assert!(error.to_string().contains("001_bad.sql"), "{error}");
}

#[test]
fn open_fails_clearly_without_revealing_the_password() {
    // Port 1 on loopback: nothing listens, so the connection is refused at once.
    let error = PgDb::open(PgConfig::new("postgres://ada:s3cret@127.0.0.1:1/shop")).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    assert!(message.contains("ada@127.0.0.1:1/shop"), "{message}");
    assert!(
        message.contains("DATABASE_URL") && message.contains("running"),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");

    let error = PgDb::open(PgConfig::new("mysql://localhost/shop")).unwrap_err();
    assert!(matches!(error, Error::Url { .. }), "{error:?}");
}
