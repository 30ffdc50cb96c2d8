//! Typed SQL on Postgres (feature `postgres`): each query is prepared by a migrated Postgres,
//! which reports the exact type of every parameter and result column; nullability comes from
//! the catalog (`attnotnull`) through the same join, aggregate, `COALESCE`/`CASE` and
//! `RETURNING` analysis as on SQLite ([`infer`](super::infer)).
//!
//! Query files use the same placeholders as on SQLite (`:name`, `@name`, `$name`, `?`, `?NNN`);
//! the generated SQL numbers them `$1`, `$2`, … in binding order, and the generated functions
//! pass them with their types to an `Executor`, which prepares each query once per connection
//! (docs/adr/0027).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use ::postgres::types::{Kind, Type};
use ::postgres::{Client, NoTls};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::pg_types::{PgScalar, PgType};
use super::schema::{Schema, SchemaColumn, SqlType, Table, Ty};
use super::{CodegenError, Dialect, Field, QueryModel, SqlError, error_at, error_line_col, lex};
use crate::postgres::{TempCluster, migrate_client};

/// A migrated Postgres database that exists for one generator run: on the server of the app's
/// `DATABASE_URL` (created, then dropped) or in a throwaway cluster.
pub struct Scratch {
    client: Client,
    schema: Schema,
    /// Where to drop the scratch database from when done (an app's server).
    drop_from: Option<(String, String)>,
    /// Kept alive until the run ends; stops with it.
    _cluster: Option<TempCluster>,
}

impl Scratch {
    /// Creates the scratch database and applies `migrations_dir` (when it exists).
    pub fn start(migrations_dir: &Path, server_url: Option<&str>) -> Result<Scratch, CodegenError> {
        let failed =
            |what: &str, e: &dyn std::fmt::Display| CodegenError::Postgres(format!("{what}: {e}"));
        let (mut client, drop_from, cluster) = match server_url {
            Some(url) => {
                let name = format!(
                    "rally_gen_{}_{}",
                    std::process::id(),
                    SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis())
                );
                let mut admin = crate::postgres::connect(url)?;
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .map_err(|e| {
                        failed(
                            &format!(
                                "cannot create the scratch database {name} on DATABASE_URL's server (the user needs CREATEDB; or unset DATABASE_URL to let gen start its own Postgres)"
                            ),
                            &e,
                        )
                    })?;
                let mut config: ::postgres::Config = url
                    .parse()
                    .map_err(|e| failed("DATABASE_URL is not a Postgres URL", &e))?;
                config.dbname(&name);
                let client = config
                    .connect(NoTls)
                    .map_err(|e| failed("cannot connect to the scratch database", &e))?;
                (client, Some((url.to_owned(), name)), None)
            }
            None => {
                let cluster = TempCluster::start().map_err(|e| {
                    failed(
                        "cannot start a throwaway Postgres (or set DATABASE_URL to a server gen may create a scratch database on)",
                        &e,
                    )
                })?;
                let url = cluster
                    .create_database("rally_gen")
                    .map_err(|e| failed("cannot create the scratch database", &e))?;
                let client = crate::postgres::connect(&url)?;
                (client, None, Some(cluster))
            }
        };
        if migrations_dir.exists() {
            migrate_client(&mut client, migrations_dir)?;
        }
        let schema =
            load_schema(&mut client).map_err(|e| failed("cannot read the migrated schema", &e))?;
        Ok(Scratch {
            client,
            schema,
            drop_from,
            _cluster: cluster,
        })
    }

    /// Analyses one query file.
    pub fn describe(&mut self, source: &str, text: &str) -> Result<QueryModel, SqlError> {
        describe(&mut self.client, &self.schema, source, text)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((url, name)) = self.drop_from.take()
            && let Ok(mut admin) = crate::postgres::connect(&url)
        {
            // A leftover scratch database is harmless but untidy; a failure here is not an
            // error of the run.
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The mapping of `ty`, `None` when rally-sql has none.
pub fn pg_type(ty: &Type) -> Option<PgType> {
    let (scalar, array) = match ty.kind() {
        Kind::Array(element) => (scalar(element)?, true),
        _ => (scalar(ty)?, false),
    };
    Some(PgType {
        scalar,
        array,
        constant: constant(ty)?,
    })
}

fn scalar(ty: &Type) -> Option<PgScalar> {
    Some(match *ty {
        Type::BOOL => PgScalar::Bool,
        Type::INT2 => PgScalar::I16,
        Type::INT4 => PgScalar::I32,
        Type::INT8 => PgScalar::I64,
        Type::FLOAT4 => PgScalar::F32,
        Type::FLOAT8 => PgScalar::F64,
        Type::NUMERIC => PgScalar::Numeric,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => PgScalar::Text,
        Type::BYTEA => PgScalar::Bytea,
        Type::DATE => PgScalar::Date,
        Type::TIME => PgScalar::Time,
        Type::TIMESTAMP => PgScalar::Timestamp,
        Type::TIMESTAMPTZ => PgScalar::TimestampTz,
        Type::UUID => PgScalar::Uuid,
        Type::JSON | Type::JSONB => PgScalar::Json,
        _ => return None,
    })
}

fn constant(ty: &Type) -> Option<&'static str> {
    Some(match *ty {
        Type::BOOL => "BOOL",
        Type::INT2 => "INT2",
        Type::INT4 => "INT4",
        Type::INT8 => "INT8",
        Type::FLOAT4 => "FLOAT4",
        Type::FLOAT8 => "FLOAT8",
        Type::NUMERIC => "NUMERIC",
        Type::TEXT => "TEXT",
        Type::VARCHAR => "VARCHAR",
        Type::BPCHAR => "BPCHAR",
        Type::NAME => "NAME",
        Type::BYTEA => "BYTEA",
        Type::DATE => "DATE",
        Type::TIME => "TIME",
        Type::TIMESTAMP => "TIMESTAMP",
        Type::TIMESTAMPTZ => "TIMESTAMPTZ",
        Type::UUID => "UUID",
        Type::JSON => "JSON",
        Type::JSONB => "JSONB",
        Type::BOOL_ARRAY => "BOOL_ARRAY",
        Type::INT2_ARRAY => "INT2_ARRAY",
        Type::INT4_ARRAY => "INT4_ARRAY",
        Type::INT8_ARRAY => "INT8_ARRAY",
        Type::FLOAT4_ARRAY => "FLOAT4_ARRAY",
        Type::FLOAT8_ARRAY => "FLOAT8_ARRAY",
        Type::NUMERIC_ARRAY => "NUMERIC_ARRAY",
        Type::TEXT_ARRAY => "TEXT_ARRAY",
        Type::VARCHAR_ARRAY => "VARCHAR_ARRAY",
        Type::BPCHAR_ARRAY => "BPCHAR_ARRAY",
        Type::NAME_ARRAY => "NAME_ARRAY",
        Type::BYTEA_ARRAY => "BYTEA_ARRAY",
        Type::DATE_ARRAY => "DATE_ARRAY",
        Type::TIME_ARRAY => "TIME_ARRAY",
        Type::TIMESTAMP_ARRAY => "TIMESTAMP_ARRAY",
        Type::TIMESTAMPTZ_ARRAY => "TIMESTAMPTZ_ARRAY",
        Type::UUID_ARRAY => "UUID_ARRAY",
        Type::JSON_ARRAY => "JSON_ARRAY",
        Type::JSONB_ARRAY => "JSONB_ARRAY",
        _ => return None,
    })
}

/// The analyser's type for a catalog type name (`pg_type.typname`).
fn analysis_type_of(typname: &str) -> SqlType {
    match typname {
        "bool" => SqlType::Bool,
        "int2" | "int4" | "int8" => SqlType::Integer,
        "float4" | "float8" | "numeric" => SqlType::Real,
        "text" | "varchar" | "bpchar" | "name" => SqlType::Text,
        "bytea" => SqlType::Blob,
        "date" => SqlType::Date,
        "time" => SqlType::Time,
        "timestamp" | "timestamptz" => SqlType::DateTime,
        _ => SqlType::Value,
    }
}

/// Reads the tables and views of the connection's current schema: column names in order,
/// `NOT NULL` from `attnotnull` (primary keys are always not null on Postgres), generated
/// columns marked.
pub fn load_schema(client: &mut Client) -> Result<Schema, ::postgres::Error> {
    let rows = client.query(
        "SELECT c.relname, a.attname, t.typname, a.attnotnull, a.attgenerated <> '' \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p', 'f') \
           AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum",
        &[],
    )?;
    let mut tables: Vec<Table> = Vec::new();
    for row in rows {
        let table: String = row.try_get(0)?;
        let column = SchemaColumn {
            name: row.try_get(1)?,
            ty: Ty {
                ty: analysis_type_of(row.try_get::<_, &str>(2)?),
                nullable: !row.try_get::<_, bool>(3)?,
            },
            rowid_alias: false,
            generated: row.try_get(4)?,
        };
        match tables.last_mut() {
            Some(last) if last.name == table => last.columns.push(column),
            _ => tables.push(Table {
                name: table,
                columns: vec![column],
            }),
        }
    }
    Ok(Schema::from_tables(tables))
}

/// The statement with its placeholders numbered `$1`, `$2`, … and a way back to file offsets.
struct Numbered {
    /// Same lines as the file; only placeholders differ.
    sql: String,
    /// `(offset in sql, offset in the file)` where each changed stretch starts and ends.
    marks: Vec<(usize, usize)>,
    /// Each `$n` (index n-1): the placeholder as written and the offset of its first use.
    slots: Vec<(String, usize)>,
}

impl Numbered {
    /// The file offset of a byte offset in [`Numbered::sql`].
    fn file_offset(&self, offset: usize) -> usize {
        let (sql_at, file_at) = self
            .marks
            .iter()
            .rev()
            .find(|(sql_at, _)| *sql_at <= offset)
            .copied()
            .unwrap_or((0, 0));
        file_at + (offset - sql_at)
    }
}

/// Numbers the placeholders: a name is one `$n` however often it appears; each `?` is its own.
fn number(source: &str, text: &str, lexed: &lex::Source) -> Result<Numbered, SqlError> {
    let analysed = &lexed.analysed;
    let mut sql = String::with_capacity(analysed.len() + 16);
    let mut marks = vec![(0, 0)];
    let mut slots: Vec<(String, usize)> = Vec::new();
    let mut copied = 0;
    for p in &lexed.placeholders {
        if p.text.starts_with('$') && p.text[1..].starts_with(|c: char| c.is_ascii_digit()) {
            return Err(error_at(
                source,
                text,
                p.offset,
                format!("`{}` is a positional parameter", p.text),
                "write `:name` (or `?`); rally-sql numbers the parameters itself",
            ));
        }
        let n = match slots.iter().position(|(name, _)| *name == p.text) {
            Some(i) if p.text != "?" => i + 1,
            _ => {
                slots.push((p.text.clone(), p.offset));
                slots.len()
            }
        };
        sql.push_str(&analysed[copied..p.offset]);
        marks.push((sql.len(), p.offset));
        sql.push_str(&format!("${n}"));
        copied = p.offset + p.text.len();
        marks.push((sql.len(), copied));
    }
    sql.push_str(&analysed[copied..]);
    Ok(Numbered { sql, marks, slots })
}

/// Analyses one query file against the migrated Postgres behind `client`.
pub fn describe(
    client: &mut Client,
    schema: &Schema,
    source: &str,
    text: &str,
) -> Result<QueryModel, SqlError> {
    let name = super::function_name(source, text)?;
    let lexed = super::lex_file(source, text)?;
    let numbered = number(source, text, &lexed)?;
    let stmt = client
        .prepare(&numbered.sql)
        .map_err(|e| postgres_error(source, text, &numbered, &e))?;

    let parsed = Parser::parse_sql(&PostgreSqlDialect {}, &numbered.sql).map_err(|e| {
        let message = e.to_string();
        error_line_col(
            source,
            super::parse_location(&message),
            format!(
                "rally-sql cannot parse this statement although Postgres accepts it ({message})"
            ),
            "rewrite the construct (see docs/sql.md, limitations) or report it",
        )
    })?;
    let analysis = match parsed.first() {
        Some(statement) => super::infer::analyse(schema, statement),
        None => super::infer::Analysis::default(),
    };

    let mut columns: Vec<Field> = Vec::with_capacity(stmt.columns().len());
    let inferred = analysis.columns.len() == stmt.columns().len();
    for (i, column) in stmt.columns().iter().enumerate() {
        let Some(pg) = pg_type(column.type_()) else {
            return Err(error_at(
                source,
                text,
                0,
                format!(
                    "result column `{}` has type `{}`, which rally-sql does not map to Rust",
                    column.name(),
                    column.type_()
                ),
                "cast it to a supported type (e.g. `… ::text AS name`); docs/sql.md lists the types",
            ));
        };
        let nullable = if inferred {
            analysis.columns[i].ty.nullable
        } else {
            true
        };
        columns.push(Field {
            name: column.name().to_owned(),
            ty: Ty {
                ty: pg.analysis_type(),
                nullable,
            },
            pg: Some(pg),
        });
    }
    let columns = super::named_columns(source, text, &lexed, columns)?;

    let mut params: Vec<Field> = Vec::with_capacity(numbered.slots.len());
    for (i, ty) in stmt.params().iter().enumerate() {
        let (written, offset) = numbered
            .slots
            .get(i)
            .cloned()
            .unwrap_or_else(|| (format!("${}", i + 1), 0));
        let Some(pg) = pg_type(ty) else {
            return Err(error_at(
                source,
                text,
                offset,
                format!(
                    "parameter `{written}` has type `{ty}`, which rally-sql does not map to Rust"
                ),
                format!("cast it to a supported type, e.g. `CAST({written} AS text)`"),
            ));
        };
        let evidence = analysis
            .params
            .get(&format!("${}", i + 1))
            .cloned()
            .unwrap_or_default();
        let rust = super::param_name(
            &written,
            evidence.column.as_deref(),
            &params,
            &numbered_names(&numbered),
        );
        params.push(Field {
            name: rust,
            ty: Ty {
                ty: pg.analysis_type(),
                nullable: evidence.nullable,
            },
            pg: Some(pg),
        });
    }
    super::finish(
        super::Analysed {
            name,
            source,
            text,
            lexed,
            params,
            columns,
        },
        Dialect::Postgres,
        lex::collapse(&numbered.sql),
    )
}

fn numbered_names(numbered: &Numbered) -> Vec<String> {
    numbered
        .slots
        .iter()
        .map(|(name, _)| name.clone())
        .collect()
}

fn postgres_error(
    source: &str,
    text: &str,
    numbered: &Numbered,
    e: &::postgres::Error,
) -> SqlError {
    let Some(db) = e.as_db_error() else {
        return error_at(
            source,
            text,
            0,
            format!("Postgres: {e}"),
            "check that the server is reachable",
        );
    };
    let message = db.message().to_owned();
    let parameter = parameter_slot(&message, numbered);
    let offset = match db.position() {
        Some(::postgres::error::ErrorPosition::Original(chars)) => {
            let chars = usize::try_from(*chars).unwrap_or(1).saturating_sub(1);
            let byte = numbered
                .sql
                .char_indices()
                .nth(chars)
                .map_or(numbered.sql.len(), |(b, _)| b);
            numbered.file_offset(byte)
        }
        _ => parameter
            .map(|(_, offset)| offset)
            .unwrap_or_else(|| super::name_offset(text, &message)),
    };
    let hint = if let Some((name, _)) = parameter
        && message.contains("could not determine data type")
    {
        format!(
            "Postgres types a parameter where it first appears: compare it with a column there, or write its type, e.g. `{name}::text` or CAST({name} AS integer)"
        )
    } else if message.contains("does not exist") {
        "check the name; the schema comes from db/migrations, so add a migration if it is new"
            .to_owned()
    } else {
        match db.hint() {
            Some(hint) => format!("{hint} (Postgres's hint)"),
            None => {
                "fix the statement; Postgres rejected it against the migrated schema".to_owned()
            }
        }
    };
    let shown = numbered
        .slots
        .iter()
        .enumerate()
        .rev()
        .fold(message, |m, (i, (name, _))| {
            m.replace(&format!("${}", i + 1), &format!("`{name}`"))
        });
    error_at(source, text, offset, format!("Postgres: {shown}"), hint)
}

/// The placeholder (as written, and where) of "… parameter $n" in a Postgres message.
fn parameter_slot<'n>(message: &str, numbered: &'n Numbered) -> Option<(&'n str, usize)> {
    let rest = &message[message.find("parameter $")? + "parameter $".len()..];
    let n: usize = rest
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    numbered
        .slots
        .get(n.checked_sub(1)?)
        .map(|(name, offset)| (name.as_str(), *offset))
}
