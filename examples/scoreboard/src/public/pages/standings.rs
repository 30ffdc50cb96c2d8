//! `/standings`: the league table, computed from the games as they change.

use rally::page::{Head, LoadError};
use rally::routes::QueryParams;
use rally::view::attribute::class;
use rally::view::html::{div, h1, main, p, section, strong, table, tbody, td, text, th, thead, tr};
use rally::view::{Effect, Element, view};
use serde::{Deserialize, Serialize};

use crate::broadcasts::{Event, Topic};
use crate::public::SharedState;
use crate::views::team_link;
use crate::wire::{GameStatus, Team};

/// One game.
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

/// The page's state: the games the table is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Every game.
    pub games: Vec<GameSummary>,
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
    /// Every game.
    pub games: Vec<GameSummary>,
}

/// One team's line in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// Three-letter code.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Final games won.
    pub wins: i64,
    /// Final games lost.
    pub losses: i64,
    /// Goals scored in final games.
    pub points_for: i64,
    /// Goals conceded in final games.
    pub points_against: i64,
}

/// The table: every team that appears in a game, with its final games counted (a tie is
/// neither a win nor a loss), sorted by wins, then points for (both descending), then code.
pub fn standings(games: &[GameSummary]) -> Vec<Standing> {
    let mut rows: Vec<Standing> = Vec::new();
    for game in games {
        let is_final = game.status == GameStatus::Final;
        for (team, own, other) in [
            (&game.home, game.home_score, game.away_score),
            (&game.away, game.away_score, game.home_score),
        ] {
            let index = match rows.iter().position(|r| r.code == team.code) {
                Some(index) => index,
                None => {
                    rows.push(Standing {
                        code: team.code.clone(),
                        name: team.name.clone(),
                        slug: team.slug.clone(),
                        wins: 0,
                        losses: 0,
                        points_for: 0,
                        points_against: 0,
                    });
                    rows.len() - 1
                }
            };
            if is_final {
                let row = &mut rows[index];
                row.wins += i64::from(own > other);
                row.losses += i64::from(own < other);
                row.points_for += own;
                row.points_against += other;
            }
        }
    }
    // Unstable is enough: codes are unique, so the order is total (and the code smaller).
    rows.sort_unstable_by(|a, b| {
        b.wins
            .cmp(&a.wins)
            .then(b.points_for.cmp(&a.points_for))
            .then_with(|| a.code.cmp(&b.code))
    });
    rows
}

/// No games yet.
pub fn initial_model(_shared: &SharedState, _query: &QueryParams) -> Model {
    Model::default()
}

/// Applies a message (navigation messages never arrive here: the runtime follows them).
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Loaded(Ok(loaded)) => {
            model.games = loaded.games;
            model.error = None;
        }
        Message::Loaded(Err(e)) => model.error = Some(e.message),
        Message::NavigateTeam { .. } => {}
    }
    Effect::none()
}

/// Every score change.
pub fn broadcast_subscriptions(_model: &Model) -> Vec<Topic> {
    vec![Topic::AllGames]
}

/// A game changed: its scores and status are replaced, and the table follows.
pub fn apply_broadcast(model: &mut Model, event: &Event) -> Effect<Message> {
    let Event::GameUpdated(snapshot) = event;
    if let Some(game) = model.games.iter_mut().find(|g| g.id == snapshot.id) {
        game.home_score = snapshot.home_score;
        game.away_score = snapshot.away_score;
        game.status = snapshot.status.clone();
    }
    Effect::none()
}

/// The tab's title and description.
pub fn head(_model: &Model) -> Head {
    Head::title("Standings · Scoreboard").description("Wins, losses and goals of every team.")
}

/// `main > section.panel`: the heading and `table.standings-table`.
pub fn view(model: &Model) -> Element<Message> {
    let rows = standings(&model.games);
    let body = if let Some(error) = &model.error {
        p([class("auth-error")], [text(error.clone())])
    } else if rows.is_empty() {
        p([class("muted")], [text("Waiting for standings...")])
    } else {
        let lines: Vec<_> = rows.iter().map(standing_row).collect();
        view! {
            table(
                [class("standings-table")],
                [
                    thead(
                        [],
                        [tr(
                            [],
                            [
                                th([], [text("Team")]),
                                th([], [text("W")]),
                                th([], [text("L")]),
                                th([], [text("PF")]),
                                th([], [text("PA")]),
                            ],
                        )],
                    ),
                    tbody([], lines),
                ],
            )
        }
    };
    view! {
        main(
            [],
            [section(
                [class("panel")],
                [
                    div([class("section-head")], [h1([], [text("League table")])]),
                    body,
                ],
            )],
        )
    }
}

/// One team's line of the table.
fn standing_row(row: &Standing) -> Element<Message> {
    view! {
        tr(
            [],
            [
                td(
                    [],
                    [team_link(
                        &row.slug,
                        vec![
                            strong([], [text(row.code.clone())]),
                            text(format!(" {}", row.name)),
                        ],
                        |slug| Message::NavigateTeam { slug },
                    )],
                ),
                td([], [text(row.wins)]),
                td([], [text(row.losses)]),
                td([], [text(row.points_for)]),
                td([], [text(row.points_against)]),
            ],
        )
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
            LoadError::new("Could not load standings.")
        })?;
    let games = rows
        .into_iter()
        .map(|row| GameSummary {
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
        })
        .collect();
    Ok(LoadResult { games })
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_table() {
        let ctx = crate::context::Context::development(crate::test_support::seeded_db());
        let games = load(&ctx).unwrap().games;
        let table: Vec<(String, i64, i64, i64, i64)> = standings(&games)
            .into_iter()
            .map(|r| (r.code, r.wins, r.losses, r.points_for, r.points_against))
            .collect();
        let expected = [
            ("NYC", 2, 0, 11, 5),
            ("TOR", 2, 0, 11, 7),
            ("LAK", 1, 2, 12, 15),
            ("VAN", 1, 1, 11, 12),
            ("MTL", 0, 2, 5, 9),
            ("BOS", 0, 1, 4, 6),
        ];
        let expected: Vec<(String, i64, i64, i64, i64)> = expected
            .into_iter()
            .map(|(c, w, l, f, a)| (c.to_owned(), w, l, f, a))
            .collect();
        assert_eq!(table, expected);
    }

    #[test]
    fn the_table_follows_broadcasts() {
        let ctx = crate::context::Context::development(crate::test_support::seeded_db());
        let db = &ctx.db;
        let mut model = Model::default();
        let _ = update(&mut model, Message::Loaded(load(&ctx)));
        let mut event = crate::broadcasts::game_updated_broadcast(db, 1)
            .unwrap()
            .event;
        let Event::GameUpdated(game) = &mut event;
        game.status = GameStatus::Final;
        let _ = apply_broadcast(&mut model, &event);
        let top = &standings(&model.games)[0];
        assert_eq!(
            (top.code.as_str(), top.wins, top.points_for),
            ("TOR", 3, 15)
        );
    }
}
