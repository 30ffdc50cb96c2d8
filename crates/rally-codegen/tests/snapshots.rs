//! Snapshots of every file codegen generates, for the fixture app of `tests/generate.rs` (two
//! mounts, an alias page, a dynamic route, a shell, auth), for a fixture with every optional
//! part of the page contract (the app's context, callers, access rules, `init`, `head`,
//! `ServerMsg::Save(T)`, a one-line alias, the server and topic hooks) and for
//! `examples/starter` (what `cargo rally init` writes), so a change in generated output shows up as a reviewed diff of
//! `tests/snapshots/*.snap`.
//!
//! After an intended change: `INSTA_UPDATE=always cargo test -p rally-codegen --test snapshots`
//! (or `cargo insta review`), then read `git diff crates/rally-codegen/tests/snapshots`. With
//! `CI=true` a changed or missing snapshot fails and nothing is written.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use common::league::{app, write};
use rally_codegen::GeneratedFile;

// The contract fixture: every optional part of the page contract at once — the app's context
// (`src/context.rs`), the caller in a load, a save and `after_save`, `init`, a three-argument
// `update`, `head`, `ACCESS` with an `authorize` over the route's params, `authorize` alone,
// `owns_topic` in both forms, `ServerMsg::Save(T)` (with and without a load), a one-line alias
// page, `authorize_topic`, the `src/server.rs` hook, and save results imported from
// `src/broadcasts.rs` and `src/wire.rs`.
// The pages are written as an app would write them (imports included).

const ARENA_CONTEXT: &str = r#"//! What the pages receive on the server.

/// The app's context.
pub struct Context {
    /// The database.
    pub db: rally::db::Db,
    /// Who keeps the score.
    pub scorer_id: i64,
}

/// Builds the context at startup.
pub fn context(db: rally::db::Db, env: &rally::env::Env) -> Result<Context, rally::env::ConfigError> {
    let _ = env;
    Ok(Context { db, scorer_id: 1 })
}
"#;

const ARENA_AUTH: &str = r#"use crate::context::Context;

#[cfg(feature = "server")]
pub fn auth(ctx: &Context) -> Result<rally::auth_http::Auth<Desk>, rally::auth_http::AppError> {
    todo!()
}
"#;

const ARENA_SERVER: &str = r#"use rally::server::app::AppBuilder;

use crate::context::Context;

/// Names the app in the document.
pub fn configure(app: AppBuilder<Context>) -> AppBuilder<Context> {
    app.layout(|layout| rally::server::ssr::Layout {
        title: "Arena".to_owned(),
        ..layout
    })
}
"#;

const ARENA_BROADCASTS: &str = r#"use serde::{Deserialize, Serialize};

/// What pages subscribe to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    /// Every score: `scores`.
    Scores,
    /// The scorer's desk: `desk`.
    Desk,
}

impl rally::broadcast::Topic for Topic {
    fn name(&self) -> String {
        match self {
            Topic::Scores => "scores".to_owned(),
            Topic::Desk => "desk".to_owned(),
        }
    }
}

/// What a save pushes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Event {
    /// A game's score changed.
    Scored(GameUpdate),
}

/// A game's new score, the result of a save on the games page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GameUpdate {
    pub id: i64,
    pub score: i64,
}

pub type TargetedEvent = rally::broadcast::TargetedEvent<Topic, Event>;

/// Only the scorer may watch the desk.
#[cfg(feature = "server")]
pub fn authorize_topic(ctx: &crate::context::Context, caller: &rally::server::Caller, topic: &str) -> bool {
    topic != "desk" || caller.user_id() == Some(ctx.scorer_id)
}
"#;

const ARENA_WIRE: &str = r#"use serde::{Deserialize, Serialize};

/// A saved note.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoteSaved {
    pub id: i64,
}
"#;

const ARENA_PUBLIC: &str = r#"pub mod pages;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedState {
    pub signed_in: bool,
}

#[cfg(feature = "server")]
pub fn shared_state(ctx: &crate::context::Context, request: &rally::server::PageRequest<'_>) -> SharedState {
    let _ = ctx;
    SharedState { signed_in: request.identity.is_some() }
}
"#;

/// `games.rs`: the caller in `load`, `handle_save` and `after_save`; `init`; `update` with the
/// shared state; `head`; a navigation message; a save result from `src/broadcasts.rs`.
const ARENA_GAMES: &str = r#"pub mod id_;

use rally::page::{Head, LoadError, SaveError};
use rally::routes::QueryParams;
use rally::view::{Effect, Element};
use serde::{Deserialize, Serialize};

use crate::broadcasts::{Event, GameUpdate, Topic};
use crate::generated::rally::server::save_public_games;
use crate::public::SharedState;
#[cfg(feature = "server")]
use crate::context::Context;
#[cfg(feature = "server")]
use rally::server::Caller;

#[derive(Clone)]
pub struct Model {
    pub games: Vec<i64>,
    pub signed_in: bool,
}

#[derive(Clone)]
pub enum Message {
    Loaded(Result<LoadResult, LoadError>),
    Bump(i64),
    Saved(Result<GameUpdate, SaveError>),
    NavigateGame { id: i64 },
}

#[derive(Serialize, Deserialize)]
pub enum ServerMsg {
    Load,
    Bump { id: i64 },
    Reset { id: i64 },
}

#[derive(Clone, Serialize, Deserialize)]
pub struct LoadResult {
    pub games: Vec<i64>,
}

pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model {
    let _ = query;
    Model { games: Vec::new(), signed_in: shared.signed_in }
}

pub fn init(shared: &SharedState, query: &QueryParams) -> (Model, Effect<Message>) {
    (initial_model(shared, query), Effect::none())
}

pub fn update(shared: &SharedState, model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Bump(id) if shared.signed_in => save_public_games(ServerMsg::Bump { id }, Message::Saved),
        Message::Loaded(Ok(result)) => {
            model.games = result.games;
            Effect::none()
        }
        _ => Effect::none(),
    }
}

pub fn view(model: &Model) -> Element<Message> {
    rally::view::html::text(model.games.len().to_string())
}

pub fn head(model: &Model) -> Head {
    Head { title: Some(format!("{} games", model.games.len())), ..Head::default() }
}

pub fn broadcast_subscriptions(model: &Model) -> Vec<Topic> {
    let _ = model;
    vec![Topic::Scores]
}

pub fn apply_broadcast(model: &mut Model, event: &Event) -> Effect<Message> {
    let Event::Scored(update) = event;
    let _ = (model, update);
    Effect::none()
}

#[cfg(feature = "server")]
pub fn load(ctx: &Context, caller: &Caller) -> Result<LoadResult, LoadError> {
    let _ = (ctx, caller);
    Ok(LoadResult { games: vec![1, 2] })
}

#[cfg(feature = "server")]
pub fn handle_save(ctx: &Context, caller: &rally::server::Caller<'_>, msg: ServerMsg) -> Result<GameUpdate, SaveError> {
    let _ = (ctx, caller);
    match msg {
        ServerMsg::Bump { id } => Ok(GameUpdate { id, score: 1 }),
        ServerMsg::Reset { id } => Ok(GameUpdate { id, score: 0 }),
        ServerMsg::Load => Err(SaveError::new("not a save")),
    }
}

#[cfg(feature = "server")]
pub fn after_save(ctx: &Context, caller: &Caller, ok: &GameUpdate) -> Option<crate::broadcasts::TargetedEvent> {
    let _ = (ctx, caller);
    Some(crate::broadcasts::TargetedEvent::new(vec![Topic::Scores, Topic::Desk], Event::Scored(ok.clone())))
}
"#;

/// `games/id_.rs`: `ACCESS` and an `authorize` over the route's params (and `owns_topic` naming
/// them); `ServerMsg::Save(T)` beside the load, with a save result of the page.
const ARENA_GAME: &str = r#"use rally::page::{Access, LoadError, SaveError};
use rally::routes::QueryParams;
use rally::view::{Effect, Element};
use serde::{Deserialize, Serialize};

use crate::broadcasts::Topic;
use crate::generated::rally::server::save_public_games_id;
use crate::generated::routes::public::GamesIdParams;
use crate::public::SharedState;
#[cfg(feature = "server")]
use crate::context::Context;
#[cfg(feature = "server")]
use rally::session::Identity;

pub const ACCESS: Access = Access::SignedIn;

#[derive(Clone)]
pub struct Model {
    pub id: i64,
    pub score: Option<i64>,
}

#[derive(Clone)]
pub enum Message {
    Loaded(Result<LoadResult, LoadError>),
    Score(i64),
    Scored(Result<Scored, SaveError>),
}

#[derive(Serialize, Deserialize)]
pub enum ServerMsg {
    Load { id: i64 },
    Save(ScoreChange),
}

#[derive(Clone, Serialize, Deserialize)]
pub struct ScoreChange {
    pub id: i64,
    pub score: i64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Scored {
    pub score: i64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct LoadResult {
    pub score: i64,
}

pub fn initial_model(shared: &SharedState, params: &GamesIdParams, query: &QueryParams) -> Model {
    let _ = (shared, query);
    Model { id: params.id, score: None }
}

pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Score(score) => save_public_games_id(ScoreChange { id: model.id, score }, Message::Scored),
        Message::Loaded(Ok(result)) => {
            model.score = Some(result.score);
            Effect::none()
        }
        _ => Effect::none(),
    }
}

pub fn view(model: &Model) -> Element<Message> {
    rally::view::html::text(model.score.unwrap_or_default().to_string())
}

pub fn broadcast_subscriptions(params: &GamesIdParams, model: &Model) -> Vec<Topic> {
    let _ = (params, model);
    vec![Topic::Scores]
}

#[cfg(feature = "server")]
pub fn authorize(ctx: &Context, user: &Identity, params: &GamesIdParams) -> bool {
    user.user_id == ctx.scorer_id || params.id > 0
}

#[cfg(feature = "server")]
pub fn owns_topic(topic: &str) -> Option<GamesIdParams> {
    let id = topic.strip_prefix("game:")?.parse().ok()?;
    Some(GamesIdParams { id })
}

#[cfg(feature = "server")]
pub fn load(ctx: &Context, id: i64) -> Result<LoadResult, LoadError> {
    let _ = ctx;
    Ok(LoadResult { score: id })
}

#[cfg(feature = "server")]
pub fn handle_save(ctx: &Context, save: ScoreChange) -> Result<Scored, SaveError> {
    let _ = ctx;
    Ok(Scored { score: save.score })
}
"#;

/// `home_.rs`: a one-line alias of `games`.
const ARENA_HOME: &str = "pub use super::games::*;\n";

/// `me.rs`: `authorize` alone (no `ACCESS`), `owns_topic`, a load that takes the caller.
const ARENA_ME: &str = r#"use rally::page::LoadError;
use rally::routes::QueryParams;
use rally::view::{Effect, Element};
use serde::{Deserialize, Serialize};

use crate::public::SharedState;
#[cfg(feature = "server")]
use crate::context::Context;
#[cfg(feature = "server")]
use rally::server::Caller;
#[cfg(feature = "server")]
use rally::session::Identity;

#[derive(Clone)]
pub struct Model {
    pub user_id: Option<i64>,
}

#[derive(Clone)]
pub enum Message {
    Loaded(Result<LoadResult, LoadError>),
}

#[derive(Serialize, Deserialize)]
pub enum ServerMsg {
    Load,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct LoadResult {
    pub user_id: i64,
}

pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model {
    let _ = (shared, query);
    Model { user_id: None }
}

pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    if let Message::Loaded(Ok(result)) = msg {
        model.user_id = Some(result.user_id);
    }
    Effect::none()
}

pub fn view(model: &Model) -> Element<Message> {
    rally::view::html::text(format!("{:?}", model.user_id))
}

#[cfg(feature = "server")]
pub fn authorize(ctx: &Context, user: &Identity) -> bool {
    user.user_id == ctx.scorer_id
}

#[cfg(feature = "server")]
pub fn owns_topic(topic: &str) -> bool {
    topic == "me"
}

#[cfg(feature = "server")]
pub fn load(ctx: &Context, caller: &Caller) -> Result<LoadResult, LoadError> {
    let _ = ctx;
    caller
        .user_id()
        .map(|user_id| LoadResult { user_id })
        .ok_or_else(|| LoadError::new("nobody is signed in"))
}
"#;

/// `notes.rs`: `ServerMsg::Save(T)` and no load; a save result from `src/wire.rs`.
const ARENA_NOTES: &str = r#"use rally::page::SaveError;
use rally::routes::QueryParams;
use rally::view::{Effect, Element};
use serde::{Deserialize, Serialize};

use crate::generated::rally::server::save_public_notes;
use crate::public::SharedState;
use crate::wire::NoteSaved;
#[cfg(feature = "server")]
use crate::context::Context;

#[derive(Clone)]
pub struct Model {
    pub text: String,
}

#[derive(Clone)]
pub enum Message {
    Edit(String),
    Saved(Result<NoteSaved, SaveError>),
}

#[derive(Serialize, Deserialize)]
pub enum ServerMsg {
    Save(Note),
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
}

pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model {
    let _ = (shared, query);
    Model { text: String::new() }
}

pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {
        Message::Edit(text) => {
            model.text = text.clone();
            save_public_notes(Note { text }, Message::Saved)
        }
        Message::Saved(_) => Effect::none(),
    }
}

pub fn view(model: &Model) -> Element<Message> {
    rally::view::html::text(model.text.clone())
}

#[cfg(feature = "server")]
pub fn handle_save(ctx: &Context, save: Note) -> Result<NoteSaved, SaveError> {
    let _ = ctx;
    Ok(NoteSaved { id: save.text.len() as i64 })
}
"#;

const ARENA_NOT_FOUND: &str = r#"use rally::routes::QueryParams;
use rally::view::{Effect, Element};

use crate::public::SharedState;

#[derive(Clone)]
pub struct Model;

#[derive(Clone)]
pub enum Message {}

pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model {
    let _ = (shared, query);
    Model
}

pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    let _ = model;
    match msg {}
}

pub fn view(model: &Model) -> Element<Message> {
    let _ = model;
    rally::view::html::text("not found")
}
"#;

fn contract_app(root: &Path) {
    write(
        root,
        &[
            ("Cargo.toml", "[package]\nname = \"arena\"\n"),
            ("src/context.rs", ARENA_CONTEXT),
            ("src/auth.rs", ARENA_AUTH),
            ("src/server.rs", ARENA_SERVER),
            ("src/broadcasts.rs", ARENA_BROADCASTS),
            ("src/wire.rs", ARENA_WIRE),
            ("src/public/mod.rs", ARENA_PUBLIC),
            (
                "src/public/pages/mod.rs",
                "pub mod games;\npub mod home_;\npub mod me;\npub mod not_found_;\npub mod notes;\n",
            ),
            ("src/public/pages/games.rs", ARENA_GAMES),
            ("src/public/pages/games/id_.rs", ARENA_GAME),
            ("src/public/pages/home_.rs", ARENA_HOME),
            ("src/public/pages/me.rs", ARENA_ME),
            ("src/public/pages/notes.rs", ARENA_NOTES),
            ("src/public/pages/not_found_.rs", ARENA_NOT_FOUND),
        ],
    );
}

/// Snapshots `files` as `<app>__<path below src/generated/>`, plus the list of their paths as
/// `<app>__files` (so an added or removed file shows too). Every snapshot is compared before the
/// test fails, so one run reports (and, outside CI, writes `.snap.new` for) all that changed.
fn assert_snapshots(app: &str, files: &[GeneratedFile]) {
    let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    let mut failed = Vec::new();
    let mut check = |name: String, description: &str, contents: &str| {
        let result = catch_unwind(AssertUnwindSafe(|| {
            insta::with_settings!({ description => description, omit_expression => true }, {
                insta::assert_snapshot!(name.as_str(), contents);
            });
        }));
        if result.is_err() {
            failed.push(name);
        }
    };
    check(
        format!("{app}__files"),
        "the generated files",
        &(paths.join("\n") + "\n"),
    );
    for (file, path) in files.iter().zip(&paths) {
        let rel = path.strip_prefix("src/generated/").unwrap_or(path);
        check(
            format!("{app}__{}", rel.replace('/', "__")),
            path,
            &file.contents,
        );
    }
    assert!(
        failed.is_empty(),
        "generated code changed for {app}: {} — review the diffs above; if intended, update \
         the snapshots (INSTA_UPDATE=always or `cargo insta review`)",
        failed.join(", ")
    );
}

#[test]
fn the_fixture_apps_generated_code() {
    let dir = tempfile::tempdir().unwrap();
    app(dir.path(), true);
    let files = rally_codegen::generate(dir.path(), false)
        .unwrap_or_else(|e| panic!("generate failed: {e}"));
    assert_snapshots("fixture", &files);
}

#[test]
fn the_starters_generated_code() {
    // The real directory: generate reads the pages and writes nothing.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/starter");
    // It has SQL (`src/public/pages/home_/sql/`), so `generated::sql` is declared, as
    // `cargo rally gen` does.
    assert!(root.join("src/public/pages/home_/sql").is_dir());
    let files =
        rally_codegen::generate(&root, true).unwrap_or_else(|e| panic!("generate failed: {e}"));
    assert_snapshots("starter", &files);
}

#[test]
fn the_contract_fixtures_generated_code() {
    let dir = tempfile::tempdir().unwrap();
    contract_app(dir.path());
    let files = rally_codegen::generate(dir.path(), false)
        .unwrap_or_else(|e| panic!("generate failed: {e}"));
    // Written, the generated code is what `check` (`cargo rally gen --check`) expects, and
    // generating again from the app with its generated code in place gives the same files.
    rally_codegen::write(dir.path(), &files).unwrap();
    assert_eq!(
        rally_codegen::check(dir.path(), &files),
        Vec::<std::path::PathBuf>::new()
    );
    let again = rally_codegen::generate(dir.path(), false)
        .unwrap_or_else(|e| panic!("generate failed: {e}"));
    assert_eq!(again, files);
    assert_snapshots("contract", &files);
}
