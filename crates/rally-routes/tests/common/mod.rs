//! The mounts the generator tests share.
#![allow(dead_code)] // each test crate uses some of them

use rally_routes::codegen::{Mount, PageFile};

/// The Scoreboard's public mount: `games/id_.rs` takes an `i64`, `teams/slug_.rs` a `String`.
pub fn public() -> (Mount, Vec<PageFile>) {
    let pages = vec![
        PageFile::new("home_.rs"),
        PageFile::new("games.rs"),
        PageFile::new("games/id_.rs").with_param_type("id", "i64"),
        PageFile::new("sign_in.rs"),
        PageFile::new("standings.rs"),
        PageFile::new("teams/slug_.rs"),
        PageFile::new("not_found_.rs"),
        // Not pages: SQL next to the pages, a `mod.rs`, an editor's lock file.
        PageFile::new("games/sql/list_public_games.sql"),
        PageFile::new("teams/slug_/sql/get_team_by_slug.sql"),
        PageFile::new("mod.rs"),
        PageFile::new(".#games.rs"),
    ];
    (Mount::new("public"), pages)
}

/// The Scoreboard's admin mount, at `/admin`.
pub fn admin() -> (Mount, Vec<PageFile>) {
    let pages = vec![
        PageFile::new("home_.rs"),
        PageFile::new("games.rs"),
        PageFile::new("not_found_.rs"),
    ];
    (Mount::new("admin"), pages)
}

/// A mount with what the Scoreboard lacks: a dynamic directory, two parameters in one route,
/// a static sibling of a parameter, a nested `home_.rs`, a two-segment prefix, `u32` and a type
/// of the app's own (`crate::Tag`, defined in `tests/generated_routes.rs`).
pub fn orgs() -> (Mount, Vec<PageFile>) {
    let pages = vec![
        PageFile::new("home_.rs"),
        PageFile::new("orgs/home_.rs"),
        PageFile::new("orgs/new.rs"),
        PageFile::new("orgs/org_.rs"),
        PageFile::new("orgs/org_/members.rs"),
        PageFile::new("orgs/org_/members/member_.rs").with_param_type("member", "u32"),
        PageFile::new("orgs/org_/members/member_/edit.rs").with_param_type("member", "u32"),
        PageFile::new("tags/tag_.rs").with_param_type("tag", "crate::Tag"),
        PageFile::new("v2.rs"),
        PageFile::new("not_found_.rs"),
    ];
    let mount = Mount::new("console")
        .with_url_prefix("/app/console")
        .with_pages_dir("src/console/pages");
    (mount, pages)
}
