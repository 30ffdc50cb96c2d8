//! The public 404 page (the server answers it with status 404).

use rally::page::Head;
use rally::routes::QueryParams;
use rally::view::attribute::{class, href};
use rally::view::html::{a, h1, main, p, section, text};
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

/// The tab's title.
pub fn head(_model: &Model) -> Head {
    Head::title("Not found · Scoreboard")
}

/// Says so, and links to the scores.
pub fn view(_model: &Model) -> Element<Message> {
    not_found_view()
}

/// The markup both mounts' 404 pages share.
pub fn not_found_view<Msg>() -> Element<Msg> {
    main(
        [],
        [section(
            [class("panel")],
            [
                h1([], [text("Not found")]),
                p(
                    [class("muted")],
                    [
                        text("There is no page at this address. "),
                        a(
                            [
                                href("/games"),
                                rally::view::attribute::data("rally-document-nav", "1"),
                            ],
                            [text("See today's games")],
                        ),
                    ],
                ),
            ],
        )],
    )
}
