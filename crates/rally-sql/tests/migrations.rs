//! Migrations, seeds and reset against real SQLite files in a temporary directory.

use std::fs;
use std::path::Path;

use rally_sql::migrate::{Kind, MigrateError, list_files};
use rally_sql::{migrate, reset, seed};
use rusqlite::Connection;

fn write(dir: &Path, name: &str, sql: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(name), sql).unwrap();
}

fn versions(files: &[rally_sql::SqlFile]) -> Vec<&str> {
    files.iter().map(|f| f.version.as_str()).collect()
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn applies_in_order_records_and_reruns_idempotently() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db/migrations");
    let db = tmp.path().join("app.sqlite");
    write(
        &dir,
        "002_posts.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id));",
    );
    write(
        &dir,
        "001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
    );
    write(&dir, ".gitkeep", "");

    let applied = migrate(&db, &dir).unwrap();
    assert_eq!(versions(&applied), ["001_users", "002_posts"]);
    assert_eq!(count(&db, "SELECT count(*) FROM schema_migrations"), 2);

    // A re-run applies nothing.
    assert!(migrate(&db, &dir).unwrap().is_empty());

    // A new file is applied alone.
    write(
        &dir,
        "003_names.sql",
        "CREATE INDEX users_name ON users (name);",
    );
    assert_eq!(versions(&migrate(&db, &dir).unwrap()), ["003_names"]);
    assert_eq!(count(&db, "SELECT count(*) FROM schema_migrations"), 3);
}

#[test]
fn a_failing_migration_is_rolled_back_not_recorded_and_stops_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    let db = tmp.path().join("app.sqlite");
    write(
        &dir,
        "001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY);",
    );
    // Half of this file succeeds before the error: the table must not survive.
    write(
        &dir,
        "002_broken.sql",
        "CREATE TABLE half (id INTEGER);\nINSERT INTO nope VALUES (1);",
    );
    write(&dir, "003_later.sql", "CREATE TABLE later (id INTEGER);");

    let err = migrate(&db, &dir).unwrap_err();
    let MigrateError::Failed { path, message, .. } = &err else {
        panic!("{err}")
    };
    assert!(path.ends_with("002_broken.sql"), "{err}");
    assert!(message.contains("no such table: nope"), "{err}");
    assert!(
        err.to_string().contains("002_broken.sql") && err.to_string().contains("rolled back"),
        "{err}"
    );

    assert_eq!(count(&db, "SELECT count(*) FROM schema_migrations"), 1);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sqlite_schema WHERE name IN ('half', 'later')"
        ),
        0
    );

    // Fixed, the run continues where it stopped.
    write(&dir, "002_broken.sql", "CREATE TABLE half (id INTEGER);");
    assert_eq!(
        versions(&migrate(&db, &dir).unwrap()),
        ["002_broken", "003_later"]
    );
}

/// SQLite's procedure for changing a table beyond `ALTER TABLE`: create the new table, copy,
/// drop the old one, rename. Other tables reference the old one, so with foreign keys enforced
/// the drop would delete its rows first and the commit fail; migrations run it as one step.
const REBUILD_TEAMS: &str = "
CREATE TABLE teams_new (code TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO teams_new (code, name) SELECT code, name FROM teams;
DROP TABLE teams;
ALTER TABLE teams_new RENAME TO teams;
";

fn league(dir: &Path) {
    write(
        dir,
        "001_teams.sql",
        "CREATE TABLE teams (code TEXT PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE games (id INTEGER PRIMARY KEY, home TEXT NOT NULL REFERENCES teams (code));",
    );
    write(
        dir,
        "002_rows.sql",
        "INSERT INTO teams VALUES ('TOR', 'Toronto'), ('MTL', 'Montreal');
         INSERT INTO games (home) VALUES ('TOR'), ('MTL');",
    );
}

#[test]
fn a_migration_rebuilds_a_table_that_other_tables_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    let db = tmp.path().join("app.sqlite");
    league(&dir);
    write(&dir, "003_rebuild_teams.sql", REBUILD_TEAMS);

    assert_eq!(versions(&migrate(&db, &dir).unwrap()).len(), 3);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM games JOIN teams ON teams.code = games.home"
        ),
        2
    );
    assert!(
        Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'teams'",
                [],
                |r| { r.get::<_, String>(0) }
            )
            .unwrap()
            .contains("WITHOUT ROWID")
    );
    // Enforcement is back on for what follows: a seed cannot insert a dangling reference.
    let seeds = tmp.path().join("seeds");
    write(
        &seeds,
        "001_bad.sql",
        "INSERT INTO games (home) VALUES ('NOPE');",
    );
    let mut conn = Connection::open(&db).unwrap();
    let err = rally_sql::migrate::seed_connection(&mut conn, &seeds).unwrap_err();
    assert!(
        err.to_string().contains("FOREIGN KEY constraint failed"),
        "{err}"
    );
    assert!(
        conn.query_row("PRAGMA foreign_keys", [], |r| r.get::<_, bool>(0))
            .unwrap()
    );
}

#[test]
fn a_migration_that_leaves_a_dangling_reference_is_rolled_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    let db = tmp.path().join("app.sqlite");
    league(&dir);
    // Rebuilt without Montreal: game 2 would point at no team.
    write(
        &dir,
        "003_rebuild_teams.sql",
        &REBUILD_TEAMS.replace("FROM teams;", "FROM teams WHERE code <> 'MTL';"),
    );

    let err = migrate(&db, &dir).unwrap_err();
    let MigrateError::ForeignKeyViolations {
        path,
        count: n,
        first,
    } = &err
    else {
        panic!("{err}")
    };
    assert!(path.ends_with("003_rebuild_teams.sql"), "{err}");
    assert_eq!(*n, 1, "{err}");
    assert_eq!(first, "games row 2 → teams", "{err}");
    assert!(err.to_string().contains("rolled back"), "{err}");

    // Nothing of it stayed: the old table, both teams, two recorded migrations.
    assert_eq!(count(&db, "SELECT count(*) FROM teams"), 2);
    assert_eq!(count(&db, "SELECT count(*) FROM schema_migrations"), 2);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sqlite_schema WHERE name = 'teams_new'"
        ),
        0
    );
}

#[test]
fn file_names_are_checked_strictly() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in [
        "1_users.sql",
        "001-users.sql",
        "001_Users.sql",
        "001_users.txt",
        "users.sql",
        "0001_users.sql",
    ] {
        let dir = tmp.path().join(format!("m_{bad}"));
        write(&dir, "001_ok.sql", "SELECT 1;");
        write(&dir, bad, "SELECT 1;");
        let err = list_files(&dir, Kind::Migration).unwrap_err();
        assert!(
            matches!(err, MigrateError::InvalidFileName { .. }),
            "{bad}: {err}"
        );
        assert!(
            err.to_string().contains(bad) && err.to_string().contains("001_create_users.sql"),
            "{err}"
        );
    }
    // A sub-directory is not a migration either.
    let dir = tmp.path().join("with_dir");
    write(&dir, "001_ok.sql", "SELECT 1;");
    fs::create_dir_all(dir.join("002_dir.sql")).unwrap();
    assert!(matches!(
        list_files(&dir, Kind::Migration),
        Err(MigrateError::InvalidFileName { .. })
    ));
    // Two files with one number.
    let dir = tmp.path().join("dup");
    write(&dir, "001_a.sql", "SELECT 1;");
    write(&dir, "001_b.sql", "SELECT 1;");
    let err = list_files(&dir, Kind::Seed).unwrap_err();
    assert!(
        matches!(err, MigrateError::DuplicateNumber { ref number, .. } if number == "001"),
        "{err}"
    );
}

#[test]
fn empty_missing_and_file_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("app.sqlite");
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    assert!(matches!(
        migrate(&db, &empty),
        Err(MigrateError::NoFiles {
            kind: Kind::Migration,
            ..
        })
    ));
    assert!(matches!(
        migrate(&db, &tmp.path().join("missing")),
        Err(MigrateError::MissingDirectory {
            kind: Kind::Migration,
            ..
        })
    ));
    let file = tmp.path().join("file");
    fs::write(&file, "").unwrap();
    assert!(matches!(
        seed(&db, &file),
        Err(MigrateError::NotADirectory {
            kind: Kind::Seed,
            ..
        })
    ));
}

#[test]
fn seeds_run_every_time_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("app.sqlite");
    write(
        &tmp.path().join("m"),
        "001_t.sql",
        "CREATE TABLE t (n INTEGER NOT NULL);",
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
    migrate(&db, &tmp.path().join("m")).unwrap();
    assert_eq!(
        versions(&seed(&db, &tmp.path().join("s")).unwrap()),
        ["001_one", "002_double"]
    );
    assert_eq!(
        (
            count(&db, "SELECT count(*) FROM t"),
            count(&db, "SELECT sum(n) FROM t")
        ),
        (2, 3)
    );
    // Nothing is recorded: a second run runs both again (1 is added, then every row doubled).
    seed(&db, &tmp.path().join("s")).unwrap();
    assert_eq!(
        (
            count(&db, "SELECT count(*) FROM t"),
            count(&db, "SELECT sum(n) FROM t")
        ),
        (6, 12)
    );
}

#[test]
fn reset_deletes_the_files_migrates_and_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path();
    let db = app.join("db/app.sqlite");
    write(
        &app.join("db/migrations"),
        "001_t.sql",
        "CREATE TABLE t (n INTEGER NOT NULL);",
    );
    write(
        &app.join("db/seeds"),
        "001_rows.sql",
        "INSERT INTO t VALUES (1), (2);",
    );
    migrate(&db, &app.join("db/migrations")).unwrap();
    Connection::open(&db)
        .unwrap()
        .execute("INSERT INTO t VALUES (99)", [])
        .unwrap();
    for suffix in ["-wal", "-shm", "-journal"] {
        fs::write(format!("{}{suffix}", db.display()), "stale").unwrap();
    }

    let report = reset(&db, app).unwrap();
    assert_eq!(report.deleted.len(), 4, "{report:?}");
    assert_eq!(versions(&report.migrations), ["001_t"]);
    assert_eq!(versions(&report.seeds), ["001_rows"]);
    assert_eq!(count(&db, "SELECT sum(n) FROM t"), 3);
    assert!(!Path::new(&format!("{}-journal", db.display())).exists());

    // Reset refuses a directory.
    assert!(matches!(
        reset(&app.join("db"), app),
        Err(MigrateError::ResetPathIsDirectory { .. })
    ));
    // Without db/seeds, reset only migrates.
    fs::remove_dir_all(app.join("db/seeds")).unwrap();
    let report = reset(&db, app).unwrap();
    assert!(report.seeds.is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM t"), 0);
}
