//! Rally's runtime.
//!
//! Both targets: [`payload`] (the data the server embeds for the browser) and [`document`] (the
//! HTML page around a rendered view). Feature `server`: [`server`] (axum: pages, the browser
//! bundle, graceful shutdown). Feature `browser`: [`browser`] (read the payload, hydrate).

pub mod document;
pub mod payload;

#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "server")]
pub mod server;

pub use rally_view as view;
