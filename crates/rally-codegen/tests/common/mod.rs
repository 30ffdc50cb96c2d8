//! The fixture app and helpers the error tests share (`errors.rs`, `contract_errors.rs`): small
//! apps in temporary directories, and the `path:line: what — fix` message format.
#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rally_codegen::Error;

pub mod league;

/// A page with no server side.
pub const PAGE: &str = r#"use rally::view::{Effect, Element};

#[derive(Clone)]
pub struct Model;

#[derive(Clone)]
pub enum Message {
    Clicked,
}

pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model {
    Model
}

pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    Effect::none()
}

pub fn view(model: &Model) -> Element<Message> {
    text("")
}
"#;

/// A page with a load, saves and `after_save`.
pub const SAVES: &str = r#"use serde::{Deserialize, Serialize};

#[derive(Clone)]
pub struct Model;

#[derive(Clone)]
pub enum Message {
    Loaded(Result<LoadResult, LoadError>),
    Saved(Result<Count, SaveError>),
}

#[derive(Serialize, Deserialize)]
pub enum ServerMsg {
    Load,
    Bump { by: i64 },
}

#[derive(Serialize, Deserialize)]
pub struct LoadResult {
    pub count: i64,
}

#[derive(Serialize, Deserialize)]
pub struct Count {
    pub count: i64,
}

pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model {
    Model
}

pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    Effect::none()
}

pub fn view(model: &Model) -> Element<Message> {
    text("")
}

#[cfg(feature = "server")]
pub fn load(db: &Db) -> Result<LoadResult, LoadError> {
    todo!()
}

#[cfg(feature = "server")]
pub fn handle_save(db: &Db, msg: ServerMsg) -> Result<Count, SaveError> {
    todo!()
}

#[cfg(feature = "server")]
pub fn after_save(db: &Db, ok: &Count) -> Option<TargetedEvent> {
    None
}
"#;

/// `games/id_.rs`: a dynamic page whose load takes the route's `id`.
pub const GAME: &str = r#"use serde::{Deserialize, Serialize};

#[derive(Clone)]
pub struct Model;

#[derive(Clone)]
pub enum Message {
    Loaded(Result<LoadResult, LoadError>),
}

#[derive(Serialize, Deserialize)]
pub enum ServerMsg {
    Load { id: i64 },
}

#[derive(Serialize, Deserialize)]
pub struct LoadResult {
    pub id: i64,
}

pub fn initial_model(shared: &SharedState, params: &GamesIdParams, query: &QueryParams) -> Model {
    Model
}

pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {
    Effect::none()
}

pub fn view(model: &Model) -> Element<Message> {
    text("")
}

#[cfg(feature = "server")]
pub fn load(db: &Db, id: i64) -> Result<LoadResult, LoadError> {
    todo!()
}
"#;

pub const HOME: &str = "src/public/pages/home_.rs";
pub const GAME_FILE: &str = "src/public/pages/games/id_.rs";

/// A fixture app in a temporary directory: `public` with `home_` and `not_found_`.
pub struct App(pub tempfile::TempDir);

impl App {
    pub fn new() -> App {
        let app = App(tempfile::tempdir().unwrap());
        app.file(
            "Cargo.toml",
            "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\n",
        )
        .file("src/lib.rs", "pub mod public;\n")
        .file("src/public/mod.rs", "pub mod pages;\n")
        .file(
            "src/public/pages/mod.rs",
            "pub mod home_;\npub mod not_found_;\n",
        )
        .file(HOME, PAGE)
        .file("src/public/pages/not_found_.rs", PAGE);
        app
    }

    pub fn root(&self) -> &Path {
        self.0.path()
    }

    pub fn file(&self, path: &str, text: &str) -> &App {
        let path = self.root().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    pub fn remove(&self, path: &str) -> &App {
        fs::remove_file(self.root().join(path)).unwrap();
        self
    }

    /// Adds `pub mod <name>;` to a module file.
    pub fn declare(&self, module_file: &str, name: &str) -> &App {
        let path = self.root().join(module_file);
        let mut text = fs::read_to_string(&path).unwrap_or_default();
        text.push_str(&format!("pub mod {name};\n"));
        self.file(module_file, &text)
    }

    /// A page at `src/public/pages/<name>.rs`, declared.
    pub fn page(&self, name: &str, text: &str) -> &App {
        self.declare("src/public/pages/mod.rs", name)
            .file(&format!("src/public/pages/{name}.rs"), text)
    }

    /// A dynamic page at `games/id_.rs`, declared.
    pub fn with_game(&self, text: &str) -> &App {
        self.declare("src/public/pages/mod.rs", "games")
            .file("src/public/pages/games/mod.rs", "pub mod id_;\n")
            .file(GAME_FILE, text)
    }

    /// `games.rs` (a list, `text`) with `games/id_.rs` (`game`) below it, declared.
    pub fn with_games(&self, text: &str, game: &str) -> &App {
        self.page("games", &format!("pub mod id_;\n{text}"))
            .file(GAME_FILE, game)
    }

    /// The messages generation fails with, one per problem.
    pub fn errors(&self) -> Vec<String> {
        match rally_codegen::generate(self.root(), false) {
            Ok(_) => panic!("generation succeeded"),
            Err(Error::Contract(problems)) => problems.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    /// The generated files by path.
    pub fn generates(&self) -> BTreeMap<String, String> {
        match rally_codegen::generate(self.root(), false) {
            Ok(files) => files
                .into_iter()
                .map(|f| (f.path.display().to_string(), f.contents))
                .collect(),
            Err(e) => panic!("generation failed:\n{e}"),
        }
    }
}

/// `text` with `old` replaced, which must occur in it.
pub fn edit(text: &str, old: &str, new: &str) -> String {
    assert!(text.contains(old), "`{old}` is not in the fixture");
    text.replacen(old, new, 1)
}

/// The 1-based line of the first line of `text` that contains `needle`.
pub fn line(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` is not in the fixture"))
        + 1
}

/// `path:line: what — fix`.
pub fn at(path: &str, line: usize, what: &str, fix: &str) -> String {
    format!("{path}:{line}: {what} — {fix}")
}

/// `path:1: what — fix`: a problem with the whole file points at its first line.
pub fn whole(path: &str, what: &str, fix: &str) -> String {
    format!("{path}:1: {what} — {fix}")
}

/// Every file below `dir` with its bytes.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    fs::read(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
