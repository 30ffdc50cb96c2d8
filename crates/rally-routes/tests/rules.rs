//! The file-name rules: the route table built from page files, and every generation-time error
//! with the files it names.
#![cfg(feature = "codegen")]

mod common;

use std::path::{Path, PathBuf};

use rally_routes::codegen::{
    Mount, PageFile, Param, ParamType, RouteError, RouteKind, RouteTable, Segment, discover,
    route_table,
};

fn table(mount: &Mount, files: &[&str]) -> RouteTable {
    let pages: Vec<PageFile> = files.iter().map(|f| PageFile::new(*f)).collect();
    route_table(mount, &pages).unwrap_or_else(|e| panic!("{e}"))
}

/// The errors for `files` in the public mount, displayed.
fn errors(files: &[&str]) -> Vec<String> {
    errors_of(
        &Mount::new("public"),
        files.iter().map(|f| PageFile::new(*f)).collect(),
    )
}

fn errors_of(mount: &Mount, pages: Vec<PageFile>) -> Vec<String> {
    match route_table(mount, &pages) {
        Ok(table) => panic!("expected errors, got {table:#?}"),
        Err(errors) => {
            let shown: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
            assert_eq!(errors.to_string(), shown.join("\n"));
            for line in &shown {
                assert!(
                    line.contains(": ") && line.contains(" — "),
                    "not `path: what — what to do`: {line}"
                );
            }
            shown
        }
    }
}

fn error_values(files: &[&str]) -> Vec<RouteError> {
    let pages: Vec<PageFile> = files.iter().map(|f| PageFile::new(*f)).collect();
    route_table(&Mount::new("public"), &pages).unwrap_err().0
}

fn p(path: &str) -> PathBuf {
    PathBuf::from(path)
}

#[test]
fn the_scoreboard_public_table() {
    let (mount, pages) = common::public();
    let table = route_table(&mount, &pages).unwrap();
    assert_eq!(table.mount, "public");
    assert!(table.url_prefix.is_empty());
    let summary: Vec<(RouteKind, &str, &str, &str, &str)> = table
        .routes
        .iter()
        .map(|r| {
            (
                r.kind,
                r.variant.as_str(),
                r.pattern.as_str(),
                r.helper.as_str(),
                r.module_path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (RouteKind::Home, "Home", "/", "home_path", "home_"),
            (RouteKind::Static, "Games", "/games", "games_path", "games"),
            (
                RouteKind::Dynamic,
                "GamesId",
                "/games/:id",
                "games_id_path",
                "games::id_"
            ),
            (
                RouteKind::Static,
                "SignIn",
                "/sign_in",
                "sign_in_path",
                "sign_in"
            ),
            (
                RouteKind::Static,
                "Standings",
                "/standings",
                "standings_path",
                "standings"
            ),
            (
                RouteKind::Dynamic,
                "TeamsSlug",
                "/teams/:slug",
                "teams_slug_path",
                "teams::slug_"
            ),
            (
                RouteKind::NotFound,
                "NotFound",
                "/not_found",
                "not_found_path",
                "not_found_"
            ),
        ]
    );
    let games_id = table.route("GamesId").unwrap();
    assert_eq!(
        games_id.segments,
        [Segment::Static("games".into()), Segment::Param("id".into())]
    );
    assert_eq!(
        games_id.params,
        [Param {
            name: "id".into(),
            ty: ParamType::new("i64").unwrap()
        }]
    );
    assert_eq!(games_id.params_struct.as_deref(), Some("GamesIdParams"));
    assert_eq!(games_id.file, p("games/id_.rs"));
    assert_eq!(games_id.source, p("src/public/pages/games/id_.rs"));
    let slug = table.route("TeamsSlug").unwrap();
    assert_eq!(slug.params[0].ty.as_str(), "String");
    assert_eq!(
        table.not_found().source,
        p("src/public/pages/not_found_.rs")
    );
    assert_eq!(table.route("Games").unwrap().params_struct, None);
}

#[test]
fn the_admin_table_is_prefixed_except_not_found() {
    let (mount, pages) = common::admin();
    let table = route_table(&mount, &pages).unwrap();
    assert_eq!(table.url_prefix, ["admin"]);
    assert_eq!(table.prefix_path(), "/admin");
    let summary: Vec<(&str, &str, &str)> = table
        .routes
        .iter()
        .map(|r| (r.variant.as_str(), r.pattern.as_str(), r.helper.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("AdminHome", "/admin", "admin_home_path"),
            ("AdminGames", "/admin/games", "admin_games_path"),
            ("NotFound", "/admin/not_found", "not_found_path"),
        ]
    );
}

#[test]
fn mount_conventions_and_overrides() {
    let admin = Mount::new("admin");
    assert_eq!(
        (admin.url_prefix.as_str(), admin.constructor_prefix.as_str()),
        ("/admin", "Admin")
    );
    assert_eq!(admin.pages_dir, p("src/admin/pages"));
    let public = Mount::new("public");
    assert_eq!(
        (
            public.url_prefix.as_str(),
            public.constructor_prefix.as_str()
        ),
        ("", "")
    );
    let staff = Mount::new("staff_area")
        .with_url_prefix("/staff/")
        .with_constructor_prefix("Staff");
    let table = table(&staff, &["home_.rs", "not_found_.rs"]);
    assert_eq!(table.routes[0].variant, "StaffHome");
    assert_eq!(table.routes[0].helper, "staff_home_path");
    assert_eq!(table.routes[0].pattern, "/staff");
    assert_eq!(Mount::new("super_admin").constructor_prefix, "SuperAdmin");
    let root = Mount::new("public").with_url_prefix("/");
    assert!(table_ok(&root, &["not_found_.rs"]));
}

fn table_ok(mount: &Mount, files: &[&str]) -> bool {
    let pages: Vec<PageFile> = files.iter().map(|f| PageFile::new(*f)).collect();
    route_table(mount, &pages).is_ok()
}

#[test]
fn static_segments_come_before_dynamic_ones() {
    let table = table(
        &Mount::new("public"),
        &[
            "not_found_.rs",
            "orgs/org_.rs",
            "orgs/new.rs",
            "orgs/org_/edit.rs",
            "orgs/all.rs",
            "about.rs",
            "home_.rs",
        ],
    );
    let order: Vec<&str> = table.routes.iter().map(|r| r.pattern.as_str()).collect();
    assert_eq!(
        order,
        [
            "/",
            "/about",
            "/orgs/all",
            "/orgs/new",
            "/orgs/:org",
            "/orgs/:org/edit",
            "/not_found"
        ]
    );
}

#[test]
fn a_file_and_a_directory_of_the_same_name_coexist() {
    // `games.rs` is `/games`, `games/id_.rs` is `/games/:id`; a dynamic file and directory of
    // the same name (`id_.rs`, `id_/`) are one parameter.
    let table = table(
        &Mount::new("public"),
        &[
            "games.rs",
            "games/id_.rs",
            "games/id_/box_score.rs",
            "not_found_.rs",
        ],
    );
    let box_score = table.route("GamesIdBoxScore").unwrap();
    assert_eq!(box_score.pattern, "/games/:id/box_score");
    assert_eq!(box_score.module_path, "games::id_::box_score");
    assert_eq!(box_score.kind, RouteKind::Dynamic);
}

#[test]
fn a_nested_home_is_its_directory_index() {
    let table = table(
        &Mount::new("public"),
        &["teams/home_.rs", "teams/slug_/home_.rs", "not_found_.rs"],
    );
    let teams = table.route("TeamsHome").unwrap();
    assert_eq!(
        (teams.pattern.as_str(), teams.kind, teams.helper.as_str()),
        ("/teams", RouteKind::Static, "teams_home_path")
    );
    let team = table.route("TeamsSlugHome").unwrap();
    assert_eq!(
        (team.pattern.as_str(), team.module_path.as_str()),
        ("/teams/:slug", "teams::slug_::home_")
    );
}

#[test]
fn what_is_not_a_page() {
    let table = table(
        &Mount::new("public"),
        &[
            "not_found_.rs",
            "mod.rs",
            "games/mod.rs",
            "games/sql/list_games.sql",
            "games/sql/helpers.rs",
            "README.md",
            "games/.#id_.rs",
            ".hidden/x.rs",
            "./home_.rs",
            "home_.rs",
        ],
    );
    let variants: Vec<&str> = table.routes.iter().map(|r| r.variant.as_str()).collect();
    assert_eq!(variants, ["Home", "NotFound"]);
}

#[test]
fn two_dynamic_siblings() {
    assert_eq!(
        errors(&["games/id_.rs", "games/slug_.rs", "not_found_.rs"]),
        [
            "src/public/pages/games/slug_.rs: the dynamic segment `slug_` is beside `id_` of src/public/pages/games/id_.rs — a directory can hold only one dynamic segment, so give both the same name or move one under a static segment"
        ]
    );
    // As directories too, and reported once per name.
    assert_eq!(
        error_values(&[
            "orgs/org_/members.rs",
            "orgs/org_/teams.rs",
            "orgs/id_/edit.rs",
            "orgs/id_/show.rs",
            "not_found_.rs"
        ]),
        [RouteError::DynamicSiblings {
            file: p("src/public/pages/orgs/org_/members.rs"),
            param: "org".into(),
            other_file: p("src/public/pages/orgs/id_/edit.rs"),
            other_param: "id".into(),
        }]
    );
}

#[test]
fn a_file_and_a_directory_index_for_the_same_path() {
    assert_eq!(
        errors(&["games.rs", "games/home_.rs", "not_found_.rs"]),
        [
            "src/public/pages/games.rs: its route `/games` is also the route of src/public/pages/games/home_.rs — keep one of the two files (a directory's `home_.rs` is the same route as the file named after the directory)"
        ]
    );
    assert_eq!(
        error_values(&["teams/slug_.rs", "teams/slug_/home_.rs", "not_found_.rs"]),
        [RouteError::DuplicateRoute {
            file: p("src/public/pages/teams/slug_.rs"),
            other_file: p("src/public/pages/teams/slug_/home_.rs"),
            pattern: "/teams/:slug".into(),
        }]
    );
    // A static page where the 404 page lives.
    assert_eq!(
        error_values(&["not_found.rs", "not_found_.rs"]),
        [RouteError::DuplicateRoute {
            file: p("src/public/pages/not_found_.rs"),
            other_file: p("src/public/pages/not_found.rs"),
            pattern: "/not_found".into(),
        }]
    );
}

#[test]
fn reserved_names() {
    assert_eq!(
        errors(&["home_/about.rs", "not_found_.rs"]),
        [
            "src/public/pages/home_/about.rs: `home_` cannot be a directory — `home_.rs` is the index page of the directory it is in; move the pages inside `home_/` up one level"
        ]
    );
    assert_eq!(
        error_values(&["not_found_/x.rs", "not_found_.rs"]),
        [RouteError::ReservedDirectory {
            file: p("src/public/pages/not_found_/x.rs"),
            name: "not_found_".into()
        }]
    );
    assert_eq!(
        errors(&["games/not_found_.rs", "not_found_.rs"]),
        [
            "src/public/pages/games/not_found_.rs: `not_found_.rs` is the mount's 404 page and only the pages root may have it — move it to src/public/pages/not_found_.rs"
        ]
    );
    assert_eq!(
        errors(&["items/type_.rs", "not_found_.rs"]),
        [
            "src/public/pages/items/type_.rs: the route parameter `type` (from `type_`) is a Rust keyword, so no field can have that name — rename the `type_` segment (e.g. `kind_` for `type_`)"
        ]
    );
    assert_eq!(
        errors(&["match.rs", "not_found_.rs"]),
        [
            "src/public/pages/match.rs: `match` is a Rust keyword, so no page module can have that name — rename it"
        ]
    );
    assert_eq!(
        error_values(&["self_/x.rs", "gen/y.rs", "not_found_.rs"]),
        [
            RouteError::KeywordSegment {
                file: p("src/public/pages/gen/y.rs"),
                name: "gen".into()
            },
            RouteError::KeywordParam {
                file: p("src/public/pages/self_/x.rs"),
                param: "self".into()
            },
        ]
    );
}

#[test]
fn duplicate_params_in_one_route() {
    assert_eq!(
        errors(&["users/user_/repos/user_.rs", "not_found_.rs"]),
        [
            "src/public/pages/users/user_/repos/user_.rs: the route has two parameters named `user` — rename one of the `user_` segments"
        ]
    );
}

#[test]
fn missing_not_found() {
    assert_eq!(
        errors(&["home_.rs", "games.rs"]),
        [
            "src/public/pages: the mount has no 404 page — add src/public/pages/not_found_.rs, the page shown for paths that match no route"
        ]
    );
    assert_eq!(
        errors_of(&Mount::new("admin"), vec![]),
        [
            "src/admin/pages: the mount has no 404 page — add src/admin/pages/not_found_.rs, the page shown for paths that match no route"
        ]
    );
}

#[test]
fn invalid_segment_names() {
    for (file, name) in [
        ("Games.rs", "Games"),
        ("sign-in.rs", "sign-in"),
        ("2fa.rs", "2fa"),
        ("sign__in.rs", "sign__in"),
        ("_private.rs", "_private"),
        ("id__.rs", "id__"),
        ("a b.rs", "a b"),
        ("games.test.rs", "games.test"),
        ("Teams/x.rs", "Teams"),
        ("café.rs", "café"),
    ] {
        assert_eq!(
            error_values(&[file, "not_found_.rs"]),
            [RouteError::InvalidSegment {
                file: Path::new("src/public/pages").join(file),
                name: name.into()
            }],
            "{file}"
        );
    }
    assert_eq!(
        errors(&["Games.rs", "not_found_.rs"]),
        [
            "src/public/pages/Games.rs: `Games` is not a valid page name — use lowercase ASCII letters and digits in words separated by single `_`, starting with a letter, with one trailing `_` for a dynamic segment (e.g. `sign_in.rs`, `id_.rs`, `org_/`)"
        ]
    );
}

#[test]
fn two_files_with_one_generated_name() {
    assert_eq!(
        errors(&["sign_up.rs", "sign/up.rs", "not_found_.rs"]),
        [
            "src/public/pages/sign_up.rs: its generated name `SignUp` is also the name for src/public/pages/sign/up.rs — rename one of the two files",
            "src/public/pages/sign_up.rs: its generated name `sign_up_path` is also the name for src/public/pages/sign/up.rs — rename one of the two files",
        ]
    );
    // `not/found.rs` would be `NotFound` with helper `not_found_path`.
    assert_eq!(errors(&["not/found.rs", "not_found_.rs"]).len(), 2);
}

#[test]
fn param_types() {
    let mount = Mount::new("public");
    let typed = route_table(
        &mount,
        &[
            PageFile::new("games/id_.rs").with_param_type("id", " i64 "),
            PageFile::new("not_found_.rs"),
        ],
    )
    .unwrap();
    assert_eq!(typed.route("GamesId").unwrap().params[0].ty.as_str(), "i64");
    assert_eq!(
        errors_of(
            &mount,
            vec![
                PageFile::new("games/id_.rs").with_param_type("id", "i64 >"),
                "not_found_.rs".into()
            ]
        ),
        [
            "src/public/pages/games/id_.rs: `i64 >` is not a Rust type (route parameter `id`) — give a type such as `i64` or `String`"
        ]
    );
    assert_eq!(
        errors_of(
            &mount,
            vec![
                PageFile::new("games/id_.rs").with_param_type("game_id", "i64"),
                "not_found_.rs".into()
            ]
        ),
        [
            "src/public/pages/games/id_.rs: a type is given for `game_id`, which is not a parameter of this route — its parameters are `id`"
        ]
    );
    assert_eq!(
        errors_of(
            &mount,
            vec![
                PageFile::new("games.rs").with_param_type("id", "i64"),
                "not_found_.rs".into()
            ]
        ),
        [
            "src/public/pages/games.rs: a type is given for `id`, which is not a parameter of this route — its parameters are none"
        ]
    );
}

#[test]
fn page_paths_must_stay_inside_the_pages_directory() {
    assert_eq!(
        errors(&["../games.rs", "not_found_.rs"]),
        [
            "../games.rs: a page path must be relative to the pages directory and stay inside it — pass it as e.g. `games/id_.rs` for src/public/pages/games/id_.rs"
        ]
    );
    assert_eq!(
        error_values(&["/abs/games.rs", "not_found_.rs"]),
        [RouteError::InvalidPagePath {
            file: p("/abs/games.rs"),
            pages_dir: p("src/public/pages")
        }]
    );
}

#[test]
fn invalid_mounts() {
    let not_found = || vec![PageFile::new("not_found_.rs")];
    assert_eq!(
        errors_of(&Mount::new("Admin"), not_found()),
        [
            "src/Admin/pages: the mount name `Admin` is not valid — use lowercase ASCII letters and digits in words separated by single `_`, starting with a letter and not a Rust keyword (e.g. `admin`)"
        ]
    );
    assert_eq!(
        errors_of(&Mount::new("admin").with_url_prefix("admin"), not_found()),
        [
            "src/admin/pages: the URL prefix `admin` of mount `admin` is not valid — use `/` (or an empty prefix) for the root mount, or segments of letters, digits, `-`, `.`, `_` and `~` such as `/admin`"
        ]
    );
    assert_eq!(
        errors_of(&Mount::new("admin").with_url_prefix("/ad min"), not_found()).len(),
        1
    );
    assert_eq!(
        errors_of(
            &Mount::new("admin").with_constructor_prefix("admin"),
            not_found()
        ),
        [
            "src/admin/pages: the constructor prefix `admin` of mount `admin` is not valid — use an empty prefix or a PascalCase identifier such as `Admin`"
        ]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let shown = errors(&[
        "Games.rs",
        "games/id_.rs",
        "games/slug_.rs",
        "home_/x.rs",
        "a.rs",
        "a/home_.rs",
    ]);
    assert_eq!(shown.len(), 5, "{shown:#?}");
    assert!(shown[0].starts_with("src/public/pages/Games.rs: "));
    assert!(
        shown
            .last()
            .unwrap()
            .starts_with("src/public/pages: the mount has no 404 page")
    );
}

#[test]
fn discovering_a_pages_directory() {
    let root = std::env::temp_dir().join(format!("rally-routes-discover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for file in [
        "home_.rs",
        "games.rs",
        "games/id_.rs",
        "games/mod.rs",
        "games/sql/list.sql",
        "games/sql/inner.rs",
        "teams/slug_/sql/get.sql",
        "teams/slug_.rs",
        "notes.md",
        ".cache/x.rs",
        "not_found_.rs",
    ] {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "").unwrap();
    }
    let found = discover(&root).unwrap();
    std::fs::remove_dir_all(&root).unwrap();
    assert_eq!(
        found,
        // Sorted by path components: `games/…` before `games.rs`.
        [
            "games/id_.rs",
            "games.rs",
            "home_.rs",
            "not_found_.rs",
            "teams/slug_.rs"
        ]
        .map(PathBuf::from)
    );
    assert_eq!(
        discover(Path::new("/nonexistent/rally-routes")).unwrap(),
        Vec::<PathBuf>::new()
    );
}
