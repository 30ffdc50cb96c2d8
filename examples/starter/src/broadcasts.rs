//! What pages publish to each other's open tabs.

use serde::{Deserialize, Serialize};

/// A topic a page can subscribe to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    /// The shared counter.
    Counter,
}

impl rally::broadcast::Topic for Topic {
    fn name(&self) -> String {
        match self {
            Topic::Counter => "counter".to_owned(),
        }
    }
}

/// An event pushed to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The count changed to this.
    CountChanged(i64),
}

/// An event and the topics it goes to.
pub type TargetedEvent = rally::broadcast::TargetedEvent<Topic, Event>;
