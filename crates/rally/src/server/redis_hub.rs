//! The hub for several server nodes: Redis pub/sub between the nodes, a [`LocalHub`] within
//! each.
//!
//! A publish is delivered to this node's subscribers at once, then sent through Redis to one
//! channel per topic (`rally:<app>:t:<topic>`). Each node subscribes to the channels of the
//! topics its own connections want, following the set as tabs change pages, and hands what
//! arrives to its `LocalHub` — so "every subscriber except the origin, each connection once"
//! holds across nodes as it does within one:
//!
//! - the envelope carries the publishing node's id, and a node drops its own publishes (it
//!   delivered them already, with the origin excluded);
//! - the envelope carries every topic of the publish, so a node that receives it on several
//!   channels delivers it once (by `(node, sequence)`) to the subscribers of any of them.
//!
//! Redis is not on a save's path: a publish is queued for a background task, and a save
//! succeeds while the broker is away, delivering on its own node. What the other nodes missed
//! is recovered, not replayed: when a node's subscription comes back it tells its tabs to
//! catch up ([`ServerFrame::CatchUp`](rally_wire::ServerFrame::CatchUp), the same re-load as
//! after a reconnect), and a node that had to drop publishes announces it on a control channel
//! once it can publish again, so every node's tabs catch up. Outages and recoveries are logged
//! once each, not per message.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::{CancellationToken, DropGuard};

use super::broker::{Envelope, Kind, Outage, Seen, node_id};
use super::hub::{ConnectionId, Hub, LocalHub, Outbox};

/// How long connecting to Redis, or one command, may take before the broker counts as away.
const BROKER_TIMEOUT: Duration = Duration::from_secs(2);
/// Publishes waiting for the broker; beyond this they are dropped (and announced as lost).
const PUBLISH_QUEUE: usize = 8192;
/// The longest wait between attempts to reach the broker.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A [`Hub`] whose publishes reach the subscribers of every node connected to the same Redis.
/// Must be created inside a Tokio runtime (it starts two tasks, stopped when it is dropped).
pub struct RedisHub {
    local: Arc<LocalHub>,
    shared: Arc<Shared>,
    publish: mpsc::Sender<Outgoing>,
    _stop: DropGuard,
}

/// What the hub and its tasks share.
struct Shared {
    node: [u8; 16],
    sequence: AtomicU64,
    /// The connections' wanted topics changed: the subscriber task follows.
    topics_changed: Notify,
    /// A publish was dropped while the broker was away: announce it once it is back.
    dropped: AtomicBool,
    /// Whether the subscription is live (for tests and health checks).
    subscribed: AtomicBool,
    channels: Channels,
}

/// Channel names, prefixed per app so that apps can share one Redis.
#[derive(Debug, Clone)]
struct Channels {
    prefix: String,
}

impl Channels {
    fn topic(&self, topic: &str) -> String {
        format!("{}t:{topic}", self.prefix)
    }

    fn control(&self) -> String {
        format!("{}catch-up", self.prefix)
    }
}

/// A publish on its way to the broker: the channels and the encoded envelope.
struct Outgoing {
    channels: Vec<String>,
    payload: Vec<u8>,
}

impl RedisHub {
    /// Starts following `client`'s Redis, with channel names starting with `prefix` (for
    /// example `rally:scoreboard:`). Connecting happens in the background and is retried for
    /// as long as the hub lives; until then publishes reach this node's subscribers only.
    pub fn start(client: redis::Client, prefix: impl Into<String>) -> Self {
        let node = node_id();
        let shared = Arc::new(Shared {
            node,
            sequence: AtomicU64::new(0),
            topics_changed: Notify::new(),
            dropped: AtomicBool::new(false),
            subscribed: AtomicBool::new(false),
            channels: Channels {
                prefix: prefix.into(),
            },
        });
        let local = Arc::new(LocalHub::new());
        let stop = CancellationToken::new();
        let (publish, outgoing) = mpsc::channel(PUBLISH_QUEUE);
        tokio::spawn(publisher(
            client.clone(),
            Arc::clone(&shared),
            outgoing,
            stop.clone(),
        ));
        tokio::spawn(subscriber(
            client,
            Arc::clone(&shared),
            Arc::clone(&local),
            stop.clone(),
        ));
        RedisHub {
            local,
            shared,
            publish,
            _stop: stop.drop_guard(),
        }
    }

    /// The hub of this node's connections.
    pub fn local(&self) -> &LocalHub {
        &self.local
    }

    /// Whether this node's subscription to the broker is live.
    pub fn is_subscribed(&self) -> bool {
        self.shared.subscribed.load(Ordering::Relaxed)
    }

    fn send(&self, kind: Kind, channels: Vec<String>) {
        let envelope = Envelope {
            node: self.shared.node,
            sequence: self.shared.sequence.fetch_add(1, Ordering::Relaxed),
            kind,
        };
        let Ok(payload) = postcard::to_allocvec(&envelope) else {
            return;
        };
        if self
            .publish
            .try_send(Outgoing { channels, payload })
            .is_err()
        {
            // The broker is away or too slow; the other nodes' tabs catch up once it is back.
            self.shared.dropped.store(true, Ordering::Relaxed);
        }
    }
}

impl Hub for RedisHub {
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

/// Sends queued publishes to Redis, one `PUBLISH` per channel in one round trip.
async fn publisher(
    client: redis::Client,
    shared: Arc<Shared>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    stop: CancellationToken,
) {
    let mut outage = Outage::new("Redis", "publish");
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    let mut retry_at = tokio::time::Instant::now();
    let mut backoff = Duration::from_millis(100);
    loop {
        let next = tokio::select! {
            () = stop.cancelled() => return,
            next = outgoing.recv() => next,
        };
        let Some(message) = next else { return };
        if connection.is_none() {
            if tokio::time::Instant::now() < retry_at {
                shared.dropped.store(true, Ordering::Relaxed);
                continue;
            }
            match connect(&client).await {
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
        let Some(c) = connection.as_mut() else {
            continue;
        };
        match send(c, &message).await {
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

async fn connect(client: &redis::Client) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(BROKER_TIMEOUT))
        .set_response_timeout(Some(BROKER_TIMEOUT));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

async fn send(
    connection: &mut redis::aio::MultiplexedConnection,
    message: &Outgoing,
) -> redis::RedisResult<()> {
    let mut pipe = redis::pipe();
    for channel in &message.channels {
        pipe.publish(channel, &message.payload).ignore();
    }
    pipe.query_async(connection).await
}

/// Tells every node (this one's tabs were served locally) that publishes were dropped.
async fn announce_catch_up(connection: &mut redis::aio::MultiplexedConnection, shared: &Shared) {
    let envelope = Envelope {
        node: shared.node,
        sequence: shared.sequence.fetch_add(1, Ordering::Relaxed),
        kind: Kind::CatchUp,
    };
    let Ok(payload) = postcard::to_allocvec(&envelope) else {
        return;
    };
    let message = Outgoing {
        channels: vec![shared.channels.control()],
        payload,
    };
    match send(connection, &message).await {
        Ok(()) => tracing::info!(
            "told the other nodes to catch up on publishes dropped while Redis was away"
        ),
        Err(e) => {
            tracing::warn!("cannot tell the other nodes to catch up: {e}");
            shared.dropped.store(true, Ordering::Relaxed);
        }
    }
}

/// Follows the union of this node's wanted topics on Redis and delivers what arrives.
async fn subscriber(
    client: redis::Client,
    shared: Arc<Shared>,
    local: Arc<LocalHub>,
    stop: CancellationToken,
) {
    let mut outage = Outage::new("Redis", "receive other nodes' publishes");
    let mut backoff = Duration::from_millis(100);
    let mut seen = Seen::default();
    let mut ever_subscribed = false;
    loop {
        let session = tokio::select! {
            () = stop.cancelled() => return,
            session = follow(&client, &shared, &local, &mut seen, &mut outage, &mut ever_subscribed) => session,
        };
        shared.subscribed.store(false, Ordering::Relaxed);
        match session {
            // The subscription ran, so the broker was reachable: retry soon.
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

/// One subscription, until the broker goes away.
async fn follow(
    client: &redis::Client,
    shared: &Shared,
    local: &LocalHub,
    seen: &mut Seen,
    outage: &mut Outage,
    ever_subscribed: &mut bool,
) -> redis::RedisResult<()> {
    let pubsub = tokio::time::timeout(BROKER_TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| timed_out("connect"))??;
    let (mut sink, mut stream) = pubsub.split();
    let mut subscribed: HashSet<String> = HashSet::new();
    with_timeout(sink.subscribe(shared.channels.control())).await?;
    follow_topics(&mut sink, &mut subscribed, shared, local).await?;
    shared.subscribed.store(true, Ordering::Relaxed);
    let recovered = outage.recovered();
    if std::mem::replace(ever_subscribed, true) || recovered {
        // Publishes made while this node was not subscribed never reached it.
        let told = local.catch_up();
        tracing::info!(
            connections = told,
            "subscribed to Redis again; tabs told to catch up"
        );
    }
    loop {
        tokio::select! {
            () = shared.topics_changed.notified() => {
                follow_topics(&mut sink, &mut subscribed, shared, local).await?;
            }
            message = stream.next() => {
                let Some(message) = message else {
                    outage.failed(&"the subscription ended");
                    return Ok(());
                };
                receive(&message, shared, local, seen);
            }
        }
    }
}

/// Subscribes to the topics this node's connections now want and unsubscribes from the rest.
async fn follow_topics(
    sink: &mut redis::aio::PubSubSink,
    subscribed: &mut HashSet<String>,
    shared: &Shared,
    local: &LocalHub,
) -> redis::RedisResult<()> {
    let wanted: HashSet<String> = local
        .wanted_topics()
        .iter()
        .map(|t| shared.channels.topic(t))
        .collect();
    let added: Vec<String> = wanted.difference(subscribed).cloned().collect();
    let removed: Vec<String> = subscribed.difference(&wanted).cloned().collect();
    if !added.is_empty() {
        with_timeout(sink.subscribe(&added)).await?;
    }
    if !removed.is_empty() {
        with_timeout(sink.unsubscribe(&removed)).await?;
    }
    *subscribed = wanted;
    Ok(())
}

async fn with_timeout(
    command: impl Future<Output = redis::RedisResult<()>>,
) -> redis::RedisResult<()> {
    tokio::time::timeout(BROKER_TIMEOUT, command)
        .await
        .map_err(|_| timed_out("subscribe"))?
}

fn timed_out(what: &'static str) -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what} timed out after {BROKER_TIMEOUT:?}"),
    ))
}

/// Hands a message from Redis to this node's subscribers. Malformed payloads are dropped with
/// a warning: the broker is trusted, but a stray `PUBLISH` must not take the node down.
fn receive(message: &redis::Msg, shared: &Shared, local: &LocalHub, seen: &mut Seen) {
    let envelope: Envelope = match postcard::from_bytes(message.get_payload_bytes()) {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::warn!(
                channel = message.get_channel_name(),
                "dropping a message the Redis hub cannot read: {e}"
            );
            return;
        }
    };
    super::broker::deliver(
        envelope,
        shared.node,
        local,
        seen,
        "another node dropped publishes while Redis was away",
    );
}

impl std::fmt::Debug for RedisHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHub")
            .field("prefix", &self.shared.channels.prefix)
            .field("subscribed", &self.is_subscribed())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_prefixed_per_app() {
        let channels = Channels {
            prefix: "rally:scoreboard:".into(),
        };
        assert_eq!(channels.topic("game:1"), "rally:scoreboard:t:game:1");
        assert_eq!(channels.control(), "rally:scoreboard:catch-up");
    }
}
