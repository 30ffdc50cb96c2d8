//! The app's broadcast vocabulary meets the runtime here: a [`Topic`] has a stable name, and a
//! save's `after_save` returns a [`TargetedEvent`] naming the topics to publish its event to.

/// An app's topic (`AllGames`, `Game(1)`, `Team("…")`), identified on the wire by its name.
pub trait Topic {
    /// A stable domain key (`"games"`, `"game:1"`); it must not change between releases, since
    /// connections subscribe by name.
    fn name(&self) -> String;
}

/// An event and the topics it is published to.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetedEvent<T, E> {
    /// Every subscriber of any of these topics receives the event once (the origin excepted).
    pub topics: Vec<T>,
    /// The app's event.
    pub event: E,
}

impl<T, E> TargetedEvent<T, E> {
    /// `event` for `topics` (an array, a `Vec` or any iterator, like the view builders).
    pub fn new(topics: impl IntoIterator<Item = T>, event: E) -> Self {
        TargetedEvent {
            topics: topics.into_iter().collect(),
            event,
        }
    }
}
