//! The inference table: each case is a query against a real migrated schema and the Rust types
//! the generator must give its columns and parameters (stack.md §2.5 and §3.4 cases included).

mod common;

use rally_sql::codegen::{Cardinality, QueryModel, SqlError, describe, shared_row_mismatches};
use rusqlite::Connection;

const SCHEMA: &str = "
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    age INTEGER,
    score REAL,
    avatar BLOB,
    admin BOOLEAN NOT NULL DEFAULT 0,
    born DATE,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    wake TIME
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT,
    published_at TIMESTAMP
);
CREATE INDEX posts_user ON posts (user_id);
CREATE TABLE tags (code TEXT PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
CREATE TABLE money (id INTEGER PRIMARY KEY, amount NUMERIC);
CREATE TABLE big (id BIGINT PRIMARY KEY, note VARCHAR(20) NOT NULL, ratio DOUBLE PRECISION);
";

fn conn() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn
}

fn run(conn: &Connection, sql: &str) -> Result<QueryModel, SqlError> {
    describe(conn, "src/app/sql/case.sql", sql)
}

type Expect<'a> = &'a [(&'a str, &'a str)];

#[track_caller]
fn case(conn: &Connection, sql: &str, columns: Expect<'_>, params: Expect<'_>) {
    let model = run(conn, sql).unwrap_or_else(|e| panic!("{sql}\n{e}"));
    let want = |e: Expect<'_>| {
        e.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(model.column_types(), want(columns), "columns of {sql}");
    assert_eq!(model.param_types(), want(params), "params of {sql}");
}

#[test]
fn plain_columns_follow_the_schema() {
    let c = conn();
    case(
        &c,
        "SELECT id, email, name, age, score FROM users WHERE id = :id",
        &[
            ("id", "i64"),
            ("email", "String"),
            ("name", "Option<String>"),
            ("age", "Option<i64>"),
            ("score", "Option<f64>"),
        ],
        &[("id", "i64")],
    );
    case(
        &c,
        "SELECT admin, avatar FROM users",
        &[("admin", "bool"), ("avatar", "Option<Vec<u8>>")],
        &[],
    );
    case(
        &c,
        "SELECT * FROM kv",
        &[("k", "String"), ("v", "Option<String>")],
        &[],
    );
    case(
        &c,
        "SELECT id, note, ratio FROM big",
        &[
            ("id", "Option<i64>"),
            ("note", "String"),
            ("ratio", "Option<f64>"),
        ],
        &[],
    );
    case(
        &c,
        "SELECT amount FROM money",
        &[("amount", "rusqlite::types::Value")],
        &[],
    );
}

#[test]
fn non_integer_primary_keys_are_nullable() {
    let c = conn();
    // SQLite allows NULL in a non-INTEGER primary key of a rowid table.
    case(
        &c,
        "SELECT code, label FROM tags",
        &[("code", "Option<String>"), ("label", "String")],
        &[],
    );
    // BIGINT is not a rowid alias either.
    case(&c, "SELECT id FROM big", &[("id", "Option<i64>")], &[]);
    // A WITHOUT ROWID table's key is NOT NULL.
    case(&c, "SELECT k FROM kv", &[("k", "String")], &[]);
}

#[test]
fn dates_and_times() {
    let c = conn();
    case(
        &c,
        "SELECT born, created_at, wake FROM users WHERE created_at > :since",
        &[
            ("born", "Option<time::Date>"),
            ("created_at", "time::OffsetDateTime"),
            ("wake", "Option<time::Time>"),
        ],
        &[("since", "time::OffsetDateTime")],
    );
    case(
        &c,
        "SELECT date(created_at) AS day, datetime('now') AS now FROM users",
        &[("day", "time::Date"), ("now", "time::OffsetDateTime")],
        &[],
    );
}

#[test]
fn outer_joins() {
    let c = conn();
    case(
        &c,
        "SELECT u.email, p.title FROM users u LEFT JOIN posts p ON p.user_id = u.id",
        &[("email", "String"), ("title", "Option<String>")],
        &[],
    );
    case(
        &c,
        "SELECT u.email, p.title FROM users u LEFT OUTER JOIN posts p ON p.user_id = u.id AND p.title = :title",
        &[("email", "String"), ("title", "Option<String>")],
        &[("title", "&str")],
    );
    case(
        &c,
        "SELECT u.email, p.title FROM posts p RIGHT JOIN users u ON p.user_id = u.id",
        &[("email", "String"), ("title", "Option<String>")],
        &[],
    );
    case(
        &c,
        "SELECT u.email, p.title FROM users u RIGHT JOIN posts p ON p.user_id = u.id",
        &[("email", "Option<String>"), ("title", "String")],
        &[],
    );
    case(
        &c,
        "SELECT u.email, p.title FROM users u FULL OUTER JOIN posts p ON p.user_id = u.id",
        &[("email", "Option<String>"), ("title", "Option<String>")],
        &[],
    );
    // A WHERE predicate on the outer side rejects the NULL rows: the join is really inner.
    case(
        &c,
        "SELECT u.email, p.title FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE p.title = :t",
        &[("email", "String"), ("title", "String")],
        &[("t", "&str")],
    );
    case(
        &c,
        "SELECT p.title FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE p.id IS NOT NULL",
        &[("title", "String")],
        &[],
    );
    // ... but `IS NULL` (an anti-join) and OR do not.
    case(
        &c,
        "SELECT p.title FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE p.id IS NULL OR u.id = 1",
        &[("title", "Option<String>")],
        &[],
    );
    // Inner joins keep both sides non-null; chained left joins mark each joined table.
    case(
        &c,
        "SELECT u.email, p.title, t.label FROM users u JOIN posts p ON p.user_id = u.id LEFT JOIN tags t ON t.code = p.title",
        &[
            ("email", "String"),
            ("title", "String"),
            ("label", "Option<String>"),
        ],
        &[],
    );
    case(
        &c,
        "SELECT * FROM users u LEFT JOIN kv ON kv.k = u.email WHERE u.id = 1",
        &[
            ("id", "i64"),
            ("email", "String"),
            ("name", "Option<String>"),
            ("age", "Option<i64>"),
            ("score", "Option<f64>"),
            ("avatar", "Option<Vec<u8>>"),
            ("admin", "bool"),
            ("born", "Option<time::Date>"),
            ("created_at", "time::OffsetDateTime"),
            ("wake", "Option<time::Time>"),
            ("k", "Option<String>"),
            ("v", "Option<String>"),
        ],
        &[],
    );
}

#[test]
fn aggregates() {
    let c = conn();
    case(
        &c,
        "SELECT COUNT(*) AS n, COUNT(name) AS named FROM users",
        &[("n", "i64"), ("named", "i64")],
        &[],
    );
    case(
        &c,
        "SELECT SUM(age) AS total, AVG(score) AS mean, MAX(age) AS oldest, MIN(email) AS first, TOTAL(score) AS t FROM users",
        &[
            ("total", "Option<i64>"),
            ("mean", "Option<f64>"),
            ("oldest", "Option<i64>"),
            ("first", "Option<String>"),
            ("t", "f64"),
        ],
        &[],
    );
    // MAX of a NOT NULL column is still nullable: no rows, NULL.
    case(
        &c,
        "SELECT MAX(id) AS top FROM users",
        &[("top", "Option<i64>")],
        &[],
    );
    case(
        &c,
        "SELECT user_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE body IS NOT NULL) AS with_body FROM posts GROUP BY user_id HAVING COUNT(*) > :min",
        &[("user_id", "i64"), ("n", "i64"), ("with_body", "i64")],
        &[("min", "i64")],
    );
    case(
        &c,
        "SELECT group_concat(title, ', ') AS titles FROM posts",
        &[("titles", "Option<String>")],
        &[],
    );
}

#[test]
fn coalesce_case_cast() {
    let c = conn();
    case(
        &c,
        "SELECT COALESCE(name, email) AS display, COALESCE(name, age) AS mixed, IFNULL(age, 0) AS age0 FROM users",
        &[
            ("display", "String"),
            ("mixed", "Option<String>"),
            ("age0", "i64"),
        ],
        &[],
    );
    case(
        &c,
        "SELECT COALESCE(MAX(age) + 1, 0) AS next FROM users",
        &[("next", "i64")],
        &[],
    );
    case(
        &c,
        "SELECT COALESCE(name, NULL) AS n FROM users",
        &[("n", "Option<String>")],
        &[],
    );
    case(
        &c,
        "SELECT CASE WHEN admin THEN 'admin' END AS role FROM users",
        &[("role", "Option<String>")],
        &[],
    );
    case(
        &c,
        "SELECT CASE WHEN admin THEN 'admin' ELSE 'user' END AS role FROM users",
        &[("role", "String")],
        &[],
    );
    case(
        &c,
        "SELECT CASE WHEN admin THEN NULL ELSE 'user' END AS role FROM users",
        &[("role", "Option<String>")],
        &[],
    );
    case(
        &c,
        "SELECT CASE age WHEN 1 THEN 1 ELSE 2.5 END AS x FROM users",
        &[("x", "f64")],
        &[],
    );
    case(
        &c,
        "SELECT CASE WHEN admin THEN name ELSE email END AS who FROM users",
        &[("who", "Option<String>")],
        &[],
    );
    case(
        &c,
        "SELECT CAST(age AS TEXT) AS age_text, CAST(id AS REAL) AS idr, CAST(COUNT(*) AS TEXT) AS n FROM users",
        &[
            ("age_text", "Option<String>"),
            ("idr", "f64"),
            ("n", "String"),
        ],
        &[],
    );
    case(
        &c,
        "SELECT id FROM users WHERE age > CAST(:min AS INTEGER)",
        &[("id", "i64")],
        &[("min", "i64")],
    );
    case(
        &c,
        "SELECT CAST(:raw AS BLOB) AS b",
        &[("b", "Vec<u8>")],
        &[("raw", "&[u8]")],
    );
}

#[test]
fn ctes_and_subqueries() {
    let c = conn();
    case(
        &c,
        "WITH adults AS (SELECT id, name FROM users WHERE age >= :min_age) SELECT id, name FROM adults",
        &[("id", "i64"), ("name", "Option<String>")],
        &[("min_age", "i64")],
    );
    case(
        &c,
        "WITH c(total) AS (SELECT COUNT(*) FROM posts) SELECT total FROM c",
        &[("total", "i64")],
        &[],
    );
    case(
        &c,
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < :max) SELECT x FROM n",
        &[("x", "i64")],
        &[("max", "i64")],
    );
    case(
        &c,
        "SELECT email, (SELECT title FROM posts WHERE posts.user_id = users.id LIMIT 1) AS last_title, (SELECT COUNT(*) FROM posts WHERE posts.user_id = users.id) AS n FROM users",
        &[
            ("email", "String"),
            ("last_title", "Option<String>"),
            ("n", "i64"),
        ],
        &[],
    );
    case(
        &c,
        "SELECT t.n FROM (SELECT COUNT(*) AS n FROM posts) AS t",
        &[("n", "i64")],
        &[],
    );
    case(
        &c,
        "SELECT EXISTS (SELECT 1 FROM posts WHERE user_id = :uid) AS has_posts",
        &[("has_posts", "bool")],
        &[("uid", "i64")],
    );
    case(
        &c,
        "SELECT id FROM users WHERE id IN (SELECT user_id FROM posts WHERE title LIKE :pattern)",
        &[("id", "i64")],
        &[("pattern", "&str")],
    );
    case(
        &c,
        "SELECT name FROM users UNION ALL SELECT title FROM posts",
        &[("name", "Option<String>")],
        &[],
    );
    case(
        &c,
        "SELECT title FROM posts UNION SELECT email FROM users",
        &[("title", "String")],
        &[],
    );
    case(
        &c,
        "SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn, LAG(age) OVER (ORDER BY id) AS prev FROM users",
        &[("id", "i64"), ("rn", "i64"), ("prev", "Option<i64>")],
        &[],
    );
}

#[test]
fn read_positions_are_non_null() {
    let c = conn();
    // `name` is nullable, but comparing with NULL never matches: the parameter is required.
    case(
        &c,
        "SELECT id FROM users WHERE name = :name",
        &[("id", "i64")],
        &[("name", "&str")],
    );
    case(
        &c,
        "SELECT id FROM users WHERE email LIKE :pattern",
        &[("id", "i64")],
        &[("pattern", "&str")],
    );
    case(
        &c,
        "SELECT id FROM users WHERE score BETWEEN :lo AND :hi",
        &[("id", "i64")],
        &[("lo", "f64"), ("hi", "f64")],
    );
    case(
        &c,
        "SELECT id FROM users WHERE age IN (:a, :b)",
        &[("id", "i64")],
        &[("a", "i64"), ("b", "i64")],
    );
    case(
        &c,
        "SELECT id FROM users WHERE :day = born",
        &[("id", "i64")],
        &[("day", "time::Date")],
    );
    case(
        &c,
        "SELECT id FROM users ORDER BY id LIMIT :limit OFFSET :offset",
        &[("id", "i64")],
        &[("limit", "i64"), ("offset", "i64")],
    );
    // Used twice, bound once.
    case(
        &c,
        "SELECT id FROM users WHERE email = :q OR name = :q",
        &[("id", "i64")],
        &[("q", "&str")],
    );
    // The optional-filter idiom makes it an Option.
    case(
        &c,
        "SELECT id FROM users WHERE (:name IS NULL OR name = :name)",
        &[("id", "i64")],
        &[("name", "Option<&str>")],
    );
}

#[test]
fn write_positions_follow_the_column() {
    let c = conn();
    case(
        &c,
        "INSERT INTO users (email, name, age) VALUES (:email, :name, :age)",
        &[],
        &[
            ("email", "&str"),
            ("name", "Option<&str>"),
            ("age", "Option<i64>"),
        ],
    );
    // An INTEGER PRIMARY KEY takes NULL on insert (SQLite assigns the id).
    case(
        &c,
        "INSERT INTO users (id, email) VALUES (:id, :email) RETURNING id, created_at",
        &[("id", "i64"), ("created_at", "time::OffsetDateTime")],
        &[("id", "Option<i64>"), ("email", "&str")],
    );
    case(
        &c,
        "UPDATE users SET name = :name, age = :age, score = score + :delta WHERE email = :email",
        &[],
        &[
            ("name", "Option<&str>"),
            ("age", "Option<i64>"),
            ("delta", "f64"),
            ("email", "&str"),
        ],
    );
    case(
        &c,
        "UPDATE users SET name = COALESCE(:name, name) WHERE id = :id RETURNING id, name AS renamed",
        &[("id", "i64"), ("renamed", "Option<String>")],
        &[("name", "Option<&str>"), ("id", "i64")],
    );
    case(
        &c,
        "INSERT INTO kv (k, v) VALUES (:k, :v) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
        &[],
        &[("k", "&str"), ("v", "Option<&str>")],
    );
    case(
        &c,
        "INSERT OR IGNORE INTO tags (code, label) VALUES (:code, :label)",
        &[],
        &[("code", "Option<&str>"), ("label", "&str")],
    );
    case(
        &c,
        "REPLACE INTO tags VALUES (:code, :label)",
        &[],
        &[("code", "Option<&str>"), ("label", "&str")],
    );
    case(
        &c,
        "INSERT INTO posts (user_id, title, body) SELECT id, :title, :body FROM users WHERE email = :email",
        &[],
        &[
            ("title", "&str"),
            ("body", "Option<&str>"),
            ("email", "&str"),
        ],
    );
    case(
        &c,
        "INSERT INTO posts (user_id, title, published_at) VALUES (:user_id, :title, :at) RETURNING *",
        &[
            ("id", "i64"),
            ("user_id", "i64"),
            ("title", "String"),
            ("body", "Option<String>"),
            ("published_at", "Option<time::OffsetDateTime>"),
        ],
        &[
            ("user_id", "i64"),
            ("title", "&str"),
            ("at", "Option<time::OffsetDateTime>"),
        ],
    );
    case(
        &c,
        "DELETE FROM tags WHERE code = :code RETURNING *",
        &[("code", "Option<String>"), ("label", "String")],
        &[("code", "&str")],
    );
    case(
        &c,
        "DELETE FROM posts WHERE user_id = :user_id",
        &[],
        &[("user_id", "i64")],
    );
}

#[test]
fn overrides() {
    let c = conn();
    case(
        &c,
        "SELECT MAX(age) AS oldest!, email AS e?, name AS \"nick\"! FROM users",
        &[
            ("oldest", "i64"),
            ("e", "Option<String>"),
            ("nick", "String"),
        ],
        &[],
    );
    // `!=` is not an override.
    case(
        &c,
        "SELECT age != 1 AS x FROM users",
        &[("x", "Option<bool>")],
        &[],
    );
}

#[track_caller]
fn error(conn: &Connection, sql: &str, line: usize, column: usize, needle: &str) {
    let e = run(conn, sql).expect_err(sql);
    assert_eq!((e.line, e.column), (line, column), "{e}");
    assert!(
        e.to_string().contains(needle),
        "{e} should mention {needle:?}"
    );
    assert!(e.to_string().starts_with("src/app/sql/case.sql:"), "{e}");
}

#[test]
fn errors_name_the_file_line_and_column() {
    let c = conn();
    error(&c, "SELECT id\nFROM nope", 2, 6, "no such table: nope");
    error(
        &c,
        "SELECT id,\n  nope\nFROM users",
        2,
        3,
        "no such column: nope",
    );
    error(&c, "SELECT 1;\nSELECT 2;", 2, 1, "its own .sql file");
    error(&c, "-- nothing\n", 1, 1, "no SQL statement");
    error(
        &c,
        "SELECT id FROM users WHERE id = ?2",
        1,
        33,
        "parameter number 1 is never used",
    );
    error(
        &c,
        "SELECT id FROM users\nWHERE length(?) > 2",
        2,
        14,
        "CAST(? AS INTEGER)",
    );
    error(
        &c,
        "SELECT id FROM users WHERE\n  length(:x) > 2",
        2,
        10,
        "CAST(:x AS INTEGER)",
    );
    error(
        &c,
        "SELECT id\nFROM users -- note: nope\nWHERE nope = 1",
        3,
        7,
        "no such column: nope",
    );
    error(&c, "SELECT id, id FROM users", 1, 1, "both named `id`");
    error(&c, "SELECT 'it''s", 1, 8, "not closed");
}

#[test]
fn override_on_unknown_alias_is_an_error() {
    let c = conn();
    // The marker follows `AS name` inside a subquery, not a result column of the query.
    let e = run(
        &c,
        "SELECT t.inner_n AS n FROM (SELECT COUNT(*) AS inner_n! FROM users) AS t",
    )
    .unwrap_err();
    assert!(e.message.contains("does not name a result column"), "{e}");
}

#[test]
fn names_and_runtime_sql() {
    let c = conn();
    let m = describe(
        &c,
        "src/x/sql/list_users.sql",
        "-- all users\nSELECT id,\n       email AS userEmail -- the login\nFROM users;\n",
    )
    .unwrap();
    assert_eq!(m.name, "list_users");
    assert_eq!(m.sql, "SELECT id, email AS userEmail FROM users");
    assert_eq!(
        m.column_types(),
        vec![
            ("id".into(), "i64".into()),
            ("user_email".into(), "String".into())
        ]
    );
    let bad = describe(&c, "src/x/sql/ListUsers.sql", "SELECT 1 AS one").unwrap_err();
    assert!(bad.hint.contains("rename the file"), "{bad}");
}

#[test]
fn anonymous_parameters_are_named_after_their_column() {
    let c = conn();
    // Each `?` is its own argument, named after the column it meets (Marmot's rule).
    case(
        &c,
        "SELECT id FROM users WHERE email = ? AND age > ?",
        &[("id", "i64")],
        &[("email", "&str"), ("age", "i64")],
    );
    case(
        &c,
        "SELECT id FROM users WHERE age > ? AND age < ?",
        &[("id", "i64")],
        &[("age", "i64"), ("age_2", "i64")],
    );
    case(
        &c,
        "INSERT INTO posts (user_id, title, body) VALUES (?, ?, ?)",
        &[],
        &[
            ("user_id", "i64"),
            ("title", "&str"),
            ("body", "Option<&str>"),
        ],
    );
    case(
        &c,
        "UPDATE users SET name = ? WHERE users.id = ?",
        &[],
        &[("name", "Option<&str>"), ("id", "i64")],
    );
    // A named parameter keeps its name; the anonymous one steps aside.
    case(
        &c,
        "SELECT id FROM users WHERE email = :email OR email = ?",
        &[("id", "i64")],
        &[("email", "&str"), ("email_2", "&str")],
    );
    // No column to name it after: `param`.
    case(
        &c,
        "SELECT id FROM users LIMIT ? OFFSET ?",
        &[("id", "i64")],
        &[("param", "i64"), ("param_2", "i64")],
    );
    // `?NNN` is one argument however often it appears.
    case(
        &c,
        "SELECT id FROM users WHERE email = ?1 OR name = ?1",
        &[("id", "i64")],
        &[("email", "&str")],
    );
    let m = run(&c, "SELECT id FROM users WHERE email = ?").unwrap();
    assert_eq!(
        m.sql, "SELECT id FROM users WHERE email = ?",
        "the SQL keeps its `?`"
    );
}

#[test]
fn cardinality_directives_choose_the_return_type() {
    let c = conn();
    let of = |sql: &str| {
        run(&c, sql)
            .unwrap_or_else(|e| panic!("{sql}\n{e}"))
            .cardinality
    };
    assert_eq!(of("SELECT id FROM users"), Cardinality::Many);
    assert_eq!(of("DELETE FROM users"), Cardinality::Exec);
    assert_eq!(
        of("-- :one\nSELECT id FROM users WHERE id = :id"),
        Cardinality::One
    );
    assert_eq!(
        of("-- The user, if any.\n-- :opt\nSELECT id FROM users WHERE id = :id"),
        Cardinality::Opt
    );
    assert_eq!(of("-- :many\nSELECT id FROM users"), Cardinality::Many);
    assert_eq!(of("-- :exec\nDELETE FROM users"), Cardinality::Exec);
    assert_eq!(
        of("-- :one\nINSERT INTO tags (code, label) VALUES (:code, :label) RETURNING code"),
        Cardinality::One
    );
}

#[test]
fn cardinality_directives_that_do_not_fit_are_errors() {
    let c = conn();
    error(
        &c,
        "-- :exec\nSELECT id FROM users",
        1,
        1,
        "use `:one`, `:opt` or `:many`",
    );
    error(&c, "\n-- :one\nDELETE FROM users", 2, 1, "use `:exec`");
    error(
        &c,
        "-- :first\nSELECT 1 AS x",
        1,
        1,
        "`-- :first` is not a directive",
    );
    error(
        &c,
        "-- :one\n-- :opt\nSELECT 1 AS x",
        2,
        1,
        "a second cardinality directive",
    );
    error(&c, "SELECT 1 AS x\n-- :one", 2, 1, "move `-- returns:`");
}

#[test]
fn returns_names_the_row_type() {
    let c = conn();
    let m = run(&c, "SELECT id FROM users").unwrap();
    assert_eq!((m.row.as_str(), m.returns_at), ("CaseRow", None));
    let m = run(&c, "-- Users.\n-- returns: UserRow\nSELECT id FROM users").unwrap();
    assert_eq!((m.row.as_str(), m.returns_at), ("UserRow", Some((2, 1))));
    assert!(
        !m.sql.contains("returns"),
        "directives are not part of the SQL: {}",
        m.sql
    );
    error(
        &c,
        "-- returns: users\nSELECT id FROM users",
        1,
        1,
        "ending in `Row`",
    );
    error(
        &c,
        "-- returns: UserRow\nDELETE FROM users",
        1,
        1,
        "returns no columns",
    );
}

#[test]
fn queries_sharing_a_row_type_must_agree() {
    let c = conn();
    let model = |file: &str, sql: &str| describe(&c, file, sql).unwrap();
    let all = model(
        "src/u/sql/all_users.sql",
        "-- returns: UserRow\nSELECT id, email FROM users",
    );
    let one = model(
        "src/u/sql/user_by_id.sql",
        "-- returns: UserRow\n-- :opt\nSELECT id, email FROM users WHERE id = :id",
    );
    assert!(shared_row_mismatches(&[all.clone(), one]).is_empty());

    let other = model(
        "src/u/sql/user_names.sql",
        "\n-- returns: UserRow\nSELECT id, name AS email FROM users",
    );
    let errors = shared_row_mismatches(&[other, all.clone()]);
    assert_eq!(errors.len(), 1);
    let e = errors[0].to_string();
    assert!(
        e.starts_with("src/u/sql/user_names.sql:2:1: the row type `UserRow` is shared with src/u/sql/all_users.sql, but `email` is Option<String> here and String there"),
        "{e}"
    );

    // A query without the directive shares by its default name too.
    let plain = model("src/u/sql/user.sql", "SELECT id, email FROM users");
    let named = model(
        "src/u/sql/x.sql",
        "-- returns: UserRow\nSELECT id, email FROM users",
    );
    assert!(shared_row_mismatches(&[plain, named]).is_empty());
    let fewer = model(
        "src/u/sql/z.sql",
        "-- returns: UserRow\nSELECT id FROM users",
    );
    let errors = shared_row_mismatches(&[all, fewer]);
    assert!(
        errors[0].message.contains("1 columns here and 2 there"),
        "{}",
        errors[0]
    );
}

#[test]
fn the_cases_shared_with_postgres() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(common::SQLITE_SCHEMA).unwrap();
    for c in common::CASES {
        case(&conn, c.sql, c.columns, c.params);
    }
}
