//! The migrated schema as the analyser sees it, and the declared-type → Rust-type mapping.

use std::collections::HashMap;

use rusqlite::Connection;

/// The value types a column, expression or parameter can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SqlType {
    /// `INTEGER` and anything containing `INT` → `i64`.
    Integer,
    /// `REAL`, `FLOAT`, `DOUBLE` → `f64`.
    Real,
    /// `TEXT`, `CHAR`, `CLOB` → `String` (`&str` as a parameter).
    Text,
    /// `BLOB` → `Vec<u8>` (`&[u8]` as a parameter).
    Blob,
    /// `BOOLEAN`, `BOOL` → `bool`.
    Bool,
    /// `DATE` → `time::Date` (ADR 0007).
    Date,
    /// `TIME` → `time::Time` (ADR 0007).
    Time,
    /// `DATETIME`, `TIMESTAMP` → `time::OffsetDateTime` (ADR 0007).
    DateTime,
    /// Anything else (`NUMERIC`, `DECIMAL`, no type, an unknown function) →
    /// `rusqlite::types::Value`.
    Value,
}

impl SqlType {
    /// Maps a declared column type (case-insensitive, `(…)` arguments ignored): exact names
    /// first (`BOOLEAN`, `DATE`, …), then SQLite's affinity rules.
    pub fn from_declared(declared: &str) -> SqlType {
        let upper = declared.to_ascii_uppercase();
        let base = upper.split('(').next().unwrap_or("").trim();
        match base {
            "BOOLEAN" | "BOOL" => return SqlType::Bool,
            "DATE" => return SqlType::Date,
            "TIME" => return SqlType::Time,
            "DATETIME" | "TIMESTAMP" => return SqlType::DateTime,
            _ => {}
        }
        if base.contains("INT") {
            SqlType::Integer
        } else if base.contains("CHAR") || base.contains("CLOB") || base.contains("TEXT") {
            SqlType::Text
        } else if base.contains("BLOB") {
            SqlType::Blob
        } else if base.contains("REAL") || base.contains("FLOA") || base.contains("DOUB") {
            SqlType::Real
        } else {
            SqlType::Value
        }
    }

    /// Whether values of this type are numbers for arithmetic.
    pub fn is_numeric(self) -> bool {
        matches!(self, SqlType::Integer | SqlType::Real)
    }
}

/// A type with its nullability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ty {
    /// The value type.
    pub ty: SqlType,
    /// Whether NULL is possible.
    pub nullable: bool,
}

impl Ty {
    /// A non-null `ty`.
    pub const fn not_null(ty: SqlType) -> Ty {
        Ty {
            ty,
            nullable: false,
        }
    }
    /// A nullable `ty`.
    pub const fn nullable(ty: SqlType) -> Ty {
        Ty { ty, nullable: true }
    }
    /// This type, nullable when `nullable`.
    pub const fn or_null(self, nullable: bool) -> Ty {
        Ty {
            ty: self.ty,
            nullable: self.nullable || nullable,
        }
    }
}

/// A table or view column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaColumn {
    /// The column name as declared.
    pub name: String,
    /// Type and nullability as read back (rowid aliases and WITHOUT ROWID keys are non-null;
    /// other primary-key columns are nullable unless `NOT NULL`, as in SQLite).
    pub ty: Ty,
    /// `INTEGER PRIMARY KEY` of a rowid table: NULL on insert means "assign the next id".
    pub rowid_alias: bool,
    /// A generated column (never written).
    pub generated: bool,
}

/// A table or view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The name as declared.
    pub name: String,
    /// Columns in declaration order (hidden columns of virtual tables left out).
    pub columns: Vec<SchemaColumn>,
}

/// Every table and view of the `main` database, by lowercase name.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    tables: HashMap<String, Table>,
}

impl Schema {
    /// Reads the schema of `conn`'s main database.
    pub fn load(conn: &Connection) -> rusqlite::Result<Schema> {
        let mut list = conn.prepare(
            "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'",
        )?;
        let entries: Vec<(String, String, bool)> = list
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut info = conn.prepare(
            "SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid",
        )?;
        let mut tables = HashMap::new();
        for (name, kind, without_rowid) in entries {
            let raw: Vec<(String, String, bool, i64, i64)> = info
                .query_map([&name], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<_, _>>()?;
            let pk_count = raw.iter().filter(|c| c.3 > 0).count();
            let columns = raw
                .into_iter()
                .filter(|c| c.4 != 1)
                .map(|(col, declared, not_null, pk, hidden)| {
                    let rowid_alias = kind == "table"
                        && !without_rowid
                        && pk_count == 1
                        && pk > 0
                        && declared.eq_ignore_ascii_case("INTEGER");
                    let key_not_null = pk > 0 && without_rowid;
                    SchemaColumn {
                        ty: Ty {
                            ty: SqlType::from_declared(&declared),
                            nullable: !(not_null || rowid_alias || key_not_null),
                        },
                        name: col,
                        rowid_alias,
                        generated: hidden == 2 || hidden == 3,
                    }
                })
                .collect();
            tables.insert(name.to_lowercase(), Table { name, columns });
        }
        Ok(Schema { tables })
    }

    /// A schema of these tables and views (read from another database's catalog).
    pub fn from_tables(tables: impl IntoIterator<Item = Table>) -> Schema {
        Schema {
            tables: tables
                .into_iter()
                .map(|t| (t.name.to_lowercase(), t))
                .collect(),
        }
    }

    /// The table or view called `name` (case-insensitive).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(&name.to_lowercase())
    }
}
