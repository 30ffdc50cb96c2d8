//! `PgSessionStore` against a real Postgres: one throwaway cluster (127.0.0.1) for the test
//! binary, one database per test. The store's contract as the SQLite, in-memory and Redis stores
//! keep it, expired sessions not returned, recovery after the server closed its connections, and
//! an unreachable server failing fast rather than letting anyone in.
#![cfg(feature = "postgres")]

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use rally_auth::session::{
    PgSessionStore, SessionConfig, SessionId, SessionKey, SessionRecord, SessionStore, Sessions,
    now_unix,
};
use rally_sql::postgres::{self, ClusterError, TempCluster};

/// Shared by every test; its watchdog stops it when the test process exits.
static CLUSTER: LazyLock<Result<TempCluster, ClusterError>> = LazyLock::new(TempCluster::start);

/// A new, empty database for one test; returns its URL.
fn database() -> String {
    match &*CLUSTER {
        Ok(cluster) => cluster
            .create_unique_database("sessions")
            .unwrap_or_else(|e| panic!("{e}")),
        Err(error) => panic!("could not start the test cluster: {error}"),
    }
}

fn record(user_id: i64, lifetime: u64) -> SessionRecord {
    let now = now_unix();
    SessionRecord {
        id: SessionId::generate().unwrap(),
        user_id,
        created_at: now,
        expires_at: now + lifetime,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn sessions_are_recorded_read_and_ended_one_by_one_or_per_user() {
    let url = database();
    let store = PgSessionStore::open(&url).unwrap();
    let (a, b, other) = (record(1, 3600), record(1, 7200), record(2, 3600));
    for r in [&a, &b, &other] {
        store.insert(r).unwrap();
    }
    assert_eq!(store.get(&a.id).unwrap(), Some(a.clone()));
    // Another node, another store over the same database (the table already exists).
    let node_b = PgSessionStore::open(&url).unwrap();
    assert_eq!(node_b.get(&b.id).unwrap(), Some(b.clone()));
    node_b.remove(&a.id).unwrap();
    assert_eq!(
        store.get(&a.id).unwrap(),
        None,
        "a sign-out on one node ends it on all"
    );
    assert_eq!(store.get(&b.id).unwrap(), Some(b.clone()));
    store.remove_user(1).unwrap();
    assert_eq!(node_b.get(&b.id).unwrap(), None, "sign out everywhere");
    assert_eq!(
        store.get(&other.id).unwrap(),
        Some(other.clone()),
        "other users keep theirs"
    );
    // Removing what is gone is not an error.
    store.remove(&a.id).unwrap();
    store.remove_user(99).unwrap();
    // The same id twice is refused (the primary key), not silently overwritten.
    assert!(store.insert(&other).is_err());
    assert_eq!(store.get(&other.id).unwrap(), Some(other));
}

#[test]
fn expired_sessions_are_not_returned_and_are_swept() {
    let store = PgSessionStore::open(&database()).unwrap();
    let now = now_unix();
    let mut ended = record(3, 0);
    ended.created_at = now - 100;
    ended.expires_at = now - 1;
    let live = record(3, 3600);
    store.insert(&ended).unwrap();
    store.insert(&live).unwrap();
    assert_eq!(store.get(&ended.id).unwrap(), None, "ended before now");
    assert_eq!(store.get(&live.id).unwrap(), Some(live.clone()));
    assert_eq!(store.remove_expired(now).unwrap(), 1);
    assert_eq!(
        store.remove_expired(now).unwrap(),
        0,
        "nothing left to sweep"
    );
    // Sweeping at a later time takes the session that ends by then.
    assert_eq!(store.remove_expired(live.expires_at).unwrap(), 1);
    assert_eq!(store.get(&live.id).unwrap(), None);
}

#[test]
fn sessions_over_the_store_authenticate_and_sign_out() {
    let store = PgSessionStore::open(&database()).unwrap();
    let sessions = Sessions::new(
        SessionKey::from_bytes([3; 32]),
        Arc::new(store),
        SessionConfig::development(),
    );
    let issued = sessions.issue(5).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        issued.cookie_header().parse().unwrap(),
    );
    assert_eq!(sessions.authenticate(&headers).map(|i| i.user_id), Some(5));
    sessions.sign_out(&headers);
    assert_eq!(sessions.authenticate(&headers), None);
}

#[test]
fn a_connection_closed_by_the_server_is_replaced() {
    let url = database();
    let store = PgSessionStore::open(&url).unwrap();
    let session = record(7, 3600);
    store.insert(&session).unwrap();
    // What a server restart or an idle-connection killer does to the pooled connection.
    let mut admin = postgres::connect(&url).unwrap();
    let killed: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(killed, 1, "the store's one idle connection");
    assert_eq!(store.get(&session.id).unwrap(), Some(session.clone()));
    store.remove(&session.id).unwrap();
    assert_eq!(store.get(&session.id).unwrap(), None);
}

#[test]
fn an_unreachable_server_is_an_error_not_a_session() {
    let started = Instant::now();
    let url = format!("postgres://postgres@127.0.0.1:{}/app", free_port());
    let error = PgSessionStore::open(&url)
        .err()
        .expect("nothing listens there");
    assert!(
        error
            .to_string()
            .contains("cannot connect to the session database"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fails within the time-out"
    );
    assert!(PgSessionStore::open("not a url").is_err());
}

#[test]
fn a_store_whose_table_is_gone_answers_errors() {
    let url = database();
    let store = PgSessionStore::open(&url).unwrap();
    let session = record(8, 3600);
    store.insert(&session).unwrap();
    postgres::connect(&url)
        .unwrap()
        .batch_execute("DROP TABLE rally_sessions")
        .unwrap();
    let error = store.get(&session.id).expect_err("an error, not `None`");
    // The server's own words reach the log, not just "db error".
    assert!(
        error
            .to_string()
            .contains(r#"relation "rally_sessions" does not exist"#),
        "{error}"
    );
    assert!(store.insert(&record(8, 60)).is_err());
    assert!(store.remove_user(8).is_err());
    assert!(store.remove_expired(now_unix()).is_err());
}

/// The sync client cannot run inside a Tokio runtime by itself (it panics); an app may still
/// call the store from a request handler, so the store moves such calls off the runtime.
#[test]
fn calls_from_inside_an_async_task_work() {
    let url = database();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = PgSessionStore::open(&url).unwrap();
        let session = record(9, 3600);
        store.insert(&session).unwrap();
        assert_eq!(store.get(&session.id).unwrap(), Some(session));
        // Dropping the store closes its pooled connection, which blocks too.
        drop(store);
    });
}
