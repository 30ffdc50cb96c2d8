//! Rally's file-based routes.
//!
//! A mount's pages (`src/<mount>/pages/**.rs`) are its routes: `home_.rs` is the mount root,
//! `games.rs` is `/games`, `games/id_.rs` is `/games/:id`, `not_found_.rs` is the 404 page. The
//! rules are in `docs/routing.md`.
//!
//! The crate has two halves:
//!
//! - **The runtime** (always compiled, std only, native and `wasm32-unknown-unknown`): what the
//!   generated `Route::parse` and `Route::to_path` call. [`split_path`] turns a request path
//!   into percent-decoded segments, [`encode_segment`] and [`encode_param`] print them back,
//!   [`FromParam`] and [`ToParam`] convert typed route parameters, and [`QueryParams`] is the
//!   query string as an ordered, repeatable bag of pairs. Apps reach it as `rally::routes`.
//! - **The generator** (feature `codegen`, on by default): `codegen::route_table` checks a
//!   mount's page files against the rules and builds its `codegen::RouteTable`;
//!   `codegen::generate` writes the mount's route module from it. Code that only runs routes
//!   depends on this crate with `default-features = false`.

#![forbid(unsafe_code)]

mod param;
mod path;
mod query;

#[cfg(feature = "codegen")]
pub mod codegen;

pub use param::{FromParam, ToParam, encode_param, push_param};

/// The mount served at `/`, whose pages anyone may see (every other mount is at `/<name>` and
/// needs a signed-in user): the one place this convention is spelled.
pub const PUBLIC_MOUNT: &str = "public";
pub use path::{encode_segment, path_part, percent_decode, split_path};
pub use query::QueryParams;
