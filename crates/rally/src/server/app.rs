//! The server of a generated app: configuration from the environment, the database, and
//! serving the pages, `/ws`, `/assets` and the browser bundles until SIGINT/SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use axum::Router;
use tower_http::services::ServeDir;

use super::{Endpoint, ServerConfig, exit_code, init_tracing, serve};
use crate::db::{Config as DbConfig, Db};

/// A configured app, ready to serve.
pub struct App {
    /// The database.
    pub db: Db,
    /// Where to listen.
    pub config: ServerConfig,
    /// `/assets/` is served from here (default `assets`).
    pub assets: PathBuf,
    /// `/pkg/` (the browser bundles) is served from here (default `target/rally/pkg`).
    pub bundles: PathBuf,
}

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A bad `PORT`, `HOST` or `ADDR`.
    #[error(transparent)]
    Config(#[from] super::ConfigError),
    /// The database could not be opened.
    #[error(
        "cannot open the database {path}: {source}. Run `cargo rally migrate` first, or set DATABASE_PATH."
    )]
    Db {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: Box<crate::db::Error>,
    },
}

impl App {
    /// Reads `.env` (the process environment wins), `PORT`/`HOST`/`ADDR`, `DATABASE_PATH`
    /// (default `db/<package>.db`), `RALLY_ASSETS_DIR` and `RALLY_BUNDLE_DIR`, and opens the
    /// database.
    pub fn from_env(package: &str) -> Result<App, AppError> {
        init_tracing();
        let _ = dotenvy::dotenv();
        let config = ServerConfig::from_env()?;
        let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
        let path =
            var("DATABASE_PATH").unwrap_or_else(|| PathBuf::from(format!("db/{package}.db")));
        let db = Db::open(DbConfig::new(&path)).map_err(|e| AppError::Db {
            path: path.clone(),
            source: Box::new(e),
        })?;
        Ok(App {
            db,
            config,
            assets: var("RALLY_ASSETS_DIR").unwrap_or_else(|| PathBuf::from("assets")),
            bundles: var("RALLY_BUNDLE_DIR").unwrap_or_else(|| PathBuf::from("target/rally/pkg")),
        })
    }

    /// The URL of a mount's browser bundle: the content-hashed copy `cargo rally build`
    /// published (`/pkg/<mount>/<hash>/app.js`, cached for good), else `/pkg/<mount>/app.js`.
    pub fn bundle_script(&self, mount: &str) -> String {
        bundle_script(&self.bundles, mount)
    }

    /// Serves `pages` with `endpoint` at `/ws` until SIGINT/SIGTERM.
    pub async fn serve(self, pages: Router, endpoint: Endpoint) -> ExitCode {
        if std::fs::read_dir(&self.bundles).is_err() {
            eprintln!(
                "warning: no browser bundles in {}; pages will render but not hydrate. Run `cargo rally build`.",
                self.bundles.display()
            );
        }
        let router = Router::new()
            .nest_service("/assets", ServeDir::new(&self.assets))
            .merge(super::app(pages, &self.bundles));
        exit_code(serve(router, &self.config, Some(endpoint)).await)
    }
}

/// As [`App::bundle_script`], for the bundles in `dir`.
pub fn bundle_script(dir: &std::path::Path, mount: &str) -> String {
    let current = std::fs::read_to_string(dir.join(mount).join("current")).unwrap_or_default();
    let hash = current.trim();
    if super::is_bundle_hash(hash) {
        format!("/pkg/{mount}/{hash}/app.js")
    } else {
        format!("/pkg/{mount}/app.js")
    }
}
