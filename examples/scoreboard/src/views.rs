//! View pieces several public pages render the same way: the game card and the status badge.
//! Pages keep their own types (each page's wire contract is its own) and describe a game to
//! these helpers with borrowed [`Card`]s.

use rally::view::attribute::{class, href};
use rally::view::event::on_click;
use rally::view::html::{a, article, div, span, strong, text};
use rally::view::{Element, Key, view};

use crate::generated::routes::public::{games_id_path, teams_slug_path};

/// A team as a card shows it.
pub struct CardTeam<'a> {
    /// Full name.
    pub name: &'a str,
    /// The team page's slug.
    pub slug: &'a str,
}

/// A game's status as a badge shows it.
#[derive(Clone, Copy)]
pub enum CardStatus<'a> {
    /// Not started.
    Scheduled,
    /// Under way, in this period.
    Live(&'a str),
    /// Over.
    Final,
}

/// A game as a card shows it.
pub struct Card<'a> {
    /// The game's id.
    pub id: i64,
    /// The home team.
    pub home: CardTeam<'a>,
    /// The away team.
    pub away: CardTeam<'a>,
    /// Home goals.
    pub home_score: i64,
    /// Away goals.
    pub away_score: i64,
    /// Its status.
    pub status: CardStatus<'a>,
}

/// What a card's links send: `NavigateTeam { slug }`, and `NavigateGame { id }` for the
/// Details link (`None` leaves the link out, as on the game's own page).
pub struct CardLinks<Msg> {
    /// The team link's message.
    pub team: fn(String) -> Msg,
    /// The Details link's message.
    pub game: Option<fn(i64) -> Msg>,
}

/// `span.badge` "Scheduled", `span.badge.live` with the period, or `span.badge.final` "Final".
pub fn status_badge<Msg: 'static>(status: CardStatus<'_>) -> Element<Msg> {
    view! {
        match status {
            CardStatus::Scheduled => span([class("badge")], [text("Scheduled")]),
            CardStatus::Live(period) => span([class("badge live")], [text(period.to_owned())]),
            CardStatus::Final => span([class("badge final")], [text("Final")]),
        }
    }
}

/// A link to a team's page that navigates in place when the app is running.
pub fn team_link<Msg: Clone + 'static>(
    slug: &str,
    content: Vec<Element<Msg>>,
    to_msg: fn(String) -> Msg,
) -> Element<Msg> {
    a(
        [
            href(teams_slug_path(slug)),
            on_click(to_msg(slug.to_owned())).prevent_default(),
        ],
        content,
    )
}

/// `div.team-row`: the team's link (its name) and its score.
fn team_row<Msg: Clone + 'static>(
    team: &CardTeam<'_>,
    score: i64,
    links: &CardLinks<Msg>,
) -> Element<Msg> {
    view! {
        div(
            [class("team-row")],
            [
                a(
                    [
                        href(teams_slug_path(team.slug)),
                        on_click((links.team)(team.slug.to_owned())).prevent_default(),
                    ],
                    [strong([], [text(team.name.to_owned())])],
                ),
                span([class("score")], [text(score)]),
            ],
        )
    }
}

/// `article.game-card`: the away row, the home row, then the status and a Details link.
pub fn game_card<Msg: Clone + 'static>(card: &Card<'_>, links: &CardLinks<Msg>) -> Element<Msg> {
    view! {
        article(
            [class("game-card")],
            [
                team_row(&card.away, card.away_score, links),
                team_row(&card.home, card.home_score, links),
                div(
                    [class("score-line")],
                    [status_badge(card.status), details_link(card.id, links.game)],
                ),
            ],
        )
    }
}

/// The Details link of a card, when the card has one.
fn details_link<Msg: Clone + 'static>(id: i64, game: Option<fn(i64) -> Msg>) -> Element<Msg> {
    view! {
        match game {
            Some(game) => a(
                [href(games_id_path(id)), on_click(game(id)).prevent_default()],
                [text("Details")],
            ),
            None => rally::view::html::none(),
        }
    }
}

/// `div.game-grid` of cards, keyed by game id.
pub fn game_grid<Msg: Clone + 'static>(cards: &[Card<'_>], links: &CardLinks<Msg>) -> Element<Msg> {
    rally::view::html::keyed(
        "div",
        [class("game-grid")],
        cards
            .iter()
            .map(|card| (Key::from(card.id), game_card(card, links))),
    )
}
