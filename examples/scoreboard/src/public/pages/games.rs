//! `/games` (and `/`, through `home_`): every game's score, live.
//!
//! `?team=TOR` shows one team's games; the load is the same, the view filters.

use rally::page::{Head, LoadError};
use rally::routes::QueryParams;
use rally::view::attribute::{class, href};
use rally::view::html::{div, h1, main, none, p, section, span, text};
use rally::view::{Effect, Element, view};
use serde::{Deserialize, Serialize};

use crate::broadcasts::{Event, GameSnapshot, Topic};
use crate::public::SharedState;
use crate::views::{Card, CardLinks, CardStatus, CardTeam, game_grid};
use crate::wire::{GameStatus, Team};

pub mod id_;

/// One game on the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameSummary {
    /// The game's id.
    pub id: i64,
    /// The home team.
    pub home: Team,
    /// The away team.
    pub away: Team,
    /// Home goals.
    pub home_score: i64,
    /// Away goals.
    pub away_score: i64,
    /// Its status.
    pub status: GameStatus,
}

/// The page's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Every game, in schedule order.
    pub games: Vec<GameSummary>,
    /// `?team=`: the team code to show (uppercased), if any.
    pub team: Option<String>,
    /// Whether the load has answered.
    pub loaded: bool,
    /// Why the load failed.
    pub error: Option<String>,
}

/// What can happen on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The games loaded.
    Loaded(Result<LoadResult, LoadError>),
    /// A team link: opens `/teams/<slug>`.
    NavigateTeam {
        /// The team's slug.
        slug: String,
    },
    /// A Details link: opens `/games/<id>`.
    NavigateGame {
        /// The game's id.
        id: i64,
    },
}

/// Messages to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// Load every game.
    Load,
}

/// What the load returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// Every game, in schedule order.
    pub games: Vec<GameSummary>,
}

/// No games yet; `?team=` picks a team.
pub fn initial_model(_shared: &SharedState, query: &QueryParams) -> Model {
    Model {
        team: query
            .get("team")
            .map(str::trim)
            .filter(|code| !code.is_empty())
            // Team codes are ASCII; Unicode case mapping would add its tables to the bundle.
            .map(str::to_ascii_uppercase),
        ..Model::default()
    }
}

/// Applies a message (navigation messages never arrive here: the runtime follows them).
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Loaded(Ok(loaded)) => {
            model.games = loaded.games;
            model.loaded = true;
            model.error = None;
        }
        Message::Loaded(Err(e)) => model.error = Some(e.message),
        Message::NavigateTeam { .. } | Message::NavigateGame { .. } => {}
    }
    Effect::none()
}

/// Every score change.
pub fn broadcast_subscriptions(_model: &Model) -> Vec<Topic> {
    vec![Topic::AllGames]
}

/// A game changed: its scores and status are replaced.
pub fn apply_broadcast(model: &mut Model, event: &Event) -> Effect<Message> {
    match event {
        Event::GameUpdated(snapshot) => {
            if let Some(game) = model.games.iter_mut().find(|g| g.id == snapshot.id) {
                *game = summary_from_snapshot(snapshot);
            }
        }
    }
    Effect::none()
}

fn summary_from_snapshot(snapshot: &GameSnapshot) -> GameSummary {
    GameSummary {
        id: snapshot.id,
        home: snapshot.home.clone(),
        away: snapshot.away.clone(),
        home_score: snapshot.home_score,
        away_score: snapshot.away_score,
        status: snapshot.status.clone(),
    }
}

impl GameSummary {
    /// Whether `code` plays in this game (case-insensitive).
    pub fn involves(&self, code: &str) -> bool {
        self.home.code.eq_ignore_ascii_case(code) || self.away.code.eq_ignore_ascii_case(code)
    }

    fn card(&self) -> Card<'_> {
        Card {
            id: self.id,
            home: CardTeam {
                name: &self.home.name,
                slug: &self.home.slug,
            },
            away: CardTeam {
                name: &self.away.name,
                slug: &self.away.slug,
            },
            home_score: self.home_score,
            away_score: self.away_score,
            status: match &self.status {
                GameStatus::Scheduled => CardStatus::Scheduled,
                GameStatus::Live(period) => CardStatus::Live(period),
                GameStatus::Final => CardStatus::Final,
            },
        }
    }
}

/// The tab's title and description.
pub fn head(model: &Model) -> Head {
    let title = match &model.team {
        Some(team) => format!("{team} games · Scoreboard"),
        None => "Games · Scoreboard".to_owned(),
    };
    Head::title(title).description("Live scores of every game in the league.")
}

/// `main > section.panel`: the heading, the team filter if any, then the cards.
pub fn view(model: &Model) -> Element<Message> {
    let shown: Vec<&GameSummary> = model
        .games
        .iter()
        .filter(|g| model.team.as_deref().is_none_or(|code| g.involves(code)))
        .collect();
    let count = match shown.len() {
        1 => "1 game".to_owned(),
        n => format!("{n} games"),
    };
    let filter_line = match &model.team {
        Some(code) => p(
            [class("muted filter-line")],
            [
                text(format!("Showing {code} games · ")),
                rally::view::html::a([href("/games")], [text("All games")]),
            ],
        ),
        None => none(),
    };
    let body = if let Some(error) = &model.error {
        p([class("auth-error")], [text(error.clone())])
    } else if !model.loaded {
        p([class("muted")], [text("Waiting for scores...")])
    } else if shown.is_empty() {
        p([class("muted")], [text("No games yet.")])
    } else {
        let cards: Vec<Card<'_>> = shown.iter().map(|g| g.card()).collect();
        game_grid(
            &cards,
            &CardLinks {
                team: |slug| Message::NavigateTeam { slug },
                game: Some(|id| Message::NavigateGame { id }),
            },
        )
    };
    view! {
        main(
            [],
            [section(
                [class("panel")],
                [
                    div(
                        [class("section-head")],
                        [div(
                            [],
                            [
                                h1([], [text("Today")]),
                                span(
                                    [class("muted")],
                                    [text(if model.loaded { count } else { String::new() })],
                                ),
                            ],
                        )],
                    ),
                    filter_line,
                    body,
                ],
            )],
        )
    }
}

/// A game row as the page shows it.
#[cfg(feature = "server")]
fn summary(
    row: crate::generated::sql::public::pages::games_sql::ListPublicGamesRow,
) -> GameSummary {
    GameSummary {
        id: row.id,
        home: Team {
            code: row.home_code,
            name: row.home_name,
            slug: row.home_slug,
        },
        away: Team {
            code: row.away_code,
            name: row.away_name,
            slug: row.away_slug,
        },
        home_score: row.home_score,
        away_score: row.away_score,
        status: GameStatus::from_row(&row.period, row.is_final),
    }
}

/// Every game.
#[cfg(feature = "server")]
pub fn load(ctx: &crate::context::Context) -> Result<LoadResult, LoadError> {
    let db = &ctx.db;
    use crate::generated::sql::public::pages::games_sql::list_public_games;
    let rows = db
        .read_sync(|conn| list_public_games(conn, None))
        .map_err(|e| {
            tracing::error!(error = %e, "list_public_games");
            LoadError::new("Could not load games.")
        })?;
    Ok(LoadResult {
        games: rows.into_iter().map(summary).collect(),
    })
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    fn query(q: &str) -> QueryParams {
        QueryParams::parse(q)
    }

    #[cfg(feature = "server")]
    #[test]
    fn the_team_filter_comes_from_the_query_and_the_view_applies_it() {
        let ctx = crate::context::Context::development(crate::test_support::seeded_db());
        let mut model = initial_model(&SharedState::default(), &query("team=tor"));
        assert_eq!(model.team.as_deref(), Some("TOR"));
        let _ = update(&mut model, Message::Loaded(load(&ctx)));
        let html = rally::view::render::to_html(&view(&model));
        assert!(html.contains("Showing TOR games"), "{html}");
        assert!(html.contains("Toronto Towers"));
        assert!(!html.contains("/games/2\""), "VAN-NYC is not a TOR game");
        assert!(html.contains("/games/1\""));

        let mut all = initial_model(&SharedState::default(), &query(""));
        assert_eq!(all.team, None);
        let _ = update(&mut all, Message::Loaded(load(&ctx)));
        let html = rally::view::render::to_html(&view(&all));
        assert!(html.contains("/games/2\""));
        assert!(html.contains("/teams/montr%C3%A9al-meteors"));
        assert!(!html.contains("Showing"));
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_broadcast_replaces_the_game() {
        let ctx = crate::context::Context::development(crate::test_support::seeded_db());
        let db = &ctx.db;
        let mut model = initial_model(&SharedState::default(), &query(""));
        let _ = update(&mut model, Message::Loaded(load(&ctx)));
        let mut snapshot = crate::broadcasts::game_updated_broadcast(db, 1)
            .unwrap()
            .event;
        let Event::GameUpdated(game) = &mut snapshot;
        game.home_score = 9;
        game.status = GameStatus::Final;
        let _ = apply_broadcast(&mut model, &snapshot);
        assert_eq!(model.games[0].home_score, 9);
        assert_eq!(model.games[0].status, GameStatus::Final);
    }
}
