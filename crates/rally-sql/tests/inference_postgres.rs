//! The inference table on Postgres: the cases of `inference.rs` where the dialects agree, and
//! Postgres's own types beside them. Each query is prepared by a real, migrated Postgres (one
//! throwaway cluster for the test binary).
#![cfg(feature = "postgres")]

mod common;

use std::sync::LazyLock;

use rally_sql::codegen::pg::{Scratch, describe, load_schema};
use rally_sql::codegen::{Cardinality, QueryModel, SqlError};
use rally_sql::postgres::{self, Client, TempCluster};

const SCHEMA: &str = "
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text,
    age integer,
    score double precision,
    avatar bytea,
    admin boolean NOT NULL DEFAULT false,
    born date,
    created_at timestamptz NOT NULL DEFAULT now(),
    wake time,
    balance numeric(12, 2),
    token uuid,
    prefs jsonb,
    tags text[] NOT NULL DEFAULT '{}',
    rank smallint,
    ratio real
);
CREATE TABLE posts (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    title varchar(200) NOT NULL,
    body text,
    published_at timestamp
);
CREATE TABLE spans (id integer PRIMARY KEY, during interval);
";

/// The cluster and a database with [`SCHEMA`], shared by every test (describing only prepares).
static DATABASE: LazyLock<(TempCluster, String)> = LazyLock::new(|| {
    let cluster = TempCluster::start().unwrap_or_else(|e| panic!("{e}"));
    let url = cluster
        .create_database("inference")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut client = postgres::connect(&url).unwrap_or_else(|e| panic!("{e}"));
    client.batch_execute(SCHEMA).unwrap();
    (cluster, url)
});

fn client() -> Client {
    postgres::connect(&DATABASE.1).unwrap_or_else(|e| panic!("{e}"))
}

fn run(client: &mut Client, sql: &str) -> Result<QueryModel, SqlError> {
    let schema = load_schema(client).unwrap();
    describe(client, &schema, "src/app/sql/case.sql", sql)
}

type Expect<'a> = &'a [(&'a str, &'a str)];

#[track_caller]
fn case(client: &mut Client, sql: &str, columns: Expect<'_>, params: Expect<'_>) {
    let model = run(client, sql).unwrap_or_else(|e| panic!("{sql}\n{e}"));
    let want = |e: Expect<'_>| {
        e.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(model.column_types(), want(columns), "columns of {sql}");
    assert_eq!(model.param_types(), want(params), "params of {sql}");
}

#[test]
fn plain_columns_follow_the_catalog() {
    let c = &mut client();
    case(
        c,
        "SELECT id, email, name, age, score FROM users WHERE id = :id",
        &[
            ("id", "i64"),
            ("email", "String"),
            ("name", "Option<String>"),
            ("age", "Option<i32>"),
            ("score", "Option<f64>"),
        ],
        &[("id", "i64")],
    );
    case(
        c,
        "SELECT rank, ratio, title FROM users, posts",
        &[
            ("rank", "Option<i16>"),
            ("ratio", "Option<f32>"),
            ("title", "String"),
        ],
        &[],
    );
}

#[test]
fn postgres_types_map_to_rust() {
    let c = &mut client();
    case(
        c,
        "SELECT avatar, admin, born, created_at, wake, balance, token, prefs, tags FROM users",
        &[
            ("avatar", "Option<Vec<u8>>"),
            ("admin", "bool"),
            ("born", "Option<time::Date>"),
            ("created_at", "time::OffsetDateTime"),
            ("wake", "Option<time::Time>"),
            ("balance", "Option<rust_decimal::Decimal>"),
            ("token", "Option<uuid::Uuid>"),
            ("prefs", "Option<serde_json::Value>"),
            ("tags", "Vec<String>"),
        ],
        &[],
    );
    case(
        c,
        "SELECT published_at FROM posts WHERE published_at < :before AND id = ANY(:ids)",
        &[("published_at", "Option<time::PrimitiveDateTime>")],
        &[("before", "time::PrimitiveDateTime"), ("ids", "&[i64]")],
    );
    case(
        c,
        "UPDATE users SET prefs = :prefs, token = :token, tags = :tags, avatar = :avatar WHERE id = :id",
        &[],
        &[
            ("prefs", "Option<&serde_json::Value>"),
            ("token", "Option<uuid::Uuid>"),
            ("tags", "&[&str]"),
            ("avatar", "Option<&[u8]>"),
            ("id", "i64"),
        ],
    );
    case(
        c,
        "SELECT age::bigint AS age64, count(*) AS n FROM users GROUP BY age",
        &[("age64", "Option<i64>"), ("n", "i64")],
        &[],
    );
}

#[test]
fn nullability_rules_are_the_same_as_on_sqlite() {
    let c = &mut client();
    case(
        c,
        "SELECT u.email, p.title FROM users u LEFT JOIN posts p ON p.user_id = u.id",
        &[("email", "String"), ("title", "Option<String>")],
        &[],
    );
    case(
        c,
        "SELECT u.email, p.title FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE p.title = :t",
        &[("email", "String"), ("title", "String")],
        &[("t", "&str")],
    );
    case(
        c,
        "SELECT max(age) AS oldest, sum(score) AS total, coalesce(name, email) AS label FROM users GROUP BY name, email",
        &[
            ("oldest", "Option<i32>"),
            ("total", "Option<f64>"),
            ("label", "String"),
        ],
        &[],
    );
    case(
        c,
        "SELECT CASE WHEN admin THEN 'yes' ELSE 'no' END AS kind FROM users",
        &[("kind", "String")],
        &[],
    );
    case(
        c,
        "SELECT id FROM users WHERE (:name::text IS NULL OR name = :name)",
        &[("id", "i64")],
        &[("name", "Option<&str>")],
    );
}

#[test]
fn writes_follow_the_target_column_and_returning() {
    let c = &mut client();
    case(
        c,
        "INSERT INTO posts (user_id, title, body) VALUES (:user_id, :title, :body) RETURNING id, published_at",
        &[
            ("id", "i64"),
            ("published_at", "Option<time::PrimitiveDateTime>"),
        ],
        &[
            ("user_id", "i64"),
            ("title", "&str"),
            ("body", "Option<&str>"),
        ],
    );
    case(
        c,
        "UPDATE users SET name = :name WHERE id = :id",
        &[],
        &[("name", "Option<&str>"), ("id", "i64")],
    );
    case(
        c,
        "DELETE FROM posts WHERE user_id = :user_id RETURNING *",
        &[
            ("id", "i64"),
            ("user_id", "i64"),
            ("title", "String"),
            ("body", "Option<String>"),
            ("published_at", "Option<time::PrimitiveDateTime>"),
        ],
        &[("user_id", "i64")],
    );
}

#[test]
fn placeholders_are_numbered_for_postgres() {
    let c = &mut client();
    case(
        c,
        "SELECT id FROM users WHERE email = ? AND age > ? AND name = :name OR email = :name",
        &[("id", "i64")],
        &[("email", "&str"), ("age", "i32"), ("name", "&str")],
    );
    let m = run(
        c,
        "SELECT id\nFROM users\nWHERE email = :email OR name = :email AND age > ?",
    )
    .unwrap();
    assert_eq!(
        m.sql,
        "SELECT id FROM users WHERE email = $1 OR name = $1 AND age > $2"
    );
    let m = run(
        c,
        "-- :opt\nSELECT name AS name!, age::text AS age FROM users WHERE id = :id",
    )
    .unwrap();
    assert_eq!(m.cardinality, Cardinality::Opt);
    assert_eq!(
        m.column_types(),
        [
            ("name".to_owned(), "String".to_owned()),
            ("age".to_owned(), "Option<String>".to_owned())
        ]
    );
}

#[track_caller]
fn error(c: &mut Client, sql: &str, line: usize, column: usize, needle: &str) {
    let e = run(c, sql).expect_err(sql);
    assert_eq!((e.line, e.column), (line, column), "{e}");
    assert!(
        e.to_string().contains(needle),
        "{e} should mention {needle:?}"
    );
    assert!(e.to_string().starts_with("src/app/sql/case.sql:"), "{e}");
}

#[test]
fn errors_name_the_file_line_and_column() {
    let c = &mut client();
    error(
        c,
        "SELECT id\nFROM nope",
        2,
        6,
        "Postgres: relation \"nope\" does not exist",
    );
    error(
        c,
        "SELECT id,\n  nope\nFROM users WHERE email = :email",
        2,
        3,
        "column \"nope\" does not exist",
    );
    // Positions after a placeholder still point into the file, not the numbered SQL.
    error(
        c,
        "SELECT id FROM users WHERE email = :a_long_name AND nope = 1",
        1,
        53,
        "column \"nope\" does not exist",
    );
    error(
        c,
        "SELECT id FROM users\nWHERE (:city IS NULL OR name = :city)",
        2,
        8,
        "write its type, e.g. `:city::text`",
    );
    error(
        c,
        "SELECT id FROM users WHERE id = $1",
        1,
        33,
        "rally-sql numbers the parameters itself",
    );
    error(
        c,
        "SELECT id, during FROM spans",
        1,
        1,
        "`during` has type `interval`",
    );
    error(c, "SELEC id FROM users", 1, 1, "syntax error");
}

#[test]
fn gen_migrates_a_scratch_database_on_the_given_server() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("db/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("001_items.sql"),
        "CREATE TABLE items (id bigserial PRIMARY KEY, label text NOT NULL);",
    )
    .unwrap();
    let server = DATABASE.0.url();
    let mut scratch = Scratch::start(&migrations, Some(&server)).unwrap_or_else(|e| panic!("{e}"));
    let m = scratch
        .describe("src/sql/items.sql", "SELECT id, label FROM items")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        m.column_types(),
        [
            ("id".to_owned(), "i64".to_owned()),
            ("label".to_owned(), "String".to_owned())
        ]
    );
    let mut admin = postgres::connect(&server).unwrap();
    let count = |admin: &mut Client| -> i64 {
        admin
            .query_one(
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'rally_gen_%'",
                &[],
            )
            .unwrap()
            .get(0)
    };
    assert_eq!(
        count(&mut admin),
        1,
        "the scratch database exists during the run"
    );
    drop(scratch);
    assert_eq!(count(&mut admin), 0, "and is dropped afterwards");
}

#[test]
fn the_cases_shared_with_sqlite() {
    let url = DATABASE
        .0
        .create_database("shared")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut c = postgres::connect(&url).unwrap_or_else(|e| panic!("{e}"));
    c.batch_execute(common::POSTGRES_SCHEMA).unwrap();
    for shared in common::CASES {
        case(&mut c, shared.sql, shared.columns, shared.params);
    }
}
