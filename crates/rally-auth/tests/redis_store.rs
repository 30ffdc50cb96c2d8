//! `RedisSessionStore` against a real `redis-server` (a child of this test on a free port, no
//! persistence): the store's contract as the SQLite and in-memory stores keep it, expiry by
//! Redis itself, and an unreachable Redis failing fast rather than letting anyone in.
#![cfg(feature = "redis")]

use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rally_auth::session::{RedisSessionStore, SessionId, SessionRecord, SessionStore, now_unix};

struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Redis {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is not installed: apt-get install redis-server (scripts/test.sh does)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis { child, port }
    }

    fn store(&self) -> RedisSessionStore {
        RedisSessionStore::open(&format!("redis://127.0.0.1:{}", self.port), "rally:test:").unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on, never handed out twice in this process: the tests run at once,
/// and a port one released could otherwise go to another before its Redis binds it.
fn free_port() -> u16 {
    static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
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

#[test]
fn sessions_are_recorded_read_and_ended_one_by_one_or_per_user() {
    let redis = Redis::start();
    let store = redis.store();
    let (a, b, other) = (record(1, 3600), record(1, 7200), record(2, 3600));
    for r in [&a, &b, &other] {
        store.insert(r).unwrap();
    }
    assert_eq!(store.get(&a.id).unwrap(), Some(a.clone()));
    // Another node, another store over the same Redis: the same sessions.
    let node_b = redis.store();
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
        Some(other),
        "other users keep theirs"
    );
    // Removing what is gone is not an error.
    store.remove(&a.id).unwrap();
    store.remove_user(99).unwrap();
}

#[test]
fn redis_expires_a_session_at_its_end() {
    let redis = Redis::start();
    let store = redis.store();
    let mut ending = record(3, 0);
    ending.expires_at = now_unix() + 1;
    store.insert(&ending).unwrap();
    assert!(store.get(&ending.id).unwrap().is_some());
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.get(&ending.id).unwrap().is_some() {
        assert!(Instant::now() < deadline, "the session outlived its expiry");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        store.remove_expired(now_unix()).unwrap(),
        0,
        "nothing left to sweep"
    );
}

#[test]
fn an_unreachable_redis_is_an_error_not_a_session() {
    let store =
        RedisSessionStore::open(&format!("redis://127.0.0.1:{}", free_port()), "rally:test:")
            .unwrap();
    let started = Instant::now();
    assert!(store.get(&SessionId::generate().unwrap()).is_err());
    assert!(store.insert(&record(1, 60)).is_err());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fails within the time-out"
    );
    assert!(RedisSessionStore::open("not a url", "p").is_err());
}
