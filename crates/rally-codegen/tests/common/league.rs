//! The two-mount fixture app of `generate.rs` and `snapshots.rs`: an alias page, a dynamic
//! route, a shell, and (optionally) auth on the `admin` mount.

use std::fs;
use std::path::Path;

pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

pub const GAMES: &str = r#"
use serde::{Deserialize, Serialize};
#[derive(Clone)] pub struct Model { pub games: Vec<i64> }
#[derive(Clone)] pub enum Message { Loaded(Result<LoadResult, LoadError>), NavigateGame { id: i64 } }
#[derive(Serialize, Deserialize)] pub enum ServerMsg { Load }
#[derive(Serialize, Deserialize)] pub struct LoadResult { pub games: Vec<i64> }
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model { todo!() }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
pub fn broadcast_subscriptions(model: &Model) -> Vec<Topic> { todo!() }
#[cfg(feature = "server")]
pub fn load(db: &Db) -> Result<LoadResult, LoadError> { todo!() }
"#;

pub const HOME: &str = r#"
pub type Model = super::games::Model;
pub type Message = super::games::Message;
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model { todo!() }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
"#;

pub const GAME: &str = r#"
use serde::{Deserialize, Serialize};
pub struct Model { pub game: Option<i64> }
#[derive(Clone)] pub enum Message { Loaded(Result<LoadResult, LoadError>) }
#[derive(Serialize, Deserialize)] pub enum ServerMsg { Load { id: i64 } }
#[derive(Serialize, Deserialize)] pub struct LoadResult { pub id: i64 }
pub fn initial_model(shared: &SharedState, params: &GamesIdParams, query: &QueryParams) -> Model { todo!() }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
pub fn broadcast_subscriptions(params: &GamesIdParams, model: &Model) -> Vec<Topic> { todo!() }
#[cfg(feature = "server")]
pub fn load(db: &Db, id: i64) -> Result<LoadResult, LoadError> { todo!() }
"#;

pub const NOT_FOUND: &str = r#"
pub struct Model;
#[derive(Clone)] pub enum Message {}
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model { Model }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
"#;

pub const ADMIN_GAMES: &str = r#"
use serde::{Deserialize, Serialize};
pub struct Model;
#[derive(Clone)] pub enum Message { Loaded(Result<LoadResult, LoadError>), Saved }
#[derive(Serialize, Deserialize)] pub enum ServerMsg { Load, Bump { id: i64 } }
#[derive(Serialize, Deserialize)] pub struct LoadResult;
#[derive(Serialize, Deserialize)] pub struct Bumped { pub id: i64 }
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model { Model }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
#[cfg(feature = "server")]
pub fn load(db: &Db) -> Result<LoadResult, LoadError> { todo!() }
#[cfg(feature = "server")]
pub fn handle_save(db: &Db, msg: ServerMsg) -> Result<Bumped, SaveError> { todo!() }
"#;

pub fn app(root: &Path, with_auth: bool) {
    write(
        root,
        &[
            ("Cargo.toml", "[package]\nname = \"league\"\n"),
            (
                "src/public/mod.rs",
                "pub mod pages;\npub fn shell<Msg: Clone + 'static>(shared: &SharedState, chrome: &Chrome<Msg>, content: Element<Msg>) -> Element<Msg> { content }\n",
            ),
            (
                "src/public/pages/mod.rs",
                "pub mod games;\npub mod home_;\npub mod not_found_;\n",
            ),
            (
                "src/public/pages/games.rs",
                &format!("pub mod id_;\n{GAMES}"),
            ),
            ("src/public/pages/games/id_.rs", GAME),
            ("src/public/pages/home_.rs", HOME),
            ("src/public/pages/not_found_.rs", NOT_FOUND),
            ("src/admin/mod.rs", "pub mod pages;\n"),
            (
                "src/admin/pages/mod.rs",
                "pub mod games;\npub mod not_found_;\n",
            ),
            ("src/admin/pages/games.rs", ADMIN_GAMES),
            ("src/admin/pages/not_found_.rs", NOT_FOUND),
        ],
    );
    if with_auth {
        write(
            root,
            &[(
                "src/auth.rs",
                "#[cfg(feature = \"server\")]\npub fn auth(db: &Db) -> Result<Auth<App>, Error> { todo!() }\n",
            )],
        );
    }
}
