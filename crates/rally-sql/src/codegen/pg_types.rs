//! The Postgres types rally-sql maps to Rust, and their Rust spelling in generated code.

use super::schema::SqlType;

/// A Postgres scalar type rally-sql maps to Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgScalar {
    /// `boolean` → `bool`.
    Bool,
    /// `smallint` → `i16`.
    I16,
    /// `integer` → `i32`.
    I32,
    /// `bigint` → `i64`.
    I64,
    /// `real` → `f32`.
    F32,
    /// `double precision` → `f64`.
    F64,
    /// `numeric` → `rust_decimal::Decimal` (the app enables rust_decimal's `db-postgres`).
    Numeric,
    /// `text`, `varchar`, `char(n)`, `name` → `String` (`&str` as a parameter).
    Text,
    /// `bytea` → `Vec<u8>` (`&[u8]`).
    Bytea,
    /// `date` → `time::Date`.
    Date,
    /// `time` → `time::Time`.
    Time,
    /// `timestamp` → `time::PrimitiveDateTime`.
    Timestamp,
    /// `timestamptz` → `time::OffsetDateTime`.
    TimestampTz,
    /// `uuid` → `uuid::Uuid`.
    Uuid,
    /// `json`, `jsonb` → `serde_json::Value`.
    Json,
}

/// The exact Postgres type of a parameter or column: a scalar or a one-dimensional array of
/// one, with the `postgres::types::Type` constant the generated code binds it as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgType {
    /// The element type.
    pub scalar: PgScalar,
    /// An array of `scalar` (`Vec<T>` / `&[T]`).
    pub array: bool,
    /// The constant's name in `postgres::types::Type`, e.g. `INT8` or `TEXT_ARRAY`.
    pub constant: &'static str,
}

impl PgType {
    /// The analyser's coarse type for this one (for the SQLite-shared nullability rules).
    pub fn analysis_type(self) -> SqlType {
        if self.array {
            return SqlType::Value;
        }
        match self.scalar {
            PgScalar::Bool => SqlType::Bool,
            PgScalar::I16 | PgScalar::I32 | PgScalar::I64 => SqlType::Integer,
            PgScalar::F32 | PgScalar::F64 | PgScalar::Numeric => SqlType::Real,
            PgScalar::Text => SqlType::Text,
            PgScalar::Bytea => SqlType::Blob,
            PgScalar::Date => SqlType::Date,
            PgScalar::Time => SqlType::Time,
            PgScalar::Timestamp | PgScalar::TimestampTz => SqlType::DateTime,
            PgScalar::Uuid | PgScalar::Json => SqlType::Value,
        }
    }

    /// The Rust type of a result column of this type (without `Option`).
    pub fn column_rust(self) -> String {
        let base = scalar_rust(self.scalar);
        if self.array {
            format!("Vec<{base}>")
        } else {
            base.to_owned()
        }
    }

    /// The Rust type of a parameter of this type (without `Option`): borrowed where the value
    /// owns memory.
    pub fn param_rust(self) -> String {
        match (self.scalar, self.array) {
            (PgScalar::Text, false) => "&str".to_owned(),
            (PgScalar::Bytea, false) => "&[u8]".to_owned(),
            (PgScalar::Json, false) => "&serde_json::Value".to_owned(),
            (PgScalar::Text, true) => "&[&str]".to_owned(),
            (PgScalar::Bytea, true) => "&[&[u8]]".to_owned(),
            (scalar, true) => format!("&[{}]", scalar_rust(scalar)),
            (scalar, false) => scalar_rust(scalar).to_owned(),
        }
    }
}

fn scalar_rust(scalar: PgScalar) -> &'static str {
    match scalar {
        PgScalar::Bool => "bool",
        PgScalar::I16 => "i16",
        PgScalar::I32 => "i32",
        PgScalar::I64 => "i64",
        PgScalar::F32 => "f32",
        PgScalar::F64 => "f64",
        PgScalar::Numeric => "rust_decimal::Decimal",
        PgScalar::Text => "String",
        PgScalar::Bytea => "Vec<u8>",
        PgScalar::Date => "time::Date",
        PgScalar::Time => "time::Time",
        PgScalar::Timestamp => "time::PrimitiveDateTime",
        PgScalar::TimestampTz => "time::OffsetDateTime",
        PgScalar::Uuid => "uuid::Uuid",
        PgScalar::Json => "serde_json::Value",
    }
}
