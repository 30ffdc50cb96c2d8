//! What the hubs for several nodes (`RedisHub`, `PgHub`)
//! share: the envelope a publish travels in between nodes, the node id that lets a node drop its
//! own publishes, the memory that delivers a publish arriving on several channels once, and
//! logging an outage once when it starts and once when it ends.

use std::collections::{HashSet, VecDeque};

use serde::{Deserialize, Serialize};

/// Publishes remembered per node to deliver a publish once that arrives on several channels.
pub(crate) const SEEN: usize = 4096;

/// A random id for this node's hub. Only uniqueness matters; a clock-based id is the fallback
/// if the OS has no entropy.
pub(crate) fn node_id() -> [u8; 16] {
    let mut node = [0u8; 16];
    if getrandom::fill(&mut node).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        node = (nanos ^ u128::from(std::process::id())).to_le_bytes();
    }
    node
}

/// What travels through the broker.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Envelope {
    /// The publishing node.
    pub node: [u8; 16],
    /// The publish's number on that node.
    pub sequence: u64,
    /// What it carries.
    pub kind: Kind,
}

/// What an [`Envelope`] carries.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Kind {
    /// A broadcast event and every topic it was published to.
    Event {
        topics: Vec<String>,
        #[serde(with = "serde_bytes")]
        event: Vec<u8>,
    },
    /// The sender dropped publishes while the broker was away: every node's tabs catch up.
    CatchUp,
}

/// Logs a broker outage once when it starts and once when it ends.
pub(crate) struct Outage {
    broker: &'static str,
    what: &'static str,
    down: bool,
}

impl Outage {
    /// An outage log for `what` this node does through `broker` (`Redis`, `Postgres`).
    pub fn new(broker: &'static str, what: &'static str) -> Self {
        Outage {
            broker,
            what,
            down: false,
        }
    }

    /// Records a failure; logs it when it starts an outage.
    pub fn failed(&mut self, error: &dyn std::fmt::Display) {
        if !std::mem::replace(&mut self.down, true) {
            tracing::warn!(
                "the {} hub cannot {}: {error}; this node keeps delivering its own publishes and retries",
                self.broker,
                self.what
            );
        }
    }

    /// Returns whether this ends an outage.
    pub fn recovered(&mut self) -> bool {
        let was = std::mem::replace(&mut self.down, false);
        if was {
            tracing::info!("the {} hub can {} again", self.broker, self.what);
        }
        was
    }
}

/// The publishes recently delivered, so one that arrives on several channels is delivered
/// once.
#[derive(Default)]
pub(crate) struct Seen {
    set: HashSet<([u8; 16], u64)>,
    order: VecDeque<([u8; 16], u64)>,
}

impl Seen {
    /// Whether this publish arrives for the first time (remembering it).
    pub fn first_time(&mut self, node: [u8; 16], sequence: u64) -> bool {
        if !self.set.insert((node, sequence)) {
            return false;
        }
        self.order.push_back((node, sequence));
        if self.order.len() > SEEN
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }
}

/// Hands an envelope from the broker to this node's subscribers: this node's own publishes
/// (delivered when they were made) and repeats (a publish arriving on several topic channels)
/// are skipped; a catch-up tells every local tab to re-load. `catch_up_why` goes into the log.
pub(crate) fn deliver(
    envelope: Envelope,
    own_node: [u8; 16],
    local: &super::hub::LocalHub,
    seen: &mut Seen,
    catch_up_why: &str,
) {
    if envelope.node == own_node || !seen.first_time(envelope.node, envelope.sequence) {
        return;
    }
    match envelope.kind {
        // The origin is another node's connection: every local subscriber receives it.
        Kind::Event { topics, event } => {
            super::hub::Hub::publish(local, None, &topics, &event);
        }
        Kind::CatchUp => {
            let told = local.catch_up();
            tracing::info!(connections = told, "{catch_up_why}; tabs told to catch up");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publish_arriving_on_several_channels_is_delivered_once() {
        let mut seen = Seen::default();
        assert!(seen.first_time([1; 16], 7));
        assert!(!seen.first_time([1; 16], 7));
        assert!(seen.first_time([2; 16], 7), "another node's publish 7");
        for i in 0..SEEN as u64 {
            seen.first_time([3; 16], i);
        }
        assert!(seen.order.len() <= SEEN, "the memory is bounded");
        assert!(seen.first_time([1; 16], 7), "long forgotten");
    }

    #[test]
    fn node_ids_differ() {
        assert_ne!(node_id(), node_id());
    }
}
