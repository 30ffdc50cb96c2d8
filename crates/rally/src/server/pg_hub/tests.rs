//! `PgHub` against a real Postgres: one throwaway cluster (127.0.0.1) for the test binary, one
//! database per test, two hubs (two nodes) on it. Tabs are mailboxes joined to a hub, as the
//! WebSocket endpoint joins them.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use rally_sql::postgres::{ClusterError, TempCluster};
use rally_wire::{ServerFrame, decode};

use super::super::mailbox::{Mail, Mailbox};
use super::*;

/// Shared by every test; its watchdog stops it when the test process exits.
static CLUSTER: LazyLock<Result<TempCluster, ClusterError>> = LazyLock::new(TempCluster::start);

const PREFIX: &str = "rally_test_";
/// How long a frame that should arrive may take.
const ARRIVES: Duration = Duration::from_secs(10);
/// How long a tab stays quiet to count as receiving nothing.
const QUIET: Duration = Duration::from_millis(400);

fn cluster() -> &'static TempCluster {
    match &*CLUSTER {
        Ok(cluster) => cluster,
        Err(error) => panic!("could not start the test cluster: {error}"),
    }
}

/// Runs `test` with a new database's URL on a runtime of its own. The database is created
/// first: the cluster's helpers use the sync client, which cannot start inside a runtime.
fn with_database<F: Future<Output = ()>>(test: impl FnOnce(String) -> F) {
    let url = cluster()
        .create_unique_database("hub")
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(test(url));
}

/// A connection of a node, as the WebSocket endpoint registers it.
struct Tab {
    id: ConnectionId,
    mailbox: Arc<Mailbox>,
    mail: Mail,
}

impl Tab {
    fn join(hub: &dyn Hub, topics: &[&str]) -> Tab {
        let tab = Tab {
            id: ConnectionId::next(),
            mailbox: Arc::new(Mailbox::new(64)),
            mail: Mail::default(),
        };
        hub.join(tab.id, Outbox::new(Arc::clone(&tab.mailbox)));
        hub.set_topics(tab.id, topics.iter().map(|t| t.to_string()).collect());
        tab
    }

    /// The next frame within `within`, if any.
    async fn next_within(&mut self, within: Duration) -> Option<ServerFrame> {
        if self.mail.pushes.is_empty() {
            self.mail = Mail::default();
            let take = std::future::poll_fn(|cx| self.mailbox.poll_take(cx, &mut self.mail));
            tokio::time::timeout(within, take).await.ok()?;
        }
        let frame = self.mail.pushes.pop_front()?;
        Some(decode(&frame).expect("the hub sends well-formed frames"))
    }

    async fn next(&mut self) -> ServerFrame {
        self.next_within(ARRIVES)
            .await
            .expect("a frame arrives in time")
    }

    async fn assert_quiet(&mut self, why: &str) {
        if let Some(frame) = self.next_within(QUIET).await {
            panic!("{why}, but got {frame:?}");
        }
    }
}

fn push(topic: &str, event: &[u8]) -> ServerFrame {
    ServerFrame::Push {
        topic: topic.into(),
        event: event.to_vec(),
    }
}

fn topics(names: &[&str]) -> Vec<String> {
    names.iter().map(|t| t.to_string()).collect()
}

/// Waits until `condition` holds.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + ARRIVES;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A plain connection to `url`, for what an operator (or an outage) does to the hubs.
async fn admin(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// Ends the server side of `hub`'s `role` connection (`listen` or `publish`), as a server
/// restart or a network cut would; returns how many were ended.
async fn terminate(admin: &Client, hub: &PgHub, role: &str) -> i64 {
    admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = $1",
            &[&format!("rally hub {} {role}", hub.node_tag())],
        )
        .await
        .unwrap()
        .get(0)
}

#[test]
fn a_url_that_requires_tls_is_refused_with_what_to_do() {
    let Err(error) = PgHub::start("postgres://app@db.internal/app?sslmode=require", "app") else {
        panic!("a URL requiring TLS was accepted");
    };
    assert!(matches!(error, PgHubError::TlsRequired), "{error}");
    assert!(error.to_string().contains("sslmode=disable"), "{error}");
}

#[test]
fn a_publish_reaches_every_other_subscriber_once_and_never_its_origin() {
    with_database(|url| async move {
        let (a, b) = (
            PgHub::start(&url, PREFIX).unwrap(),
            PgHub::start(&url, PREFIX).unwrap(),
        );
        let mut origin = Tab::join(&a, &["game:1", "standings"]);
        let mut a_other = Tab::join(&a, &["game:1"]);
        let mut b_both = Tab::join(&b, &["game:1", "standings"]);
        let mut b_standings = Tab::join(&b, &["standings"]);
        let mut b_elsewhere = Tab::join(&b, &["game:2"]);
        eventually("B listens to both topics", || {
            b.is_listening("game:1") && b.is_listening("standings")
        })
        .await;
        eventually("A listens too", || a.is_listening("game:1")).await;

        a.publish(Some(origin.id), &topics(&["game:1", "standings"]), b"goal");
        assert_eq!(a_other.next().await, push("game:1", b"goal"));
        // Both channels carry it to B; each tab receives it once, tagged with its first topic.
        assert_eq!(b_both.next().await, push("game:1", b"goal"));
        assert_eq!(b_standings.next().await, push("standings", b"goal"));
        origin
            .assert_quiet("the saving tab receives its own publish")
            .await;
        a_other
            .assert_quiet("A's own publish comes back through Postgres and is dropped")
            .await;
        b_both.assert_quiet("once across topics").await;
        b_elsewhere.assert_quiet("another topic").await;

        // The other way round, with no origin (a job publishing).
        b.publish(None, &topics(&["game:1"]), b"whistle");
        for tab in [&mut origin, &mut a_other, &mut b_both] {
            assert_eq!(tab.next().await, push("game:1", b"whistle"));
        }
    });
}

#[test]
fn a_node_listens_to_what_its_tabs_want_and_follows_changes() {
    with_database(|url| async move {
        let (a, b) = (
            PgHub::start(&url, PREFIX).unwrap(),
            PgHub::start(&url, PREFIX).unwrap(),
        );
        let mut tab = Tab::join(&b, &["team:1"]);
        eventually("B listens to team:1", || b.is_listening("team:1")).await;
        assert!(!b.is_listening("team:2"), "nothing nobody wants");

        b.set_topics(tab.id, topics(&["team:2"]));
        eventually("B follows the change", || {
            b.is_listening("team:2") && !b.is_listening("team:1")
        })
        .await;
        a.publish(None, &topics(&["team:1"]), b"old page");
        tab.assert_quiet("the tab left team:1").await;
        a.publish(None, &topics(&["team:2"]), b"new page");
        assert_eq!(tab.next().await, push("team:2", b"new page"));

        b.leave(tab.id);
        eventually("B stops listening once its last tab leaves", || {
            !b.is_listening("team:2")
        })
        .await;
        assert!(b.is_subscribed(), "the connection itself stays");
    });
}

#[test]
fn an_event_too_large_for_notify_stays_local_and_the_other_nodes_catch_up() {
    with_database(|url| async move {
        let (a, b) = (
            PgHub::start(&url, PREFIX).unwrap(),
            PgHub::start(&url, PREFIX).unwrap(),
        );
        let mut local = Tab::join(&a, &["game:1"]);
        let mut remote = Tab::join(&b, &["game:1"]);
        eventually("B listens", || b.is_listening("game:1")).await;
        eventually("A listens", || a.is_subscribed()).await;

        let large = vec![7u8; MAX_PAYLOAD];
        a.publish(None, &topics(&["game:1"]), &large);
        assert_eq!(
            local.next().await,
            push("game:1", &large),
            "the save's node"
        );
        assert_eq!(
            remote.next().await,
            ServerFrame::CatchUp,
            "instead of the push"
        );
        local
            .assert_quiet("A's tabs had the event; only the other nodes catch up")
            .await;

        // Just under the limit still travels.
        let fits = vec![1u8; 5800];
        a.publish(None, &topics(&["game:1"]), &fits);
        assert_eq!(local.next().await, push("game:1", &fits));
        assert_eq!(remote.next().await, push("game:1", &fits));
    });
}

#[test]
fn a_lost_listen_connection_comes_back_and_its_tabs_catch_up() {
    with_database(|url| async move {
        let (a, b) = (
            PgHub::start(&url, PREFIX).unwrap(),
            PgHub::start(&url, PREFIX).unwrap(),
        );
        let mut tab = Tab::join(&b, &["game:1"]);
        eventually("B listens", || b.is_listening("game:1")).await;
        let admin = admin(&url).await;
        assert_eq!(terminate(&admin, &b, "listen").await, 1);
        // Whatever was published meanwhile never reached B: its tabs re-load instead.
        assert_eq!(tab.next().await, ServerFrame::CatchUp);
        eventually("B listens again", || b.is_listening("game:1")).await;
        a.publish(None, &topics(&["game:1"]), b"after");
        assert_eq!(tab.next().await, push("game:1", b"after"));
    });
}

#[test]
fn a_closed_publishing_connection_is_replaced_without_losing_the_publish() {
    with_database(|url| async move {
        let (a, b) = (
            PgHub::start(&url, PREFIX).unwrap(),
            PgHub::start(&url, PREFIX).unwrap(),
        );
        let mut tab = Tab::join(&b, &["game:1"]);
        eventually("B listens", || b.is_listening("game:1")).await;
        a.publish(None, &topics(&["game:1"]), b"first");
        assert_eq!(tab.next().await, push("game:1", b"first"));
        let admin = admin(&url).await;
        assert_eq!(terminate(&admin, &a, "publish").await, 1);
        // Give A's connection task a moment to read the server's goodbye, as it would have
        // after a restart long past; the publisher then sees the client closed and reconnects.
        tokio::time::sleep(Duration::from_millis(100)).await;
        a.publish(None, &topics(&["game:1"]), b"second");
        assert_eq!(tab.next().await, push("game:1", b"second"));
        tab.assert_quiet("nothing was dropped, so no catch-up")
            .await;
    });
}

#[test]
fn publishes_dropped_while_postgres_refused_a_node_make_the_others_catch_up() {
    with_database(|url| async move {
        let (a, b) = (
            PgHub::start(&url, PREFIX).unwrap(),
            PgHub::start(&url, PREFIX).unwrap(),
        );
        let mut saver = Tab::join(&a, &["game:1"]);
        let mut remote = Tab::join(&b, &["game:1"]);
        eventually("B listens", || b.is_listening("game:1")).await;
        a.publish(None, &topics(&["game:1"]), b"before");
        assert_eq!(saver.next().await, push("game:1", b"before"));
        assert_eq!(remote.next().await, push("game:1", b"before"));

        // A loses its publishing connection and cannot get a new one; B's stays up.
        let database = url.rsplit('/').next().unwrap().to_owned();
        let maintenance = admin(&cluster().url()).await;
        maintenance
            .batch_execute(&format!(
                "ALTER DATABASE {database} ALLOW_CONNECTIONS false"
            ))
            .await
            .unwrap();
        // `pg_stat_activity` covers the whole cluster.
        assert_eq!(terminate(&maintenance, &a, "publish").await, 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        a.publish(None, &topics(&["game:1"]), b"lost");
        assert_eq!(
            saver.next().await,
            push("game:1", b"lost"),
            "the save's node delivers while Postgres refuses it"
        );
        remote.assert_quiet("the publish could not travel").await;

        maintenance
            .batch_execute(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"))
            .await
            .unwrap();
        // A reconnects on its next publish (after its back-off) and announces what it dropped.
        let deadline = Instant::now() + ARRIVES;
        let mut frames = Vec::new();
        while !frames.contains(&ServerFrame::CatchUp) {
            assert!(
                Instant::now() < deadline,
                "B's tab was never told to catch up: {frames:?}"
            );
            a.publish(None, &topics(&["game:1"]), b"later");
            if let Some(frame) = remote.next_within(Duration::from_millis(300)).await {
                frames.push(frame);
            }
        }
        assert!(
            !frames.contains(&push("game:1", b"lost")),
            "dropped, not replayed: {frames:?}"
        );
    });
}

#[test]
fn a_stray_notification_on_a_hub_channel_is_ignored() {
    with_database(|url| async move {
        let (a, b) = (
            PgHub::start(&url, PREFIX).unwrap(),
            PgHub::start(&url, PREFIX).unwrap(),
        );
        let mut tab = Tab::join(&b, &["game:1"]);
        eventually("B listens", || b.is_listening("game:1")).await;
        let channel = Channels::new(PREFIX).topic("game:1");
        let admin = admin(&url).await;
        for payload in ["not base64 !", "aGVsbG8="] {
            admin
                .execute("SELECT pg_notify($1, $2)", &[&channel, &payload])
                .await
                .unwrap();
        }
        a.publish(None, &topics(&["game:1"]), b"real");
        assert_eq!(tab.next().await, push("game:1", b"real"));
        assert!(b.is_subscribed(), "still listening");
    });
}

#[test]
fn channel_names_are_short_identifiers_prefixed_per_app() {
    assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    let channels = Channels::new("rally_scoreboard_");
    assert_eq!(channels.control(), "rally_scoreboard_catch_up");
    let game = channels.topic("game:1");
    assert!(
        game.starts_with("rally_scoreboard_t_") && game.len() == 35,
        "{game}"
    );
    assert_ne!(game, channels.topic("game:2"));
    let long = Channels::new(&format!("rally_{}-App_", "x".repeat(100)));
    let name = long.topic(&"t".repeat(1000));
    assert!(name.len() <= 63, "{name}");
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "{name}"
    );
    assert_eq!(quote("a\"b"), "\"a\"\"b\"");
}
