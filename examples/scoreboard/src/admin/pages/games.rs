//! `/admin/games` (and `/admin`, through `home_`): the score desk. Each click saves over the
//! WebSocket; the answer updates this tab and the broadcast updates every other one. Each
//! button is a save form (`save_form_admin_games`): with JavaScript off, or before the page's
//! wasm has loaded, the browser posts it and the server saves and redirects back.
//!
//! Final games are final: the −/+ buttons are hidden on them, and the server refuses score
//! changes with "Game is final.".
//!
//! Every change records who made it (the save's caller): the desk shows it under each game.
//! A change pushed from another desk says only that it came from elsewhere, since the same
//! event reaches the public pages, which must not learn who keeps the score.

use rally::page::{Head, LoadError, SaveError};
use rally::routes::QueryParams;
use rally::view::attribute::{aria, class, role, type_};
use rally::view::event::on_click;
use rally::view::html::{article, button, div, h1, main, p, section, span, strong, text};
use rally::view::{Effect, Element, Key};
use serde::{Deserialize, Serialize};

use crate::admin::SharedState;
use crate::broadcasts::{Event, Topic};
use crate::generated::rally::server::{save_admin_games, save_form_admin_games};
use crate::wire::GameStatus;

/// A game on the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminGameSummary {
    /// The game's id.
    pub id: i64,
    /// Home team code.
    pub home_code: String,
    /// Away team code.
    pub away_code: String,
    /// Home goals.
    pub home_score: i64,
    /// Away goals.
    pub away_score: i64,
    /// Its status.
    pub status: GameStatus,
    /// Live and not yet changed from this desk (highlighted).
    pub needs_attention: bool,
    /// Who last changed it on a desk.
    pub changed_by: ChangedBy,
}

/// Who last changed a game on a desk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangedBy {
    /// Nobody yet.
    #[default]
    Nobody,
    /// This user (their display name, else their email).
    User(String),
    /// Another desk, just now (a pushed change does not say who).
    AnotherDesk,
}

/// A save's answer: the game as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameUpdate {
    /// The game's id.
    pub id: i64,
    /// Home team code.
    pub home_code: String,
    /// Away team code.
    pub away_code: String,
    /// Home goals.
    pub home_score: i64,
    /// Away goals.
    pub away_score: i64,
    /// Its status.
    pub status: GameStatus,
    /// Who made the change.
    pub changed_by: String,
}

/// What the load returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// Every game, in schedule order.
    pub games: Vec<AdminGameSummary>,
}

/// Messages to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// Load every game.
    Load,
    /// Set a game's score and period (refused on final games).
    UpdateScore {
        /// The game.
        game_id: i64,
        /// New home goals.
        home_score: i64,
        /// New away goals.
        away_score: i64,
        /// The period it is in.
        period: String,
    },
    /// End a game.
    MarkFinal {
        /// The game.
        game_id: i64,
    },
}

/// The page's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Every game.
    pub games: Vec<AdminGameSummary>,
    /// Whether the load has answered.
    pub loaded: bool,
    /// The last load or save error, until the next successful save.
    pub error: Option<String>,
}

/// What can happen on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The games loaded.
    Loaded(Result<LoadResult, LoadError>),
    /// A −/+ button of the away team.
    AdjustAway {
        /// The game.
        id: i64,
        /// −1 or +1.
        delta: i64,
    },
    /// A −/+ button of the home team.
    AdjustHome {
        /// The game.
        id: i64,
        /// −1 or +1.
        delta: i64,
    },
    /// The Finalize button.
    MarkFinal {
        /// The game.
        id: i64,
    },
    /// A save's answer.
    Saved(Result<GameUpdate, SaveError>),
}

/// No games yet.
pub fn initial_model(_shared: &SharedState, _query: &QueryParams) -> Model {
    Model::default()
}

/// The save for a −/+ click: the new score, the game's period kept (a scheduled game starts
/// as "Live"). `None` when nothing would change (a score cannot go below 0, a final game
/// cannot change).
fn score_change(game: &AdminGameSummary, home_delta: i64, away_delta: i64) -> Option<ServerMsg> {
    let period = match &game.status {
        GameStatus::Final => return None,
        GameStatus::Scheduled => "Live".to_owned(),
        GameStatus::Live(period) => period.clone(),
    };
    let home_score = (game.home_score + home_delta).max(0);
    let away_score = (game.away_score + away_delta).max(0);
    if (home_score, away_score) == (game.home_score, game.away_score) {
        return None;
    }
    Some(ServerMsg::UpdateScore {
        game_id: game.id,
        home_score,
        away_score,
        period,
    })
}

fn upsert(model: &mut Model, update: GameUpdate, changed_by: ChangedBy) {
    let summary = AdminGameSummary {
        id: update.id,
        home_code: update.home_code,
        away_code: update.away_code,
        home_score: update.home_score,
        away_score: update.away_score,
        status: update.status,
        needs_attention: false,
        changed_by,
    };
    match model.games.iter_mut().find(|g| g.id == summary.id) {
        Some(game) => *game = summary,
        None => {
            model.games.push(summary);
            model.games.sort_by_key(|g| g.id);
        }
    }
}

/// Applies a message. A click saves; the model changes when the answer arrives.
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    let (id, home_delta, away_delta) = match msg {
        Message::Loaded(Ok(loaded)) => {
            model.games = loaded.games;
            model.loaded = true;
            model.error = None;
            return Effect::none();
        }
        Message::Loaded(Err(e)) => {
            model.error = Some(e.message);
            return Effect::none();
        }
        Message::Saved(Ok(update)) => {
            let by = ChangedBy::User(update.changed_by.clone());
            upsert(model, update, by);
            model.error = None;
            return Effect::none();
        }
        Message::Saved(Err(e)) => {
            model.error = Some(e.message);
            return Effect::none();
        }
        Message::MarkFinal { id } => {
            return save_admin_games(ServerMsg::MarkFinal { game_id: id }, Message::Saved);
        }
        Message::AdjustAway { id, delta } => (id, 0, delta),
        Message::AdjustHome { id, delta } => (id, delta, 0),
    };
    match model
        .games
        .iter()
        .find(|g| g.id == id)
        .and_then(|game| score_change(game, home_delta, away_delta))
    {
        Some(save) => save_admin_games(save, Message::Saved),
        None => Effect::none(),
    }
}

/// Every other desk's changes.
pub fn broadcast_subscriptions(_model: &Model) -> Vec<Topic> {
    vec![Topic::AdminGames]
}

/// The desk's topic follows the desk's rule: only callers the admin mount lets in (admins)
/// may subscribe to it. Every other topic shows what the public pages show.
#[cfg(feature = "server")]
pub fn owns_topic(topic: &str) -> bool {
    use rally::broadcast::Topic as _;
    topic == Topic::AdminGames.name()
}

/// Another desk changed a game.
pub fn apply_broadcast(model: &mut Model, event: &Event) -> Effect<Message> {
    let Event::GameUpdated(snapshot) = event;
    upsert(
        model,
        GameUpdate {
            changed_by: String::new(),
            id: snapshot.id,
            home_code: snapshot.home.code.clone(),
            away_code: snapshot.away.code.clone(),
            home_score: snapshot.home_score,
            away_score: snapshot.away_score,
            status: snapshot.status.clone(),
        },
        ChangedBy::AnotherDesk,
    );
    Effect::none()
}

/// The tab's title.
pub fn head(_model: &Model) -> Head {
    Head::title("Score desk · Scoreboard")
}

fn badge(status: &GameStatus) -> Element<Message> {
    match status {
        GameStatus::Scheduled => span([class("badge")], [text("Scheduled")]),
        GameStatus::Live(period) => span([class("badge live")], [text(period.clone())]),
        GameStatus::Final => span([class("badge final")], [text("Final")]),
    }
}

/// A −/+ or Finalize button as a save form: it posts without JavaScript and before the page
/// hydrates; once hydrated its submit is `submitted`, which saves over the socket.
fn save_button(
    save: ServerMsg,
    submitted: Message,
    attrs: Vec<rally::view::Attribute<Message>>,
    label: &str,
) -> Element<Message> {
    let mut attrs = attrs;
    attrs.push(type_("submit"));
    // `attrs` is the button's; the form around it only lays out as the button.
    save_form_admin_games(
        save,
        submitted,
        [class("inline-save")],
        [button(attrs, [text(label.to_owned())])],
    )
}

fn score_row(game: &AdminGameSummary, home: bool, editable: bool) -> Element<Message> {
    let (code, score) = if home {
        (&game.home_code, game.home_score)
    } else {
        (&game.away_code, game.away_score)
    };
    let mut children = vec![strong(vec![], vec![text(code.clone())])];
    if editable {
        for (label, delta, what) in [("-", -1, "Remove"), ("+", 1, "Add")] {
            let id = game.id;
            let (submitted, change) = if home {
                (
                    Message::AdjustHome { id, delta },
                    score_change(game, delta, 0),
                )
            } else {
                (
                    Message::AdjustAway { id, delta },
                    score_change(game, 0, delta),
                )
            };
            let mut attrs = vec![
                class("small score-control"),
                aria("label", format!("{what} a {code} goal")),
            ];
            children.push(match change {
                Some(save) => save_button(save, submitted, attrs, label),
                // Nothing to save (a score of 0 cannot go lower): a button that does nothing.
                None => {
                    attrs.extend([type_("button"), on_click(submitted)]);
                    button(attrs, [text(label)])
                }
            });
        }
    }
    children.push(span([class("score")], [text(score.to_string())]));
    div([class("admin-score-row")], children)
}

fn game_card(game: &AdminGameSummary) -> Element<Message> {
    let id = game.id;
    let editable = game.status != GameStatus::Final;
    let finish = if editable {
        save_button(
            ServerMsg::MarkFinal { game_id: id },
            Message::MarkFinal { id },
            vec![class("small secondary")],
            "Finalize",
        )
    } else {
        span([class("muted")], [text("Scores locked")])
    };
    article(
        [class(if game.needs_attention {
            "game-card needs-attention"
        } else {
            "game-card"
        })],
        [
            score_row(game, false, editable),
            score_row(game, true, editable),
            div(
                [class("score-line admin-status-row")],
                [badge(&game.status), finish],
            ),
            changed_by(&game.changed_by),
        ],
    )
}

/// `p.changed-by`: who last changed the game, if anyone.
fn changed_by(by: &ChangedBy) -> Element<Message> {
    let note = match by {
        ChangedBy::Nobody => return text(""),
        ChangedBy::User(who) => format!("Last change by {who}"),
        ChangedBy::AnotherDesk => "Changed on another desk".to_owned(),
    };
    p([class("muted changed-by")], [text(note)])
}

/// `main > section.panel`: any error, then a card per game.
pub fn view(model: &Model) -> Element<Message> {
    let mut children = vec![div([class("section-head")], [h1([], [text("Score desk")])])];
    if let Some(error) = &model.error {
        children.push(p(
            [class("auth-error"), role("alert")],
            [text(error.clone())],
        ));
    }
    children.push(if !model.loaded {
        p([class("muted")], [text("Loading games...")])
    } else if model.games.is_empty() {
        p([class("muted")], [text("No games yet.")])
    } else {
        rally::view::html::keyed(
            "div",
            [class("game-grid")],
            model
                .games
                .iter()
                .map(|game| (Key::from(game.id), game_card(game))),
        )
    });
    main([], [section([class("panel")], children)])
}

/// Every game.
#[cfg(feature = "server")]
pub fn load(ctx: &crate::context::Context) -> Result<LoadResult, LoadError> {
    let db = &ctx.db;
    use crate::generated::sql::admin::pages::games_sql::list_admin_games;
    let rows = db.read_sync(list_admin_games).map_err(|e| {
        tracing::error!(error = %e, "list_admin_games");
        LoadError::new("Could not load games.")
    })?;
    let games = rows
        .into_iter()
        .map(|row| {
            let status = GameStatus::from_row(&row.period, row.is_final);
            AdminGameSummary {
                id: row.id,
                home_code: row.home_code,
                away_code: row.away_code,
                home_score: row.home_score,
                away_score: row.away_score,
                needs_attention: matches!(status, GameStatus::Live(_)),
                status,
                changed_by: row.changed_by.map_or(ChangedBy::Nobody, ChangedBy::User),
            }
        })
        .collect();
    Ok(LoadResult { games })
}

/// The longest period label a save accepts.
#[cfg(feature = "server")]
const MAX_PERIOD_CHARS: usize = 24;

/// What a score update found.
#[cfg(feature = "server")]
enum Updated {
    Saved(GameUpdate),
    Final,
    Missing,
}

/// Changes a score, or ends a game, as the signed-in admin (recorded with the game).
#[cfg(feature = "server")]
pub fn handle_save(
    ctx: &crate::context::Context,
    caller: &rally::server::Caller,
    msg: ServerMsg,
) -> Result<GameUpdate, SaveError> {
    let db = &ctx.db;
    use crate::generated::sql::admin::pages::games_sql::{update_game_final, update_game_score};
    use crate::generated::sql::public::pages::games::id__sql::get_game;
    let could_not_save = |e: crate::db::Error| {
        tracing::error!(error = %e, "saving a game");
        SaveError::new("Could not save game.")
    };
    // The admin mount lets only signed-in admins save; the caller is who they are.
    let user = caller
        .user_id()
        .and_then(|id| crate::identity::user_by_id(db, id))
        .ok_or_else(|| SaveError::new("Sign in again to change scores."))?;
    let user_id = Some(user.context.user_id);
    let changed_by = crate::identity::display_label(&user.context).to_owned();
    match msg {
        ServerMsg::Load => Err(SaveError::new("Load is not a save action.")),
        ServerMsg::UpdateScore {
            game_id,
            home_score,
            away_score,
            period,
        } => {
            if home_score < 0 || away_score < 0 {
                return Err(SaveError::new("Scores cannot be negative."));
            }
            let period = period.trim().to_owned();
            if period.is_empty() || period == "Final" {
                return Err(SaveError::new(
                    "Choose a period (use Finalize to end a game).",
                ));
            }
            // Every public page shows the period: keep it a short label.
            if period.chars().count() > MAX_PERIOD_CHARS || period.chars().any(char::is_control) {
                return Err(SaveError::new(format!(
                    "A period is a short label of at most {MAX_PERIOD_CHARS} characters, such as Q3 or 2nd half."
                )));
            }
            let updated = db
                .write_sync(|tx| {
                    let row =
                        update_game_score(tx, home_score, away_score, &period, user_id, game_id)?;
                    if let Some(row) = row {
                        return Ok(Updated::Saved(game_update(row, changed_by.clone())));
                    }
                    Ok(if get_game(tx, game_id)?.is_none() {
                        Updated::Missing
                    } else {
                        Updated::Final
                    })
                })
                .map_err(could_not_save)?;
            match updated {
                Updated::Saved(update) => Ok(update),
                Updated::Final => Err(SaveError::new("Game is final.")),
                Updated::Missing => Err(SaveError::new("Game not found.")),
            }
        }
        ServerMsg::MarkFinal { game_id } => {
            let row = db
                .write_sync(|tx| update_game_final(tx, user_id, game_id))
                .map_err(could_not_save)?
                .ok_or_else(|| SaveError::new("Game not found."))?;
            Ok(game_update(row, changed_by))
        }
    }
}

/// What both saves report: the game as its `RETURNING` clause gave it back (the two queries
/// share `GameUpdateRow` through `-- returns:`).
#[cfg(feature = "server")]
fn game_update(
    row: crate::generated::sql::admin::pages::games_sql::GameUpdateRow,
    changed_by: String,
) -> GameUpdate {
    GameUpdate {
        changed_by,
        status: GameStatus::from_row(&row.period, row.is_final),
        id: row.id,
        home_code: row.home_code,
        away_code: row.away_code,
        home_score: row.home_score,
        away_score: row.away_score,
    }
}

/// Tells every page that shows the game.
#[cfg(feature = "server")]
pub fn after_save(
    ctx: &crate::context::Context,
    ok: &GameUpdate,
) -> Option<crate::broadcasts::TargetedEvent> {
    let db = &ctx.db;
    crate::broadcasts::game_updated_broadcast(db, ok.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn game(status: GameStatus, home_score: i64, away_score: i64) -> AdminGameSummary {
        AdminGameSummary {
            id: 1,
            home_code: "TOR".into(),
            away_code: "MTL".into(),
            home_score,
            away_score,
            status,
            needs_attention: false,
            changed_by: ChangedBy::Nobody,
        }
    }

    #[test]
    fn clicks_keep_the_period_and_never_go_below_zero_or_touch_final_games() {
        let live = game(GameStatus::Live("3rd".into()), 4, 2);
        assert_eq!(
            score_change(&live, 0, 1),
            Some(ServerMsg::UpdateScore {
                game_id: 1,
                home_score: 4,
                away_score: 3,
                period: "3rd".into()
            })
        );
        let scheduled = game(GameStatus::Scheduled, 0, 0);
        assert_eq!(score_change(&scheduled, -1, 0), None);
        assert_eq!(
            score_change(&scheduled, 1, 0),
            Some(ServerMsg::UpdateScore {
                game_id: 1,
                home_score: 1,
                away_score: 0,
                period: "Live".into()
            })
        );
        assert_eq!(score_change(&game(GameStatus::Final, 4, 2), 1, 0), None);
    }

    #[test]
    fn final_games_have_no_score_buttons_and_errors_are_shown() {
        let model = Model {
            games: vec![game(GameStatus::Final, 4, 2)],
            loaded: true,
            error: Some("Game is final.".into()),
        };
        let html = rally::view::render::to_html(&view(&model));
        assert!(!html.contains("score-control"), "{html}");
        assert!(!html.contains("Finalize"));
        assert!(html.contains("Game is final."));
        let model = Model {
            games: vec![game(GameStatus::Live("3rd".into()), 4, 2)],
            loaded: true,
            error: None,
        };
        let html = rally::view::render::to_html(&view(&model));
        assert_eq!(html.matches("score-control").count(), 4);
        assert!(html.contains("Finalize"));
    }

    #[cfg(feature = "server")]
    mod server {
        use super::super::*;
        use crate::broadcasts::{Event, GameStatus, Topic};
        use rally::server::Caller;

        /// The seeded admin, as the socket's caller.
        fn admin() -> Caller<'static> {
            Caller::user(1)
        }

        #[test]
        fn a_change_records_who_made_it_and_the_desk_shows_them() {
            let db = crate::context::Context::development(crate::test_support::seeded_db());
            let update = handle_save(&db, &admin(), ServerMsg::MarkFinal { game_id: 1 }).unwrap();
            assert_eq!(update.changed_by, "admin@example.com");
            let games = load(&db).unwrap().games;
            assert_eq!(
                games[0].changed_by,
                ChangedBy::User("admin@example.com".into())
            );
            assert_eq!(games[1].changed_by, ChangedBy::Nobody);
            let html = rally::view::render::to_html(&game_card(&games[0]));
            assert!(html.contains("Last change by admin@example.com"), "{html}");
            // Without a signed-in user nothing is saved.
            let change = ServerMsg::UpdateScore {
                game_id: 3,
                home_score: 1,
                away_score: 0,
                period: "Live".into(),
            };
            assert_eq!(
                handle_save(&db, &Caller::anonymous(), change).unwrap_err(),
                SaveError::new("Sign in again to change scores.")
            );
            assert_eq!(load(&db).unwrap().games[2].home_score, 0);
        }

        #[test]
        fn mark_final_ends_the_game_and_targets_every_page_that_shows_it() {
            let db = crate::context::Context::development(crate::test_support::seeded_db());
            let update = handle_save(&db, &admin(), ServerMsg::MarkFinal { game_id: 1 }).unwrap();
            assert_eq!(update.status, GameStatus::Final);
            assert_eq!((update.home_score, update.away_score), (4, 2));
            let targeted = after_save(&db, &update).unwrap();
            assert_eq!(
                targeted.topics,
                [
                    Topic::AllGames,
                    Topic::AdminGames,
                    Topic::Game(1),
                    Topic::Team("toronto-towers".into()),
                    Topic::Team("montréal-meteors".into()),
                ]
            );
            let Event::GameUpdated(snapshot) = &targeted.event;
            assert_eq!(snapshot.status, GameStatus::Final);
        }

        #[test]
        fn a_score_update_on_a_live_game_returns_the_new_score() {
            let db = crate::context::Context::development(crate::test_support::seeded_db());
            let update = handle_save(
                &db,
                &admin(),
                ServerMsg::UpdateScore {
                    game_id: 1,
                    home_score: 5,
                    away_score: 2,
                    period: "3rd".into(),
                },
            )
            .unwrap();
            assert_eq!((update.home_score, update.away_score), (5, 2));
            assert_eq!(update.status, GameStatus::Live("3rd".into()));
            let Event::GameUpdated(snapshot) = after_save(&db, &update).unwrap().event;
            assert_eq!(snapshot.home_score, 5);
            assert_eq!(snapshot.status, GameStatus::Live("3rd".into()));
        }

        #[test]
        fn a_period_is_a_short_label() {
            let db = crate::context::Context::development(crate::test_support::seeded_db());
            let change = |period: &str| ServerMsg::UpdateScore {
                game_id: 1,
                home_score: 1,
                away_score: 0,
                period: period.to_owned(),
            };
            let before = load(&db).unwrap().games[0].status.clone();
            for bad in ["x".repeat(25), "Q3\nQ4".to_owned(), "x".repeat(1 << 20)] {
                let error = handle_save(&db, &admin(), change(&bad)).unwrap_err();
                assert!(error.message.contains("at most 24 characters"), "{error:?}");
            }
            assert_eq!(load(&db).unwrap().games[0].status, before, "nothing saved");
            let saved = handle_save(&db, &admin(), change("2nd half, overtime 1")).unwrap();
            assert_eq!(
                saved.status,
                GameStatus::Live("2nd half, overtime 1".into())
            );
        }

        #[test]
        fn final_games_refuse_score_changes() {
            let db = crate::context::Context::development(crate::test_support::seeded_db());
            let change = ServerMsg::UpdateScore {
                game_id: 2,
                home_score: 5,
                away_score: 2,
                period: "Live".into(),
            };
            assert_eq!(
                handle_save(&db, &admin(), change).unwrap_err(),
                SaveError::new("Game is final.")
            );
            let games = load(&db).unwrap().games;
            let two = games.iter().find(|g| g.id == 2).unwrap();
            assert_eq!((two.home_score, two.away_score), (1, 1));
            assert_eq!(two.status, GameStatus::Final);

            let missing = ServerMsg::UpdateScore {
                game_id: 99,
                home_score: 1,
                away_score: 0,
                period: "Live".into(),
            };
            assert_eq!(
                handle_save(&db, &admin(), missing).unwrap_err(),
                SaveError::new("Game not found.")
            );
            assert_eq!(
                handle_save(&db, &admin(), ServerMsg::MarkFinal { game_id: 99 }).unwrap_err(),
                SaveError::new("Game not found.")
            );
            assert_eq!(
                handle_save(&db, &admin(), ServerMsg::Load).unwrap_err(),
                SaveError::new("Load is not a save action.")
            );
        }

        #[test]
        fn the_desk_loads_every_game_and_follows_broadcasts() {
            let db = crate::context::Context::development(crate::test_support::seeded_db());
            let mut model = Model::default();
            let _ = update(&mut model, Message::Loaded(load(&db)));
            assert_eq!(model.games.len(), 15);
            assert!(model.games[0].needs_attention);
            let update = handle_save(&db, &admin(), ServerMsg::MarkFinal { game_id: 1 }).unwrap();
            let event = after_save(&db, &update).unwrap().event;
            let _ = apply_broadcast(&mut model, &event);
            assert_eq!(model.games[0].status, GameStatus::Final);
            assert!(!model.games[0].needs_attention);
        }
    }
}
