//! The Postgres half of the benchmark: the same two requests as the SQLite runners, on the
//! same data, through `fixtures/sql-app-pg` (the SQLite fixture's Postgres twin).
//!
//! The server is `DATABASE_URL` when that is a `postgres://` URL (its user needs `CREATEDB`),
//! otherwise a throwaway [`TempCluster`] (loopback TCP, `fsync=off`,
//! `synchronous_commit=off`). One template database is migrated with the fixture's migrations
//! and filled once with the rows [`crate::create_database`] writes to SQLite; every runner gets
//! its own `CREATE DATABASE … TEMPLATE` copy, so each starts from the same state and their
//! writes return the same ids.
//!
//! Runners: hand-written `postgres` with every statement prepared once per connection
//! ([`PgHandwritten`], the floor); the generated functions through `rally::postgres::PgDb`
//! ([`PgGenerated`], what an app runs), on one `rally_sql::postgres::Connection`
//! ([`PgGeneratedConnection`]) and on one plain `postgres::Client`, unprepared
//! ([`PgGeneratedPlain`]); sqlx's Postgres
//! driver with a pool ([`SqlxPgPool`]) and with one connection ([`SqlxPgConn`]), the peers.

use std::path::{Path, PathBuf};

use postgres::{Client, NoTls, Statement};
use rally_db::postgres::{PgConfig, PgDb};
use rally_sql::postgres::{Connection, Executor, TempCluster};
use rally_sql_fixture_pg::generated::sql::admin::pages::games_sql;
use rally_sql_fixture_pg::generated::sql::public::pages::games::id__sql;
use rally_sql_fixture_pg::generated::sql::public::pages::games_sql as public_games;
use rally_sql_fixture_pg::generated::sql::root_sql;
use sqlx::Connection as _;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::{EVENTS_PER_GAME, GAMES, Queries, Runner, TEAMS, ids, now, runtime};

/// The Postgres fixture app (its migrations define the schema).
fn app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sql-app-pg")
}

/// The SQL the generated functions run (`fixtures/sql-app-pg/src/**/*.sql` with numbered
/// placeholders), for the hand-written runner and sqlx.
pub(crate) const QUERIES: Queries = Queries {
    get_game: "SELECT g.id, g.status, g.venue, g.starts_at, g.updated_at, g.attendance, g.notes, h.name AS home_name, h.city AS home_city, h.founded AS home_founded FROM games g JOIN teams h ON h.id = g.home_id WHERE g.id = $1",
    game_events: "SELECT id, minute, kind, detail, payload, confirmed FROM game_events WHERE game_id = $1 ORDER BY minute",
    team_record: "SELECT COUNT(*) AS played, SUM(CASE WHEN (home_id = $1 AND home_score > away_score) OR (away_id = $1 AND away_score > home_score) THEN 1 ELSE 0 END) AS won, COALESCE(SUM(CASE WHEN home_id = $1 THEN home_score ELSE away_score END), 0)::bigint AS goals FROM games WHERE (home_id = $1 OR away_id = $1) AND status = 'final'",
    list_games: "SELECT g.id, h.name AS home, a.name AS away, g.home_score, g.away_score, g.starts_at FROM games g JOIN teams h ON h.id = g.home_id JOIN teams a ON a.id = g.away_id WHERE g.status = $1 ORDER BY g.starts_at, g.id LIMIT $2",
    count_teams: "SELECT COUNT(*) AS teams, MAX(founded) AS newest, MAX(id) AS last_id FROM teams",
    update_score: "UPDATE games SET home_score = $1, away_score = $2, status = $3, notes = $4, updated_at = $5 WHERE id = $6",
    insert_event: "INSERT INTO game_events (game_id, minute, kind, detail, payload, confirmed) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
};

/// Where the benchmark's databases live.
enum Host {
    /// A throwaway cluster, running while this value lives.
    Cluster(TempCluster),
    /// `DATABASE_URL`'s server.
    Url(String),
}

/// The benchmark's Postgres server and its template database. Dropping it drops the databases
/// it created on a `DATABASE_URL` server (a throwaway cluster goes away whole); drop the
/// runners first, since a database with open connections cannot be dropped.
pub struct PgServer {
    host: Host,
    /// The name of the migrated and filled template database.
    template: String,
    /// Databases to drop afterwards (on a `DATABASE_URL` server only).
    created: Vec<String>,
}

impl PgServer {
    /// Starts (or, with a Postgres `DATABASE_URL`, connects to) the server and creates the
    /// template database: the fixture's migrations, then the benchmark's rows.
    pub fn start() -> Self {
        let url = std::env::var("DATABASE_URL")
            .ok()
            .filter(|url| rally_sql::is_postgres_url(url));
        let host = match url {
            Some(url) => Host::Url(url),
            None => Host::Cluster(TempCluster::start().unwrap_or_else(|e| panic!("{e}"))),
        };
        // The process id keeps two benchmarks on one `DATABASE_URL` server apart.
        let template = format!("rally_bench_sql_{}", std::process::id());
        let mut server = PgServer {
            host,
            template: template.clone(),
            created: Vec::new(),
        };
        server.create(&template, None);
        let template_url = server.url_for(&template);
        rally_sql::postgres::migrate(&template_url, &app().join("db/migrations"))
            .unwrap_or_else(|e| panic!("migrate the benchmark database: {e}"));
        fill(&template_url);
        server
    }

    /// The URL of `database` on this server.
    fn url_for(&self, database: &str) -> String {
        match &self.host {
            Host::Cluster(cluster) => cluster.url_for(database),
            Host::Url(url) => with_database(url, database),
        }
    }

    /// The URL to run `CREATE DATABASE` through.
    fn admin_url(&self) -> String {
        match &self.host {
            Host::Cluster(cluster) => cluster.url(),
            Host::Url(url) => url.clone(),
        }
    }

    fn create(&mut self, name: &str, template: Option<&str>) {
        let mut admin = Client::connect(&self.admin_url(), NoTls)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.admin_url()));
        // Names are made here from plain identifiers, so they need no quoting.
        let sql = match template {
            Some(template) => format!("CREATE DATABASE {name} TEMPLATE {template}"),
            None => format!("CREATE DATABASE {name}"),
        };
        admin
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        // Dropped in reverse, so the copies go before the template.
        self.created.push(name.to_owned());
    }

    /// A new copy of the template database for one runner; returns its URL.
    pub fn copy(&mut self, runner: &str) -> String {
        let name = format!("{}_{runner}", self.template);
        let template = self.template.clone();
        self.create(&name, Some(&template));
        self.url_for(&name)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Host::Cluster(_) = self.host {
            return;
        }
        // Best effort: a leftover database on a shared server is untidy, not wrong.
        if let Ok(mut admin) = Client::connect(&self.admin_url(), NoTls) {
            for name in self.created.iter().rev() {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"));
            }
        }
    }
}

/// `url` with its database (the path) replaced by `database`; the query string is kept.
fn with_database(url: &str, database: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let query = url[authority_end..]
        .find('?')
        .map_or("", |i| &url[authority_end + i..]);
    format!("{}/{database}{query}", &url[..authority_end])
}

/// The rows [`crate::create_database`] writes to SQLite, written to the Postgres database at
/// `url` (dates and times as `date` and `timestamptz` values in UTC).
fn fill(url: &str) {
    let mut client = Client::connect(url, NoTls).unwrap_or_else(|e| panic!("connect {url}: {e}"));
    let mut tx = client.transaction().expect("begin");
    let team = tx
        .prepare("INSERT INTO teams (id, name, city, founded) VALUES ($1, $2, $3, $4)")
        .expect("prepare team");
    for t in 1..=TEAMS {
        let founded = (t % 2 == 0)
            .then(|| Date::from_calendar_date(1900 + (t % 100) as i32, Month::January, 1))
            .transpose()
            .expect("date");
        tx.execute(
            &team,
            &[
                &t,
                &format!("Team {t}"),
                &(t % 3 != 0).then(|| format!("City {t}")),
                &founded,
            ],
        )
        .expect("team");
    }
    let game = tx
        .prepare("INSERT INTO games (id, home_id, away_id, home_score, away_score, status, venue, starts_at, attendance, notes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .expect("prepare game");
    let event = tx
        .prepare("INSERT INTO game_events (game_id, minute, kind, detail, payload, confirmed) VALUES ($1, $2, $3, $4, $5, $6)")
        .expect("prepare event");
    for g in 1..=GAMES {
        let status = ["final", "scheduled", "live"][(g % 3) as usize];
        let day = Date::from_calendar_date(
            2026,
            Month::try_from(1 + (g % 12) as u8).expect("month"),
            1 + (g % 28) as u8,
        )
        .expect("date");
        let starts_at =
            PrimitiveDateTime::new(day, Time::from_hms(18, 0, 0).expect("time")).assume_utc();
        tx.execute(
            &game,
            &[
                &g,
                &(1 + g % TEAMS),
                &(1 + (g * 7 + 3) % TEAMS),
                &(g % 5),
                &(g % 4),
                &status,
                &(g % 2 == 0).then_some("Main Ground"),
                &starts_at,
                &(g % 3 == 0).then_some(g * 10),
                &Option::<String>::None,
            ],
        )
        .expect("game");
        for e in 0..EVENTS_PER_GAME {
            tx.execute(
                &event,
                &[
                    &g,
                    &(e * 9),
                    &if e % 4 == 0 { "goal" } else { "foul" },
                    &(e % 2 == 0).then_some("detail"),
                    &(e % 5 == 0).then_some(vec![e as u8; 4]),
                    &(e % 2 == 0),
                ],
            )
            .expect("event");
        }
    }
    // Teams and games were inserted with explicit ids; move their sequences past them, as the
    // fixture's seeds do. Events took theirs from the sequence, like SQLite's rowids.
    tx.batch_execute(
        "SELECT setval(pg_get_serial_sequence('teams', 'id'), (SELECT max(id) FROM teams));
         SELECT setval(pg_get_serial_sequence('games', 'id'), (SELECT max(id) FROM games));",
    )
    .expect("sequences");
    tx.commit().expect("commit");
    // Fresh statistics and a vacuumed heap (so index-only scans see all-visible pages), as
    // SQLite's `ANALYZE` after the load.
    client
        .batch_execute("VACUUM ANALYZE")
        .expect("vacuum analyze");
}

/// The read request through the generated functions.
fn read_generated(client: &mut impl Executor, i: u64) -> Result<i64, postgres::Error> {
    let (game, team, _) = ids(i);
    let mut sum = 0;
    for g in id__sql::get_game(client, game)? {
        sum += g.id
            + g.attendance.unwrap_or(0)
            + g.home_name.len() as i64
            + g.starts_at.unix_timestamp() % 1_000;
        sum += g.home_founded.map_or(0, |d| i64::from(d.year()))
            + g.venue.map_or(0, |v| v.len() as i64);
    }
    for e in id__sql::game_events(client, game)? {
        sum += e.minute
            + e.kind.len() as i64
            + e.payload.map_or(0, |p| p.len() as i64)
            + i64::from(e.confirmed);
    }
    for r in id__sql::team_record(client, team)? {
        sum += r.played * 3 + r.won.unwrap_or(0) + r.goals;
    }
    for g in public_games::list_games(client, "final", 10)? {
        sum += g.id + g.home.len() as i64 + g.away.len() as i64 + g.home_score + g.away_score;
    }
    for c in root_sql::count_teams(client)? {
        sum += c.teams + c.last_id;
    }
    Ok(sum)
}

/// The write request's statements through the generated functions (the caller owns the
/// transaction).
fn write_generated(client: &mut impl Executor, i: u64) -> Result<i64, postgres::Error> {
    let (game, _, minute) = ids(i);
    games_sql::update_score(
        client,
        (i % 5) as i64,
        (i % 3) as i64,
        "live",
        None,
        now(),
        game,
    )?;
    let rows = games_sql::insert_event(client, game, minute, "goal", Some("bench"), None, true)?;
    Ok(rows.first().map_or(0, |r| r.id))
}

fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

/// Generated functions through `rally::postgres::PgDb` (`read_sync` on a pooled client,
/// `write_sync` in a transaction).
pub struct PgGenerated(pub PgDb);

impl PgGenerated {
    /// Opens the database at `url` with the runtime's defaults.
    pub fn open(url: &str) -> Self {
        PgGenerated(PgDb::open(PgConfig::new(url)).unwrap_or_else(|e| panic!("{e}")))
    }
}

impl Runner for PgGenerated {
    fn name(&self) -> &'static str {
        "generated (rally::postgres)"
    }
    fn read(&mut self, i: u64) -> i64 {
        self.0
            .read_sync(|client| Ok::<_, rally_db::postgres::Error>(read_generated(client, i)?))
            .expect("read")
    }
    fn write(&mut self, i: u64) -> i64 {
        self.0
            .write_sync(|tx| Ok::<_, rally_db::postgres::Error>(write_generated(tx, i)?))
            .expect("write")
    }
}

/// Generated functions on one `rally_sql::postgres::Connection`: each query prepared once, no
/// pool.
pub struct PgGeneratedConnection(pub Connection);

impl PgGeneratedConnection {
    /// Connects to `url`.
    pub fn open(url: &str) -> Self {
        PgGeneratedConnection(connect(url).into())
    }
}

impl Runner for PgGeneratedConnection {
    fn name(&self) -> &'static str {
        "generated (one Connection)"
    }
    fn read(&mut self, i: u64) -> i64 {
        read_generated(&mut self.0, i).expect("read")
    }
    fn write(&mut self, i: u64) -> i64 {
        let mut tx = self.0.transaction().expect("begin");
        let id = write_generated(&mut tx, i).expect("write");
        tx.commit().expect("commit");
        id
    }
}

/// Generated functions on one plain `postgres::Client`, which prepares nothing: each call is
/// one unnamed round trip (`query_typed`).
pub struct PgGeneratedPlain(pub Client);

impl PgGeneratedPlain {
    /// Connects to `url`.
    pub fn open(url: &str) -> Self {
        PgGeneratedPlain(connect(url))
    }
}

impl Runner for PgGeneratedPlain {
    fn name(&self) -> &'static str {
        "generated (plain Client, unprepared)"
    }
    fn read(&mut self, i: u64) -> i64 {
        read_generated(&mut self.0, i).expect("read")
    }
    fn write(&mut self, i: u64) -> i64 {
        let mut tx = self.0.transaction().expect("begin");
        let id = write_generated(&mut tx, i).expect("write");
        tx.commit().expect("commit");
        id
    }
}

/// The statements of both requests, prepared on one connection.
struct Prepared {
    get_game: Statement,
    game_events: Statement,
    team_record: Statement,
    list_games: Statement,
    count_teams: Statement,
    update_score: Statement,
    insert_event: Statement,
}

/// The same SQL, hand-written against `postgres` with every statement prepared once per
/// connection (so a request sends only Bind/Execute): the floor.
pub struct PgHandwritten {
    client: Client,
    prepared: Prepared,
}

impl PgHandwritten {
    /// Connects to `url` and prepares the statements.
    pub fn open(url: &str) -> Self {
        let mut client = connect(url);
        let mut prepare = |sql: &str| {
            client
                .prepare(sql)
                .unwrap_or_else(|e| panic!("prepare {sql}: {e}"))
        };
        let prepared = Prepared {
            get_game: prepare(QUERIES.get_game),
            game_events: prepare(QUERIES.game_events),
            team_record: prepare(QUERIES.team_record),
            list_games: prepare(QUERIES.list_games),
            count_teams: prepare(QUERIES.count_teams),
            update_score: prepare(QUERIES.update_score),
            insert_event: prepare(QUERIES.insert_event),
        };
        PgHandwritten { client, prepared }
    }

    fn try_read(&mut self, i: u64) -> Result<i64, postgres::Error> {
        let (game, team, _) = ids(i);
        let (client, p) = (&mut self.client, &self.prepared);
        let mut sum = 0;
        for row in client.query(&p.get_game, &[&game])? {
            // Every column is decoded, as the generated row structs do.
            let id: i64 = row.try_get(0)?;
            let venue: Option<&str> = row.try_get(2)?;
            let starts_at: OffsetDateTime = row.try_get(3)?;
            let attendance: Option<i64> = row.try_get(5)?;
            let home_name: &str = row.try_get(7)?;
            let founded: Option<Date> = row.try_get(9)?;
            let _: (&str, OffsetDateTime, Option<&str>, Option<&str>) = (
                row.try_get(1)?,
                row.try_get(4)?,
                row.try_get(6)?,
                row.try_get(8)?,
            );
            sum += id
                + attendance.unwrap_or(0)
                + home_name.len() as i64
                + starts_at.unix_timestamp() % 1_000;
            sum += founded.map_or(0, |d| i64::from(d.year())) + venue.map_or(0, |v| v.len() as i64);
        }
        for row in client.query(&p.game_events, &[&game])? {
            let (_id, minute, kind, _detail, payload, confirmed): (
                i64,
                i64,
                &str,
                Option<&str>,
                Option<&[u8]>,
                bool,
            ) = (
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
                row.try_get(5)?,
            );
            sum += minute
                + kind.len() as i64
                + payload.map_or(0, |p| p.len() as i64)
                + i64::from(confirmed);
        }
        let row = client.query_one(&p.team_record, &[&team])?;
        let (played, won, goals): (i64, Option<i64>, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        sum += played * 3 + won.unwrap_or(0) + goals;
        for row in client.query(&p.list_games, &[&"final", &10_i64])? {
            let (id, home, away, hs, aws, _starts): (i64, &str, &str, i64, i64, OffsetDateTime) = (
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
                row.try_get(5)?,
            );
            sum += id + home.len() as i64 + away.len() as i64 + hs + aws;
        }
        let row = client.query_one(&p.count_teams, &[])?;
        let (teams, _newest, last_id): (i64, Option<Date>, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        sum += teams + last_id;
        Ok(sum)
    }

    fn try_write(&mut self, i: u64) -> Result<i64, postgres::Error> {
        let (game, _, minute) = ids(i);
        let p = &self.prepared;
        let mut tx = self.client.transaction()?;
        tx.execute(
            &p.update_score,
            &[
                &((i % 5) as i64),
                &((i % 3) as i64),
                &"live",
                &Option::<&str>::None,
                &now(),
                &game,
            ],
        )?;
        let row = tx.query_one(
            &p.insert_event,
            &[
                &game,
                &minute,
                &"goal",
                &Some("bench"),
                &Option::<&[u8]>::None,
                &true,
            ],
        )?;
        let id = row.try_get(0)?;
        tx.commit()?;
        Ok(id)
    }
}

impl Runner for PgHandwritten {
    fn name(&self) -> &'static str {
        "hand-written postgres"
    }
    fn read(&mut self, i: u64) -> i64 {
        self.try_read(i).expect("read")
    }
    fn write(&mut self, i: u64) -> i64 {
        self.try_write(i).expect("write")
    }
}

async fn sqlx_write(conn: &mut PgConnection, i: u64) -> Result<i64, sqlx::Error> {
    let (game, _, minute) = ids(i);
    let mut tx = conn.begin().await?;
    sqlx::query(QUERIES.update_score)
        .bind((i % 5) as i64)
        .bind((i % 3) as i64)
        .bind("live")
        .bind(Option::<&str>::None)
        .bind(now())
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

async fn sqlx_read_conn(conn: &mut PgConnection, i: u64) -> Result<i64, sqlx::Error> {
    crate::sqlx_read_body!(&mut *conn, i, QUERIES)
}

async fn sqlx_read_pool(pool: &PgPool, i: u64) -> Result<i64, sqlx::Error> {
    crate::sqlx_read_body!(pool, i, QUERIES)
}

/// sqlx with a `PgPool` of five connections, as an async app would use it (statements are
/// prepared once per connection and cached, sqlx's default).
pub struct SqlxPgPool {
    rt: tokio::runtime::Runtime,
    pool: PgPool,
}

impl SqlxPgPool {
    /// Opens a pool on the database at `url`.
    pub fn open(url: &str) -> Self {
        let rt = runtime();
        let pool = rt
            .block_on(PgPoolOptions::new().max_connections(5).connect(url))
            .unwrap_or_else(|e| panic!("sqlx pool on {url}: {e}"));
        SqlxPgPool { rt, pool }
    }
}

impl Runner for SqlxPgPool {
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

/// sqlx on one connection.
pub struct SqlxPgConn {
    rt: tokio::runtime::Runtime,
    conn: PgConnection,
}

impl SqlxPgConn {
    /// Opens one connection to the database at `url`.
    pub fn open(url: &str) -> Self {
        let rt = runtime();
        let conn = rt
            .block_on(PgConnection::connect(url))
            .unwrap_or_else(|e| panic!("sqlx connection to {url}: {e}"));
        SqlxPgConn { rt, conn }
    }
}

impl Runner for SqlxPgConn {
    fn name(&self) -> &'static str {
        "sqlx (one connection)"
    }
    fn read(&mut self, i: u64) -> i64 {
        self.rt
            .block_on(sqlx_read_conn(&mut self.conn, i))
            .expect("sqlx read")
    }
    fn write(&mut self, i: u64) -> i64 {
        self.rt
            .block_on(sqlx_write(&mut self.conn, i))
            .expect("sqlx write")
    }
}

/// Every Postgres runner, the floor first, each on its own copy of the template database.
pub fn runners(server: &mut PgServer) -> Vec<Box<dyn Runner>> {
    vec![
        Box::new(PgHandwritten::open(&server.copy("handwritten"))),
        Box::new(PgGenerated::open(&server.copy("generated"))),
        Box::new(PgGeneratedConnection::open(&server.copy("generated_conn"))),
        Box::new(PgGeneratedPlain::open(&server.copy("generated_plain"))),
        Box::new(SqlxPgPool::open(&server.copy("sqlx_pool"))),
        Box::new(SqlxPgConn::open(&server.copy("sqlx_conn"))),
    ]
}
