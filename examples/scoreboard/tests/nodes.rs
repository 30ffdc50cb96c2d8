//! Several nodes, one app: two real Scoreboard server processes on two ports, sharing one
//! SQLite file and one real `redis-server` (started here on a free port, stopped at the end),
//! with `RALLY_HUB` pointing both at it (and, in the second test, `SESSIONS_STORE` too). Over their sockets: a save on node A reaches node B's
//! subscribers once and not the saving tab; B follows its tabs' topic changes; a sign-out
//! through A refuses the same cookie on B; with Redis stopped saves still answer and A's own
//! subscribers still get the push; with Redis back, B's tabs are told to catch up and
//! cross-node pushes flow again.
#![cfg(feature = "server")]

mod common;

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rally::session::{RedisSessionStore, SessionConfig, SessionKey, Sessions, SqliteSessionStore};
use rally::test_db::Template;
use rally::wire::{ApiError, ServerFrame};
use scoreboard::admin::pages::games::{self as desk, GameUpdate};
use scoreboard::broadcasts::{Event, GameSnapshot};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use common::ADMIN_ID;
use common::frames::*;

/// The session key both nodes read from `SECRET_KEY_BASE`; the test issues cookies with it.
const KEY: [u8; 32] = [7; 32];

/// A `redis-server` child on 127.0.0.1, with no persistence, in a temporary directory.
struct Redis {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl Redis {
    fn start(port: u16, dir: &Path) -> Redis {
        let server = which("redis-server").unwrap_or_else(|| {
            panic!(
                "redis-server is not installed: `apt-get install redis-server` (scripts/test.sh installs it)"
            )
        });
        let log_path = dir.join(format!("redis-{port}.log"));
        let log = File::create(&log_path).unwrap();
        let mut child = Command::new(server)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start redis-server");
        wait_until_listening(&mut child, port, &log_path);
        Redis {
            child: Some(child),
            port,
            dir: dir.to_owned(),
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn restart(&mut self) {
        self.stop();
        *self = Redis::start(self.port, &self.dir.clone());
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Subscribers of `topic`'s channel across all nodes (`PUBSUB NUMSUB`).
    fn subscribers(&self, topic: &str) -> usize {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "PUBSUB", "NUMSUB"])
            .arg(format!("rally:scoreboard:t:{topic}"))
            .output()
            .expect("run redis-cli (it comes with redis-server)");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Waits until `topic` has `n` subscribing nodes: a node subscribes after its tab asks.
    async fn await_subscribers(&self, topic: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.subscribers(topic) != n {
            assert!(
                Instant::now() < deadline,
                "{topic} has {} subscribing nodes, expected {n}",
                self.subscribers(topic)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Scoreboard server process.
struct Node {
    child: Child,
    addr: SocketAddr,
}

impl Node {
    fn start(name: &str, dir: &Path, db: &Path, redis: &Redis, extra: &[(&str, String)]) -> Node {
        let port = free_port();
        let log = File::create(dir.join(format!("node-{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_scoreboard"))
            // No `.env` from the example's directory: everything comes from here.
            .current_dir(dir)
            .env("ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_PATH", db)
            .env("SESSIONS_DATABASE_PATH", dir.join("sessions.db"))
            .env("RALLY_HUB", redis.url())
            .env(
                "SECRET_KEY_BASE",
                SessionKey::from_bytes(KEY).to_base64url(),
            )
            .env("RUST_LOG", "info")
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .env_remove("APP_ENV")
            .env_remove("RALLY_HOSTS")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start the scoreboard server");
        let mut node = Node {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(node.addr).is_err() {
            let log = || {
                std::fs::read_to_string(dir.join(format!("node-{name}.log"))).unwrap_or_default()
            };
            if let Ok(Some(status)) = node.child.try_wait() {
                panic!("node {name} exited ({status}):\n{}", log());
            }
            assert!(
                Instant::now() < deadline,
                "node {name} did not listen:\n{}",
                log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        node
    }

    async fn connect(&self, cookie: Option<&str>) -> Client {
        let contract = scoreboard::generated::rally::contract::CONTRACT.to_string();
        let mut request = format!("ws://{}/ws?contract={contract}", self.addr)
            .into_client_request()
            .unwrap();
        let headers = request.headers_mut();
        let origin = format!("http://{}", self.addr);
        headers.insert("origin", HeaderValue::from_str(&origin).unwrap());
        if let Some(cookie) = cookie {
            headers.insert("cookie", HeaderValue::from_str(cookie).unwrap());
        }
        tokio_tungstenite::connect_async(request)
            .await
            .expect("the upgrade is accepted")
            .0
    }

    /// `GET path` with `cookie`; the status code.
    async fn get(&self, path: &str, cookie: &str) -> u16 {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let text = String::from_utf8_lossy(&response);
        text.split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

/// Waits until the Redis answering on `port` is `child`, not another process that had the
/// port first (`child` then exits, unable to bind; its log says why).
fn wait_until_listening(child: &mut Child, port: u16, log: &Path) {
    let ours = format!("process_id:{}", child.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("redis-server exited ({status}):\n{log}");
        }
        let info = Command::new("redis-cli")
            .args(["-p", &port.to_string(), "INFO", "server"])
            .output()
            .expect("run redis-cli (it comes with redis-server)");
        if String::from_utf8_lossy(&info.stdout)
            .lines()
            .any(|line| line.trim() == ours)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "redis-server did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A port nothing listens on, never handed out twice in this process.
///
/// The two tests run at once: a port one of them probed and released (or a stopped Redis's,
/// kept for its restart) could otherwise be picked by the other before its server binds it,
/// and then both tests talk to one Redis, which the first test stops on purpose.
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

/// The next frame that is not a ping, within `limit`.
async fn next_within(client: &mut Client, limit: Duration) -> Option<ServerFrame> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let message = tokio::time::timeout_at(deadline, client.next())
            .await
            .ok()?;
        match message.expect("the connection ended").expect("read failed") {
            Message::Binary(bytes) => return Some(rally::wire::decode(&bytes).unwrap()),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

/// A migrated and seeded database file in `dir`.
fn seeded_file(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let db = dir.join("scoreboard.db");
    Template::seeded(&root.join("db/migrations"), Some(&root.join("db/seeds")))
        .unwrap()
        .write(&db)
        .unwrap();
    db
}

/// Game 1's score as the event carries it.
fn score(event: &Event) -> (i64, i64) {
    let Event::GameUpdated(GameSnapshot {
        id: 1,
        home_score,
        away_score,
        ..
    }) = event
    else {
        panic!("expected game 1, got {event:?}");
    };
    (*home_score, *away_score)
}

/// Saves game 1's score from the desk and checks the answer. A catch-up the desk's node sent
/// meanwhile (Redis came back) is skipped.
async fn save(desk_tab: &mut Client, id: u32, home: i64, away: i64) {
    request(desk_tab, id, ADMIN_GAMES, &score_save(1, home, away)).await;
    let mut frame = next(desk_tab).await;
    while frame == ServerFrame::CatchUp {
        frame = next(desk_tab).await;
    }
    let saved: GameUpdate = ok(frame, id);
    assert_eq!((saved.home_score, saved.away_score), (home, away));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_behind_one_redis_act_as_one_app() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_file(dir.path());
    let mut redis = Redis::start(free_port(), dir.path());
    // Sessions in the SQLite file both nodes open (`SESSIONS_DATABASE_PATH`).
    let a = Node::start("a", dir.path(), &db, &redis, &[]);
    let b = Node::start("b", dir.path(), &db, &redis, &[]);
    // Sessions as the nodes keep them: in the shared database, under the shared key.
    let sessions = Sessions::new(
        SessionKey::from_bytes(KEY),
        Arc::new(SqliteSessionStore::open(dir.path().join("sessions.db")).unwrap()),
        SessionConfig::development(),
    );
    let admin = sessions.issue(ADMIN_ID).unwrap().cookie_header();

    // A save on A reaches B's subscriber once (it follows two of the five topics), A's other
    // subscriber once, and not the saving tab.
    let mut on_b = b.connect(None).await;
    subscribe(&mut on_b, &["games", "game:1"], 1).await;
    let mut on_a = a.connect(None).await;
    subscribe(&mut on_a, &["games"], 1).await;
    let mut desk_tab = a.connect(Some(&admin)).await;
    subscribe(&mut desk_tab, &["admin:games", "games"], 1).await;
    redis.await_subscribers("games", 2).await;
    redis.await_subscribers("game:1", 1).await;
    save(&mut desk_tab, 10, 5, 2).await;
    assert_eq!(score(&push(next(&mut on_b).await).1), (5, 2));
    assert_eq!(score(&push(next(&mut on_a).await).1), (5, 2));
    assert_quiet(&mut on_b, "B's tab, after its one push").await;
    assert_quiet(&mut on_a, "A's tab, after its one push").await;
    assert_quiet(&mut desk_tab, "the saving tab").await;

    // B follows its tabs' topics: away from game 1, nothing arrives; back, it does.
    subscribe(&mut on_b, &["game:2"], 2).await;
    redis.await_subscribers("game:1", 0).await;
    redis.await_subscribers("games", 1).await;
    save(&mut desk_tab, 11, 6, 2).await;
    let _ = next(&mut on_a).await;
    assert_quiet(&mut on_b, "B's tab on game 2").await;
    subscribe(&mut on_b, &["game:1"], 3).await;
    redis.await_subscribers("game:1", 1).await;
    save(&mut desk_tab, 12, 7, 2).await;
    let (topic, event) = push(next(&mut on_b).await);
    assert_eq!((topic.as_str(), score(&event)), ("game:1", (7, 2)));
    let _ = next(&mut on_a).await;

    // A sign-out through A ends the session on B at its next request.
    let leaving = sessions.issue(ADMIN_ID).unwrap().cookie_header();
    let mut desk_on_b = b.connect(Some(&leaving)).await;
    request(&mut desk_on_b, 20, ADMIN_GAMES, &desk::ServerMsg::Load).await;
    let _: desk::LoadResult = ok(next(&mut desk_on_b).await, 20);
    let status = a.get("/sign_out?return_to=/games", &leaving).await;
    assert_eq!(status, 302, "the sign-out redirects");
    request(&mut desk_on_b, 21, ADMIN_GAMES, &desk::ServerMsg::Load).await;
    assert_eq!(
        errors(next(&mut desk_on_b).await, 21),
        [ApiError::Unauthorized]
    );

    // Redis away: the save still answers and A's own subscriber still gets the push.
    redis.stop();
    save(&mut desk_tab, 30, 8, 2).await;
    assert_eq!(score(&push(next(&mut on_a).await).1), (8, 2));

    // Redis back: B's tab is told to catch up (it re-loads, as after a reconnect), without a
    // reload of the page; then A's saves reach B again.
    redis.restart();
    let told = next_within(&mut on_b, Duration::from_secs(20)).await;
    assert_eq!(told, Some(ServerFrame::CatchUp), "B's tab catches up");
    redis.await_subscribers("game:1", 1).await;
    // A's publisher may still be waiting out its back-off: a save made then is dropped (and
    // announced as a catch-up once A can publish). Save until one arrives as a push.
    let mut reached = false;
    for (i, home) in (40..50).enumerate() {
        save(&mut desk_tab, 40 + i as u32, home, 2).await;
        while let Some(frame) = next_within(&mut on_b, Duration::from_millis(700)).await {
            match frame {
                ServerFrame::CatchUp => continue,
                frame => {
                    assert_eq!(score(&push(frame).1), (home, 2));
                    reached = true;
                    break;
                }
            }
        }
        if reached {
            break;
        }
    }
    assert!(reached, "a save on A reaches B once Redis is back");

    // The outage and the recovery are each logged once per node, not per message.
    for name in ["a", "b"] {
        let log = std::fs::read_to_string(dir.path().join(format!("node-{name}.log"))).unwrap();
        let count = |needle: &str| log.matches(needle).count();
        assert_eq!(
            count("the Redis hub cannot receive other nodes' publishes"),
            1,
            "node {name}'s log:\n{log}"
        );
        assert_eq!(
            count("subscribed to Redis again"),
            1,
            "node {name}'s log:\n{log}"
        );
        assert!(
            count("the Redis hub cannot publish") <= 1,
            "node {name}'s log:\n{log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sessions_in_redis_a_sign_out_on_one_node_ends_the_session_on_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_file(dir.path());
    let redis = Redis::start(free_port(), dir.path());
    // Nodes on machines that share no disk: sessions in Redis (`SESSIONS_STORE`).
    let store = [("SESSIONS_STORE", redis.url())];
    let a = Node::start("a", dir.path(), &db, &redis, &store);
    let b = Node::start("b", dir.path(), &db, &redis, &store);
    let sessions = Sessions::new(
        SessionKey::from_bytes(KEY),
        Arc::new(RedisSessionStore::open(&redis.url(), "rally:scoreboard:").unwrap()),
        SessionConfig::development(),
    );
    let cookie = sessions.issue(ADMIN_ID).unwrap().cookie_header();
    let mut desk_on_b = b.connect(Some(&cookie)).await;
    request(&mut desk_on_b, 1, ADMIN_GAMES, &desk::ServerMsg::Load).await;
    let _: desk::LoadResult = ok(next(&mut desk_on_b).await, 1);
    assert_eq!(a.get("/sign_out?return_to=/games", &cookie).await, 302);
    request(&mut desk_on_b, 2, ADMIN_GAMES, &desk::ServerMsg::Load).await;
    assert_eq!(
        errors(next(&mut desk_on_b).await, 2),
        [ApiError::Unauthorized]
    );
    // And the SQLite session file was never used.
    assert!(!dir.path().join("sessions.db").exists());
}
