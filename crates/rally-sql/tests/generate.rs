//! What `cargo rally gen` writes for the directives: shared row types, cardinalities and
//! anonymous parameters, checked on a small app in a temporary directory.

use std::fs;
use std::path::Path;

use rally_sql::codegen::CodegenError;

const MIGRATION: &str = "CREATE TABLE games (
    id INTEGER PRIMARY KEY,
    home TEXT NOT NULL,
    away TEXT NOT NULL,
    score INTEGER NOT NULL DEFAULT 0
);";

fn app(queries: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "db/migrations/001_create_games.sql", MIGRATION);
    for (name, sql) in queries {
        write(root, &format!("src/games/sql/{name}.sql"), sql);
    }
    dir
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn module(dir: &tempfile::TempDir) -> String {
    let files = rally_sql::generate(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let file = files
        .iter()
        .find(|f| f.path.ends_with("games_sql.rs"))
        .expect("the games module");
    syn::parse_file(&file.contents).expect("generated code parses");
    file.contents.clone()
}

#[test]
fn shared_row_types_are_emitted_once_and_cardinality_sets_the_return_type() {
    let dir = app(&[
        (
            "game_by_id",
            "-- returns: GameRow\n-- :opt\nSELECT id, home, away, score FROM games WHERE id = ?",
        ),
        (
            "list_games",
            "-- returns: GameRow\nSELECT id, home, away, score FROM games ORDER BY id",
        ),
        (
            "add_goal",
            "-- returns: GameRow\n-- :one\nUPDATE games SET score = score + 1 WHERE id = :id RETURNING id, home, away, score",
        ),
        ("delete_game", "-- :exec\nDELETE FROM games WHERE id = ?"),
        ("count_games", "-- :one\nSELECT COUNT(*) AS n FROM games"),
    ]);
    let source = module(&dir);
    assert_eq!(source.matches("pub struct GameRow").count(), 1, "{source}");
    assert!(
        source.contains("A row shared through `-- returns:` by [`add_goal`]"),
        "{source}"
    );
    for signature in [
        "pub fn game_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<GameRow>>",
        "pub fn list_games(conn: &Connection) -> rusqlite::Result<Vec<GameRow>>",
        "pub fn add_goal(conn: &Connection, id: i64) -> rusqlite::Result<GameRow>",
        "pub fn delete_game(conn: &Connection, id: i64) -> rusqlite::Result<usize>",
        "pub fn count_games(conn: &Connection) -> rusqlite::Result<CountGamesRow>",
    ] {
        assert!(source.contains(signature), "missing {signature}\n{source}");
    }
    // Directives are comments: the SQL that runs does not carry them.
    assert!(!source.contains("const SQL: &str = \"-- "), "{source}");
    // Stable across runs.
    assert_eq!(source, module(&dir));
}

#[test]
fn every_disagreeing_query_is_reported_with_its_file_and_line() {
    let dir = app(&[
        ("a_games", "-- returns: GameRow\nSELECT id, home FROM games"),
        (
            "b_games",
            "-- Games.\n-- returns: GameRow\nSELECT id, away AS home, score FROM games",
        ),
        ("c_games", "-- returns: GameRow\nSELECT home, id FROM games"),
    ]);
    let Err(CodegenError::Sql(errors)) = rally_sql::generate(dir.path()) else {
        panic!("disagreeing rows must fail");
    };
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0].starts_with("src/games/sql/b_games.sql:2:1: the row type `GameRow` is shared with src/games/sql/a_games.sql, but it has 3 columns here and 2 there"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("src/games/sql/c_games.sql:1:1: the row type `GameRow` is shared with src/games/sql/a_games.sql, but column 1 is `home` here and `id` there"),
        "{}",
        lines[1]
    );
}

#[test]
fn shared_rows_are_per_directory() {
    let dir = app(&[("list_games", "-- returns: GameRow\nSELECT id FROM games")]);
    write(
        dir.path(),
        "src/teams/sql/list_teams.sql",
        "-- returns: GameRow\nSELECT home, away FROM games",
    );
    // Same name, other shape, other module: no conflict.
    let files = rally_sql::generate(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let structs = files
        .iter()
        .filter(|f| f.contents.contains("pub struct GameRow"))
        .count();
    assert_eq!(structs, 2);
}
