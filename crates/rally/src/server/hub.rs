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

    /// Tells every connection to re-load its page's data ([`ServerFrame::CatchUp`]): pushes
    /// may have been missed, as when a broker between nodes was away. Returns how many were
    /// told.
    pub fn catch_up(&self) -> usize {
        let frame = Bytes::from(encode(&ServerFrame::CatchUp));
        let mut state = self.lock();
        let gone: Vec<ConnectionId> = state
            .connections
            .iter()
            .filter(|(_, sub)| sub.outbox.deliver(frame.clone()) != Delivery::Queued)
            .map(|(id, _)| *id)
            .collect();
        for connection in &gone {
            state.remove(*connection);
        }
        state.connections.len()
    }

    /// The topics at least one connection wants, each once.
    pub fn wanted_topics(&self) -> Vec<String> {
        self.lock().topics.keys().cloned().collect()
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

/// Which hub the server publishes through, from `RALLY_HUB`: unset or `local` for this process
/// only, a `redis://…` (or `rediss://…`) URL for Redis pub/sub between several nodes, a
/// `postgres://…` (or `postgresql://…`) URL for Postgres `LISTEN`/`NOTIFY` between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HubConfig {
    /// [`LocalHub`]: one process.
    #[default]
    Local,
    /// The Redis hub (feature `redis`).
    Redis {
        /// The broker's URL.
        url: String,
        /// What its channel names start with, so apps can share one Redis: `rally:<package>:`.
        prefix: String,
    },
    /// The Postgres hub (feature `postgres-hub`).
    Postgres {
        /// The database's URL.
        url: String,
        /// What its channel names start with, so apps can share one database:
        /// `rally_<package>_`.
        prefix: String,
    },
}

/// Why `RALLY_HUB` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubConfigError {
    /// Neither `local` nor a Redis or Postgres URL.
    #[error(
        "RALLY_HUB={value} is not a hub — set it to `local` (the default, one process), a Redis URL such as `redis://127.0.0.1:6379` or a Postgres URL such as `postgres://app@127.0.0.1:5432/app`"
    )]
    Unknown {
        /// The value as set.
        value: String,
    },
    /// A Redis URL, in a server built without the Redis hub.
    #[error(
        "RALLY_HUB={url} asks for the Redis hub, but this server was built without it — enable the `redis` feature of the rally dependency (`rally = {{ …, features = [\"redis\"] }}`) and rebuild"
    )]
    NotBuilt {
        /// The URL, without its password.
        url: String,
    },
    /// A Redis URL the client cannot use.
    #[error(
        "RALLY_HUB={url} is not a usable Redis URL ({reason}) — use e.g. `redis://127.0.0.1:6379` or `rediss://:password@host:6380/0`"
    )]
    InvalidUrl {
        /// The URL, without its password.
        url: String,
        /// What the client said.
        reason: String,
    },
    /// A Postgres URL, in a server built without the Postgres hub.
    #[error(
        "RALLY_HUB={url} asks for the Postgres hub, but this server was built without it — enable the `postgres-hub` feature of the rally dependency (`rally = {{ …, features = [\"postgres-hub\"] }}`) and rebuild"
    )]
    PostgresNotBuilt {
        /// The URL, without its password.
        url: String,
    },
    /// A Postgres URL the client cannot use.
    #[error(
        "RALLY_HUB={url} is not a usable Postgres URL ({reason}) — use e.g. `postgres://app:password@db.internal:5432/app`"
    )]
    InvalidPostgresUrl {
        /// The URL, without its password.
        url: String,
        /// What the client said.
        reason: String,
    },
}

impl HubConfig {
    /// Reads `RALLY_HUB`; `package` names the app's channels.
    pub fn from_env(env: &crate::env::Env, package: &str) -> Result<Self, HubConfigError> {
        let value = env.get("RALLY_HUB").unwrap_or_default();
        let value = value.trim();
        if value.is_empty() || value == "local" {
            return Ok(HubConfig::Local);
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            return Self::postgres(value, package);
        }
        if !(value.starts_with("redis://") || value.starts_with("rediss://")) {
            return Err(HubConfigError::Unknown {
                value: redact(value),
            });
        }
        if !cfg!(feature = "redis") {
            return Err(HubConfigError::NotBuilt { url: redact(value) });
        }
        #[cfg(feature = "redis")]
        if let Err(e) = redis::Client::open(value) {
            return Err(HubConfigError::InvalidUrl {
                url: redact(value),
                reason: e.to_string(),
            });
        }
        Ok(HubConfig::Redis {
            url: value.to_owned(),
            prefix: format!("rally:{package}:"),
        })
    }

    /// `RALLY_HUB` naming a Postgres database.
    fn postgres(value: &str, package: &str) -> Result<Self, HubConfigError> {
        if !cfg!(feature = "postgres-hub") {
            return Err(HubConfigError::PostgresNotBuilt { url: redact(value) });
        }
        #[cfg(feature = "postgres-hub")]
        if let Err(e) = value.parse::<tokio_postgres::Config>() {
            return Err(HubConfigError::InvalidPostgresUrl {
                url: redact(value),
                reason: rally_sql::postgres::describe(&e),
            });
        }
        Ok(HubConfig::Postgres {
            url: value.to_owned(),
            prefix: format!("rally_{package}_"),
        })
    }

    /// The hub this configuration names. The Redis hub starts its tasks, so this must run
    /// inside a Tokio runtime.
    pub fn start(&self) -> Arc<dyn Hub> {
        match self {
            HubConfig::Local => Arc::new(LocalHub::new()),
            #[cfg(feature = "redis")]
            HubConfig::Redis { url, prefix } => match redis::Client::open(url.as_str()) {
                Ok(client) => Arc::new(super::redis_hub::RedisHub::start(client, prefix.clone())),
                // `from_env` opened it already; a hand-made config falls back loudly.
                Err(e) => {
                    tracing::error!("RALLY_HUB: {e}; publishing within this process only");
                    Arc::new(LocalHub::new())
                }
            },
            #[cfg(not(feature = "redis"))]
            HubConfig::Redis { .. } => {
                tracing::error!(
                    "RALLY_HUB names Redis but the `redis` feature is off; publishing within this process only"
                );
                Arc::new(LocalHub::new())
            }
            #[cfg(feature = "postgres-hub")]
            HubConfig::Postgres { url, prefix } => {
                match super::pg_hub::PgHub::start(url, prefix) {
                    Ok(hub) => Arc::new(hub),
                    // `from_env` parsed it already; a hand-made config falls back loudly.
                    Err(e) => {
                        tracing::error!("{e}; publishing within this process only");
                        Arc::new(LocalHub::new())
                    }
                }
            }
            #[cfg(not(feature = "postgres-hub"))]
            HubConfig::Postgres { .. } => {
                tracing::error!(
                    "RALLY_HUB names Postgres but the `postgres-hub` feature is off; publishing within this process only"
                );
                Arc::new(LocalHub::new())
            }
        }
    }
}

/// `redis://user:secret@host` → `redis://user:***@host`: errors and logs never show a password.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;

    fn config(value: Option<&str>) -> Result<HubConfig, HubConfigError> {
        let pairs: Vec<(&str, &str)> = value.map(|v| ("RALLY_HUB", v)).into_iter().collect();
        HubConfig::from_env(&Env::from_pairs(pairs), "scoreboard")
    }

    #[test]
    fn the_local_hub_is_the_default() {
        assert_eq!(config(None), Ok(HubConfig::Local));
        assert_eq!(config(Some("")), Ok(HubConfig::Local));
        assert_eq!(config(Some("local")), Ok(HubConfig::Local));
    }

    #[test]
    fn a_postgres_url_names_the_postgres_hub_and_errors_never_show_the_password() {
        let secret = config(Some("postgres://app:hunter2@10.0.0.5:5432/scores"));
        if cfg!(feature = "postgres-hub") {
            assert_eq!(
                secret,
                Ok(HubConfig::Postgres {
                    url: "postgres://app:hunter2@10.0.0.5:5432/scores".into(),
                    prefix: "rally_scoreboard_".into(),
                })
            );
            assert!(matches!(
                config(Some("postgresql://127.0.0.1/scores")),
                Ok(HubConfig::Postgres { .. })
            ));
            let Err(error) = config(Some("postgres://app:hunter2@127.0.0.1:notaport/x")) else {
                panic!("a bad port is refused");
            };
            assert!(
                error.to_string().contains("is not a usable Postgres URL"),
                "{error}"
            );
            assert!(!error.to_string().contains("hunter2"), "{error}");
        } else {
            let error = secret.unwrap_err();
            assert_eq!(
                error,
                HubConfigError::PostgresNotBuilt {
                    url: "postgres://app:***@10.0.0.5:5432/scores".into()
                }
            );
            assert!(
                error
                    .to_string()
                    .contains("enable the `postgres-hub` feature")
            );
        }
    }

    #[test]
    fn anything_else_must_be_a_redis_url_and_errors_never_show_the_password() {
        assert_eq!(
            config(Some("nats://127.0.0.1")),
            Err(HubConfigError::Unknown {
                value: "nats://127.0.0.1".into()
            })
        );
        let secret = config(Some("redis://app:hunter2@10.0.0.5:6379"));
        if cfg!(feature = "redis") {
            assert_eq!(
                secret,
                Ok(HubConfig::Redis {
                    url: "redis://app:hunter2@10.0.0.5:6379".into(),
                    prefix: "rally:scoreboard:".into(),
                })
            );
            let Err(error) = config(Some("redis://127.0.0.1:notaport")) else {
                panic!("a bad port is refused");
            };
            assert!(
                error.to_string().contains("is not a usable Redis URL"),
                "{error}"
            );
        } else {
            let error = secret.unwrap_err();
            assert_eq!(
                error,
                HubConfigError::NotBuilt {
                    url: "redis://app:***@10.0.0.5:6379".into()
                }
            );
            assert!(error.to_string().contains("enable the `redis` feature"));
        }
    }
}
