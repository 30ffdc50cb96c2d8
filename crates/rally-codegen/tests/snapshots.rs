//! Snapshots of every file codegen generates, for the fixture app of `tests/generate.rs` (two
//! mounts, an alias page, a dynamic route, a shell, auth) and for `examples/starter` (what
//! `cargo rally init` writes), so a change in generated output shows up as a reviewed diff of
//! `tests/snapshots/*.snap`.
//!
//! After an intended change: `INSTA_UPDATE=always cargo test -p rally-codegen --test snapshots`
//! (or `cargo insta review`), then read `git diff crates/rally-codegen/tests/snapshots`. With
//! `CI=true` a changed or missing snapshot fails and nothing is written.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rally_codegen::GeneratedFile;

// The fixture app, as in `tests/generate.rs`.

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

const GAMES: &str = r#"
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

const HOME: &str = r#"
pub type Model = super::games::Model;
pub type Message = super::games::Message;
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model { todo!() }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
"#;

const GAME: &str = r#"
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

const NOT_FOUND: &str = r#"
pub struct Model;
#[derive(Clone)] pub enum Message {}
pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model { Model }
pub fn update(model: &mut Model, msg: Message) -> Effect<Message> { todo!() }
pub fn view(model: &Model) -> Element<Message> { todo!() }
"#;

const ADMIN_GAMES: &str = r#"
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

fn app(root: &Path, with_auth: bool) {
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
