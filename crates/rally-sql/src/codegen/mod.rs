//! `.sql` files → typed Rust functions.
//!
//! Every `*.sql` file directly inside a directory named `sql` under the app's `src/` (except
//! `src/generated/`) is one query. The queries of one directory become one module:
//! `src/<path>/sql/*.sql` → `src/generated/sql/<path>_sql.rs` (`src/sql/` → `root_sql.rs`),
//! plus `mod.rs` files for the directories in between, so the app declares `pub mod sql;`
//! inside its `generated` module.
//!
//! The schema comes from the app's migrations, applied to an in-memory database; each query
//! is prepared by SQLite (which checks it against that schema), parsed, and its types and
//! nullability are inferred (see [`infer`] and `docs/sql.md`).

mod emit;
pub mod infer;
pub mod lex;
#[cfg(feature = "postgres")]
pub mod pg;
pub mod pg_types;
pub mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use crate::migrate::{self, MigrateError};
pub use lex::Cardinality;
use lex::DirectiveError;
pub use pg_types::{PgScalar, PgType};
use schema::{Schema, SqlType, Ty};

/// Where generated query modules go, relative to the app root.
pub const OUTPUT_DIR: &str = "src/generated/sql";

/// The module generated Postgres code names `Executor` through in an app: `rally` re-exports it.
pub const DEFAULT_POSTGRES_RUNTIME: &str = "rally::postgres";

/// A problem in one `.sql` file, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// The file, relative to the app root.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {} — {}",
            self.file.display(),
            self.line,
            self.column,
            self.message,
            self.hint
        )
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The migrations that define the schema failed.
    #[error("building the schema from db/migrations failed: {0}")]
    Migrate(#[from] MigrateError),
    /// Reading the migrated schema failed.
    #[error("reading the migrated schema failed: {0}")]
    Schema(rusqlite::Error),
    /// The Postgres to type the queries against could not be set up.
    #[error("preparing a Postgres database to generate against failed: {0}")]
    Postgres(String),
    /// [`Options::postgres_runtime`] is not a Rust path.
    #[error(
        "`{path}` is not a Rust module path — the generated Postgres code names its executor through it; use `rally::postgres` (an app) or `rally_sql::postgres`"
    )]
    Runtime {
        /// What was given.
        path: String,
    },
    /// One or more `.sql` files have errors (all of them are listed).
    #[error("{}", list(.0))]
    Sql(Vec<SqlError>),
}

fn list(errors: &[SqlError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A generated file: path relative to the app root, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// E.g. `src/generated/sql/public/pages/games_sql.rs`.
    pub path: PathBuf,
    /// The formatted Rust source.
    pub contents: String,
}

/// A generated file that differs from what is on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// Should exist but does not.
    Missing(PathBuf),
    /// Exists with other contents.
    Changed(PathBuf),
    /// Exists under `src/generated/sql` but would not be generated.
    Orphan(PathBuf),
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::Missing(p) => write!(f, "{} is missing", p.display()),
            Stale::Changed(p) => write!(f, "{} is out of date", p.display()),
            Stale::Orphan(p) => write!(f, "{} has no .sql source any more", p.display()),
        }
    }
}

/// What [`write`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or rewritten.
    pub written: Vec<PathBuf>,
    /// Files left as they were (already up to date).
    pub unchanged: Vec<PathBuf>,
    /// Generated files deleted because their `.sql` source is gone.
    pub removed: Vec<PathBuf>,
}

/// One analysed query: what the emitter needs.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryModel {
    /// The function name (the file stem).
    pub name: String,
    /// The `.sql` file, relative to the app root, `/`-separated.
    pub source: String,
    /// The SQL embedded in the generated code.
    pub sql: String,
    /// Parameters in binding order.
    pub params: Vec<Field>,
    /// Result columns; empty for statements that return the number of rows changed.
    pub columns: Vec<Field>,
    /// How many rows the function returns (`-- :one`, …; by default every row, or the number
    /// of rows changed when there are no result columns).
    pub cardinality: Cardinality,
    /// The row type's name: `-- returns: GameRow`, else the function's PascalCase + `Row`.
    pub row: String,
    /// Where `-- returns:` was written (line, column), when it was.
    pub returns_at: Option<(usize, usize)>,
    /// The database the function runs on.
    pub dialect: Dialect,
}

/// A parameter or result column.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The Rust name (snake_case).
    pub name: String,
    /// Type and nullability (on Postgres the type is the analyser's coarse one; `pg` is exact).
    pub ty: Ty,
    /// The exact Postgres type, for queries generated for Postgres.
    pub pg: Option<PgType>,
}

/// The database the generated functions run on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite through rusqlite: functions take `&rusqlite::Connection`.
    #[default]
    Sqlite,
    /// Postgres through the `postgres` crate: functions take `&mut impl Executor` (ADR 0027).
    Postgres,
}

impl QueryModel {
    /// `(name, Rust type)` of each result column, e.g. `("score", "Option<i64>")`.
    pub fn column_types(&self) -> Vec<(String, String)> {
        self.columns
            .iter()
            .map(|f| (f.name.clone(), emit::column_type_string(f)))
            .collect()
    }

    /// `(name, Rust type)` of each parameter, e.g. `("name", "&str")`.
    pub fn param_types(&self) -> Vec<(String, String)> {
        self.params
            .iter()
            .map(|f| (f.name.clone(), emit::param_type_string(f)))
            .collect()
    }
}

/// What [`generate_with`] generates for, from which schema, and where to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The database the generated functions run on.
    pub dialect: Dialect,
    /// Postgres only: a server to create a scratch database on (the app's `DATABASE_URL`);
    /// `None` starts a throwaway cluster with `initdb`/`pg_ctl` for the run (docs/adr/0022).
    pub database_url: Option<String>,
    /// The migrations that define the schema, relative to the app root (`db/migrations`).
    pub migrations_dir: PathBuf,
    /// Where the modules go, relative to the app root ([`OUTPUT_DIR`]).
    pub output_dir: PathBuf,
    /// Postgres only: the module through which the generated code names
    /// `Executor` (rally-sql's `postgres::Executor`) — `rally::postgres` in an app (the default),
    /// `rally_sql::postgres` in a crate that depends on rally-sql alone.
    pub postgres_runtime: String,
}

impl Default for Options {
    fn default() -> Self {
        Options::for_dialect(Dialect::Sqlite)
    }
}

impl Options {
    /// The defaults for `dialect`: `db/migrations` into [`OUTPUT_DIR`], no `DATABASE_URL`.
    pub fn for_dialect(dialect: Dialect) -> Options {
        Options {
            dialect,
            database_url: None,
            migrations_dir: PathBuf::from("db/migrations"),
            output_dir: PathBuf::from(OUTPUT_DIR),
            postgres_runtime: DEFAULT_POSTGRES_RUNTIME.to_owned(),
        }
    }
}

/// Generates the query modules for the app at `app_root` for SQLite (does not write them).
pub fn generate(app_root: &Path) -> Result<Vec<GeneratedFile>, CodegenError> {
    generate_with(app_root, &Options::default())
}

/// Generates the query modules for the app at `app_root` for the database in `options`.
pub fn generate_with(
    app_root: &Path,
    options: &Options,
) -> Result<Vec<GeneratedFile>, CodegenError> {
    let dirs = discover(app_root)?;
    let mut describe_file = describer(app_root, options)?;
    let mut errors = Vec::new();
    let mut modules: BTreeMap<Vec<String>, (String, Vec<QueryModel>)> = BTreeMap::new();
    for (dir, files) in &dirs {
        let module_path = module_path(app_root, dir);
        let source_dir = relative(app_root, dir);
        let mut queries = Vec::new();
        for file in files {
            let rel = relative(app_root, file);
            let text = fs::read_to_string(file).map_err(|source| CodegenError::Io {
                path: file.clone(),
                source,
            })?;
            match describe_file(&rel, &text) {
                Ok(q) => queries.push(q),
                Err(e) => errors.push(e),
            }
        }
        errors.extend(shared_row_mismatches(&queries));
        modules.insert(module_path, (source_dir, queries));
    }
    if !errors.is_empty() {
        return Err(CodegenError::Sql(errors));
    }
    let runtime: syn::Path =
        syn::parse_str(&options.postgres_runtime).map_err(|_| CodegenError::Runtime {
            path: options.postgres_runtime.clone(),
        })?;
    Ok(emit::files(&modules, &options.output_dir, &runtime))
}

type Describer = Box<dyn FnMut(&str, &str) -> Result<QueryModel, SqlError>>;

/// A function that analyses one query file against the app's migrated schema.
fn describer(app_root: &Path, options: &Options) -> Result<Describer, CodegenError> {
    match options.dialect {
        Dialect::Sqlite => {
            let conn = schema_connection_from(&app_root.join(&options.migrations_dir))?;
            Ok(Box::new(move |source, text| describe(&conn, source, text)))
        }
        #[cfg(feature = "postgres")]
        Dialect::Postgres => {
            let mut scratch = pg::Scratch::start(
                &app_root.join(&options.migrations_dir),
                options.database_url.as_deref(),
            )?;
            Ok(Box::new(move |source, text| scratch.describe(source, text)))
        }
        #[cfg(not(feature = "postgres"))]
        Dialect::Postgres => Err(CodegenError::Postgres(
            "this build of rally-sql has no Postgres support — enable its `postgres` feature"
                .to_owned(),
        )),
    }
}

/// Queries of one directory that name the same row type with different columns: one error
/// for each, at its `-- returns:` (or its first line), naming the query it disagrees with.
pub fn shared_row_mismatches(queries: &[QueryModel]) -> Vec<SqlError> {
    let mut sorted: Vec<&QueryModel> = queries.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut first: BTreeMap<&str, &QueryModel> = BTreeMap::new();
    let mut errors = Vec::new();
    for q in sorted {
        let Some(model) = first.get(q.row.as_str()).copied() else {
            first.insert(&q.row, q);
            continue;
        };
        if let Some(difference) = row_difference(&model.columns, &q.columns) {
            let (line, column) = q.returns_at.unwrap_or((1, 1));
            errors.push(SqlError {
                file: PathBuf::from(&q.source),
                line,
                column,
                message: format!(
                    "the row type `{}` is shared with {}, but {difference}",
                    q.row, model.source
                ),
                hint: "make the columns agree (names, types, nullability and order; `AS name!`/`AS name?` adjust nullability), or give this query its own `-- returns:` name".to_owned(),
            });
        }
    }
    errors
}

/// How `b`'s columns differ from `a`'s, in words; `None` when they are the same.
fn row_difference(a: &[Field], b: &[Field]) -> Option<String> {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x.name != y.name {
            return Some(format!(
                "column {} is `{}` here and `{}` there",
                i + 1,
                y.name,
                x.name
            ));
        }
        if x.ty.nullable != y.ty.nullable || x.ty.ty != y.ty.ty || x.pg != y.pg {
            return Some(format!(
                "`{}` is {} here and {} there",
                y.name,
                emit::column_type_string(y),
                emit::column_type_string(x)
            ));
        }
    }
    (a.len() != b.len()).then(|| format!("it has {} columns here and {} there", b.len(), a.len()))
}

/// Compares what [`generate`] produces with the files on disk; empty when up to date.
pub fn check(app_root: &Path) -> Result<Vec<Stale>, CodegenError> {
    check_with(app_root, &Options::default())
}

/// [`check`] for the database in `options`.
pub fn check_with(app_root: &Path, options: &Options) -> Result<Vec<Stale>, CodegenError> {
    let files = generate_with(app_root, options)?;
    let mut stale = Vec::new();
    for file in &files {
        match fs::read_to_string(app_root.join(&file.path)) {
            Ok(on_disk) if on_disk == file.contents => {}
            Ok(_) => stale.push(Stale::Changed(file.path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                stale.push(Stale::Missing(file.path.clone()))
            }
            Err(source) => {
                return Err(CodegenError::Io {
                    path: file.path.clone(),
                    source,
                });
            }
        }
    }
    for orphan in orphans(app_root, &files, &options.output_dir)? {
        stale.push(Stale::Orphan(orphan));
    }
    Ok(stale)
}

/// Writes `files` under `app_root` (only those that changed) and deletes generated `.rs` files
/// whose `.sql` directory is gone.
pub fn write(app_root: &Path, files: &[GeneratedFile]) -> Result<WriteReport, CodegenError> {
    write_to(app_root, files, Path::new(OUTPUT_DIR))
}

/// [`write`] for files generated into `output_dir` (relative to the app root).
pub fn write_to(
    app_root: &Path,
    files: &[GeneratedFile],
    output_dir: &Path,
) -> Result<WriteReport, CodegenError> {
    let mut report = WriteReport::default();
    for file in files {
        let path = app_root.join(&file.path);
        if fs::read_to_string(&path).is_ok_and(|old| old == file.contents) {
            report.unchanged.push(file.path.clone());
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|source| CodegenError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        fs::write(&path, &file.contents).map_err(|source| CodegenError::Io {
            path: path.clone(),
            source,
        })?;
        report.written.push(file.path.clone());
    }
    for orphan in orphans(app_root, files, output_dir)? {
        let path = app_root.join(&orphan);
        fs::remove_file(&path).map_err(|source| CodegenError::Io { path, source })?;
        report.removed.push(orphan);
    }
    Ok(report)
}

/// `.rs` files under `output_dir` that `files` does not contain.
fn orphans(
    app_root: &Path,
    files: &[GeneratedFile],
    output_dir: &Path,
) -> Result<Vec<PathBuf>, CodegenError> {
    let wanted: BTreeSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    let mut found = Vec::new();
    walk(&app_root.join(output_dir), &mut |path| {
        if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(app_root).unwrap_or(path).to_path_buf();
            if !wanted.contains(rel.as_path()) {
                found.push(rel);
            }
        }
    })?;
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) -> Result<(), CodegenError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(CodegenError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| CodegenError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        paths.push(entry.path());
    }
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, visit)?;
        } else {
            visit(&path);
        }
    }
    Ok(())
}

/// The `sql` directories under `src/` (skipping `src/generated`) with their `.sql` files,
/// sorted.
fn discover(app_root: &Path) -> Result<BTreeMap<PathBuf, Vec<PathBuf>>, CodegenError> {
    let src = app_root.join("src");
    let generated = app_root.join("src/generated");
    let mut dirs: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(CodegenError::Io { path: dir, source }),
        };
        for entry in entries {
            let entry = entry.map_err(|source| CodegenError::Io {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            if path.is_dir() {
                if path != generated {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "sql")
                && dir.file_name().is_some_and(|n| n == "sql")
            {
                dirs.entry(dir.clone()).or_default().push(path);
            }
        }
    }
    for files in dirs.values_mut() {
        files.sort();
    }
    Ok(dirs)
}

/// `src/a/b/sql` → `["a", "b_sql"]`; `src/sql` → `["root_sql"]`; inner `sql` segments dropped.
fn module_path(app_root: &Path, sql_dir: &Path) -> Vec<String> {
    let rel = sql_dir
        .strip_prefix(app_root.join("src"))
        .unwrap_or(sql_dir);
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|c| c != "sql")
        .collect();
    match parts.last_mut() {
        Some(last) => last.push_str("_sql"),
        None => parts.push("root_sql".to_owned()),
    }
    parts
}

fn relative(app_root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(app_root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// An in-memory database with the app's migrations applied (no migrations directory: empty).
pub fn schema_connection(app_root: &Path) -> Result<Connection, CodegenError> {
    schema_connection_from(&app_root.join("db/migrations"))
}

/// An in-memory database with the migrations of `dir` applied (none when it does not exist).
pub fn schema_connection_from(dir: &Path) -> Result<Connection, CodegenError> {
    let mut conn = Connection::open_in_memory().map_err(CodegenError::Schema)?;
    if dir.exists() {
        migrate::migrate_connection(&mut conn, dir)?;
    }
    Ok(conn)
}

fn error_at(
    file: &str,
    text: &str,
    offset: usize,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> SqlError {
    let (line, column) = lex::line_col(text, offset);
    SqlError {
        file: PathBuf::from(file),
        line,
        column,
        message: message.into(),
        hint: hint.into(),
    }
}

fn error_line_col(
    file: &str,
    (line, column): (u64, u64),
    message: impl Into<String>,
    hint: impl Into<String>,
) -> SqlError {
    SqlError {
        file: PathBuf::from(file),
        line: usize::try_from(line.max(1)).unwrap_or(1),
        column: usize::try_from(column.max(1)).unwrap_or(1),
        message: message.into(),
        hint: hint.into(),
    }
}

/// A query file checked and typed, before its directives are applied.
struct Analysed<'a> {
    name: String,
    source: &'a str,
    text: &'a str,
    lexed: lex::Source,
    params: Vec<Field>,
    columns: Vec<Field>,
}

/// Lexes a query file, turning lexer errors into positioned ones.
fn lex_file(source: &str, text: &str) -> Result<lex::Source, SqlError> {
    lex::lex(text).map_err(|e| match e {
        lex::LexError::Empty => error_at(
            source,
            text,
            0,
            "the file holds no SQL statement",
            "write one statement, or delete the file",
        ),
        lex::LexError::MultipleStatements(at) => error_at(
            source,
            text,
            at,
            "a second statement starts here",
            "put each query in its own .sql file (one statement per file)",
        ),
        lex::LexError::Unterminated(at) => error_at(
            source,
            text,
            at,
            "this string, quoted name or comment is not closed",
            "close it",
        ),
        lex::LexError::Directive(at, problem) => directive_error(source, text, at, &problem),
    })
}

/// Analyses one query file against the schema of `conn`: `source` is the path shown in errors
/// and generated comments, `text` the file's contents.
pub fn describe(conn: &Connection, source: &str, text: &str) -> Result<QueryModel, SqlError> {
    let name = function_name(source, text)?;
    let lexed = lex_file(source, text)?;
    let stmt = conn
        .prepare(&lexed.analysed)
        .map_err(|e| sqlite_error(source, &lexed.analysed, &e))?;
    let param_names = parameter_names(&stmt, source, &lexed.analysed, &lexed.anonymous)?;
    let sqlite_columns: Vec<(String, Option<String>)> = stmt
        .columns()
        .iter()
        .map(|c| (c.name().to_owned(), c.decl_type().map(str::to_owned)))
        .collect();
    drop(stmt);

    let parsed = Parser::parse_sql(&SQLiteDialect {}, &lexed.analysed).map_err(|e| {
        let message = e.to_string();
        error_line_col(
            source,
            parse_location(&message),
            format!("rally-sql cannot parse this statement although SQLite accepts it ({message})"),
            "rewrite the construct (see docs/sql.md, limitations) or report it",
        )
    })?;
    let Some(statement) = parsed.first() else {
        return Err(error_at(
            source,
            text,
            0,
            "the file holds no SQL statement",
            "write one statement",
        ));
    };
    let analysis = infer::analyse(
        &Schema::load(conn).map_err(|e| sqlite_error(source, text, &e))?,
        statement,
    );

    let columns = columns(source, text, &lexed, &sqlite_columns, &analysis)?;
    let params = params(source, &param_names, &analysis)?;
    let runtime = lexed.runtime.clone();
    finish(
        Analysed {
            name,
            source,
            text,
            lexed,
            params,
            columns,
        },
        Dialect::Sqlite,
        runtime,
    )
}

/// Applies the directives (cardinality, `-- returns:`) to an analysed query.
fn finish(a: Analysed<'_>, dialect: Dialect, sql: String) -> Result<QueryModel, SqlError> {
    let Analysed {
        name,
        source,
        text,
        lexed,
        params,
        columns,
    } = a;
    let cardinality = cardinality(source, text, &lexed.directives, !columns.is_empty())?;
    let (row, returns_at) = match &lexed.directives.returns {
        Some((_, at)) if columns.is_empty() => {
            return Err(error_at(
                source,
                text,
                *at,
                "`-- returns:` names a row type, but this statement returns no columns",
                "drop the directive, or add `RETURNING …` to get the written rows back",
            ));
        }
        Some((row, at)) => (row.clone(), Some(lex::line_col(text, *at))),
        None => (format!("{}Row", rally_idents::pascal_case(&name)), None),
    };
    Ok(QueryModel {
        name,
        source: source.to_owned(),
        sql,
        params,
        columns,
        cardinality,
        row,
        returns_at,
        dialect,
    })
}

/// The function's cardinality: the directive when it fits the statement, else the default.
fn cardinality(
    source: &str,
    text: &str,
    directives: &lex::Directives,
    has_columns: bool,
) -> Result<Cardinality, SqlError> {
    match directives.cardinality {
        None if has_columns => Ok(Cardinality::Many),
        None => Ok(Cardinality::Exec),
        Some((Cardinality::Exec, at)) if has_columns => Err(error_at(
            source,
            text,
            at,
            "`:exec` returns the number of rows changed, but this statement returns columns",
            "use `:one`, `:opt` or `:many` to read them, or drop `RETURNING`",
        )),
        Some((c, at)) if !has_columns && c != Cardinality::Exec => Err(error_at(
            source,
            text,
            at,
            format!(
                "`{}` reads rows, but this statement returns no columns",
                c.as_str()
            ),
            "use `:exec` (the number of rows changed), or add `RETURNING …`",
        )),
        Some((c, _)) => Ok(c),
    }
}

fn directive_error(source: &str, text: &str, at: usize, problem: &DirectiveError) -> SqlError {
    let (message, hint) = match problem {
        DirectiveError::BadRowName(name) => (
            format!("`-- returns: {name}` needs a PascalCase type name ending in `Row`"),
            "write e.g. `-- returns: GameRow`".to_owned(),
        ),
        DirectiveError::UnknownCardinality(word) => (
            format!("`-- :{word}` is not a directive"),
            "write `-- :one` (one row, an error when none), `-- :opt` (Option), `-- :many` (Vec) or `-- :exec` (rows changed); start other comments with something else".to_owned(),
        ),
        DirectiveError::Duplicate(kind) => (
            format!("a second {kind} directive"),
            "keep one".to_owned(),
        ),
        DirectiveError::AfterStatement => (
            "a directive after the statement has started".to_owned(),
            "move `-- returns:` and `-- :one`/`:opt`/`:many`/`:exec` above the statement".to_owned(),
        ),
    };
    error_at(source, text, at, message, hint)
}

/// The function name: the file stem, which must be snake_case.
fn function_name(source: &str, text: &str) -> Result<String, SqlError> {
    let stem = source
        .rsplit('/')
        .next()
        .unwrap_or(source)
        .trim_end_matches(".sql");
    let valid = stem.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && stem
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(error_at(
            source,
            text,
            0,
            format!("`{stem}` is not a snake_case function name"),
            "rename the file to lowercase letters, digits and `_`, starting with a letter (e.g. list_games.sql)",
        ));
    }
    Ok(emit::rust_ident(stem))
}

fn sqlite_error(source: &str, text: &str, error: &rusqlite::Error) -> SqlError {
    let (message, offset) = match error {
        rusqlite::Error::SqlInputError { msg, offset, .. } => {
            (msg.clone(), usize::try_from(*offset).unwrap_or(0))
        }
        rusqlite::Error::SqliteFailure(_, Some(msg)) => (msg.clone(), name_offset(text, msg)),
        other => (other.to_string(), 0),
    };
    let hint = if message.contains("no such table") || message.contains("no such column") {
        "check the name; the schema comes from db/migrations, so add a migration if it is new"
    } else {
        "fix the statement; SQLite rejected it against the migrated schema"
    };
    error_at(source, text, offset, format!("SQLite: {message}"), hint)
}

/// Where the name in "no such table: x" / "no such column: x" first appears in `text` (SQLite
/// gives no offset for these), else 0.
fn name_offset(text: &str, message: &str) -> usize {
    let Some((_, name)) = message.rsplit_once(": ") else {
        return 0;
    };
    let name = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    let lower = text.to_ascii_lowercase();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut from = 0;
    while let Some(found) = lower[from..].find(&name) {
        let start = from + found;
        let end = start + name.len();
        let before_ok = start == 0 || !is_word(lower.as_bytes()[start - 1]);
        let after_ok = end == lower.len() || !is_word(lower.as_bytes()[end]);
        if before_ok && after_ok {
            return start;
        }
        from = end;
    }
    0
}

/// Placeholders in binding order, as keys of [`infer::Analysis::params`]: named ones as
/// written (`:id`, `?2`), each anonymous `?` by its position.
fn parameter_names(
    stmt: &rusqlite::Statement<'_>,
    source: &str,
    text: &str,
    anonymous: &[usize],
) -> Result<Vec<String>, SqlError> {
    let mut names = Vec::new();
    let mut anonymous = anonymous.iter();
    for i in 1..=stmt.parameter_count() {
        if let Some(name) = stmt.parameter_name(i) {
            names.push(name.to_owned());
            continue;
        }
        // SQLite numbers each `?` one past the highest index so far, so the unnamed indexes
        // are the `?`s in the order they are written — unless `?NNN` skipped a number.
        let Some(&offset) = anonymous.next() else {
            return Err(error_at(
                source,
                text,
                text.find('?').unwrap_or(0),
                format!("parameter number {i} is never used"),
                "number `?NNN` parameters from ?1 without gaps, or name them (`:id`)",
            ));
        };
        let (line, column) = lex::line_col(text, offset);
        names.push(infer::anonymous_key((line as u64, column as u64)));
    }
    Ok(names)
}

/// `… at Line: 3, Column: 7` → (3, 7).
fn parse_location(message: &str) -> (u64, u64) {
    let number_after = |key: &str| -> Option<u64> {
        let rest = &message[message.find(key)? + key.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    (
        number_after("Line:").unwrap_or(1),
        number_after("Column:").unwrap_or(1),
    )
}

fn columns(
    source: &str,
    text: &str,
    lexed: &lex::Source,
    sqlite_columns: &[(String, Option<String>)],
    analysis: &infer::Analysis,
) -> Result<Vec<Field>, SqlError> {
    let inferred = analysis.columns.len() == sqlite_columns.len();
    let fields = sqlite_columns
        .iter()
        .enumerate()
        .map(|(i, (name, decl))| {
            let ty = if inferred {
                analysis.columns[i].ty
            } else {
                // The analyser lost track (unusual SQL): declared type when SQLite knows one.
                Ty::nullable(
                    decl.as_deref()
                        .map_or(SqlType::Value, SqlType::from_declared),
                )
            };
            Field {
                name: name.clone(),
                ty,
                pg: None,
            }
        })
        .collect();
    named_columns(source, text, lexed, fields)
}

/// Result columns named for Rust (`fields` carry the database's column names), checked for
/// clashes, with the `!`/`?` overrides applied.
fn named_columns(
    source: &str,
    text: &str,
    lexed: &lex::Source,
    fields: Vec<Field>,
) -> Result<Vec<Field>, SqlError> {
    let raw: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
    let mut named: Vec<Field> = Vec::with_capacity(fields.len());
    for (i, mut field) in fields.into_iter().enumerate() {
        let name = emit::field_name(&raw[i]);
        if name.is_empty() {
            return Err(error_at(
                source,
                text,
                0,
                format!("result column {} (`{}`) has no usable name", i + 1, raw[i]),
                "give it an alias: `… AS name`",
            ));
        }
        if named.iter().any(|f| f.name == name) {
            return Err(error_at(
                source,
                text,
                0,
                format!("two result columns are both named `{name}`"),
                "give one of them another alias: `… AS other_name`",
            ));
        }
        field.name = name;
        named.push(field);
    }
    for o in &lexed.overrides {
        let Some(i) = raw.iter().position(|name| *name == o.alias) else {
            return Err(error_at(
                source,
                text,
                o.offset,
                format!(
                    "`{}{}` does not name a result column",
                    o.alias,
                    if o.nullable { '?' } else { '!' }
                ),
                "put `!` (never null) or `?` (may be null) right after a result column's alias",
            ));
        };
        named[i].ty.nullable = o.nullable;
    }
    Ok(named)
}

/// The Rust name of the parameter written `written` (`:id`, `?`, `?2`): a named one keeps its
/// name; `?` and `?NNN` are named after the column they meet (Marmot's rule), else `param`,
/// with `_2`, `_3`, … when the name is taken by an earlier parameter or a named one.
fn param_name(
    written: &str,
    column: Option<&str>,
    earlier: &[Field],
    all_written: &[String],
) -> String {
    if !written.starts_with('?') {
        return emit::field_name(&written[1..]);
    }
    let base = column
        .map(emit::field_name)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "param".to_owned());
    let taken = |n: &str| earlier.iter().any(|f| f.name == n) || names_clash(all_written, n);
    let mut candidate = base.clone();
    let mut k = 2;
    while taken(&candidate) {
        candidate = format!("{base}_{k}");
        k += 1;
    }
    candidate
}

/// Whether a named parameter (`:n`, `@n`, `$n`) of the statement becomes the Rust name `rust`,
/// so an anonymous one must not take it.
fn names_clash(placeholders: &[String], rust: &str) -> bool {
    placeholders
        .iter()
        .filter(|p| !p.starts_with('?'))
        .any(|p| emit::field_name(&p[1..]) == rust)
}

fn params(
    source: &str,
    names: &[String],
    analysis: &infer::Analysis,
) -> Result<Vec<Field>, SqlError> {
    let mut fields: Vec<Field> = Vec::with_capacity(names.len());
    for placeholder in names {
        let evidence = analysis
            .params
            .get(placeholder)
            .cloned()
            .unwrap_or_default();
        let location = evidence.location.unwrap_or((1, 1));
        let written = if placeholder.starts_with("?@") {
            "?"
        } else {
            placeholder.as_str()
        };
        let name = param_name(written, evidence.column.as_deref(), &fields, names);
        let shown = if placeholder.starts_with("?@") {
            "?"
        } else {
            placeholder.as_str()
        };
        if name.is_empty() || fields.iter().any(|f| f.name == name) {
            return Err(error_line_col(
                source,
                location,
                format!(
                    "parameter `{placeholder}` clashes with another parameter's Rust name `{name}`"
                ),
                "spell each parameter once, with one prefix (`:name`)",
            ));
        }
        let Some(ty) = evidence.ty else {
            return Err(error_line_col(
                source,
                location,
                format!("cannot tell the type of `{shown}`"),
                format!(
                    "compare it with a column, or write CAST({shown} AS INTEGER) (or TEXT, REAL, BLOB)"
                ),
            ));
        };
        fields.push(Field {
            name,
            ty: Ty {
                ty,
                nullable: evidence.nullable,
            },
            pg: None,
        });
    }
    Ok(fields)
}
