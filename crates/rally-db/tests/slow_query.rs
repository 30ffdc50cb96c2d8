//! Slow-query logging. Its own test binary: the threshold is process-wide, so tests that open
//! databases in parallel would move it under this one.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rally_db::db::{Db, set_slow_query_threshold};

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
fn statements_above_the_threshold_are_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let db = Db::open_in_memory().unwrap();
    tracing::subscriber::with_default(subscriber, || {
        set_slow_query_threshold(Duration::ZERO);
        db.read_sync(|conn| conn.query_row("SELECT 40 + 2", [], |r| r.get::<_, i64>(0)))
            .unwrap();
        set_slow_query_threshold(Duration::from_secs(3600));
        db.read_sync(|conn| conn.query_row("SELECT 'quick'", [], |r| r.get::<_, String>(0)))
            .unwrap();
    });
    set_slow_query_threshold(Duration::from_millis(100));
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("slow query") && log.contains("SELECT 40 + 2"),
        "{log}"
    );
    assert!(!log.contains("quick"), "{log}");
}
