//! `/teams/:slug`: a team's record and its games, live.

use rally::page::{Head, LoadError};
use rally::routes::QueryParams;
use rally::view::attribute::{class, href};
use rally::view::html::{a, article, dd, div, dl, dt, h1, header, main, p, section, strong, text};
use rally::view::{Effect, Element, view};
use serde::{Deserialize, Serialize};

use crate::broadcasts::{Event, GameSnapshot, Topic};
use crate::generated::routes::public::TeamsSlugParams;
use crate::public::SharedState;
use crate::views::{Card, CardLinks, CardStatus, CardTeam, game_grid};
use crate::wire::{GameStatus, Team};

/// One of the team's games.
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

/// The team and its record (final games only; a tie is neither a win nor a loss).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDetail {
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
    /// Every game of the team, in schedule order.
    pub recent_games: Vec<GameSummary>,
}

/// The page's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// The team, once loaded.
    pub team: Option<TeamDetail>,
    /// Why the load failed.
    pub error: Option<String>,
}

/// What can happen on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The team loaded.
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
    /// Load the team with this slug (the route's parameter).
    Load {
        /// The team's slug.
        slug: String,
    },
}

/// What the load returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// The team.
    pub team: TeamDetail,
}

/// Nothing loaded yet.
pub fn initial_model(
    _shared: &SharedState,
    _params: &TeamsSlugParams,
    _query: &QueryParams,
) -> Model {
    Model::default()
}

/// Applies a message (navigation messages never arrive here: the runtime follows them).
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Loaded(Ok(loaded)) => {
            model.team = Some(loaded.team);
            model.error = None;
        }
        Message::Loaded(Err(e)) => model.error = Some(e.message),
        Message::NavigateTeam { .. } | Message::NavigateGame { .. } => {}
    }
    Effect::none()
}

/// The team of the route, known before anything loads.
pub fn broadcast_subscriptions(params: &TeamsSlugParams, _model: &Model) -> Vec<Topic> {
    vec![Topic::Team(params.slug.clone())]
}

/// What one game adds to a team's record: `(wins, losses, for, against)`; only final games
/// count.
pub fn contribution(game: &GameSummary, code: &str) -> (i64, i64, i64, i64) {
    if game.status != GameStatus::Final {
        return (0, 0, 0, 0);
    }
    let (own, other) = if game.home.code == code {
        (game.home_score, game.away_score)
    } else if game.away.code == code {
        (game.away_score, game.home_score)
    } else {
        return (0, 0, 0, 0);
    };
    (i64::from(own > other), i64::from(own < other), own, other)
}

impl TeamDetail {
    fn add(&mut self, (wins, losses, points_for, points_against): (i64, i64, i64, i64), sign: i64) {
        self.wins += sign * wins;
        self.losses += sign * losses;
        self.points_for += sign * points_for;
        self.points_against += sign * points_against;
    }
}

/// One of the team's games changed: replace it, and move the record by the difference
/// between the game's new and old contribution.
pub fn apply_broadcast(model: &mut Model, event: &Event) -> Effect<Message> {
    let Event::GameUpdated(snapshot) = event;
    let Some(team) = &mut model.team else {
        return Effect::none();
    };
    if snapshot.home.code != team.code && snapshot.away.code != team.code {
        return Effect::none();
    }
    let Some(index) = team.recent_games.iter().position(|g| g.id == snapshot.id) else {
        return Effect::none();
    };
    let new = summary_from_snapshot(snapshot);
    let old = std::mem::replace(&mut team.recent_games[index], new);
    let code = team.code.clone();
    team.add(contribution(&old, &code), -1);
    team.add(contribution(&team.recent_games[index], &code), 1);
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

fn card(game: &GameSummary) -> Card<'_> {
    Card {
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
    }
}

/// The tab's title (the team once loaded) and description.
pub fn head(model: &Model) -> Head {
    match &model.team {
        Some(team) => Head::title(format!("{} · Scoreboard", team.name)).description(format!(
            "{}: {} wins, {} losses.",
            team.name, team.wins, team.losses
        )),
        None => Head::title("Team · Scoreboard"),
    }
}

/// The record card, then the team's games.
pub fn view(model: &Model) -> Element<Message> {
    let Some(team) = &model.team else {
        let message = match &model.error {
            Some(error) => p([class("auth-error")], [text(error.clone())]),
            None => p([class("muted")], [text("Loading team...")]),
        };
        return view! { main([], [section([class("panel")], [message])]) };
    };
    let games = if team.recent_games.is_empty() {
        p([class("muted")], [text("No games yet.")])
    } else {
        let cards: Vec<Card<'_>> = team.recent_games.iter().map(card).collect();
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
            [div(
                [class("team-page")],
                [
                    section(
                        [class("panel")],
                        [
                            div([class("section-head")], [h1([], [text(team.name.clone())])]),
                            article(
                                [class("card team-record-card")],
                                [
                                    header(
                                        [class("team-record-title")],
                                        [
                                            strong([], [text(team.code.clone())]),
                                            text(format!(" · {}", team.name)),
                                        ],
                                    ),
                                    dl(
                                        [class("team-record-grid")],
                                        [
                                            div(
                                                [],
                                                [
                                                    dt([], [text("W-L")]),
                                                    dd([], [text(format!("{}-{}", team.wins, team.losses))]),
                                                ],
                                            ),
                                            div([], [dt([], [text("PF")]), dd([], [text(team.points_for)])]),
                                            div([], [dt([], [text("PA")]), dd([], [text(team.points_against)])]),
                                        ],
                                    ),
                                ],
                            ),
                        ],
                    ),
                    section(
                        [class("panel")],
                        [
                            div([class("section-head")], [h1([], [text("Recent games")])]),
                            games,
                            p(
                                [class("muted filter-line")],
                                [a(
                                    [href(format!("/games?team={}", team.code))],
                                    [text(format!("{} on the scoreboard", team.code))],
                                )],
                            ),
                        ],
                    ),
                ],
            )],
        )
    }
}

/// The team with this slug and all its games; 404 when there is none.
#[cfg(feature = "server")]
pub fn load(ctx: &crate::context::Context, slug: String) -> Result<LoadResult, LoadError> {
    let db = &ctx.db;
    use crate::generated::sql::public::pages::games_sql::list_public_games;
    use crate::generated::sql::public::pages::teams::slug__sql::get_team_by_slug;
    let team = db
        .read_sync(|conn| get_team_by_slug(conn, &slug))
        .map_err(|e| {
            tracing::error!(error = %e, slug, "get_team_by_slug");
            LoadError::new("Could not load team.")
        })?
        .ok_or_else(|| LoadError::not_found("Team not found."))?;
    let rows = db
        .read_sync(|conn| list_public_games(conn, Some(&team.code)))
        .map_err(|e| {
            tracing::error!(error = %e, slug, "list_public_games");
            LoadError::new("Could not load team games.")
        })?;
    let recent_games: Vec<GameSummary> = rows
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
    let mut detail = TeamDetail {
        code: team.code,
        name: team.name,
        slug: team.slug,
        wins: 0,
        losses: 0,
        points_for: 0,
        points_against: 0,
        recent_games: Vec::new(),
    };
    for game in &recent_games {
        let code = detail.code.clone();
        detail.add(contribution(game, &code), 1);
    }
    detail.recent_games = recent_games;
    Ok(LoadResult { team: detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_come_from_the_route_slug() {
        let params = TeamsSlugParams {
            slug: "montréal-meteors".into(),
        };
        let model = Model {
            team: Some(TeamDetail {
                code: "TOR".into(),
                name: "Toronto Towers".into(),
                slug: "toronto-towers".into(),
                wins: 0,
                losses: 0,
                points_for: 0,
                points_against: 0,
                recent_games: Vec::new(),
            }),
            error: None,
        };
        assert_eq!(
            broadcast_subscriptions(&params, &model),
            vec![Topic::Team("montréal-meteors".into())]
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn the_record_follows_broadcasts() {
        let ctx = crate::context::Context::development(crate::test_support::seeded_db());
        let db = &ctx.db;
        let mut model = Model::default();
        let _ = update(
            &mut model,
            Message::Loaded(load(&ctx, "toronto-towers".into())),
        );
        let team = model.team.as_ref().unwrap();
        assert_eq!(
            (team.wins, team.losses, team.points_for, team.points_against),
            (2, 0, 11, 7)
        );
        assert_eq!(team.recent_games.len(), 5);

        // Game 1 (TOR 4 - MTL 2, live) ends: TOR gains a win and 4-2.
        let mut event = crate::broadcasts::game_updated_broadcast(db, 1)
            .unwrap()
            .event;
        let Event::GameUpdated(game) = &mut event;
        game.status = GameStatus::Final;
        let _ = apply_broadcast(&mut model, &event);
        let team = model.team.as_ref().unwrap();
        assert_eq!(
            (team.wins, team.losses, team.points_for, team.points_against),
            (3, 0, 15, 9)
        );

        // Game 4 (TOR 5 - VAN 3, final) is corrected to 5-6: the win becomes a loss.
        let mut event = crate::broadcasts::game_updated_broadcast(db, 4)
            .unwrap()
            .event;
        let Event::GameUpdated(game) = &mut event;
        game.away_score = 6;
        let _ = apply_broadcast(&mut model, &event);
        let team = model.team.as_ref().unwrap();
        assert_eq!(
            (team.wins, team.losses, team.points_for, team.points_against),
            (2, 1, 15, 12)
        );
        assert_eq!(
            team.recent_games
                .iter()
                .find(|g| g.id == 4)
                .unwrap()
                .away_score,
            6
        );

        // A game TOR does not play in changes nothing.
        let before = model.clone();
        let event = crate::broadcasts::game_updated_broadcast(db, 2)
            .unwrap()
            .event;
        let _ = apply_broadcast(&mut model, &event);
        assert_eq!(model, before);
    }

    #[cfg(feature = "server")]
    #[test]
    fn unknown_slugs_are_not_found_and_utf8_slugs_load() {
        let ctx = crate::context::Context::development(crate::test_support::seeded_db());
        assert_eq!(load(&ctx, "nobody".into()).unwrap_err().status, 404);
        let team = load(&ctx, "montréal-meteors".into()).unwrap().team;
        assert_eq!(team.code, "MTL");
        assert_eq!(
            (team.wins, team.losses, team.points_for, team.points_against),
            (0, 2, 5, 9)
        );
    }
}
