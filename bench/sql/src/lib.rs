//! The SQL benchmark's database and runners.
//!
//! One seeded SQLite file (WAL, `synchronous=NORMAL`, `foreign_keys=ON`, `busy_timeout`) is
//! copied for every runner, so each starts from the same state. Two requests, the same SQL for
//! every runner:
//!
//! - **read** (a game page): the game with its home team, its events, one team's record, the
//!   ten latest final games with both team names, and the team count: five small indexed reads.
//! - **write** (a score update): one `BEGIN IMMEDIATE` transaction that updates the game and
//!   inserts an event with `RETURNING id`.
//!
//! Runners: the functions rally-sql generated for `fixtures/sql-app`, through `rally::db`
//! ([`Generated`]) and on a plain connection ([`GeneratedPlain`]); hand-written rusqlite
//! ([`Handwritten`], the floor); sqlx's SQLite driver with a pool ([`SqlxPool`]) and with one
//! connection ([`SqlxConn`]), the peers. Each request returns a checksum so the runners can be
//! checked against each other and the work cannot be optimised away.
//!
//! [`postgres`] has the same requests on the same data for Postgres, with hand-written
//! `postgres` as that group's floor.

pub mod postgres;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rally_db::db::{Config, Db};
use rally_sql_fixture::generated::sql::admin::pages::games_sql;
use rally_sql_fixture::generated::sql::public::pages::games::id__sql;
use rally_sql_fixture::generated::sql::public::pages::games_sql as public_games;
use rally_sql_fixture::generated::sql::root_sql;
use rusqlite::{Connection, TransactionBehavior};
use sqlx::Connection as _;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Teams in the seeded database.
pub const TEAMS: i64 = 50;
/// Games in the seeded database.
pub const GAMES: i64 = 2_000;
/// Events per game.
pub const EVENTS_PER_GAME: i64 = 10;

/// The fixture app (its migrations define the schema).
fn app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sql-app")
}

/// Creates the seeded database at `path`.
pub fn create_database(path: &Path) {
    rally_sql::migrate(path, &app().join("db/migrations")).expect("migrate the benchmark database");
    let mut conn = Connection::open(path).expect("open the benchmark database");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("WAL");
    let tx = conn.transaction().expect("begin");
    for t in 1..=TEAMS {
        tx.execute(
            "INSERT INTO teams (id, name, city, founded) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                t,
                format!("Team {t}"),
                (t % 3 != 0).then(|| format!("City {t}")),
                (t % 2 == 0).then(|| format!("19{:02}-01-01", t % 100))
            ],
        )
        .expect("team");
    }
    for g in 1..=GAMES {
        let status = ["final", "scheduled", "live"][(g % 3) as usize];
        tx.execute(
            "INSERT INTO games (id, home_id, away_id, home_score, away_score, status, venue, starts_at, attendance, notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                g,
                1 + g % TEAMS,
                1 + (g * 7 + 3) % TEAMS,
                g % 5,
                g % 4,
                status,
                (g % 2 == 0).then_some("Main Ground"),
                format!("2026-{:02}-{:02} 18:00:00", 1 + g % 12, 1 + g % 28),
                (g % 3 == 0).then_some(g * 10),
                Option::<String>::None,
            ],
        )
        .expect("game");
        for e in 0..EVENTS_PER_GAME {
            tx.execute(
                "INSERT INTO game_events (game_id, minute, kind, detail, payload, confirmed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![g, e * 9, if e % 4 == 0 { "goal" } else { "foul" }, (e % 2 == 0).then_some("detail"), (e % 5 == 0).then_some(vec![e as u8; 4]), e % 2 == 0],
            )
            .expect("event");
        }
    }
    tx.commit().expect("commit");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")
        .expect("checkpoint");
}

/// A copy of the database at `template` in `dir` named `name`.
pub fn copy_database(template: &Path, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(template, &path).expect("copy the benchmark database");
    path
}

/// The game, team and minute a request `i` works on.
pub fn ids(i: u64) -> (i64, i64, i64) {
    let i = i as i64;
    (1 + (i * 7_919) % GAMES, 1 + i % TEAMS, i % 90)
}

/// The timestamp every write stores.
pub fn now() -> OffsetDateTime {
    let date = Date::from_calendar_date(2026, Month::March, 5).expect("date");
    PrimitiveDateTime::new(date, Time::from_hms(10, 11, 12).expect("time")).assume_utc()
}

/// A benchmark participant.
pub trait Runner {
    /// The name in the report.
    fn name(&self) -> &'static str;
    /// One read-heavy request; returns a checksum of what it read.
    fn read(&mut self, i: u64) -> i64;
    /// One transactional write; returns the new event's id.
    fn write(&mut self, i: u64) -> i64;
}

fn open_plain(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open");
    conn.busy_timeout(Duration::from_secs(5))
        .expect("busy_timeout");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous");
    conn.pragma_update(None, "foreign_keys", true)
        .expect("foreign_keys");
    conn.set_prepared_statement_cache_capacity(128);
    conn
}

fn checksum_generated(conn: &Connection, i: u64) -> rusqlite::Result<i64> {
    let (game, team, _) = ids(i);
    let mut sum = 0;
    for g in id__sql::get_game(conn, game)? {
        sum += g.id
            + g.attendance.unwrap_or(0)
            + g.home_name.len() as i64
            + g.starts_at.unix_timestamp() % 1_000;
        sum += g.home_founded.map_or(0, |d| i64::from(d.year()))
            + g.venue.map_or(0, |v| v.len() as i64);
    }
    for e in id__sql::game_events(conn, game)? {
        sum += e.minute
            + e.kind.len() as i64
            + e.payload.map_or(0, |p| p.len() as i64)
            + i64::from(e.confirmed);
    }
    for r in id__sql::team_record(conn, team)? {
        sum += r.played * 3 + r.won.unwrap_or(0) + r.goals;
    }
    for g in public_games::list_games(conn, "final", 10)? {
        sum += g.id + g.home.len() as i64 + g.away.len() as i64 + g.home_score + g.away_score;
    }
    for c in root_sql::count_teams(conn)? {
        sum += c.teams + c.last_id;
    }
    Ok(sum)
}

fn write_generated(conn: &Connection, i: u64) -> rusqlite::Result<i64> {
    let (game, _, minute) = ids(i);
    games_sql::update_score(
        conn,
        (i % 5) as i64,
        (i % 3) as i64,
        "live",
        None,
        now(),
        game,
    )?;
    let rows = games_sql::insert_event(conn, game, minute, "goal", Some("bench"), None, true)?;
    Ok(rows.first().map_or(0, |r| r.id))
}

/// Generated functions through `rally::db` (`read_sync` on a pooled reader, `write_sync`).
pub struct Generated(pub Db);

impl Generated {
    /// Opens the database at `path` with Rally's defaults.
    pub fn open(path: &Path) -> Self {
        Generated(Db::open(Config::new(path)).expect("open rally db"))
    }
}

impl Runner for Generated {
    fn name(&self) -> &'static str {
        "generated (rally::db)"
    }
    fn read(&mut self, i: u64) -> i64 {
        self.0
            .read_sync(|conn| checksum_generated(conn, i))
            .expect("read")
    }
    fn write(&mut self, i: u64) -> i64 {
        self.0
            .write_sync(|tx| write_generated(tx, i))
            .expect("write")
    }
}

/// Generated functions on a plain rusqlite connection.
pub struct GeneratedPlain(pub Connection);

impl Runner for GeneratedPlain {
    fn name(&self) -> &'static str {
        "generated (plain connection)"
    }
    fn read(&mut self, i: u64) -> i64 {
        checksum_generated(&self.0, i).expect("read")
    }
    fn write(&mut self, i: u64) -> i64 {
        let tx = self
            .0
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("begin");
        let id = write_generated(&tx, i).expect("write");
        tx.commit().expect("commit");
        id
    }
}

impl GeneratedPlain {
    /// Opens the database at `path` with the benchmark's pragmas.
    pub fn open(path: &Path) -> Self {
        GeneratedPlain(open_plain(path))
    }
}

/// The same SQL, hand-written against rusqlite: the floor.
pub struct Handwritten(pub Connection);

impl Handwritten {
    /// Opens the database at `path` with the benchmark's pragmas.
    pub fn open(path: &Path) -> Self {
        Handwritten(open_plain(path))
    }

    fn try_read(&self, i: u64) -> rusqlite::Result<i64> {
        let (game, team, _) = ids(i);
        let conn = &self.0;
        let mut sum = 0;
        let mut stmt = conn.prepare_cached(QUERIES.get_game)?;
        let mut rows = stmt.query([game])?;
        while let Some(row) = rows.next()? {
            let attendance: Option<i64> = row.get(5)?;
            let home_name: String = row.get(7)?;
            let starts_at: OffsetDateTime = row.get(3)?;
            let founded: Option<Date> = row.get(9)?;
            let venue: Option<String> = row.get(2)?;
            let _: (String, OffsetDateTime, Option<String>, Option<String>) =
                (row.get(1)?, row.get(4)?, row.get(6)?, row.get(8)?);
            sum += row.get::<_, i64>(0)?
                + attendance.unwrap_or(0)
                + home_name.len() as i64
                + starts_at.unix_timestamp() % 1_000;
            sum += founded.map_or(0, |d| i64::from(d.year())) + venue.map_or(0, |v| v.len() as i64);
        }
        let mut stmt = conn.prepare_cached(QUERIES.game_events)?;
        let mut rows = stmt.query([game])?;
        while let Some(row) = rows.next()? {
            let (_id, minute, kind, _detail, payload, confirmed): (
                i64,
                i64,
                String,
                Option<String>,
                Option<Vec<u8>>,
                bool,
            ) = (
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            );
            sum += minute
                + kind.len() as i64
                + payload.map_or(0, |p| p.len() as i64)
                + i64::from(confirmed);
        }
        let (played, won, goals): (i64, Option<i64>, i64) = conn
            .prepare_cached(QUERIES.team_record)?
            .query_row([team], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        sum += played * 3 + won.unwrap_or(0) + goals;
        let mut stmt = conn.prepare_cached(QUERIES.list_games)?;
        let mut rows = stmt.query(rusqlite::params!["final", 10])?;
        while let Some(row) = rows.next()? {
            let (id, home, away, hs, aws, _starts): (
                i64,
                String,
                String,
                i64,
                i64,
                OffsetDateTime,
            ) = (
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            );
            sum += id + home.len() as i64 + away.len() as i64 + hs + aws;
        }
        let (teams, _newest, last_id): (i64, Option<Date>, i64) = conn
            .prepare_cached(QUERIES.count_teams)?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        sum += teams + last_id;
        Ok(sum)
    }
}

/// The SQL of both requests, for the runners that do not use the generated functions.
pub(crate) struct Queries {
    pub(crate) get_game: &'static str,
    pub(crate) game_events: &'static str,
    pub(crate) team_record: &'static str,
    pub(crate) list_games: &'static str,
    pub(crate) count_teams: &'static str,
    pub(crate) update_score: &'static str,
    pub(crate) insert_event: &'static str,
}

/// The SQL the generated SQLite functions run (`fixtures/sql-app/src/**/*.sql`).
const QUERIES: Queries = Queries {
    get_game: "SELECT g.id, g.status, g.venue, g.starts_at, g.updated_at, g.attendance, g.notes, h.name AS home_name, h.city AS home_city, h.founded AS home_founded FROM games g JOIN teams h ON h.id = g.home_id WHERE g.id = ?1",
    game_events: "SELECT id, minute, kind, detail, payload, confirmed FROM game_events WHERE game_id = ?1 ORDER BY minute",
    team_record: "SELECT COUNT(*) AS played, SUM(CASE WHEN (home_id = ?1 AND home_score > away_score) OR (away_id = ?1 AND away_score > home_score) THEN 1 ELSE 0 END) AS won, COALESCE(SUM(CASE WHEN home_id = ?1 THEN home_score ELSE away_score END), 0) AS goals FROM games WHERE (home_id = ?1 OR away_id = ?1) AND status = 'final'",
    list_games: "SELECT g.id, h.name AS home, a.name AS away, g.home_score, g.away_score, g.starts_at FROM games g JOIN teams h ON h.id = g.home_id JOIN teams a ON a.id = g.away_id WHERE g.status = ?1 ORDER BY g.starts_at LIMIT ?2",
    count_teams: "SELECT COUNT(*) AS teams, MAX(founded) AS newest, MAX(id) AS last_id FROM teams",
    update_score: "UPDATE games SET home_score = ?1, away_score = ?2, status = ?3, notes = ?4, updated_at = ?5 WHERE id = ?6",
    insert_event: "INSERT INTO game_events (game_id, minute, kind, detail, payload, confirmed) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
};

/// SQLite's UTC text form, as the generated code binds timestamps.
fn datetime_text(value: OffsetDateTime) -> String {
    let d = value.date();
    let t = value.time();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.year(),
        u8::from(d.month()),
        d.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Runner for Handwritten {
    fn name(&self) -> &'static str {
        "hand-written rusqlite"
    }
    fn read(&mut self, i: u64) -> i64 {
        self.try_read(i).expect("read")
    }
    fn write(&mut self, i: u64) -> i64 {
        let (game, _, minute) = ids(i);
        let tx = self
            .0
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("begin");
        tx.prepare_cached(QUERIES.update_score)
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    (i % 5) as i64,
                    (i % 3) as i64,
                    "live",
                    Option::<&str>::None,
                    datetime_text(now()),
                    game
                ])
            })
            .expect("update");
        let id: i64 = tx
            .prepare_cached(QUERIES.insert_event)
            .and_then(|mut s| {
                s.query_row(
                    rusqlite::params![
                        game,
                        minute,
                        "goal",
                        Some("bench"),
                        Option::<&[u8]>::None,
                        true
                    ],
                    |r| r.get(0),
                )
            })
            .expect("insert");
        tx.commit().expect("commit");
        id
    }
}

/// A row of the game query, as sqlx decodes it.
pub(crate) type GameTuple = (
    i64,
    String,
    Option<String>,
    OffsetDateTime,
    OffsetDateTime,
    Option<i64>,
    Option<String>,
    String,
    Option<String>,
    Option<Date>,
);

async fn sqlx_write(conn: &mut SqliteConnection, i: u64) -> Result<i64, sqlx::Error> {
    let (game, _, minute) = ids(i);
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query(QUERIES.update_score)
        .bind((i % 5) as i64)
        .bind((i % 3) as i64)
        .bind("live")
        .bind(Option::<&str>::None)
        .bind(datetime_text(now()))
        .bind(game)
        .execute(&mut *tx)
        .await?;
    let (id,): (i64,) = sqlx::query_as(QUERIES.insert_event)
        .bind(game)
        .bind(minute)
        .bind("goal")
        .bind(Some("bench"))
        .bind(Option::<Vec<u8>>::None)
        .bind(true)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

fn sqlx_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .expect("sqlx options")
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .statement_cache_capacity(128)
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// sqlx with a `SqlitePool` of five connections, as an async app would use it.
pub struct SqlxPool {
    rt: tokio::runtime::Runtime,
    pool: SqlitePool,
}

impl SqlxPool {
    /// Opens a pool on the database at `path`.
    pub fn open(path: &Path) -> Self {
        let rt = runtime();
        let pool = rt
            .block_on(
                SqlitePoolOptions::new()
                    .max_connections(5)
                    .connect_with(sqlx_options(path)),
            )
            .expect("sqlx pool");
        SqlxPool { rt, pool }
    }
}

impl Runner for SqlxPool {
    fn name(&self) -> &'static str {
        "sqlx (pool of 5)"
    }
    fn read(&mut self, i: u64) -> i64 {
        self.rt
            .block_on(sqlx_read_pool(&self.pool, i))
            .expect("sqlx read")
    }
    fn write(&mut self, i: u64) -> i64 {
        let pool = &self.pool;
        self.rt
            .block_on(async {
                let mut conn = pool.acquire().await?;
                sqlx_write(&mut conn, i).await
            })
            .expect("sqlx write")
    }
}

/// sqlx on one connection (its fastest configuration).
pub struct SqlxConn {
    rt: tokio::runtime::Runtime,
    conn: Option<SqliteConnection>,
}

impl SqlxConn {
    /// Opens one connection to the database at `path`.
    pub fn open(path: &Path) -> Self {
        let rt = runtime();
        let conn = rt
            .block_on(SqliteConnection::connect_with(&sqlx_options(path)))
            .expect("sqlx connection");
        SqlxConn {
            rt,
            conn: Some(conn),
        }
    }
}

impl Runner for SqlxConn {
    fn name(&self) -> &'static str {
        "sqlx (one connection)"
    }
    fn read(&mut self, i: u64) -> i64 {
        let conn = self.conn.as_mut().expect("open");
        self.rt
            .block_on(sqlx_read_conn(conn, i))
            .expect("sqlx read")
    }
    fn write(&mut self, i: u64) -> i64 {
        let conn = self.conn.as_mut().expect("open");
        self.rt.block_on(sqlx_write(conn, i)).expect("sqlx write")
    }
}

/// The read request for sqlx, on either database: `$exec` is `&mut *conn` or `pool`, evaluated
/// per query; `$queries` is the database's [`Queries`].
macro_rules! sqlx_read_body {
    ($exec:expr, $i:expr, $queries:expr) => {{
        let (game, team, _) = $crate::ids($i);
        let mut sum = 0;
        let games: Vec<$crate::GameTuple> = sqlx::query_as($queries.get_game)
            .bind(game)
            .fetch_all($exec)
            .await?;
        for g in games {
            sum += g.0 + g.5.unwrap_or(0) + g.7.len() as i64 + g.3.unix_timestamp() % 1_000;
            sum += g.9.map_or(0, |d| i64::from(d.year())) + g.2.map_or(0, |v| v.len() as i64);
        }
        let events: Vec<(i64, i64, String, Option<String>, Option<Vec<u8>>, bool)> =
            sqlx::query_as($queries.game_events)
                .bind(game)
                .fetch_all($exec)
                .await?;
        for e in events {
            sum += e.1 + e.2.len() as i64 + e.4.map_or(0, |p| p.len() as i64) + i64::from(e.5);
        }
        let record = sqlx::query($queries.team_record)
            .bind(team)
            .fetch_one($exec)
            .await?;
        let (played, won, goals): (i64, Option<i64>, i64) = (
            ::sqlx::Row::try_get(&record, 0)?,
            ::sqlx::Row::try_get(&record, 1)?,
            ::sqlx::Row::try_get(&record, 2)?,
        );
        sum += played * 3 + won.unwrap_or(0) + goals;
        let list: Vec<(i64, String, String, i64, i64, ::time::OffsetDateTime)> =
            sqlx::query_as($queries.list_games)
                .bind("final")
                .bind(10_i64)
                .fetch_all($exec)
                .await?;
        for g in list {
            sum += g.0 + g.1.len() as i64 + g.2.len() as i64 + g.3 + g.4;
        }
        let (teams, _newest, last_id): (i64, Option<::time::Date>, i64) =
            sqlx::query_as($queries.count_teams)
                .fetch_one($exec)
                .await?;
        sum += teams + last_id;
        Ok::<i64, sqlx::Error>(sum)
    }};
}
// A path for the Postgres runners (`crate::sqlx_read_body!`).
pub(crate) use sqlx_read_body;

async fn sqlx_read_conn(conn: &mut SqliteConnection, i: u64) -> Result<i64, sqlx::Error> {
    sqlx_read_body!(&mut *conn, i, QUERIES)
}

async fn sqlx_read_pool(pool: &SqlitePool, i: u64) -> Result<i64, sqlx::Error> {
    sqlx_read_body!(pool, i, QUERIES)
}

/// Every runner, each on its own copy of `template` in `dir`.
pub fn runners(template: &Path, dir: &Path) -> Vec<Box<dyn Runner>> {
    vec![
        Box::new(Handwritten::open(&copy_database(
            template,
            dir,
            "handwritten.sqlite",
        ))),
        Box::new(Generated::open(&copy_database(
            template,
            dir,
            "generated.sqlite",
        ))),
        Box::new(GeneratedPlain::open(&copy_database(
            template,
            dir,
            "generated_plain.sqlite",
        ))),
        Box::new(SqlxPool::open(&copy_database(
            template,
            dir,
            "sqlx_pool.sqlite",
        ))),
        Box::new(SqlxConn::open(&copy_database(
            template,
            dir,
            "sqlx_conn.sqlite",
        ))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both groups run the same requests on the same data, so every runner, SQLite or
    /// Postgres, must return the same checksums and the same new event ids.
    #[test]
    fn every_runner_reads_and_writes_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let template = dir.path().join("template.sqlite");
        create_database(&template);
        // Declared before the runners, so it drops after them (their connections close first).
        let mut server = postgres::PgServer::start();
        let mut runners = runners(&template, dir.path());
        runners.extend(postgres::runners(&mut server));
        let names: Vec<&str> = runners.iter().map(|r| r.name()).collect();
        for i in 0..50 {
            let reads: Vec<i64> = runners.iter_mut().map(|r| r.read(i)).collect();
            assert!(
                reads.iter().all(|r| *r == reads[0]),
                "request {i}: {:?}",
                names.iter().zip(&reads).collect::<Vec<_>>()
            );
            let writes: Vec<i64> = runners.iter_mut().map(|r| r.write(i)).collect();
            assert!(
                writes.iter().all(|w| *w == writes[0]),
                "write {i}: {:?}",
                names.iter().zip(&writes).collect::<Vec<_>>()
            );
        }
    }
}
