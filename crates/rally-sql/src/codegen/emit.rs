//! Rust source for analysed queries: one module per `sql` directory, formatted with
//! prettyplease, plus the `mod.rs` files that connect them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use rally_idents::is_keyword;

use super::schema::{SqlType, Ty};
use super::{Cardinality, Dialect, Field, GeneratedFile, QueryModel};

/// Names the generated functions use themselves (and `union`, escaped before there was a shared
/// keyword list), escaped like keywords so a column cannot shadow them.
const GENERATED_NAMES: &[&str] = &["union", "conn", "row", "stmt", "rows"];

/// A snake_case Rust name for a column or parameter: lowercase, camelCase split, `-`/space →
/// `_`, other punctuation dropped, leading digit prefixed with `_`, keywords (and the names the
/// generated code uses itself) suffixed with `_`.
pub fn field_name(raw: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in raw.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else if matches!(c, '_' | '-' | ' ' | '.') {
            if !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let trimmed = out.trim_matches('_').to_owned();
    if trimmed.is_empty() {
        return trimmed;
    }
    rust_ident(&trimmed)
}

/// `name` made safe as an identifier (leading digit, keywords).
pub fn rust_ident(name: &str) -> String {
    let mut name = name.to_owned();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if is_keyword(&name) || GENERATED_NAMES.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

fn base_type(ty: SqlType) -> TokenStream {
    match ty {
        SqlType::Integer => quote!(i64),
        SqlType::Real => quote!(f64),
        SqlType::Text => quote!(String),
        SqlType::Blob => quote!(Vec<u8>),
        SqlType::Bool => quote!(bool),
        SqlType::Date => quote!(time::Date),
        SqlType::Time => quote!(time::Time),
        SqlType::DateTime => quote!(time::OffsetDateTime),
        SqlType::Value => quote!(rusqlite::types::Value),
    }
}

/// The Rust type of a result field (`rusqlite::types::Value` holds NULL itself).
fn column_type(ty: Ty) -> TokenStream {
    let base = base_type(ty.ty);
    if ty.nullable && ty.ty != SqlType::Value {
        quote!(Option<#base>)
    } else {
        base
    }
}

/// The Rust type of a parameter: borrowed for text, blobs and dynamic values.
fn param_type(ty: Ty) -> TokenStream {
    let base = match ty.ty {
        SqlType::Text => quote!(&str),
        SqlType::Blob => quote!(&[u8]),
        SqlType::Value => quote!(&rusqlite::types::Value),
        other => base_type(other),
    };
    if ty.nullable && ty.ty != SqlType::Value {
        quote!(Option<#base>)
    } else {
        base
    }
}

fn tidy(tokens: TokenStream) -> String {
    tokens
        .to_string()
        .replace(" :: ", "::")
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("& ", "&")
        .replace("< ", "<")
}

/// `column_type` as text, for tests and diagnostics (`Option<i64>`).
pub fn column_type_string(field: &Field) -> String {
    tidy(field_column_type(field))
}

/// `param_type` as text (`&str`).
pub fn param_type_string(field: &Field) -> String {
    tidy(field_param_type(field))
}

/// A Rust type written as text (the Postgres mapping spells its types as strings).
fn rust_type(text: &str) -> TokenStream {
    text.parse().unwrap_or_else(|_| quote!(()))
}

fn optional(base: TokenStream, nullable: bool) -> TokenStream {
    if nullable {
        quote!(Option<#base>)
    } else {
        base
    }
}

/// The Rust type of a result column, on either database.
fn field_column_type(field: &Field) -> TokenStream {
    match field.pg {
        Some(pg) => optional(rust_type(&pg.column_rust()), field.ty.nullable),
        None => column_type(field.ty),
    }
}

/// The Rust type of a parameter, on either database.
fn field_param_type(field: &Field) -> TokenStream {
    match field.pg {
        Some(pg) => optional(rust_type(&pg.param_rust()), field.ty.nullable),
        None => param_type(field.ty),
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// A `let` that converts a parameter to its bound form, when it needs one.
fn conversion(name: &Ident, ty: Ty) -> Option<TokenStream> {
    match (ty.ty, ty.nullable) {
        (SqlType::DateTime, false) => Some(quote!(let #name = datetime_to_sql(&#name);)),
        (SqlType::DateTime, true) => Some(quote!(let #name = #name.as_ref().map(datetime_to_sql);)),
        _ => None,
    }
}

fn query_tokens(q: &QueryModel) -> TokenStream {
    let fn_name = ident(&q.name);
    let sql = &q.sql;
    let doc_fn = format!(" Runs `{}`:", q.source);
    let doc_sql = [" ```sql".to_owned(), format!(" {sql}"), " ```".to_owned()];
    if q.dialect == Dialect::Postgres {
        return pg_query_tokens(q);
    }
    let args = q.params.iter().map(|p| {
        let name = ident(&p.name);
        let ty = param_type(p.ty);
        quote!(#name: #ty)
    });
    let binds: Vec<Ident> = q.params.iter().map(|p| ident(&p.name)).collect();
    let conversions: Vec<TokenStream> = q
        .params
        .iter()
        .filter_map(|p| conversion(&ident(&p.name), p.ty))
        .collect();
    let many_args = (q.params.len() >= 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let row = format_ident!("{}", q.row);
    let reads = q.columns.iter().enumerate().map(|(i, c)| {
        let name = ident(&c.name);
        let index = proc_macro2::Literal::usize_unsuffixed(i);
        quote!(#name: row.get(#index)?)
    });
    let read_row = quote!(|row| { Ok(#row { #(#reads),* }) });
    let (doc_ret, ret, body) = match q.cardinality {
        Cardinality::Exec => (
            " Returns the number of rows inserted, updated or deleted.",
            quote!(usize),
            quote!(stmt.execute(rusqlite::params![#(#binds),*])),
        ),
        Cardinality::Many => (
            " Returns every row.",
            quote!(Vec<#row>),
            quote! {
                let rows = stmt.query_map(rusqlite::params![#(#binds),*], #read_row)?;
                rows.collect()
            },
        ),
        Cardinality::One => (
            " Returns the first row; none is `rusqlite::Error::QueryReturnedNoRows`.",
            quote!(#row),
            quote!(stmt.query_row(rusqlite::params![#(#binds),*], #read_row)),
        ),
        Cardinality::Opt => (
            " Returns the first row, or `None` when there is none.",
            quote!(Option<#row>),
            quote! {
                let row = stmt.query_row(rusqlite::params![#(#binds),*], #read_row);
                rusqlite::OptionalExtension::optional(row)
            },
        ),
    };
    quote! {
        #[doc = #doc_fn]
        #[doc = ""]
        #(#[doc = #doc_sql])*
        #[doc = ""]
        #[doc = #doc_ret]
        #many_args
        pub fn #fn_name(conn: &Connection, #(#args),*) -> rusqlite::Result<#ret> {
            const SQL: &str = #sql;
            #(#conversions)*
            let mut stmt = conn.prepare_cached(SQL)?;
            #body
        }
    }
}

/// A query function for Postgres: the parameters go with their types to the executor, which
/// prepares the statement once per connection (docs/adr/0027).
fn pg_query_tokens(q: &QueryModel) -> TokenStream {
    let fn_name = ident(&q.name);
    let sql = &q.sql;
    let doc_fn = format!(" Runs `{}`:", q.source);
    let doc_sql = [" ```sql".to_owned(), format!(" {sql}"), " ```".to_owned()];
    let args = q.params.iter().map(|p| {
        let name = ident(&p.name);
        let ty = field_param_type(p);
        quote!(#name: #ty)
    });
    let binds = q.params.iter().map(|p| {
        let name = ident(&p.name);
        let constant = format_ident!("{}", p.pg.map_or("TEXT", |pg| pg.constant));
        quote!((&#name as &(dyn ToSql + Sync), Type::#constant))
    });
    let params = quote!(&[#(#binds),*]);
    let many_args = (q.params.len() >= 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let row = format_ident!("{}", q.row);
    let (doc_ret, ret, body) = match q.cardinality {
        Cardinality::Exec => (
            " Returns the number of rows inserted, updated or deleted.",
            quote!(u64),
            quote!(client.execute_static(SQL, #params)),
        ),
        Cardinality::Many => (
            " Returns every row.",
            quote!(Vec<#row>),
            quote! {
                let rows = client.query_static(SQL, #params)?;
                rows.iter().map(#row::from_row).collect()
            },
        ),
        Cardinality::One => (
            " Returns the row; no row (or more than one) is an error.",
            quote!(#row),
            quote! {
                let row = client.query_one_static(SQL, #params)?;
                #row::from_row(&row)
            },
        ),
        Cardinality::Opt => (
            " Returns the row, or `None` when there is none; more than one is an error.",
            quote!(Option<#row>),
            quote! {
                let row = client.query_opt_static(SQL, #params)?;
                row.as_ref().map(#row::from_row).transpose()
            },
        ),
    };
    quote! {
        #[doc = #doc_fn]
        #[doc = ""]
        #(#[doc = #doc_sql])*
        #[doc = ""]
        #[doc = #doc_ret]
        #many_args
        pub fn #fn_name(client: &mut impl Executor, #(#args),*) -> Result<#ret, postgres::Error> {
            const SQL: &str = #sql;
            #body
        }
    }
}

/// The struct of a row type, read by `users` (one query, or several that share it through
/// `-- returns:`).
fn row_tokens(name: &str, users: &[&QueryModel]) -> TokenStream {
    let row = format_ident!("{}", name);
    let doc = match users {
        [q] => format!(" A row of [`{}`] (`{}`).", q.name, q.source),
        _ => {
            let list: Vec<String> = users
                .iter()
                .map(|q| format!("[`{}`] (`{}`)", q.name, q.source))
                .collect();
            format!(
                " A row shared through `-- returns:` by {}.",
                list.join(", ")
            )
        }
    };
    let fields = users[0].columns.iter().map(|c| {
        let name = ident(&c.name);
        let ty = field_column_type(c);
        quote!(pub #name: #ty)
    });
    let decoder = (users[0].dialect == Dialect::Postgres).then(|| {
        let reads = users[0].columns.iter().enumerate().map(|(i, c)| {
            let name = ident(&c.name);
            let index = proc_macro2::Literal::usize_unsuffixed(i);
            quote!(#name: row.try_get(#index)?)
        });
        quote! {
            impl #row {
                /// Reads one row of the result, in the column order of the queries above.
                pub fn from_row(row: &postgres::Row) -> Result<Self, postgres::Error> {
                    Ok(#row { #(#reads),* })
                }
            }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #row {
            #(#fields),*
        }
        #decoder
    }
}

const DATETIME_HELPER: &str = r#"
/// SQLite's UTC text form of a timestamp (`YYYY-MM-DD HH:MM:SS`, `.SSS` when there are
/// milliseconds): what `CURRENT_TIMESTAMP` and `datetime()` produce, so stored values compare
/// and sort as text (docs/adr/0007).
fn datetime_to_sql(value: &time::OffsetDateTime) -> String {
    let utc = value.to_offset(time::UtcOffset::UTC);
    let (date, clock) = (utc.date(), utc.time());
    let seconds = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        date.year(),
        u8::from(date.month()),
        date.day(),
        clock.hour(),
        clock.minute(),
        clock.second()
    );
    match clock.millisecond() {
        0 => seconds,
        ms => format!("{seconds}.{ms:03}"),
    }
}
"#;

/// One module's source.
fn module_source(source_dir: &str, queries: &[QueryModel], runtime: &syn::Path) -> String {
    let mut queries: Vec<&QueryModel> = queries.iter().collect();
    queries.sort_by(|a, b| a.name.cmp(&b.name));
    let doc = format!(" Queries of `{source_dir}/`, one function per `.sql` file.");
    // Each row type goes right before the first function (by name) that returns it.
    let mut rows: BTreeMap<&str, Vec<&QueryModel>> = BTreeMap::new();
    for q in queries.iter().filter(|q| !q.columns.is_empty()) {
        rows.entry(q.row.as_str()).or_default().push(q);
    }
    let items = queries.iter().map(|q| {
        let row = rows
            .remove(q.row.as_str())
            .map(|users| row_tokens(&q.row, &users));
        let query = query_tokens(q);
        quote!(#row #query)
    });
    let uses = match queries.first().map(|q| q.dialect) {
        Some(Dialect::Postgres) if queries.iter().any(|q| !q.params.is_empty()) => quote! {
            use #runtime::Executor;
            use postgres::types::{ToSql, Type};
        },
        Some(Dialect::Postgres) => quote!(
            use #runtime::Executor;
        ),
        _ => quote!(
            use rusqlite::Connection;
        ),
    };
    let tokens = quote! {
        #![doc = #doc]
        #uses
        #(#items)*
    };
    let mut out = header(&format!("{source_dir}/*.sql"));
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => out.push_str(&space_items(&prettyplease::unparse(&file))),
        // Unreachable for valid names; keep the output inspectable instead of panicking.
        Err(_) => out.push_str(&tokens.to_string()),
    }
    if queries.iter().any(|q| {
        q.dialect == Dialect::Sqlite && q.params.iter().any(|p| p.ty.ty == SqlType::DateTime)
    }) {
        out.push_str(DATETIME_HELPER);
    }
    out
}

/// A blank line before each top-level item (prettyplease puts none between items).
fn space_items(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 256);
    let mut prev = "";
    for line in source.lines() {
        let starts_item = line.starts_with("///")
            || line.starts_with("#[")
            || line.starts_with("pub ")
            || line.starts_with("impl ")
            || (line.starts_with("use ") && !prev.starts_with("use "));
        let prev_is_attr =
            prev.starts_with("///") || prev.starts_with("#[") || prev.starts_with("//!");
        if starts_item && !prev.is_empty() && !prev_is_attr {
            out.push('\n');
        }
        if line.starts_with("use ") && prev.starts_with("//!") {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        prev = line;
    }
    out
}

fn header(from: &str) -> String {
    format!(
        "// @generated by rally-sql from {from} — do not edit.\n// Regenerate with `cargo rally gen`; `cargo rally gen --check` fails when this file is stale.\n\n"
    )
}

/// Every generated file: the query modules and the `mod.rs` files above them, sorted by path.
pub fn files(
    modules: &BTreeMap<Vec<String>, (String, Vec<QueryModel>)>,
    output_dir: &Path,
    runtime: &syn::Path,
) -> Vec<GeneratedFile> {
    let mut out = Vec::new();
    let mut children: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for (path, (source_dir, queries)) in modules {
        let (leaf, dirs) = path.split_last().expect("module paths are never empty");
        let mut file = output_dir.to_path_buf();
        file.extend(dirs);
        file.push(format!("{leaf}.rs"));
        out.push(GeneratedFile {
            path: file,
            contents: module_source(source_dir, queries, runtime),
        });
        for depth in 0..path.len() {
            children
                .entry(path[..depth].to_vec())
                .or_default()
                .insert(path[depth].clone());
        }
    }
    if children.is_empty() {
        children.insert(Vec::new(), BTreeSet::new());
    }
    for (dir, names) in children {
        let mut file = output_dir.to_path_buf();
        file.extend(&dir);
        file.push("mod.rs");
        let mut contents = header("the sql/ directories under src/");
        contents.push_str("//! Typed SQL: one module per `sql/` directory (docs/sql.md).\n\n");
        for name in names {
            // Dynamic route segments end in `_` (`id_/sql` → `id__sql`), which rustc's
            // snake-case lint dislikes; the name mirrors the route file, so keep it.
            if name.contains("__") {
                contents.push_str("#[allow(non_snake_case)]\n");
            }
            // `cargo fmt` must not reformat generated code, or `gen --check` would see it stale.
            contents.push_str(&format!("#[rustfmt::skip]\npub mod {name};\n"));
        }
        out.push(GeneratedFile {
            path: file,
            contents,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rally_idents::pascal_case;

    #[test]
    fn names() {
        assert_eq!(field_name("COUNT(*)"), "count");
        assert_eq!(field_name("userId"), "user_id");
        assert_eq!(field_name("type"), "type_");
        assert_eq!(field_name("1st place"), "_1st_place");
        assert_eq!(field_name("g.name"), "g_name");
        assert_eq!(pascal_case("list_games_2"), "ListGames2");
    }
}
