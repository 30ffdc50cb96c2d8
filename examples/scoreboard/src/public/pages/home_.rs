//! `/`: the games page under another name (same model, messages, load and markup).

use rally::routes::QueryParams;
use rally::view::{Effect, Element};

use super::games;
use crate::broadcasts::{Event, Topic};
use crate::public::SharedState;

/// The games page's state.
pub type Model = super::games::Model;

/// The games page's messages.
pub type Message = super::games::Message;

/// As `/games`.
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model {
    games::initial_model(shared, query)
}

/// As `/games`.
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    games::update(model, msg)
}

/// As `/games`.
pub fn view(model: &Model) -> Element<Message> {
    games::view(model)
}

/// As `/games`.
pub fn broadcast_subscriptions(model: &Model) -> Vec<Topic> {
    games::broadcast_subscriptions(model)
}

/// As `/games`.
pub fn apply_broadcast(model: &mut Model, event: &Event) -> Effect<Message> {
    games::apply_broadcast(model, event)
}
