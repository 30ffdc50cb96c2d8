//! `rally_sql::postgres::Pool` against a real Postgres: one throwaway cluster for the test
//! binary, one database per test. Reuse, replacement of a connection the server closed, a
//! server-side error keeping its connection, the statement time-out, and calls from inside Tokio
//! runtimes of both flavours.
#![cfg(feature = "postgres")]

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use rally_sql::postgres::{self, ClusterError, Executor, Pool, PoolError, TempCluster};

static CLUSTER: LazyLock<Result<TempCluster, ClusterError>> = LazyLock::new(TempCluster::start);

fn database() -> String {
    match &*CLUSTER {
        Ok(cluster) => cluster
            .create_unique_database("pool")
            .unwrap_or_else(|e| panic!("{e}")),
        Err(error) => panic!("could not start the test cluster: {error}"),
    }
}

fn pool(url: &str) -> Pool {
    Pool::new(url, 4, Duration::from_secs(5)).unwrap()
}

/// The server process behind the connection `f` runs on.
fn backend(pool: &Pool) -> i32 {
    pool.with(|c| {
        c.query_one("SELECT pg_backend_pid()", &[])
            .map(|row| row.get(0))
    })
    .unwrap()
}

#[test]
fn an_idle_connection_is_reused_and_a_failing_statement_keeps_it() {
    let pool = pool(&database());
    let first = backend(&pool);
    assert_eq!(backend(&pool), first, "the same connection again");
    let error = pool
        .with(|c| c.batch_execute("SELECT * FROM no_such_table"))
        .unwrap_err();
    assert!(matches!(error, PoolError::Query(_)), "{error}");
    assert!(error.to_string().contains("no_such_table"), "{error}");
    assert_eq!(backend(&pool), first, "the server answered: still usable");
}

#[test]
fn a_url_that_requires_tls_is_refused_up_front() {
    let error = Pool::new(
        "postgres://ada@db.internal/app?sslmode=require",
        4,
        Duration::from_secs(5),
    )
    .err()
    .expect("refused");
    assert!(matches!(error, PoolError::TlsRequired), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("sslmode=require") && message.contains("sslmode=disable"),
        "{message}"
    );
    let error = postgres::connect("postgres://ada@db.internal/app?sslmode=require")
        .err()
        .expect("refused");
    assert!(error.to_string().contains("sslmode=require"), "{error}");
}

#[test]
fn pooled_connections_keep_their_prepared_statements() {
    let pool = pool(&database());
    const ONE: &str = "SELECT 1::bigint";
    for _ in 0..3 {
        let one: i64 = pool
            .with(|c| c.query_one_static(ONE, &[]).map(|row| row.get(0)))
            .unwrap();
        assert_eq!(one, 1);
    }
    let cached = pool.with(|c| Ok(c.cached_statements())).unwrap();
    assert_eq!(cached, 1, "prepared on first use, reused by the next calls");
}

#[test]
fn a_connection_the_server_closed_is_replaced_on_the_next_call() {
    let url = database();
    let pool = pool(&url);
    let first = backend(&pool);
    let mut admin = postgres::connect(&url).unwrap();
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&first])
        .unwrap();
    let second = backend(&pool);
    assert_ne!(
        second, first,
        "a new connection, and no error for the caller"
    );
}

#[test]
fn the_statement_timeout_bounds_every_call() {
    let pool = Pool::new(&database(), 1, Duration::from_millis(200)).unwrap();
    let started = Instant::now();
    let error = pool
        .with(|c| c.batch_execute("SELECT pg_sleep(5)"))
        .unwrap_err();
    assert!(error.to_string().contains("statement timeout"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn an_unreachable_server_and_a_bad_url_are_errors() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pool = pool(&format!("postgres://postgres@127.0.0.1:{port}/app"));
    let error = pool.with(|c| c.batch_execute("SELECT 1")).unwrap_err();
    assert!(matches!(error, PoolError::Connect(_)), "{error}");
    // The client's cause is spelled out, not just "error connecting to server".
    assert!(error.to_string().contains("refused"), "{error}");
    assert!(matches!(
        Pool::new(
            "postgres://127.0.0.1:notaport/app",
            1,
            Duration::from_secs(1)
        ),
        Err(PoolError::InvalidUrl(_))
    ));
}

#[test]
fn calls_and_drops_inside_tokio_runtimes_do_not_panic() {
    let url = database();
    for runtime in [
        tokio::runtime::Builder::new_current_thread().build(),
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build(),
    ] {
        let runtime = runtime.unwrap();
        let url = url.clone();
        runtime.block_on(async move {
            let on_task = pool(&url);
            let task = tokio::spawn(async move {
                let pid = backend(&on_task);
                // The idle client is closed when the pool drops, here on the runtime too.
                drop(on_task);
                pid
            });
            assert!(task.await.unwrap() > 0);
            // Where Rally's stores are called from: a blocking thread of the runtime.
            let on_blocking = pool(&url);
            let pid = tokio::task::spawn_blocking(move || backend(&on_blocking))
                .await
                .unwrap();
            assert!(pid > 0);
        });
    }
}
