//! A counter: the smallest page that renders on the server and hydrates in the browser.

/// The browser bundle's allocator (the `rally/allocator` feature): smaller than the default.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: rally::browser::Allocator = rally::browser::Allocator::new();

use rally_view::attribute::id;
use rally_view::event::on_click;
use rally_view::html::{button, div, span, text};
use rally_view::{App, Effect, Element};
use serde::{Deserialize, Serialize};

/// The count.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub count: i64,
}

/// Counter messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Increment,
    Decrement,
}

/// Applies a message.
pub fn update(model: &mut Model, msg: Msg) -> Effect<Msg> {
    match msg {
        Msg::Increment => model.count += 1,
        Msg::Decrement => model.count -= 1,
    }
    Effect::none()
}

/// Renders the counter.
pub fn view(model: &Model) -> Element<Msg> {
    div(
        [],
        [
            button([id("dec"), on_click(Msg::Decrement)], [text("−")]),
            span([id("count")], [text(model.count)]),
            button([id("inc"), on_click(Msg::Increment)], [text("+")]),
        ],
    )
}

/// The counter as a TEA app.
pub fn app() -> App<Model, Msg> {
    App::new(update, view)
}

/// Browser entry: hydrate with the model the server embedded.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    rally::browser::boot(app());
}
