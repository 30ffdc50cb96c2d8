//! The hub for several server nodes over Postgres `LISTEN`/`NOTIFY`: for apps that already share
//! a Postgres database and do not want to run Redis too. The semantics are the Redis hub's
//! (`RedisHub`, feature `redis`):
//!
//! - A publish is delivered to this node's subscribers at once, then queued for a background
//!   task that sends it with `pg_notify` to one channel per topic. Postgres is not on a save's
//!   path: the queue is bounded, and a save succeeds while the database is away.
//! - Each node `LISTEN`s, on one dedicated connection, to the channels of the topics its own
//!   connections want, following the set as tabs change pages, and hands what arrives to its
//!   [`LocalHub`]. The envelope carries the publishing node's id (a node drops its own
//!   publishes: it delivered them already, with the origin excluded) and every topic of the
//!   publish (a node that receives it on several channels delivers it once).
//! - What the other nodes missed is recovered, not replayed: when a node's `LISTEN` connection
//!   comes back it tells its tabs to catch up
//!   ([`ServerFrame::CatchUp`](rally_wire::ServerFrame::CatchUp)), and a node that had to drop
//!   publishes announces it on a control channel once it can publish again.
//!
//! What differs from Redis:
//!
//! - **Channel names** are identifiers of at most 63 bytes, and topics are arbitrary strings,
//!   so a topic's channel is the app's prefix and a 64-bit FNV-1a hash of the topic
//!   (`rally_scoreboard_t_1c2d…`). Two topics sharing a channel only cost a node a message it
//!   filters out: the envelope names the topics, and the `LocalHub` delivers by them.
//! - **Payloads** are text under 8000 bytes (the envelope, postcard, in base64). A larger event
//!   is delivered on its own node and refused for the others with an error in the log naming
//!   its topics and size; the other nodes' tabs are told to catch up instead of missing it.
//!   Keep broadcast events small (ids and changed fields) — about 5.9 kB is the limit.
//! - Notifications are sent when the sending transaction commits; `pg_notify` here runs in its
//!   own statement, so that is at once. Postgres keeps undelivered notifications in a queue of
//!   8 GB by default; a `LISTEN` connection that stops reading holds it up for everyone, which
//!   is why the listening task does nothing but decode and hand over.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rally_sql::postgres::describe;
use tokio::sync::{Notify, mpsc};
use tokio_postgres::{AsyncMessage, Client, Config, NoTls, Notification, Statement};
use tokio_util::sync::{CancellationToken, DropGuard};

use super::broker::{Envelope, Kind, Outage, Seen, node_id};
use super::hub::{ConnectionId, Hub, LocalHub, Outbox};

/// How long connecting, or one command, may take before the database counts as away.
const BROKER_TIMEOUT: Duration = Duration::from_secs(2);
/// Publishes waiting for the database; beyond this they are dropped (and announced as lost).
const PUBLISH_QUEUE: usize = 8192;
/// The longest wait between attempts to reach the database.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The longest `NOTIFY` payload Postgres accepts with its default 8 kB block size: it refuses
/// 8000 bytes or more.
pub const MAX_PAYLOAD: usize = 7999;
/// The longest channel prefix kept, so that prefix + `t_` + 16 hex digits stays within the 63
/// bytes of a Postgres identifier (a longer `LISTEN` name would be truncated, while `pg_notify`
/// refuses it).
const MAX_PREFIX: usize = 40;
/// How long the `LISTEN` connection may be silent before TCP keepalives probe it, so a server
/// that vanished without closing the connection is noticed in about a minute, not two hours.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);

/// Why a [`PgHub`] could not be started.
#[derive(Debug, thiserror::Error)]
pub enum PgHubError {
    /// The URL is not a Postgres connection string.
    #[error(
        "RALLY_HUB is not a usable Postgres URL ({}) — use e.g. postgres://app:password@db.internal:5432/app",
        describe(.0)
    )]
    InvalidUrl(#[source] tokio_postgres::Error),
    /// The URL asks for TLS, which the hub's connections do not support.
    #[error("RALLY_HUB is not usable: {}", rally_sql::postgres::TLS_UNSUPPORTED)]
    TlsRequired,
}

/// Why talking to Postgres failed (logged, then retried).
#[derive(Debug, thiserror::Error)]
enum BrokerError {
    #[error("{}", describe(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("{0} timed out after {BROKER_TIMEOUT:?}")]
    TimedOut(&'static str),
    #[error("the connection ended")]
    Ended,
}

/// A [`Hub`] whose publishes reach the subscribers of every node connected to the same Postgres
/// database. Must be created inside a Tokio runtime (it starts two tasks, stopped when it is
/// dropped).
pub struct PgHub {
    local: Arc<LocalHub>,
    shared: Arc<Shared>,
    publish: mpsc::Sender<Outgoing>,
    _stop: DropGuard,
}

/// What the hub and its tasks share.
struct Shared {
    node: [u8; 16],
    sequence: AtomicU64,
    /// The connections' wanted topics changed: the listening task follows.
    topics_changed: Notify,
    /// A publish was dropped while the database was away: announce it once it is back.
    dropped: AtomicBool,
    /// Whether the `LISTEN` connection is live (for tests and health checks).
    subscribed: AtomicBool,
    /// The channels the `LISTEN` connection listens to now.
    listening: Mutex<HashSet<String>>,
    channels: Channels,
}

/// Channel names, prefixed per app so that apps can share one database.
#[derive(Debug, Clone)]
struct Channels {
    prefix: String,
}

impl Channels {
    /// Keeps `[a-z0-9_]` of `prefix` (anything else becomes `_`), at most [`MAX_PREFIX`] bytes.
    fn new(prefix: &str) -> Self {
        let prefix = prefix
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(MAX_PREFIX)
            .collect();
        Channels { prefix }
    }

    fn topic(&self, topic: &str) -> String {
        format!("{}t_{:016x}", self.prefix, fnv1a(topic))
    }

    fn control(&self) -> String {
        format!("{}catch_up", self.prefix)
    }
}

/// 64-bit FNV-1a: stable across nodes, builds and platforms (unlike `std`'s hasher), which is
/// all a channel name needs; a collision costs a filtered-out message, not a wrong delivery.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `name` as a quoted identifier (channel names are made of `[a-z0-9_]`, but a prefix may
/// start with a digit, which an unquoted identifier cannot).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A publish on its way to the database: the channels and the encoded envelope.
struct Outgoing {
    channels: Vec<String>,
    payload: String,
}

impl PgHub {
    /// Starts following the Postgres database at `url`, with channel names starting with
    /// `prefix` (for example `rally_scoreboard_`). Connecting happens in the background and is
    /// retried for as long as the hub lives; until then publishes reach this node's
    /// subscribers only. The connections are unencrypted: a private network.
    pub fn start(url: &str, prefix: &str) -> Result<Self, PgHubError> {
        let mut config: Config = url.parse().map_err(PgHubError::InvalidUrl)?;
        if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
            return Err(PgHubError::TlsRequired);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(BROKER_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(BROKER_TIMEOUT * 5);
        }
        config.keepalives_idle(KEEPALIVE_IDLE);
        let node = node_id();
        let shared = Arc::new(Shared {
            node,
            sequence: AtomicU64::new(0),
            topics_changed: Notify::new(),
            dropped: AtomicBool::new(false),
            subscribed: AtomicBool::new(false),
            listening: Mutex::new(HashSet::new()),
            channels: Channels::new(prefix),
        });
        let local = Arc::new(LocalHub::new());
        let stop = CancellationToken::new();
        let (publish, outgoing) = mpsc::channel(PUBLISH_QUEUE);
        // Each connection names its node and role, so an operator can tell them apart in
        // `pg_stat_activity`.
        let named = |role: &str| {
            let mut config = config.clone();
            config.application_name(format!("rally hub {} {role}", node_tag(&node)));
            config
        };
        tokio::spawn(publisher(
            named("publish"),
            Arc::clone(&shared),
            outgoing,
            stop.clone(),
        ));
        tokio::spawn(subscriber(
            named("listen"),
            Arc::clone(&shared),
            Arc::clone(&local),
            stop.clone(),
        ));
        Ok(PgHub {
            local,
            shared,
            publish,
            _stop: stop.drop_guard(),
        })
    }

    /// The hub of this node's connections.
    pub fn local(&self) -> &LocalHub {
        &self.local
    }

    /// Whether this node's `LISTEN` connection is live.
    pub fn is_subscribed(&self) -> bool {
        self.shared.subscribed.load(Ordering::Relaxed)
    }

    /// Whether this node listens to `topic`'s channel now (it does shortly after one of its
    /// connections subscribes to the topic).
    pub fn is_listening(&self, topic: &str) -> bool {
        self.shared
            .listening
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&self.shared.channels.topic(topic))
    }

    /// This node's id as it appears in its connections' `application_name`
    /// (`rally hub <id> listen` and `rally hub <id> publish`).
    pub fn node_tag(&self) -> String {
        node_tag(&self.shared.node)
    }

    fn send(&self, kind: Kind, channels: Vec<String>) {
        let envelope = Envelope {
            node: self.shared.node,
            sequence: self.shared.sequence.fetch_add(1, Ordering::Relaxed),
            kind,
        };
        let Ok(bytes) = postcard::to_allocvec(&envelope) else {
            return;
        };
        let payload = BASE64.encode(bytes);
        if payload.len() > MAX_PAYLOAD {
            if let Kind::Event { topics, event } = &envelope.kind {
                tracing::error!(
                    ?topics,
                    event_bytes = event.len(),
                    notify_bytes = payload.len(),
                    "a broadcast event is too large for Postgres NOTIFY (at most {MAX_PAYLOAD} bytes after encoding, about 5.9 kB of event): delivered on this node only, and the other nodes' tabs are told to catch up — send ids and changed fields, and let pages load the rest"
                );
            }
            self.send(Kind::CatchUp, vec![self.shared.channels.control()]);
            return;
        }
        if self
            .publish
            .try_send(Outgoing { channels, payload })
            .is_err()
        {
            // The database is away or too slow; the other nodes' tabs catch up once it is back.
            self.shared.dropped.store(true, Ordering::Relaxed);
        }
    }
}

/// The first four bytes of a node id in hex.
fn node_tag(node: &[u8; 16]) -> String {
    node[..4].iter().map(|b| format!("{b:02x}")).collect()
}

impl Hub for PgHub {
    fn join(&self, connection: ConnectionId, outbox: Outbox) {
        self.local.join(connection, outbox);
    }

    fn set_topics(&self, connection: ConnectionId, topics: Vec<String>) {
        self.local.set_topics(connection, topics);
        self.shared.topics_changed.notify_one();
    }

    fn leave(&self, connection: ConnectionId) {
        self.local.leave(connection);
        self.shared.topics_changed.notify_one();
    }

    fn publish(&self, origin: Option<ConnectionId>, topics: &[String], event: &[u8]) {
        self.local.publish(origin, topics, event);
        let channels = topics
            .iter()
            .map(|t| self.shared.channels.topic(t))
            .collect();
        self.send(
            Kind::Event {
                topics: topics.to_vec(),
                event: event.to_vec(),
            },
            channels,
        );
    }
}

/// Runs `future`, failing with [`BrokerError::TimedOut`] after [`BROKER_TIMEOUT`].
async fn timed<T>(
    what: &'static str,
    future: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, BrokerError> {
    tokio::time::timeout(BROKER_TIMEOUT, future)
        .await
        .map_err(|_| BrokerError::TimedOut(what))?
        .map_err(BrokerError::from)
}

/// The publishing connection and its prepared `pg_notify` statement.
struct Publisher {
    client: Client,
    notify: Statement,
}

impl Publisher {
    async fn connect(config: &Config) -> Result<Publisher, BrokerError> {
        let (client, connection) = timed("connect", config.connect(NoTls)).await?;
        // The connection does the I/O; it ends when the client is dropped or the server goes.
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "the Postgres hub's publishing connection ended");
            }
        });
        // One round trip for every channel of a publish; they commit (and are sent) together.
        let notify = timed(
            "prepare",
            client.prepare("SELECT pg_notify(channel, $2) FROM unnest($1::text[]) AS channel"),
        )
        .await?;
        Ok(Publisher { client, notify })
    }

    async fn send(&self, message: &Outgoing) -> Result<(), BrokerError> {
        timed(
            "pg_notify",
            self.client
                .execute(&self.notify, &[&message.channels, &message.payload]),
        )
        .await
        .map(drop)
    }
}

/// Sends queued publishes to Postgres.
async fn publisher(
    config: Config,
    shared: Arc<Shared>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    stop: CancellationToken,
) {
    let mut outage = Outage::new("Postgres", "publish");
    let mut connection: Option<Publisher> = None;
    let mut retry_at = tokio::time::Instant::now();
    let mut backoff = Duration::from_millis(100);
    loop {
        let next = tokio::select! {
            () = stop.cancelled() => return,
            next = outgoing.recv() => next,
        };
        let Some(message) = next else { return };
        if connection.as_ref().is_some_and(|c| c.client.is_closed()) {
            connection = None;
        }
        if connection.is_none() {
            if tokio::time::Instant::now() < retry_at {
                shared.dropped.store(true, Ordering::Relaxed);
                continue;
            }
            match Publisher::connect(&config).await {
                Ok(c) => connection = Some(c),
                Err(e) => {
                    outage.failed(&e);
                    shared.dropped.store(true, Ordering::Relaxed);
                    retry_at = tokio::time::Instant::now() + backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
        }
        let Some(c) = connection.as_ref() else {
            continue;
        };
        match c.send(&message).await {
            Ok(()) => {
                backoff = Duration::from_millis(100);
                outage.recovered();
                if shared.dropped.swap(false, Ordering::Relaxed) {
                    announce_catch_up(c, &shared).await;
                }
            }
            Err(e) => {
                outage.failed(&e);
                shared.dropped.store(true, Ordering::Relaxed);
                connection = None;
            }
        }
    }
}

/// Tells every node (this one's tabs were served locally) that publishes were dropped.
async fn announce_catch_up(connection: &Publisher, shared: &Shared) {
    let envelope = Envelope {
        node: shared.node,
        sequence: shared.sequence.fetch_add(1, Ordering::Relaxed),
        kind: Kind::CatchUp,
    };
    let Ok(bytes) = postcard::to_allocvec(&envelope) else {
        return;
    };
    let message = Outgoing {
        channels: vec![shared.channels.control()],
        payload: BASE64.encode(bytes),
    };
    match connection.send(&message).await {
        Ok(()) => tracing::info!(
            "told the other nodes to catch up on publishes dropped while Postgres was away"
        ),
        Err(e) => {
            tracing::warn!("cannot tell the other nodes to catch up: {e}");
            shared.dropped.store(true, Ordering::Relaxed);
        }
    }
}

/// Follows the union of this node's wanted topics with `LISTEN` and delivers what arrives.
async fn subscriber(
    config: Config,
    shared: Arc<Shared>,
    local: Arc<LocalHub>,
    stop: CancellationToken,
) {
    let mut outage = Outage::new("Postgres", "receive other nodes' publishes");
    let mut backoff = Duration::from_millis(100);
    let mut seen = Seen::default();
    let mut ever_subscribed = false;
    loop {
        let session = tokio::select! {
            () = stop.cancelled() => return,
            session = follow(&config, &shared, &local, &mut seen, &mut outage, &mut ever_subscribed) => session,
        };
        shared.subscribed.store(false, Ordering::Relaxed);
        shared
            .listening
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        match session {
            // The connection ran, so the database was reachable: retry soon.
            Ok(()) => backoff = Duration::from_millis(100),
            Err(e) => outage.failed(&e),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Aborts the task driving the `LISTEN` connection when [`follow`] ends or is cancelled, which
/// closes the connection.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One `LISTEN` connection, until it ends.
async fn follow(
    config: &Config,
    shared: &Shared,
    local: &LocalHub,
    seen: &mut Seen,
    outage: &mut Outage,
    ever_subscribed: &mut bool,
) -> Result<(), BrokerError> {
    let (client, mut connection) = timed("connect", config.connect(NoTls)).await?;
    // Notifications arrive on the connection, not the client: a task polls it (which also
    // carries the client's LISTEN commands) and forwards them. Unbounded because this side
    // only decodes and hands over, and a bounded queue would need a policy for dropping —
    // Postgres already holds back what this connection has not read.
    let (forward, mut notifications) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            let message = std::future::poll_fn(|cx| connection.poll_message(cx)).await;
            let item = match message {
                Some(Ok(AsyncMessage::Notification(n))) => Ok(n),
                // Notices (and anything new) carry nothing for the hub.
                Some(Ok(_)) => continue,
                Some(Err(e)) => Err(e),
                None => return,
            };
            let last = item.is_err();
            if forward.send(item).is_err() || last {
                return;
            }
        }
    });
    let _driver = AbortOnDrop(driver.abort_handle());
    let mut listening: HashSet<String> = HashSet::new();
    timed(
        "LISTEN",
        client.batch_execute(&format!("LISTEN {}", quote(&shared.channels.control()))),
    )
    .await?;
    follow_topics(&client, &mut listening, shared, local).await?;
    shared.subscribed.store(true, Ordering::Relaxed);
    let recovered = outage.recovered();
    if std::mem::replace(ever_subscribed, true) || recovered {
        // Publishes made while this node was not listening never reached it.
        let told = local.catch_up();
        tracing::info!(
            connections = told,
            "listening on Postgres again; tabs told to catch up"
        );
    }
    loop {
        tokio::select! {
            () = shared.topics_changed.notified() => {
                follow_topics(&client, &mut listening, shared, local).await?;
            }
            item = notifications.recv() => match item {
                Some(Ok(notification)) => receive(&notification, shared, local, seen),
                Some(Err(e)) => return Err(e.into()),
                None => {
                    outage.failed(&BrokerError::Ended);
                    return Ok(());
                }
            },
        }
    }
}

/// Listens to the channels of the topics this node's connections now want and stops
/// listening to the rest, in one round trip.
async fn follow_topics(
    client: &Client,
    listening: &mut HashSet<String>,
    shared: &Shared,
    local: &LocalHub,
) -> Result<(), BrokerError> {
    let wanted: HashSet<String> = local
        .wanted_topics()
        .iter()
        .map(|t| shared.channels.topic(t))
        .collect();
    let commands: Vec<String> = wanted
        .difference(listening)
        .map(|c| format!("LISTEN {}", quote(c)))
        .chain(
            listening
                .difference(&wanted)
                .map(|c| format!("UNLISTEN {}", quote(c))),
        )
        .collect();
    if !commands.is_empty() {
        timed("LISTEN", client.batch_execute(&commands.join(";"))).await?;
    }
    shared
        .listening
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone_from(&wanted);
    *listening = wanted;
    Ok(())
}

/// Hands a notification to this node's subscribers. Malformed payloads are dropped with a
/// warning: anyone with access to the database can `NOTIFY`, and a stray one must not take the
/// node down.
fn receive(notification: &Notification, shared: &Shared, local: &LocalHub, seen: &mut Seen) {
    let envelope: Result<Envelope, String> = BASE64
        .decode(notification.payload())
        .map_err(|e| e.to_string())
        .and_then(|bytes| postcard::from_bytes(&bytes).map_err(|e| e.to_string()));
    let envelope = match envelope {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::warn!(
                channel = notification.channel(),
                "dropping a notification the Postgres hub cannot read: {e}"
            );
            return;
        }
    };
    super::broker::deliver(
        envelope,
        shared.node,
        local,
        seen,
        "another node dropped publishes or sent one too large for NOTIFY",
    );
}

impl std::fmt::Debug for PgHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgHub")
            .field("prefix", &self.shared.channels.prefix)
            .field("subscribed", &self.is_subscribed())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
