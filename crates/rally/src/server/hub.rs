//! The topic hub: which connection wants which topics, and delivering pushes to them.
//!
//! [`Hub`] is the seam for running several server nodes: [`LocalHub`] delivers within this
//! process; a broker-backed hub (Redis pub/sub, NATS) would forward [`Hub::publish`] to the
//! broker and hand what the broker delivers to a `LocalHub` of its own, so nothing else changes.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use rally_wire::{ServerFrame, encode};

use super::mailbox::Mailbox;

/// Identifies a WebSocket connection within this server process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

impl ConnectionId {
    /// A fresh id, unique within the process.
    pub fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ConnectionId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Where a connection receives pushes: its bounded push queue, which disconnects the
/// connection when it is full.
#[derive(Debug, Clone)]
pub struct Outbox {
    mailbox: Arc<Mailbox>,
}

/// What happened to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued for the connection.
    Queued,
    /// The queue was full: the connection was told to disconnect (it reconnects and reloads).
    Overflowed,
    /// The connection is gone.
    Closed,
}

impl Outbox {
    /// The outbox of the connection that drains `mailbox`.
    pub(crate) fn new(mailbox: Arc<Mailbox>) -> Self {
        Outbox { mailbox }
    }

    /// Queues a frame without waiting; a full queue disconnects the consumer rather than
    /// buffering without bound.
    pub fn deliver(&self, frame: Bytes) -> Delivery {
        self.mailbox.push(frame)
    }
}

/// Routes broadcast events to the connections subscribed to their topics.
pub trait Hub: Send + Sync + 'static {
    /// Registers a connection with no topics.
    fn join(&self, connection: ConnectionId, outbox: Outbox);

    /// Replaces the connection's whole topic set.
    fn set_topics(&self, connection: ConnectionId, topics: Vec<String>);

    /// Forgets a connection and its topics.
    fn leave(&self, connection: ConnectionId);

    /// Delivers `event` (encoded) to every subscriber of each topic except `origin`; a
    /// connection subscribed to several of the topics receives it once, tagged with the first.
    fn publish(&self, origin: Option<ConnectionId>, topics: &[String], event: &[u8]);
}

/// The in-process hub.
#[derive(Debug, Default)]
pub struct LocalHub {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    connections: HashMap<ConnectionId, Subscriber>,
    topics: HashMap<String, HashSet<ConnectionId>>,
}

#[derive(Debug)]
struct Subscriber {
    outbox: Outbox,
    topics: Vec<String>,
}

impl LocalHub {
    /// An empty hub.
    pub fn new() -> Self {
        LocalHub::default()
    }

    /// Connections currently registered.
    pub fn connections(&self) -> usize {
        self.lock().connections.len()
    }

    /// Connections subscribed to `topic`.
    pub fn subscribers(&self, topic: &str) -> usize {
        self.lock().topics.get(topic).map_or(0, HashSet::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent across a panic elsewhere (every update is one step).
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn unsubscribe(&mut self, connection: ConnectionId, topics: &[String]) {
        for topic in topics {
            if let Some(set) = self.topics.get_mut(topic) {
                set.remove(&connection);
                if set.is_empty() {
                    self.topics.remove(topic);
                }
            }
        }
    }

    fn remove(&mut self, connection: ConnectionId) {
        if let Some(sub) = self.connections.remove(&connection) {
            self.unsubscribe(connection, &sub.topics);
        }
    }
}

impl Hub for LocalHub {
    fn join(&self, connection: ConnectionId, outbox: Outbox) {
        let sub = Subscriber {
            outbox,
            topics: Vec::new(),
        };
        self.lock().connections.insert(connection, sub);
    }

    fn set_topics(&self, connection: ConnectionId, topics: Vec<String>) {
        let mut state = self.lock();
        let Some(sub) = state.connections.get_mut(&connection) else {
            return;
        };
        let old = std::mem::replace(&mut sub.topics, topics.clone());
        let removed: Vec<String> = old.into_iter().filter(|t| !topics.contains(t)).collect();
        state.unsubscribe(connection, &removed);
        for topic in topics {
            state.topics.entry(topic).or_default().insert(connection);
        }
    }

    fn leave(&self, connection: ConnectionId) {
        self.lock().remove(connection);
    }

    fn publish(&self, origin: Option<ConnectionId>, topics: &[String], event: &[u8]) {
        let mut state = self.lock();
        let mut reached: HashSet<ConnectionId> = HashSet::new();
        let mut gone: Vec<ConnectionId> = Vec::new();
        for topic in topics {
            let Some(subscribers) = state.topics.get(topic) else {
                continue;
            };
            let frame = Bytes::from(encode(&ServerFrame::Push {
                topic: topic.clone(),
                event: event.to_vec(),
            }));
            for &connection in subscribers {
                if Some(connection) == origin || (topics.len() > 1 && !reached.insert(connection)) {
                    continue;
                }
                let delivery = state
                    .connections
                    .get(&connection)
                    .map(|s| s.outbox.deliver(frame.clone()));
                match delivery {
                    Some(Delivery::Queued) => {}
                    Some(Delivery::Overflowed) => {
                        tracing::warn!(
                            connection = connection.0,
                            "push queue full; disconnecting the slow consumer"
                        );
                        gone.push(connection);
                    }
                    Some(Delivery::Closed) | None => gone.push(connection),
                }
            }
        }
        for connection in gone {
            state.remove(connection);
        }
    }
}
