//! Migrations, seeds and reset against a real Postgres: one throwaway cluster for the whole test
//! binary, one fresh database per test.
#![cfg(feature = "postgres")]

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use rally_sql::SqlFile;
use rally_sql::migrate::{Kind, MigrateError};
use rally_sql::postgres::{self, ClusterError, TempCluster};

/// Shared by every test. A `static` is never dropped; the cluster's watchdog stops it when the
/// test process exits, however it exits (`cleanup_survives_an_aborted_process` checks that).
static CLUSTER: LazyLock<Result<TempCluster, ClusterError>> = LazyLock::new(TempCluster::start);

fn cluster() -> &'static TempCluster {
    match &*CLUSTER {
        Ok(cluster) => cluster,
        Err(error) => panic!("could not start the test cluster: {error}"),
    }
}

/// A new, empty database for one test; returns its URL.
fn database(name: &str) -> String {
    cluster()
        .create_database(name)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn write(dir: &Path, name: &str, sql: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(name), sql).unwrap();
}

fn versions(files: &[SqlFile]) -> Vec<&str> {
    files.iter().map(|f| f.version.as_str()).collect()
}

fn count(url: &str, sql: &str) -> i64 {
    let mut client = postgres::connect(url).unwrap();
    client.query_one(sql, &[]).unwrap().get(0)
}

fn exec(url: &str, sql: &str) {
    postgres::connect(url).unwrap().batch_execute(sql).unwrap();
}

#[test]
fn applies_in_order_records_and_reruns_idempotently() {
    let url = database("applies_in_order");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db/migrations");
    write(
        &dir,
        "002_posts.sql",
        "CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));",
    );
    // Several statements in one file, as the simple query protocol allows.
    write(
        &dir,
        "001_users.sql",
        "CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL);\n\
         CREATE INDEX users_name ON users (name);",
    );
    write(&dir, ".gitkeep", "");

    let applied = postgres::migrate(&url, &dir).unwrap();
    assert_eq!(versions(&applied), ["001_users", "002_posts"]);
    assert_eq!(count(&url, "SELECT count(*) FROM schema_migrations"), 2);
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM schema_migrations WHERE applied_at > now() - interval '1 minute'"
        ),
        2
    );

    // A re-run applies nothing.
    assert!(postgres::migrate(&url, &dir).unwrap().is_empty());

    // A new file is applied alone.
    write(
        &dir,
        "003_bio.sql",
        "ALTER TABLE users ADD COLUMN bio text;",
    );
    assert_eq!(
        versions(&postgres::migrate(&url, &dir).unwrap()),
        ["003_bio"]
    );
    let mut client = postgres::connect(&url).unwrap();
    let recorded: Vec<String> = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(recorded, ["001_users", "002_posts", "003_bio"]);
}

#[test]
fn a_failing_migration_is_rolled_back_not_recorded_and_stops_the_run() {
    let url = database("failing_migration");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    write(
        &dir,
        "001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY);",
    );
    // Half of this file succeeds before the error: the table must not survive.
    write(
        &dir,
        "002_broken.sql",
        "CREATE TABLE half (id integer);\nINSERT INTO nope VALUES (1);",
    );
    write(&dir, "003_later.sql", "CREATE TABLE later (id integer);");

    let err = postgres::migrate(&url, &dir).unwrap_err();
    let MigrateError::PostgresFailed {
        kind,
        path,
        position,
        message,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*kind, Kind::Migration);
    assert!(path.ends_with("002_broken.sql"), "{err}");
    assert!(
        message.contains("relation \"nope\" does not exist"),
        "{err}"
    );
    // `nope` is on line 2, column 13 of the file.
    assert_eq!(position.map(|p| (p.line, p.column)), Some((2, 13)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("002_broken.sql:2:13") && text.contains("rolled back"),
        "{text}"
    );

    assert_eq!(count(&url, "SELECT count(*) FROM schema_migrations"), 1);
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('half', 'later')"
        ),
        0
    );

    // Fixed, the run continues where it stopped.
    write(&dir, "002_broken.sql", "CREATE TABLE half (id integer);");
    assert_eq!(
        versions(&postgres::migrate(&url, &dir).unwrap()),
        ["002_broken", "003_later"]
    );
}

#[test]
fn a_syntax_error_points_at_its_line() {
    let url = database("syntax_error");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    write(
        &dir,
        "001_typo.sql",
        "-- a comment\nCREATE TABLE ok (id integer);\nCREATE TABEL typo (id integer);\n",
    );
    let err = postgres::migrate(&url, &dir).unwrap_err();
    let MigrateError::PostgresFailed {
        position, message, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(
        message.contains("syntax error at or near \"TABEL\""),
        "{err}"
    );
    assert_eq!(position.map(|p| (p.line, p.column)), Some((3, 8)), "{err}");
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'ok'"
        ),
        0
    );
}

#[test]
fn directories_are_checked_like_on_sqlite() {
    let url = database("directories");
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    assert!(matches!(
        postgres::migrate(&url, &empty),
        Err(MigrateError::NoFiles {
            kind: Kind::Migration,
            ..
        })
    ));
    assert!(matches!(
        postgres::migrate(&url, &tmp.path().join("missing")),
        Err(MigrateError::MissingDirectory {
            kind: Kind::Migration,
            ..
        })
    ));
    let file = tmp.path().join("file");
    fs::write(&file, "").unwrap();
    assert!(matches!(
        postgres::seed(&url, &file),
        Err(MigrateError::NotADirectory {
            kind: Kind::Seed,
            ..
        })
    ));
    let bad = tmp.path().join("bad");
    write(&bad, "001_ok.sql", "SELECT 1;");
    write(&bad, "2_bad.sql", "SELECT 1;");
    assert!(matches!(
        postgres::migrate(&url, &bad),
        Err(MigrateError::InvalidFileName { .. })
    ));
    // Nothing was run: not even the schema_migrations table was created.
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'"
        ),
        0
    );
}

#[test]
fn seeds_run_every_time_in_order() {
    let url = database("seeds");
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("m"),
        "001_t.sql",
        "CREATE TABLE t (n bigint NOT NULL);",
    );
    write(
        &tmp.path().join("s"),
        "002_double.sql",
        "INSERT INTO t SELECT n * 2 FROM t;",
    );
    write(
        &tmp.path().join("s"),
        "001_one.sql",
        "INSERT INTO t VALUES (1);",
    );
    postgres::migrate(&url, &tmp.path().join("m")).unwrap();
    assert_eq!(
        versions(&postgres::seed(&url, &tmp.path().join("s")).unwrap()),
        ["001_one", "002_double"]
    );
    let totals = |url: &str| {
        (
            count(url, "SELECT count(*) FROM t"),
            count(url, "SELECT sum(n)::bigint FROM t"),
        )
    };
    assert_eq!(totals(&url), (2, 3));
    // Nothing is recorded: a second run runs both again (1 is added, then every row doubled).
    postgres::seed(&url, &tmp.path().join("s")).unwrap();
    assert_eq!(totals(&url), (6, 12));

    // A failing seed is rolled back whole and names its file.
    write(
        &tmp.path().join("s"),
        "003_bad.sql",
        "INSERT INTO t VALUES (100);\nINSERT INTO t VALUES (NULL);",
    );
    let err = postgres::seed(&url, &tmp.path().join("s")).unwrap_err();
    assert!(
        matches!(&err, MigrateError::PostgresFailed { kind: Kind::Seed, path, message, .. }
            if path.ends_with("003_bad.sql") && message.contains("null value")),
        "{err}"
    );
    // The first two seeds committed (each has its own transaction), the third did not.
    assert_eq!(totals(&url), (14, 39));
}

#[test]
fn reset_drops_and_recreates_the_database_then_migrates_and_seeds() {
    let url = database("reset_app");
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path();
    write(
        &app.join("db/migrations"),
        "001_t.sql",
        "CREATE TABLE t (n bigint NOT NULL);",
    );
    write(
        &app.join("db/seeds"),
        "001_rows.sql",
        "INSERT INTO t VALUES (1), (2);",
    );
    postgres::migrate(&url, &app.join("db/migrations")).unwrap();
    exec(
        &url,
        "INSERT INTO t VALUES (99); CREATE TABLE stray (id integer);",
    );
    // An open connection, like a running app's, does not stop the reset.
    let mut app_connection = postgres::connect(&url).unwrap();

    let report = postgres::reset(&url, app).unwrap();
    assert_eq!(report.database, "reset_app");
    assert!(report.dropped);
    assert_eq!(versions(&report.migrations), ["001_t"]);
    assert_eq!(versions(&report.seeds), ["001_rows"]);
    assert_eq!(count(&url, "SELECT sum(n)::bigint FROM t"), 3);
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'stray'"
        ),
        0
    );
    assert_eq!(count(&url, "SELECT count(*) FROM schema_migrations"), 1);
    assert!(
        app_connection.batch_execute("SELECT 1").is_err(),
        "reset ends the other connections to the database"
    );

    // Without db/seeds, reset only migrates.
    fs::remove_dir_all(app.join("db/seeds")).unwrap();
    let report = postgres::reset(&url, app).unwrap();
    assert!(report.seeds.is_empty());
    assert_eq!(count(&url, "SELECT count(*) FROM t"), 0);

    // A database that does not exist yet is created.
    let fresh = cluster().url_for("reset_created_by_reset");
    let report = postgres::reset(&fresh, app).unwrap();
    assert!(!report.dropped);
    assert_eq!(count(&fresh, "SELECT count(*) FROM schema_migrations"), 1);
}

#[test]
fn reset_with_a_broken_directory_drops_nothing() {
    let url = database("reset_broken");
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    write(&good, "001_t.sql", "CREATE TABLE t (n bigint NOT NULL);");
    postgres::migrate(&url, &good).unwrap();
    exec(&url, "INSERT INTO t VALUES (7);");

    let broken = tmp.path().join("broken");
    write(&broken, "001_t.sql", "CREATE TABLE t (n bigint NOT NULL);");
    write(&broken, "01_typo.sql", "SELECT 1;");
    let err = postgres::reset_with(&url, &broken, None).unwrap_err();
    assert!(matches!(err, MigrateError::InvalidFileName { .. }), "{err}");
    let err = postgres::reset_with(&url, &tmp.path().join("missing"), None).unwrap_err();
    assert!(
        matches!(err, MigrateError::MissingDirectory { .. }),
        "{err}"
    );
    let err = postgres::reset_with(&url, &good, Some(&broken)).unwrap_err();
    assert!(
        matches!(
            err,
            MigrateError::InvalidFileName {
                kind: Kind::Seed,
                ..
            }
        ),
        "{err}"
    );

    assert_eq!(count(&url, "SELECT sum(n)::bigint FROM t"), 7);
}

#[test]
fn reset_refuses_urls_without_a_database_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    write(&dir, "001_t.sql", "CREATE TABLE t (n bigint);");
    let err = postgres::reset_with(&cluster().url(), &dir, None).unwrap_err();
    assert!(
        matches!(&err, MigrateError::ResetProtectedDatabase { database, .. } if database == "postgres"),
        "{err}"
    );
    assert!(err.to_string().contains("DATABASE_URL"), "{err}");
    let no_name = format!("postgres://postgres@127.0.0.1:{}", cluster().port());
    let err = postgres::reset_with(&no_name, &dir, None).unwrap_err();
    assert!(matches!(err, MigrateError::ResetNoDatabase { .. }), "{err}");
    // The maintenance database was not touched.
    assert_eq!(
        count(
            &cluster().url(),
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('t', 'schema_migrations')"
        ),
        0
    );
}

#[test]
fn bad_urls_and_unreachable_servers_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    write(&dir, "001_t.sql", "CREATE TABLE t (n bigint);");

    let err = postgres::migrate("db/app.sqlite", &dir).unwrap_err();
    assert!(matches!(err, MigrateError::PostgresUrl { .. }), "{err}");
    assert!(err.to_string().contains("postgres://"), "{err}");
    let err = postgres::migrate("postgres://u@127.0.0.1:notaport/db", &dir).unwrap_err();
    assert!(matches!(err, MigrateError::PostgresUrl { .. }), "{err}");

    // A port nobody listens on (bound, then released): refused, and the password stays secret.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let err =
        postgres::migrate(&format!("postgres://u:s3cret@127.0.0.1:{port}/db"), &dir).unwrap_err();
    assert!(matches!(err, MigrateError::PostgresConnect { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("could not connect to Postgres at postgres://u:***@127.0.0.1")
            && !text.contains("s3cret"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // A server that answers, but not with that database: Postgres's own words.
    let err = postgres::migrate(&cluster().url_for("no_such_db"), &dir).unwrap_err();
    assert!(
        err.to_string()
            .contains("database \"no_such_db\" does not exist"),
        "{err}"
    );
}

#[test]
fn concurrent_runners_apply_each_migration_once() {
    let url = database("concurrent");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    for i in 1..=8 {
        write(
            &dir,
            &format!("{i:03}_t{i}.sql"),
            &format!("CREATE TABLE t{i} (n bigint); SELECT pg_sleep(0.02);"),
        );
    }
    let runs: Vec<Vec<SqlFile>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| postgres::migrate(&url, &dir)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap_or_else(|e| panic!("{e}")))
            .collect()
    });
    let mut applied: Vec<&str> = runs.iter().flat_map(|run| versions(run)).collect();
    applied.sort();
    let expected: Vec<String> = (1..=8).map(|i| format!("{i:03}_t{i}")).collect();
    assert_eq!(applied, expected);
    assert_eq!(count(&url, "SELECT count(*) FROM schema_migrations"), 8);
}

#[test]
fn create_database_checks_the_name() {
    for bad in ["", "Upper", "1abc", "a-b", "a;drop", &"x".repeat(64)] {
        assert!(
            matches!(
                cluster().create_database(bad),
                Err(ClusterError::InvalidDatabaseName { .. })
            ),
            "{bad}"
        );
    }
    let first = cluster().create_unique_database("unique").unwrap();
    let second = cluster().create_unique_database("unique").unwrap();
    assert_ne!(first, second);
    assert_eq!(count(&first, "SELECT 1::bigint"), 1);
    assert!(matches!(
        cluster()
            .create_database("create_twice")
            .and_then(|_| cluster().create_database("create_twice")),
        Err(ClusterError::CreateDatabase { .. })
    ));
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).is_ok()
}

/// Waits until `dir` is gone, for at most 30 seconds.
fn wait_gone(dir: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while dir.exists() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

#[test]
fn a_cluster_stops_and_removes_its_directory_on_drop() {
    let started = Instant::now();
    let cluster = TempCluster::start().unwrap_or_else(|e| panic!("{e}"));
    eprintln!("TempCluster::start took {:?}", started.elapsed());
    let dir = cluster.dir().to_path_buf();
    let port = cluster.port();
    assert!(dir.join("data/PG_VERSION").is_file());
    assert!(listening(port));
    assert!(cluster.url().starts_with("postgres://postgres@127.0.0.1:"));
    // Loopback only: the server's own view of where it listens.
    let mut client = postgres::connect(&cluster.url()).unwrap();
    let listen: String = client
        .query_one("SHOW listen_addresses", &[])
        .unwrap()
        .get(0);
    assert_eq!(listen, "127.0.0.1");
    drop(client);

    drop(cluster);
    assert!(!dir.exists(), "{} is left behind", dir.display());
    assert!(!listening(port), "the server still listens on {port}");
}

/// The child half of `cleanup_survives_an_aborted_process`: starts a cluster, prints where it
/// is, and aborts, so no destructor runs.
#[test]
#[ignore = "run by cleanup_survives_an_aborted_process in a child process"]
fn child_starts_a_cluster_and_aborts() {
    let cluster = TempCluster::start().unwrap_or_else(|e| panic!("{e}"));
    println!(
        "temp-cluster {} {}",
        cluster.port(),
        cluster.dir().display()
    );
    std::process::abort();
}

#[test]
fn cleanup_survives_an_aborted_process() {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "child_starts_a_cluster_and_aborts",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        // libtest prints `test … ... ` on the same line first.
        .find_map(|line| Some(line.split_once("temp-cluster ")?.1.to_owned()))
        .expect("the child printed its cluster");
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child aborts");
    let mut parts = line.splitn(2, ' ');
    let port: u16 = parts.next().unwrap().parse().unwrap();
    let dir = Path::new(parts.next().unwrap()).to_path_buf();

    assert!(wait_gone(&dir), "{} is left behind", dir.display());
    assert!(!listening(port), "the server still listens on {port}");
}

#[test]
fn a_user_without_rights_is_told_what_is_missing() {
    let url = database("no_rights");
    // A login without CREATEDB that owns nothing; since Postgres 15 it may not create tables in
    // another owner's `public` schema either.
    exec(
        &cluster().url(),
        "DO $$ BEGIN CREATE ROLE limited LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
    );
    exec(&url, "REVOKE CREATE ON SCHEMA public FROM PUBLIC;");
    let limited = format!(
        "postgres://limited@127.0.0.1:{}/no_rights",
        cluster().port()
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    write(&dir, "001_t.sql", "CREATE TABLE t (n bigint);");

    let err = postgres::migrate(&limited, &dir).unwrap_err();
    assert!(
        matches!(&err, MigrateError::Postgres { action, .. } if action.contains("schema_migrations")),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("permission denied for schema public")
            && text.contains("at postgres://limited@"),
        "{text}"
    );

    let err = postgres::reset_with(&limited, &dir, None).unwrap_err();
    assert!(
        matches!(&err, MigrateError::PostgresReset { action: "drop", .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("must be owner of database"),
        "{err}"
    );
    // Still there, still the owner's.
    assert_eq!(count(&url, "SELECT 1::bigint"), 1);
}
