//! The mount's 404 page.

use rally::routes::QueryParams;
use rally::view::attribute::href;
use rally::view::html::{a, h1, p, text};
use rally::view::{Effect, Element};

use crate::public::SharedState;

/// Nothing to keep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model;

/// Nothing happens here.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {}

/// The page.
pub fn initial_model(_shared: &SharedState, _query: &QueryParams) -> Model {
    Model
}

/// Nothing to update.
pub fn update(_model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {}
}

/// Says so, and links home.
pub fn view(_model: &Model) -> Element<Message> {
    rally::view::html::div(
        [],
        [
            h1([], [text("Not found")]),
            p([], [a([href("/")], [text("Back to the counter")])]),
        ],
    )
}
