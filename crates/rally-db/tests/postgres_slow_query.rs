//! The Postgres slow-query log. Its own test binary: `tracing` caches per call site whether
//! anyone listens, and slow closures in parallel tests without a subscriber would race the
//! capture here.
#![cfg(feature = "postgres")]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rally_db::postgres::{Error, PgDb, test_db};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn closures_above_the_threshold_are_logged() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("001_init.sql"),
        "CREATE TABLE users (name text)",
    )
    .unwrap();
    let template = test_db::template(tmp.path()).unwrap();
    let slow = PgDb::open(
        template
            .config()
            .unwrap()
            .slow_query(Duration::from_millis(150)),
    )
    .unwrap();
    let quick = PgDb::open(
        template
            .config()
            .unwrap()
            .slow_query(Duration::from_secs(3600)),
    )
    .unwrap();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        slow.write_sync(|tx| Ok::<_, Error>(tx.execute("SELECT pg_sleep(0.3)", &[])?))
            .unwrap();
        slow.read_sync(|c| Ok::<_, Error>(c.execute("SELECT 'fast'", &[])?))
            .unwrap();
        quick
            .read_sync(|c| Ok::<_, Error>(c.execute("SELECT pg_sleep(0.1)", &[])?))
            .unwrap();
    });
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("slow query")).collect();
    // Only the slow closure on the database with the low threshold.
    assert_eq!(lines.len(), 1, "{log}");
    let line = lines[0];
    assert!(
        line.contains("WARN")
            && line.contains("rally::db")
            && line.contains("elapsed_ms=")
            && line.contains("access=\"write\"")
            && line.contains("tests/postgres_slow_query.rs:"),
        "{line}"
    );
}
