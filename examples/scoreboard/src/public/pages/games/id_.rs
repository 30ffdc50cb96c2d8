//! `/games/:id`: one game, live. An id that is not a number is the 404 page (the route's
//! parameter is an `i64`); a number with no game answers 404 with "Game not found.".

use rally::page::{Head, LoadError};
use rally::routes::QueryParams;
use rally::view::attribute::class;
use rally::view::html::{div, h1, main, p, section, span, text};
use rally::view::{Effect, Element, view};
use serde::{Deserialize, Serialize};

use crate::broadcasts::{Event, GameSnapshot, Topic};
use crate::generated::routes::public::GamesIdParams;
use crate::public::SharedState;
use crate::views::{Card, CardLinks, CardStatus, CardTeam, game_card};
use crate::wire::{GameStatus, Team};

/// The game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameDetail {
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
    /// The game, once loaded.
    pub game: Option<GameDetail>,
    /// Why the load failed.
    pub error: Option<String>,
}

/// What can happen on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The game loaded.
    Loaded(Result<LoadResult, LoadError>),
    /// A team link: opens `/teams/<slug>`.
    NavigateTeam {
        /// The team's slug.
        slug: String,
    },
}

/// Messages to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// Load game `id` (the route's parameter).
    Load {
        /// The game's id.
        id: i64,
    },
}

/// What the load returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// The game.
    pub game: GameDetail,
}

/// Nothing loaded yet.
pub fn initial_model(
    _shared: &SharedState,
    _params: &GamesIdParams,
    _query: &QueryParams,
) -> Model {
    Model::default()
}

/// Applies a message (navigation messages never arrive here: the runtime follows them).
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Loaded(Ok(loaded)) => {
            model.game = Some(loaded.game);
            model.error = None;
        }
        Message::Loaded(Err(e)) => model.error = Some(e.message),
        Message::NavigateTeam { .. } => {}
    }
    Effect::none()
}

/// The game of the route, known before anything loads.
pub fn broadcast_subscriptions(params: &GamesIdParams, _model: &Model) -> Vec<Topic> {
    vec![Topic::Game(params.id)]
}

/// This game changed.
pub fn apply_broadcast(model: &mut Model, event: &Event) -> Effect<Message> {
    match event {
        Event::GameUpdated(snapshot) => {
            if let Some(game) = &mut model.game
                && game.id == snapshot.id
            {
                *game = detail_from_snapshot(snapshot);
            }
        }
    }
    Effect::none()
}

fn detail_from_snapshot(snapshot: &GameSnapshot) -> GameDetail {
    GameDetail {
        id: snapshot.id,
        home: snapshot.home.clone(),
        away: snapshot.away.clone(),
        home_score: snapshot.home_score,
        away_score: snapshot.away_score,
        status: snapshot.status.clone(),
    }
}

/// The tab's title (the matchup and score once loaded) and description.
pub fn head(model: &Model) -> Head {
    match &model.game {
        Some(game) => Head::title(format!(
            "{} {} – {} {} · Scoreboard",
            game.away.code, game.away_score, game.home_score, game.home.code
        ))
        .description(format!("{} at {}, live.", game.away.name, game.home.name)),
        None => Head::title("Game · Scoreboard"),
    }
}

/// `main > section.panel`: the heading, then the game's card (no Details link).
pub fn view(model: &Model) -> Element<Message> {
    let body = match (&model.game, &model.error) {
        (Some(game), _) => {
            let card = Card {
                id: game.id,
                home: CardTeam {
                    name: &game.home.name,
                    slug: &game.home.slug,
                },
                away: CardTeam {
                    name: &game.away.name,
                    slug: &game.away.slug,
                },
                home_score: game.home_score,
                away_score: game.away_score,
                status: match &game.status {
                    GameStatus::Scheduled => CardStatus::Scheduled,
                    GameStatus::Live(period) => CardStatus::Live(period),
                    GameStatus::Final => CardStatus::Final,
                },
            };
            let links = CardLinks {
                team: |slug| Message::NavigateTeam { slug },
                game: None,
            };
            view! { div([class("game-detail")], [game_card(&card, &links)]) }
        }
        (None, Some(error)) => p([class("auth-error")], [text(error.clone())]),
        (None, None) => p([class("muted")], [text("Loading game...")]),
    };
    let subtitle = match &model.game {
        Some(game) => format!("{} at {}", game.away.code, game.home.code),
        None => String::new(),
    };
    view! {
        main(
            [],
            [section(
                [class("panel")],
                [
                    div(
                        [class("section-head")],
                        [
                            h1([], [text("Game detail")]),
                            span([class("muted")], [text(subtitle)]),
                        ],
                    ),
                    body,
                ],
            )],
        )
    }
}

/// Game `id`; 404 when there is none.
#[cfg(feature = "server")]
pub fn load(ctx: &crate::context::Context, id: i64) -> Result<LoadResult, LoadError> {
    let db = &ctx.db;
    use crate::generated::sql::public::pages::games::id__sql::get_game;
    let row = db
        .read_sync(|conn| get_game(conn, id))
        .map_err(|e| {
            tracing::error!(error = %e, id, "get_game");
            LoadError::new("Could not load game.")
        })?
        .ok_or_else(|| LoadError::not_found("Game not found."))?;
    Ok(LoadResult {
        game: GameDetail {
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
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_come_from_the_route_not_the_model() {
        let params = GamesIdParams { id: 1 };
        assert_eq!(
            broadcast_subscriptions(&params, &Model::default()),
            vec![Topic::Game(1)]
        );
        let other = GameDetail {
            id: 99,
            home: Team {
                code: "TOR".into(),
                name: "Toronto Towers".into(),
                slug: "toronto-towers".into(),
            },
            away: Team {
                code: "MTL".into(),
                name: "Montreal Meteors".into(),
                slug: "montréal-meteors".into(),
            },
            home_score: 0,
            away_score: 0,
            status: GameStatus::Scheduled,
        };
        let model = Model {
            game: Some(other),
            error: None,
        };
        assert_eq!(
            broadcast_subscriptions(&params, &model),
            vec![Topic::Game(1)]
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_missing_game_is_not_found_and_other_games_are_ignored() {
        let ctx = crate::context::Context::development(crate::test_support::seeded_db());
        let db = &ctx.db;
        assert_eq!(load(&ctx, 999).unwrap_err().status, 404);
        let mut model = Model::default();
        let _ = update(&mut model, Message::Loaded(load(&ctx, 1)));
        let before = model.clone();
        let event = crate::broadcasts::game_updated_broadcast(db, 2)
            .unwrap()
            .event;
        let _ = apply_broadcast(&mut model, &event);
        assert_eq!(model, before);
        let event = crate::broadcasts::game_updated_broadcast(db, 1)
            .unwrap()
            .event;
        let _ = apply_broadcast(&mut model, &event);
        assert_eq!(model, before);
        let html = rally::view::render::to_html(&view(&model));
        assert!(
            html.contains("Toronto Towers") && !html.contains("Details"),
            "{html}"
        );
    }
}
