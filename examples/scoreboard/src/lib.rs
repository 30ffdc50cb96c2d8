//! Rally Scoreboard: live game scores. The `public` mount shows games, game and team pages and
//! the standings to everyone; the `admin` mount is the score desk, for signed-in admins. A
//! score change on the desk is saved over the WebSocket and pushed to every page that shows
//! the game.

/// The browser bundle's allocator (the `rally/allocator` feature): smaller than the default.
#[cfg(all(target_arch = "wasm32", feature = "browser"))]
#[global_allocator]
static ALLOCATOR: rally::browser::Allocator = rally::browser::Allocator::new();

pub mod admin;
pub mod auth;
pub mod broadcasts;
pub mod chrome;
#[cfg(feature = "server")]
pub mod context;
#[cfg(feature = "server")]
pub mod db;
pub mod generated;
pub mod identity;
pub mod public;
#[cfg(feature = "server")]
pub mod server;
pub mod views;
pub mod wire;

/// A migrated and seeded in-memory database for tests.
#[cfg(all(test, feature = "server"))]
pub(crate) mod test_support {
    use std::path::Path;
    use std::sync::OnceLock;

    use rally::test_db::Template;

    /// A fresh copy of the seeded database (migrated and seeded once per test run).
    pub fn seeded_db() -> crate::db::Db {
        static TEMPLATE: OnceLock<Template> = OnceLock::new();
        let template = TEMPLATE.get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            Template::seeded(&root.join("db/migrations"), Some(&root.join("db/seeds")))
                .expect("migrate and seed the test database")
        });
        template.db().expect("copy the test database").into()
    }
}
