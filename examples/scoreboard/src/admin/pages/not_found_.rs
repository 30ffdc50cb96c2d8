//! The admin 404 page: the same markup as the public one.

use rally::page::Head;
use rally::routes::QueryParams;
use rally::view::{Effect, Element};

use crate::admin::SharedState;

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

/// The tab's title.
pub fn head(_model: &Model) -> Head {
    Head::title("Not found · Score desk")
}

/// Says so, and links to the scores.
pub fn view(_model: &Model) -> Element<Message> {
    crate::public::pages::not_found_::not_found_view()
}
