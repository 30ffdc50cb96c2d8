//! Shared by the integration tests: a migrated and seeded in-memory database, as the unit
//! tests build it (`src/lib.rs`'s `test_support` is crate-private).
// Each test binary uses a part of this module.
#![allow(dead_code)]

pub mod frames;

use std::path::Path;
use std::sync::OnceLock;

use rally::test_db::Template;

/// A fresh copy of the seeded database (migrated and seeded once per test binary).
pub fn seeded_db() -> rally::db::Db {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        Template::seeded(&root.join("db/migrations"), Some(&root.join("db/seeds")))
            .expect("migrate and seed the test database")
    });
    template.db().expect("copy the test database")
}

/// The seeded admin (`admin@example.com`).
pub const ADMIN_ID: i64 = 1;
/// The seeded fan (`fan@example.com`).
pub const FAN_ID: i64 = 2;
