//! Generated Postgres functions, end to end: the fixture app's queries
//! (`tests/fixtures/pg_app`) are generated against a throwaway cluster, the checked-in output
//! must match, and that output — compiled into this test — runs against a migrated database.
//!
//! After changing the generator or the fixture, regenerate with
//! `RALLY_SQL_BLESS=1 cargo test -p rally-sql --features postgres --test postgres_generated`.
#![cfg(feature = "postgres")]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use rally_sql::postgres::{self as pg, Connection, TempCluster};
use rally_sql::{Dialect, Options};

#[path = "fixtures/pg_app/src/generated/sql/games_sql.rs"]
#[rustfmt::skip]
mod games_sql;

use games_sql::GameRow;

static CLUSTER: LazyLock<TempCluster> =
    LazyLock::new(|| TempCluster::start().unwrap_or_else(|e| panic!("{e}")));

fn app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pg_app")
}

fn options() -> Options {
    Options {
        database_url: Some(CLUSTER.url()),
        postgres_runtime: "rally_sql::postgres".into(),
        ..Options::for_dialect(Dialect::Postgres)
    }
}

/// A connection to a migrated database of the fixture app, preparing each query once.
fn database(name: &str) -> Connection {
    let url = CLUSTER
        .create_database(name)
        .unwrap_or_else(|e| panic!("{e}"));
    pg::migrate(&url, &app().join("db/migrations")).unwrap_or_else(|e| panic!("{e}"));
    pg::connect(&url).unwrap_or_else(|e| panic!("{e}")).into()
}

#[test]
fn checked_in_code_is_what_gen_writes() {
    let root = app();
    if std::env::var_os("RALLY_SQL_BLESS").is_some() {
        let files = rally_sql::generate_with(&root, &options()).unwrap_or_else(|e| panic!("{e}"));
        rally_sql::write(&root, &files).unwrap();
    }
    let stale = rally_sql::check_with(&root, &options()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        stale.is_empty(),
        "stale: {stale:?} — rerun with RALLY_SQL_BLESS=1 (see this file's header)"
    );
}

#[test]
fn generated_functions_run_against_postgres() {
    let mut db = database("generated_run");
    assert_eq!(games_sql::add_team(&mut db, "TOR", "Toronto").unwrap(), 1);
    games_sql::add_team(&mut db, "MTL", "Montreal").unwrap();

    // `:one` with anonymous `?` parameters named after their columns.
    let when = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let game = games_sql::create_game(&mut db, "TOR", "MTL", None, Some(when)).unwrap();
    assert_eq!(
        game,
        GameRow {
            id: game.id,
            home: "TOR".into(),
            away: "MTL".into(),
            home_score: 0,
            away_score: 0,
            final_: false,
            note: None,
        }
    );
    let other = games_sql::create_game(&mut db, "MTL", "TOR", Some("derby"), None).unwrap();
    assert_eq!(other.note.as_deref(), Some("derby"));

    // `:opt`: a row, then none.
    assert_eq!(
        games_sql::game_by_id(&mut db, game.id).unwrap(),
        Some(game.clone())
    );
    assert_eq!(games_sql::game_by_id(&mut db, -1).unwrap(), None);

    // Writes in a transaction, which shares the connection's statements.
    let mut tx = db.transaction().unwrap();
    let scored = games_sql::score(&mut tx, 2, 1, game.id).unwrap().unwrap();
    assert_eq!((scored.home_score, scored.away_score), (2, 1));
    assert_eq!(games_sql::finish_games(&mut tx, &[game.id]).unwrap(), 1);
    tx.commit().unwrap();
    assert_eq!(
        games_sql::score(&mut db, 1, 0, game.id).unwrap(),
        None,
        "final games do not change"
    );

    // The optional filter: `None` lists every game, `Some` one team's.
    let all = games_sql::list_games(&mut db, None).unwrap();
    assert_eq!(
        all.iter().map(|g| g.id).collect::<Vec<_>>(),
        [game.id, other.id]
    );
    let home = games_sql::list_games(&mut db, Some("MTL")).unwrap();
    assert_eq!(home, std::slice::from_ref(&other));

    // LEFT JOIN and aggregates: a team without home games has a NULL last game.
    let table = games_sql::standings(&mut db).unwrap();
    assert_eq!(table.len(), 2);
    assert_eq!(
        (
            table[0].name.as_str(),
            table[0].played,
            table[0].last_played
        ),
        ("Montreal", 1, None)
    );
    assert_eq!(
        (
            table[1].name.as_str(),
            table[1].played,
            table[1].last_played
        ),
        ("Toronto", 1, Some(when))
    );

    // A database error comes back as an error, not a panic.
    let duplicate = games_sql::add_team(&mut db, "TOR", "Again").unwrap_err();
    assert_eq!(
        duplicate.code(),
        Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
        "{duplicate:?}"
    );
}
