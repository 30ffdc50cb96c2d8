//! `rally_sql::postgres::Executor`, what generated query functions run on, against a throwaway
//! cluster: a `Connection` prepares each query once and keeps it across transactions, recovers
//! from statements a schema change or `DISCARD ALL` made stale, and a plain `Client` runs the
//! same calls without preparing anything.
#![cfg(feature = "postgres")]

use std::sync::LazyLock;

use postgres::SimpleQueryMessage;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use rally_sql::postgres::{self as pg, Client, Connection, Executor, TempCluster};

static CLUSTER: LazyLock<TempCluster> =
    LazyLock::new(|| TempCluster::start().unwrap_or_else(|e| panic!("{e}")));

const SELECT_NAMES: &str = "SELECT name FROM people WHERE id >= $1 ORDER BY id";
const INSERT: &str = "INSERT INTO people (name) VALUES ($1)";

/// A fresh database with a `people` table, and a connection to it.
fn client(name: &str) -> Client {
    let url = CLUSTER
        .create_database(name)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut client = pg::connect(&url).unwrap_or_else(|e| panic!("{e}"));
    client
        .batch_execute("CREATE TABLE people (id bigserial PRIMARY KEY, name text NOT NULL)")
        .unwrap();
    client
}

fn insert(db: &mut impl Executor, name: &str) -> Result<u64, postgres::Error> {
    db.execute_static(INSERT, &[(&name as &(dyn ToSql + Sync), Type::TEXT)])
}

fn names(db: &mut impl Executor) -> Result<Vec<String>, postgres::Error> {
    let rows = db.query_static(SELECT_NAMES, &[(&0_i64 as &(dyn ToSql + Sync), Type::INT8)])?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// The named statements the server holds for this session, read through the simple protocol
/// (an extended-protocol query would add one of its own while it runs).
fn prepared_on_server(client: &mut Client) -> Vec<String> {
    client
        .simple_query("SELECT statement FROM pg_prepared_statements ORDER BY statement")
        .unwrap()
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .collect()
}

#[test]
fn a_connection_prepares_each_query_once_and_shares_it_with_transactions() {
    let mut db = Connection::new(client("executor_once"));
    assert_eq!(insert(&mut db, "ada").unwrap(), 1);
    assert_eq!(insert(&mut db, "grace").unwrap(), 1);
    {
        let mut tx = db.transaction().unwrap();
        insert(&mut tx, "linus").unwrap();
        let mut savepoint = tx.transaction().unwrap();
        insert(&mut savepoint, "undone").unwrap();
        savepoint.rollback().unwrap();
        assert_eq!(names(&mut tx).unwrap(), ["ada", "grace", "linus"]);
        tx.commit().unwrap();
    }
    assert_eq!(names(&mut db).unwrap(), ["ada", "grace", "linus"]);
    assert_eq!(db.cached_statements(), 2);
    assert_eq!(
        prepared_on_server(&mut db),
        [INSERT, SELECT_NAMES],
        "one server-side statement per query, however often and wherever it ran"
    );
}

#[test]
fn one_and_opt_check_the_row_count() {
    let mut db = Connection::new(client("executor_cardinality"));
    for name in ["ada", "grace"] {
        insert(&mut db, name).unwrap();
    }
    const BY_ID: &str = "SELECT name FROM people WHERE id = $1";
    let by_id = |db: &mut Connection, id: i64| {
        db.query_opt_static(BY_ID, &[(&id as &(dyn ToSql + Sync), Type::INT8)])
            .map(|row| row.map(|row| row.get::<_, String>(0)))
    };
    assert_eq!(by_id(&mut db, 1).unwrap().as_deref(), Some("ada"));
    assert_eq!(by_id(&mut db, 9).unwrap(), None);
    const ALL: &str = "SELECT name FROM people";
    assert!(db.query_opt_static(ALL, &[]).is_err(), "two rows for :opt");
    assert!(db.query_one_static(ALL, &[]).is_err(), "two rows for :one");
    const NONE: &str = "SELECT name FROM people WHERE false";
    assert!(db.query_one_static(NONE, &[]).is_err(), "no row for :one");
}

#[test]
fn a_statement_a_migration_made_stale_is_prepared_again() {
    let mut db = Connection::new(client("executor_stale"));
    insert(&mut db, "ada").unwrap();
    const EVERYTHING: &str = "SELECT * FROM people ORDER BY id";
    assert_eq!(db.query_static(EVERYTHING, &[]).unwrap()[0].len(), 2);
    // The cached statement's result no longer fits: Postgres refuses to run it.
    db.batch_execute("ALTER TABLE people ADD COLUMN nick text")
        .unwrap();
    let rows = db.query_static(EVERYTHING, &[]).unwrap();
    assert_eq!(rows[0].len(), 3, "re-prepared against the new table");
    assert_eq!(db.cached_statements(), 2);

    // Inside a transaction the refusal has aborted it, so the error is returned; the stale
    // statement is gone and the next call, after the rollback, prepares afresh.
    db.batch_execute("ALTER TABLE people DROP COLUMN nick")
        .unwrap();
    let mut tx = db.transaction().unwrap();
    let error = tx.query_static(EVERYTHING, &[]).unwrap_err();
    assert_eq!(
        error.code(),
        Some(&SqlState::FEATURE_NOT_SUPPORTED),
        "{error}"
    );
    tx.rollback().unwrap();
    assert_eq!(db.query_static(EVERYTHING, &[]).unwrap()[0].len(), 2);
}

#[test]
fn statements_deallocated_on_the_server_are_prepared_again() {
    let mut db = Connection::new(client("executor_discard"));
    insert(&mut db, "ada").unwrap();
    db.batch_execute("DISCARD ALL").unwrap();
    assert!(prepared_on_server(&mut db).is_empty());
    insert(&mut db, "grace").unwrap();
    assert_eq!(names(&mut db).unwrap(), ["ada", "grace"]);
    assert_eq!(prepared_on_server(&mut db), [INSERT, SELECT_NAMES]);
}

#[test]
fn errors_leave_the_cache_and_the_connection_usable() {
    let mut db = Connection::new(client("executor_errors"));
    // A query the server cannot prepare is not cached.
    const BROKEN: &str = "SELECT nope FROM people";
    let error = db.query_static(BROKEN, &[]).unwrap_err();
    assert_eq!(error.code(), Some(&SqlState::UNDEFINED_COLUMN), "{error}");
    assert_eq!(db.cached_statements(), 0);
    // A statement that fails when run stays cached: the next call reuses it.
    const STRICT: &str = "INSERT INTO people (name) VALUES ($1)";
    let null: Option<&str> = None;
    let params = [(&null as &(dyn ToSql + Sync), Type::TEXT)];
    let error = db.execute_static(STRICT, &params).unwrap_err();
    assert_eq!(error.code(), Some(&SqlState::NOT_NULL_VIOLATION), "{error}");
    assert_eq!(insert(&mut db, "ada").unwrap(), 1);
    assert_eq!(db.cached_statements(), 1);
}

#[test]
fn a_plain_client_runs_the_same_calls_without_preparing() {
    let mut db = client("executor_plain");
    insert(&mut db, "ada").unwrap();
    let mut tx = db.transaction().unwrap();
    insert(&mut tx, "grace").unwrap();
    tx.commit().unwrap();
    assert_eq!(names(&mut db).unwrap(), ["ada", "grace"]);
    assert!(prepared_on_server(&mut db).is_empty());
}
