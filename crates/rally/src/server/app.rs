//! The server of a generated app: configuration from the environment, the database, the app's
//! context, and serving the pages, `/ws`, `/assets` and the browser bundles until
//! SIGINT/SIGTERM. [`AppBuilder`] is what the app's `src/server.rs` `configure` hook extends.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::routing::MethodRouter;

use super::assets::StaticFiles;
use super::hub::{Hub, HubConfig};
use super::page_cache::PageCache;
use super::pool::{PoolConfig, RenderPool};
use super::security::Security;
use super::ssr::{DocumentFn, Layout, MountServer, SharedFn};
use super::{Dispatch, Endpoint, ServerConfig, WsConfig, exit_code, init_tracing};
use crate::auth_http::RequestAuth;
use crate::db::{Config as DbConfig, Db};
use crate::env::Env;
use crate::mount::ServerMount;
use crate::system::startup::HookError;
use crate::system::{Shutdown, Startup};

/// A configured app, ready to serve.
pub struct App {
    /// The environment: the process's, then `.env`.
    pub env: Env,
    /// The database.
    pub db: Db,
    /// Where to listen.
    pub config: ServerConfig,
    /// `/assets/` is served from here (default `assets`).
    pub assets: PathBuf,
    /// `/pkg/` (the browser bundles) is served from here (default `target/rally/pkg`).
    pub bundles: PathBuf,
    /// The hosts it answers to and the headers it sends.
    pub security: Security,
    /// The hub saves publish through (`RALLY_HUB`).
    pub hub: HubConfig,
    /// The render pool's size (`RALLY_RENDER_THREADS`, `RALLY_RENDER_QUEUE`).
    pub render: PoolConfig,
}

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A configuration value cannot be used (`.env`, `PORT`, `HOST`, `ADDR`, the limits).
    #[error(transparent)]
    Env(#[from] crate::env::ConfigError),
    /// The host allow-list is missing or malformed.
    #[error(transparent)]
    Security(#[from] super::security::SecurityError),
    /// `RALLY_HUB` names no usable hub.
    #[error(transparent)]
    Hub(#[from] super::hub::HubConfigError),
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
    /// (default `db/<package>.db`), `RALLY_ASSETS_DIR`, `RALLY_BUNDLE_DIR`, `RALLY_HUB`,
    /// `RALLY_RENDER_THREADS` and `RALLY_RENDER_QUEUE` (see [`PoolConfig`]), and opens the
    /// database.
    pub fn from_env(package: &str) -> Result<App, AppError> {
        init_tracing();
        // One reading of `.env` and the process environment for everything below; the process
        // environment is never written (`set_var` is unsound once threads run).
        Self::with_env(Env::load()?, package)
    }

    /// As [`App::from_env`], reading every variable from `env`.
    pub fn with_env(env: Env, package: &str) -> Result<App, AppError> {
        let config = ServerConfig::from_env(&env)?;
        let security = Security::from_env(&env)?;
        let hub = HubConfig::from_env(&env, package)?;
        let dir = |name: &str, default: &str| {
            env.get(name)
                .filter(|v| !v.trim().is_empty())
                .map_or_else(|| PathBuf::from(default), PathBuf::from)
        };
        let defaults = PoolConfig::default();
        let render = PoolConfig {
            threads: env
                .parse("RALLY_RENDER_THREADS", "a whole number", "4")?
                .unwrap_or(defaults.threads),
            queue: env
                .parse("RALLY_RENDER_QUEUE", "a whole number", "512")?
                .unwrap_or(defaults.queue),
        };
        let assets = dir("RALLY_ASSETS_DIR", "assets");
        let bundles = dir("RALLY_BUNDLE_DIR", "target/rally/pkg");
        let path = env.database_path(format!("db/{package}.db"));
        let db = Db::open(DbConfig::new(&path)).map_err(|e| AppError::Db {
            path: path.clone(),
            source: Box::new(e),
        })?;
        Ok(App {
            hub,
            render,
            security,
            env,
            db,
            config,
            assets,
            bundles,
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
            .nest_service("/assets", StaticFiles::new(&self.assets).router())
            .merge(super::app(pages, &self.bundles));
        let router = self.security.layer(router);
        exit_code(super::serve(router, &self.config, Some(endpoint)).await)
    }
}

/// A part of the app that could not be set up at startup (its context, its sign-in), with the
/// app's own error.
#[derive(Debug, thiserror::Error)]
#[error("cannot {what}: {source}")]
pub struct SetupError {
    /// What was being set up, and where: `build the app's context (src/context.rs)`.
    pub what: &'static str,
    /// The app's error.
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl SetupError {
    /// `what` failed with the app's error `source`.
    pub fn new(what: &'static str, source: impl std::fmt::Display) -> Self {
        SetupError {
            what,
            source: source.to_string().into(),
        }
    }
}

/// A background task the server starts once it listens, stopped by the server's shutdown.
type Task = Box<dyn FnOnce(Shutdown) -> tokio::task::JoinHandle<()> + Send>;

/// The server of an app as it is being put together: the generated `serve()` makes one, the
/// app's `src/server.rs` may extend it (`pub fn configure(app: AppBuilder<Context>) ->
/// AppBuilder<Context>`), and the generated code adds the pages and serves it.
///
/// What `configure` can do: add axum routes ([`AppBuilder::route`], [`AppBuilder::merge`]),
/// change or replace the document ([`AppBuilder::layout`], [`AppBuilder::document`]), choose
/// the hub ([`AppBuilder::hub`]), and add startup hooks and background tasks such as a job
/// runner ([`AppBuilder::on_startup`], [`AppBuilder::spawn`]).
pub struct AppBuilder<C> {
    app: App,
    context: Arc<C>,
    routes: Router,
    layout: Layout,
    document: Option<DocumentFn>,
    hub: Arc<dyn Hub>,
    startup: Startup,
    tasks: Vec<Task>,
    websocket: Vec<Box<dyn FnOnce(WsConfig) -> WsConfig + Send>>,
    /// The `/ws` endpoint once built: mounts run form saves through it.
    endpoint: Option<Endpoint>,
    /// Where every mount's renders and form saves run.
    pool: RenderPool,
    /// Every mount's compressed pages, by content.
    pages: Arc<PageCache>,
}

impl<C: Send + Sync + 'static> AppBuilder<C> {
    /// An app serving `context` to its pages, with the default document titled `title`.
    pub fn new(app: App, context: C, title: &str) -> Self {
        let hub = app.hub.start();
        let pool = RenderPool::new(app.render);
        AppBuilder {
            pool,
            pages: Arc::default(),
            app,
            context: Arc::new(context),
            routes: Router::new(),
            layout: Layout::new(title),
            document: None,
            hub,
            startup: Startup::new(),
            tasks: Vec::new(),
            websocket: Vec::new(),
            endpoint: None,
        }
    }

    /// The app's context, as pages receive it.
    pub fn context(&self) -> &Arc<C> {
        &self.context
    }

    /// The environment.
    pub fn env(&self) -> &Env {
        &self.app.env
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.app.db
    }

    /// The pool that runs page renders and form saves; an app's own routes that block (SQLite)
    /// may run their work there too ([`RenderPool::run`]).
    pub fn render_pool(&self) -> &RenderPool {
        &self.pool
    }

    /// The hub saves publish through; hand it to jobs that push events.
    pub fn hub_handle(&self) -> &Arc<dyn Hub> {
        &self.hub
    }

    /// Adds a route (`.route("/healthz", get(|| async { "ok" }))`). Page paths are matched
    /// after the app's routes, so a route here wins over a page at the same path.
    pub fn route(mut self, path: &str, method_router: MethodRouter) -> Self {
        self.routes = self.routes.route(path, method_router);
        self
    }

    /// Adds every route of `router` (webhooks, a JSON API), as [`AppBuilder::route`].
    pub fn merge(mut self, router: Router) -> Self {
        self.routes = self.routes.merge(router);
        self
    }

    /// Changes the document every page is rendered into: title, `lang`, head markup.
    pub fn layout(mut self, change: impl FnOnce(Layout) -> Layout) -> Self {
        self.layout = change(self.layout);
        self
    }

    /// Replaces the document wholesale (it must keep `rally::document::Document`'s payload and
    /// script, or pages will not hydrate).
    pub fn document(mut self, document: DocumentFn) -> Self {
        self.document = Some(document);
        self
    }

    /// Changes the host allow-list or the security headers (a stricter CSP, a CDN in
    /// `script-src`, framing allowed for an embed).
    pub fn security(mut self, change: impl FnOnce(Security) -> Security) -> Self {
        self.app.security = change(self.app.security);
        self
    }

    /// Publishes through `hub` instead of the in-process one.
    pub fn hub(mut self, hub: Arc<dyn Hub>) -> Self {
        self.hub = hub;
        self
    }

    /// Runs `hook` before the server listens; its failure stops the server with its name.
    pub fn on_startup(
        mut self,
        name: impl Into<String>,
        hook: impl FnOnce() -> Result<(), HookError> + Send + 'static,
    ) -> Self {
        self.startup = self.startup.hook(name, hook);
        self
    }

    /// Starts a background task once the server listens (a `rally::system::JobRunner`'s
    /// `spawn`); its `Shutdown` is triggered when the server stops, and the server waits for it.
    pub fn spawn(
        mut self,
        task: impl FnOnce(Shutdown) -> tokio::task::JoinHandle<()> + Send + 'static,
    ) -> Self {
        self.tasks.push(Box::new(task));
        self
    }

    /// Changes the `/ws` endpoint's limits and policies (frame and message sizes, timeouts,
    /// handler threads, allowed origins) before [`AppBuilder::endpoint`] builds it.
    pub fn websocket(mut self, change: impl FnOnce(WsConfig) -> WsConfig + Send + 'static) -> Self {
        self.websocket.push(Box::new(change));
        self
    }

    /// The `/ws` endpoint over the chosen hub, with the changes of [`AppBuilder::websocket`].
    pub fn endpoint(&mut self, config: WsConfig, dispatch: impl Dispatch) -> Endpoint {
        let config = self
            .websocket
            .drain(..)
            .fold(config, |config, change| change(config));
        let endpoint = Endpoint::with_hub(config, dispatch, Arc::clone(&self.hub));
        self.endpoint = Some(endpoint.clone());
        endpoint
    }

    /// Mount `M`'s pages, rendered into the app's document.
    pub fn mount<M>(
        &self,
        shared: SharedFn<C, M::Shared>,
        auth: Option<Arc<dyn RequestAuth>>,
    ) -> Router
    where
        M: ServerMount<Context = C>,
        M::Shared: Send,
        M::Route: Send,
    {
        MountServer::<M> {
            context: Arc::clone(&self.context),
            shared,
            document: self.document_fn(),
            auth,
            script: self.app.bundle_script(M::NAME),
            endpoint: self.endpoint.clone(),
            pool: self.pool.clone(),
            pages: Arc::clone(&self.pages),
            renders: Default::default(),
        }
        .router()
    }

    fn document_fn(&self) -> DocumentFn {
        self.document
            .clone()
            .unwrap_or_else(|| self.layout.clone().into_document())
    }

    /// Runs the startup hooks, then serves the app's routes, `pages` and `endpoint` until
    /// SIGINT/SIGTERM; background tasks run meanwhile and are stopped with the server. Failures
    /// are printed with what to do and turn into a failing exit code.
    pub async fn serve(self, pages: Router, endpoint: Endpoint) -> ExitCode {
        if std::fs::read_dir(&self.app.bundles).is_err() {
            eprintln!(
                "warning: no browser bundles in {}; pages will render but not hydrate. Run `cargo rally build`.",
                self.app.bundles.display()
            );
        }
        let listener = match super::bind(&self.app.config).await {
            Ok(l) => l,
            Err(e) => return exit_code(Err(e)),
        };
        match listener.local_addr() {
            Ok(addr) => println!("listening on http://{addr}"),
            Err(e) => return exit_code(Err(e)),
        }
        match self
            .serve_until(listener, pages, endpoint, super::shutdown_signal())
            .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    }

    /// As [`AppBuilder::serve`], on `listener` until `shutdown` completes (tests serve on a
    /// free port and stop when they are done).
    pub async fn serve_until(
        self,
        listener: tokio::net::TcpListener,
        pages: Router,
        endpoint: Endpoint,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        self.startup.run().await?;
        let router = self
            .routes
            .nest_service("/assets", StaticFiles::new(&self.app.assets).router())
            .merge(super::app(pages, &self.app.bundles));
        let stop = Shutdown::new();
        let tasks: Vec<_> = self.tasks.into_iter().map(|t| t(stop.clone())).collect();
        let stopped = stop.clone();
        let signal = async move {
            tokio::select! {
                () = shutdown => stopped.trigger(),
                () = stopped.wait() => {}
            }
        };
        let router = self.app.security.layer(router);
        let limits = self.app.config.http.clone();
        let served = super::serve_live_with(listener, router, Some(endpoint), limits, signal).await;
        stop.trigger();
        for task in tasks {
            if let Err(e) = task.await {
                tracing::error!("a background task failed: {e}");
            }
        }
        Ok(served?)
    }
}

/// Why an app stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A startup hook failed; nothing was served.
    #[error(transparent)]
    Startup(#[from] crate::system::StartupError),
    /// Serving failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_comes_from_the_one_env() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let env = Env::from_pairs([
            ("ADDR", "127.0.0.1:4321"),
            ("DATABASE_PATH", db.to_str().unwrap()),
            ("RALLY_ASSETS_DIR", "static"),
            ("RALLY_MAX_CONNECTIONS", "77"),
            ("APP_ENV", "production"),
            ("RALLY_HOSTS", "scores.example.com"),
        ]);
        let app = App::with_env(env, "demo").unwrap();
        assert_eq!(app.config.addr.port(), 4321);
        assert_eq!(app.config.http.max_connections, 77);
        assert_eq!(app.assets, PathBuf::from("static"));
        assert_eq!(app.bundles, PathBuf::from("target/rally/pkg"));
        assert!(db.exists(), "the database was opened at DATABASE_PATH");
        assert!(
            std::env::var_os("RALLY_MAX_CONNECTIONS").is_none(),
            "nothing was exported"
        );
    }

    #[test]
    fn a_bad_value_is_an_error_that_names_it() {
        let env = Env::from_pairs([("PORT", "eighty")]);
        let error = App::with_env(env, "demo")
            .err()
            .expect("an error")
            .to_string();
        assert!(error.contains("PORT"), "{error}");
        let env = Env::from_pairs([("APP_ENV", "production"), ("DATABASE_PATH", ":memory:")]);
        let error = App::with_env(env, "demo")
            .err()
            .expect("an error")
            .to_string();
        assert!(error.contains("RALLY_HOSTS"), "{error}");
    }
}
