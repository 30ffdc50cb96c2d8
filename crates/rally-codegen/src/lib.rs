//! Rally's code generator.
//!
//! Reads the app's page modules (`src/<mount>/pages/**.rs`) with `syn`, checks the page
//! contract and the wire boundary, and writes under `src/generated/`: the routes of each mount
//! (`rally-routes`), each mount's page glue, the server dispatch of loads and saves, typed save
//! effects, the server's entry point and the contract fingerprint. Every problem is reported as
//! `path:line: what is wrong — what to do`, and nothing is written while there is one.

pub mod emit;
pub mod error;
pub mod page;
mod resolve;
mod routes;
pub mod signature;
pub mod wire;

pub use error::{Error, Problem};

/// A route of a mount, as the glue needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The route enum's variant (`GamesId`).
    pub variant: String,
    /// Parameters and their Rust types, in path order.
    pub params: Vec<(String, String)>,
    /// Whether this is the mount's not-found page.
    pub not_found: bool,
    /// The helper name (`games_id` → `games_id_path(..)`).
    pub helper: String,
    /// For `Navigate<T>` messages: the `T`s that lead to this route (`Games` and `Game` for
    /// `games/id_`); empty for a route without a static segment.
    pub nav_names: Vec<String>,
    /// The page module below `<mount>::pages`.
    pub module: Vec<String>,
}

mod app;

pub use app::{
    GeneratedFile, SqlModule, check, generate, generate_with_sql, mount_names, package_name, write,
};
