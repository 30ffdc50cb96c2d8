//! The server runtime: configuration from the environment, the browser bundle, the `/ws`
//! endpoint ([`ws`], [`dispatch`], [`hub`]), serving with graceful shutdown.

#[cfg(feature = "mimalloc")]
mod alloc;
pub mod app;
pub mod assets;
#[cfg(any(feature = "redis", feature = "postgres-hub"))]
mod broker;
pub mod caller;
pub mod dispatch;
mod encoding;
mod fair_queue;
pub mod http;
pub mod hub;
mod mailbox;
mod page_cache;
#[cfg(feature = "postgres-hub")]
pub mod pg_hub;
pub mod pool;
#[cfg(feature = "redis")]
pub mod redis_hub;
mod render_memo;
pub mod security;
pub mod ssr;
pub mod ws;

#[cfg(feature = "mimalloc")]
pub use alloc::MiMalloc;
pub use assets::StaticFiles;
pub use caller::{Caller, Denied};
pub use dispatch::{ConnectionInfo, Dispatch, Publish, Reply, Request};
pub use http::HttpLimits;
pub use hub::{ConnectionId, Hub, LocalHub};
pub use pool::{PoolConfig, PoolError, RenderPool};
pub use security::{CspNonce, Security};
pub use ssr::PageRequest;
pub use ws::{Endpoint, WsConfig};

use std::net::SocketAddr;
use std::path::Path;

use axum::Router;
use axum::http::HeaderMap;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::CompressionLevel;
use tower_http::compression::{CompressionLayer, Predicate};
use tower_http::trace::TraceLayer;

/// Where the server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// The socket address to bind; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The listener's caps and timeouts.
    pub http: HttpLimits,
}

pub use crate::env::ConfigError;

impl ServerConfig {
    /// The default port when `PORT` is unset.
    pub const DEFAULT_PORT: u16 = crate::env::DEFAULT_PORT;

    /// Reads `ADDR` (host:port), or else `HOST` (default 127.0.0.1) and `PORT` (default 8080);
    /// and the listener's caps: `RALLY_MAX_CONNECTIONS`, `RALLY_MAX_CONNECTIONS_PER_IP` and
    /// `RALLY_BEHIND_PROXY` (see [`HttpLimits`]).
    pub fn from_env(env: &crate::env::Env) -> Result<Self, ConfigError> {
        Ok(ServerConfig {
            addr: env.server_addr()?,
            http: http_limits(env)?,
        })
    }

    /// A config for `addr` with the default limits.
    pub fn local(addr: SocketAddr) -> Self {
        ServerConfig {
            addr,
            http: HttpLimits::default(),
        }
    }
}

fn http_limits(env: &crate::env::Env) -> Result<HttpLimits, ConfigError> {
    let defaults = HttpLimits::default();
    let count = |name: &str, default: usize| {
        Ok::<_, ConfigError>(
            env.parse(name, "a whole number", "1000")?
                .unwrap_or(default),
        )
    };
    let behind_proxy = match env.get("RALLY_BEHIND_PROXY") {
        None => defaults.behind_proxy,
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" | "" => false,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "RALLY_BEHIND_PROXY".into(),
                    value: v,
                    expected: "true or false".into(),
                    example: "true".into(),
                });
            }
        },
    };
    Ok(HttpLimits {
        max_connections: count("RALLY_MAX_CONNECTIONS", defaults.max_connections)?,
        max_connections_per_ip: count(
            "RALLY_MAX_CONNECTIONS_PER_IP",
            defaults.max_connections_per_ip,
        )?,
        behind_proxy,
        ..defaults
    })
}

/// Wraps an app's page routes with what every Rally server serves: the browser bundle under
/// `/pkg`, an empty favicon, compression ([`compression`]) and request logging.
pub fn app(pages: Router, bundle_dir: &Path) -> Router {
    pages
        .nest_service("/pkg", bundle_service(bundle_dir))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .layer(compression())
        .layer(TraceLayer::new_for_http())
}

/// The compression of dynamic responses other than pages (JSON, the 403 and sign-in pages):
/// gzip at the fastest level. Pages compress themselves where they are rendered
/// (`server/encoding.rs`). With the default levels, gzipping `/games` cost more CPU than
/// rendering it (412 against 219 µs per request, issue 19), and brotli at its fastest level
/// still cost 2–3× gzip's CPU for a worse ratio on bodies of a few KB, so it is left to static
/// files; the measured trade-off is in bench/README.md (Scoreboard). Responses under 1 KiB are
/// sent as they are (one packet either way), and neither [`StaticFiles`]' responses nor pages
/// (already encoded) nor images, event streams or gRPC are compressed.
pub fn compression() -> CompressionLayer<impl Predicate> {
    use tower_http::compression::predicate::{NotForContentType, SizeAbove};
    CompressionLayer::new()
        .no_br()
        .no_deflate()
        .no_zstd()
        .quality(CompressionLevel::Fastest)
        .compress_when(
            SizeAbove::new(encoding::MIN_COMPRESS_BYTES as u16)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE)
                .and(
                    |_: StatusCode,
                     _: axum::http::Version,
                     _: &HeaderMap,
                     extensions: &axum::http::Extensions| {
                        extensions.get::<assets::Precompressed>().is_none()
                    },
                ),
        )
}

/// Serves the wasm bundles from memory ([`StaticFiles`], with the `.br` and `.gz` copies
/// `cargo rally build` writes). A content-hashed directory (`/<mount>/<16 hex>/…`, written by
/// `cargo rally build`) never changes, so browsers keep it for a year without asking; anything
/// else is revalidated on each use (cheap: its `ETag` answers 304).
pub fn bundle_service(dir: &Path) -> Router {
    StaticFiles::new(dir)
        .router()
        .layer(axum::middleware::map_response(
            |uri: axum::http::Uri, mut response: Response| async move {
                let hashed = uri.path().split('/').nth(2).is_some_and(is_bundle_hash);
                let policy = if hashed && response.status().is_success() {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                };
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
                response
            },
        ))
}

/// Whether a path segment is a bundle's content hash (16 hex digits).
pub fn is_bundle_hash(segment: &str) -> bool {
    segment.len() == 16 && segment.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An HTML page with a status code.
pub fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A Rally server's whole startup: logging, configuration from the environment, `pages`
/// wrapped by [`app`], serving until SIGINT/SIGTERM. Errors are printed with what to do, and
/// turn into a failing exit code.
pub async fn run(pages: Router, bundle_dir: &Path) -> std::process::ExitCode {
    run_with(pages, bundle_dir, None).await
}

/// As [`run`], with the `/ws` endpoint for loads, saves and broadcasts.
pub async fn run_live(
    pages: Router,
    bundle_dir: &Path,
    endpoint: Endpoint,
) -> std::process::ExitCode {
    run_with(pages, bundle_dir, Some(endpoint)).await
}

async fn run_with(
    pages: Router,
    bundle_dir: &Path,
    endpoint: Option<Endpoint>,
) -> std::process::ExitCode {
    init_tracing();
    let config = match crate::env::Env::load().and_then(|env| ServerConfig::from_env(&env)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let has_bundle = std::fs::read_dir(bundle_dir).is_ok_and(|mut d| d.next().is_some());
    if !has_bundle {
        eprintln!(
            "warning: no browser bundle in {}; pages will render but not hydrate. Build it first (scripts/demo.sh does).",
            bundle_dir.display()
        );
    }
    exit_code(serve(app(pages, bundle_dir), &config, endpoint).await)
}

/// A serving result as the process's exit code; the error is printed first.
pub fn exit_code(served: std::io::Result<()>) -> std::process::ExitCode {
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Binds, prints `listening on http://…` (tests read the port from it) and serves `router`
/// (with `endpoint` at `/ws`) until SIGINT or SIGTERM, letting in-flight requests finish.
pub async fn serve(
    router: Router,
    config: &ServerConfig,
    endpoint: Option<Endpoint>,
) -> std::io::Result<()> {
    let listener = bind(config).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve_live_with(
        listener,
        router,
        endpoint,
        config.http.clone(),
        shutdown_signal(),
    )
    .await
}

/// Binds the configured address, with an error that says what to do when it is taken.
pub async fn bind(config: &ServerConfig) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(config.addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "cannot listen on {}: {e}. Is another server using that port? Set PORT to another one.",
                config.addr
            ),
        )
    })
}

/// Serves on `listener` until `shutdown` completes, then lets in-flight requests finish; with
/// the default [`HttpLimits`].
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    http::serve(listener, router, HttpLimits::default(), shutdown).await
}

/// As [`serve_until`], with the `/ws` endpoint: on shutdown its sockets finish their in-flight
/// requests and close with "going away" before the HTTP side stops.
pub async fn serve_live_until(
    listener: tokio::net::TcpListener,
    router: Router,
    endpoint: Option<Endpoint>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_live_with(listener, router, endpoint, HttpLimits::default(), shutdown).await
}

/// As [`serve_live_until`], with the listener's `limits`.
pub async fn serve_live_with(
    listener: tokio::net::TcpListener,
    router: Router,
    endpoint: Option<Endpoint>,
    limits: HttpLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Some(endpoint) = endpoint else {
        return http::serve(listener, router, limits, shutdown).await;
    };
    let router = router.merge(endpoint.router());
    let shutdown = async move {
        shutdown.await;
        endpoint.shutdown().await;
    };
    http::serve(listener, router, limits, shutdown).await
}

/// Completes on SIGINT or SIGTERM (see [`rally_system::shutdown::signal`]).
pub async fn shutdown_signal() {
    rally_system::shutdown::signal().await;
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<ServerConfig, ConfigError> {
        ServerConfig::from_env(&crate::env::Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn config_defaults_and_overrides() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(defaults.http, HttpLimits::default());
        let set = config(&[
            ("PORT", "9000"),
            ("RALLY_MAX_CONNECTIONS", "10"),
            ("RALLY_MAX_CONNECTIONS_PER_IP", "2"),
            ("RALLY_BEHIND_PROXY", "yes"),
        ])
        .unwrap();
        assert_eq!(set.addr, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(
            (set.http.max_connections, set.http.max_connections_per_ip),
            (10, 2)
        );
        assert!(set.http.behind_proxy);
    }

    #[test]
    fn config_errors_say_what_to_do() {
        assert_eq!(
            config(&[("PORT", "abc")]).unwrap_err().to_string(),
            "Invalid PORT value: abc. Set PORT to an integer, for example PORT=8080."
        );
        assert_eq!(
            config(&[("RALLY_BEHIND_PROXY", "maybe")])
                .unwrap_err()
                .to_string(),
            "Invalid RALLY_BEHIND_PROXY value: maybe. Set RALLY_BEHIND_PROXY to true or false, for example RALLY_BEHIND_PROXY=true."
        );
        assert!(config(&[("RALLY_MAX_CONNECTIONS", "-1")]).is_err());
    }
}
