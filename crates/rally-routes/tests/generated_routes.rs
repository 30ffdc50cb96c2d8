//! The generated route modules, compiled and run: `tests/generated/*_routes.rs` are written by
//! the generator (`tests/snapshots.rs` checks they are current) with the runtime at
//! `::rally_routes`.

// Generated code stays as prettyplease wrote it.
#[rustfmt::skip]
#[path = "generated/public_routes.rs"]
mod public;

#[rustfmt::skip]
#[path = "generated/admin_routes.rs"]
mod admin;

#[rustfmt::skip]
#[path = "generated/console_routes.rs"]
mod console;

use std::borrow::Cow;

use proptest::prelude::*;
use rally_routes::{FromParam, ToParam};

use admin::Route as Admin;
use console::Route as Console;
use public::Route;

/// A parameter type of the app's own: a lowercase tag, taken by reference by its path helper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag(String);

impl FromParam for Tag {
    fn from_param(segment: &str) -> Option<Self> {
        let valid = !segment.is_empty() && segment.chars().all(|c| c.is_lowercase());
        valid.then(|| Tag(segment.to_owned()))
    }
}

impl ToParam for Tag {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }
}

#[test]
fn the_mount_root_and_static_pages() {
    assert_eq!(Route::parse("/"), Route::Home);
    assert_eq!(Route::parse(""), Route::Home);
    assert_eq!(Route::parse("/games"), Route::Games);
    assert_eq!(Route::parse("/sign_in"), Route::SignIn);
    assert_eq!(Route::parse("/standings"), Route::Standings);
    assert_eq!(Route::Home.to_path(), "/");
    assert_eq!(Route::SignIn.to_path(), "/sign_in");
}

#[test]
fn trailing_and_repeated_slashes_are_the_same_path() {
    assert_eq!(Route::parse("/games/"), Route::Games);
    assert_eq!(Route::parse("//games//"), Route::Games);
    assert_eq!(Route::parse("/games/12/"), Route::GamesId { id: 12 });
    assert_eq!(Route::parse("/games/").to_path(), "/games");
}

#[test]
fn query_string_and_fragment_are_ignored() {
    assert_eq!(Route::parse("/games?team=TOR"), Route::Games);
    assert_eq!(Route::parse("/games/12#score"), Route::GamesId { id: 12 });
    assert_eq!(
        Route::parse("/games/12?tab=box#score"),
        Route::GamesId { id: 12 }
    );
    assert_eq!(Route::parse("/?return_to=/games"), Route::Home);
    assert_eq!(Route::parse("/games#/games/12"), Route::Games);
}

#[test]
fn an_integer_parameter_that_does_not_parse_is_not_found() {
    assert_eq!(Route::parse("/games/12"), Route::GamesId { id: 12 });
    assert_eq!(Route::parse("/games/-1"), Route::GamesId { id: -1 });
    assert_eq!(Route::parse("/games/abc"), Route::NotFound);
    assert_eq!(Route::parse("/games/1.5"), Route::NotFound);
    assert_eq!(Route::parse("/games/99999999999999999999"), Route::NotFound);
    assert_eq!(Route::parse("/games/12/extra"), Route::NotFound);
    assert_eq!(public::games_id_path(12), "/games/12");
    assert_eq!(Route::GamesId { id: 12 }.to_path(), "/games/12");
}

#[test]
fn non_ascii_parameters_are_percent_encoded_and_decoded() {
    let route = Route::parse("/teams/montr%C3%A9al-meteors");
    assert_eq!(
        route,
        Route::TeamsSlug {
            slug: "montréal-meteors".to_owned()
        }
    );
    assert_eq!(route.to_path(), "/teams/montr%C3%A9al-meteors");
    assert_eq!(
        public::teams_slug_path("montréal-meteors"),
        "/teams/montr%C3%A9al-meteors"
    );
    // Lowercase hex decodes too; the canonical path uses uppercase.
    assert_eq!(
        Route::parse("/teams/montr%c3%a9al-meteors").to_path(),
        "/teams/montr%C3%A9al-meteors"
    );
}

#[test]
fn an_encoded_slash_stays_inside_its_segment() {
    let route = Route::parse("/teams/a%2Fb");
    assert_eq!(
        route,
        Route::TeamsSlug {
            slug: "a/b".to_owned()
        }
    );
    assert_eq!(route.to_path(), "/teams/a%2Fb");
    assert_eq!(Route::parse("/teams/a/b"), Route::NotFound);
}

#[test]
fn invalid_percent_encoding_is_not_found() {
    assert_eq!(Route::parse("/teams/%"), Route::NotFound);
    assert_eq!(Route::parse("/teams/%zz"), Route::NotFound);
    assert_eq!(Route::parse("/teams/%E9"), Route::NotFound); // Latin-1 é, not UTF-8
    // Anywhere in the path, even where a static segment would match.
    assert_eq!(Route::parse("/games%"), Route::NotFound);
}

#[test]
fn unmatched_paths_are_not_found_with_a_canonical_path() {
    assert_eq!(Route::parse("/missing"), Route::NotFound);
    assert_eq!(Route::parse("/missing").to_path(), "/not_found");
    assert_eq!(Route::parse("/not_found"), Route::NotFound);
    assert_eq!(Route::parse("/teams"), Route::NotFound);
    assert_eq!(Route::parse("/Games"), Route::NotFound);
    assert_eq!(public::not_found_path(), "/not_found");
}

#[test]
fn the_admin_mount_requires_its_prefix() {
    assert_eq!(Admin::parse("/admin"), Admin::AdminHome);
    assert_eq!(Admin::parse("/admin/"), Admin::AdminHome);
    assert_eq!(Admin::parse("/admin/games?x=1"), Admin::AdminGames);
    assert_eq!(Admin::parse("/admin/missing"), Admin::NotFound);
    assert_eq!(Admin::parse("/admin/missing").to_path(), "/admin/not_found");
    assert_eq!(Admin::parse("/admin/not_found"), Admin::NotFound);
    assert_eq!(Admin::parse("/games"), Admin::NotFound);
    assert_eq!(Admin::parse("/"), Admin::NotFound);
    assert_eq!(Admin::parse("/administrator"), Admin::NotFound);
    assert_eq!(Admin::parse("/administrator/games"), Admin::NotFound);
    assert_eq!(Admin::AdminHome.to_path(), "/admin");
    assert_eq!(admin::admin_games_path(), "/admin/games");
    assert_eq!(admin::not_found_path(), "/admin/not_found");
    // The public mount does not claim the admin paths either.
    assert_eq!(Route::parse("/admin/games"), Route::NotFound);
}

#[test]
fn urls_join_the_origin() {
    let route = Route::TeamsSlug {
        slug: "montréal-meteors".to_owned(),
    };
    assert_eq!(
        route.to_url("https://scores.example"),
        "https://scores.example/teams/montr%C3%A9al-meteors"
    );
    assert_eq!(
        Route::Home.to_url("https://scores.example/"),
        "https://scores.example/"
    );
    assert_eq!(
        Admin::NotFound.to_url("http://localhost:8080"),
        "http://localhost:8080/admin/not_found"
    );
}

#[test]
fn params_structs_become_routes() {
    assert_eq!(
        Route::from(public::GamesIdParams { id: 3 }),
        Route::GamesId { id: 3 }
    );
    let params = public::TeamsSlugParams {
        slug: "x".to_owned(),
    };
    assert_eq!(
        Route::from(params),
        Route::TeamsSlug {
            slug: "x".to_owned()
        }
    );
}

#[test]
fn nested_dynamic_directories_and_static_siblings() {
    assert_eq!(Console::parse("/app/console"), Console::ConsoleHome);
    assert_eq!(Console::parse("/app"), Console::NotFound);
    assert_eq!(
        Console::parse("/app/console/orgs"),
        Console::ConsoleOrgsHome
    );
    // `new` is a static sibling of `org_`: tried first.
    assert_eq!(
        Console::parse("/app/console/orgs/new"),
        Console::ConsoleOrgsNew
    );
    assert_eq!(
        Console::parse("/app/console/orgs/acme"),
        Console::ConsoleOrgsOrg {
            org: "acme".to_owned()
        }
    );
    assert_eq!(
        Console::parse("/app/console/orgs/acme/members"),
        Console::ConsoleOrgsOrgMembers {
            org: "acme".to_owned()
        }
    );
    assert_eq!(
        Console::parse("/app/console/orgs/acme/members/7/edit"),
        Console::ConsoleOrgsOrgMembersMemberEdit {
            org: "acme".to_owned(),
            member: 7
        }
    );
    assert_eq!(
        Console::parse("/app/console/orgs/acme/members/-7"),
        Console::NotFound
    );
    assert_eq!(
        console::console_orgs_org_members_member_path("a b", 7),
        "/app/console/orgs/a%20b/members/7"
    );
    assert_eq!(
        Console::parse("/app/console/missing").to_path(),
        "/app/console/not_found"
    );
    assert_eq!(
        Console::ConsoleV2.to_url("https://x.example/"),
        "https://x.example/app/console/v2"
    );
}

fn public_route() -> impl Strategy<Value = Route> {
    prop_oneof![
        Just(Route::Home),
        Just(Route::Games),
        any::<i64>().prop_map(|id| Route::GamesId { id }),
        Just(Route::SignIn),
        Just(Route::Standings),
        // Any non-empty text: `/`, `%`, `?`, `#`, spaces, non-ASCII. (An empty parameter has
        // no segment to live in: `/teams/` is `/teams`.)
        ".+".prop_map(|slug| Route::TeamsSlug { slug }),
        Just(Route::NotFound),
    ]
}

fn console_route() -> impl Strategy<Value = Console> {
    prop_oneof![
        Just(Console::ConsoleHome),
        Just(Console::ConsoleOrgsNew),
        ".+".prop_map(|org| Console::ConsoleOrgsOrg { org }),
        (".+", any::<u32>())
            .prop_map(|(org, member)| Console::ConsoleOrgsOrgMembersMember { org, member }),
        (".+", any::<u32>())
            .prop_map(|(org, member)| Console::ConsoleOrgsOrgMembersMemberEdit { org, member }),
        "[a-zé]+".prop_map(|tag| Console::ConsoleTagsTag { tag: Tag(tag) }),
        Just(Console::NotFound),
    ]
}

proptest! {
    #[test]
    fn public_paths_round_trip(route in public_route()) {
        prop_assert_eq!(Route::parse(&route.to_path()), route.clone());
        prop_assert_eq!(Route::parse(&route.to_url("https://x.example")["https://x.example".len()..]), route);
    }

    #[test]
    fn console_paths_round_trip(route in console_route()) {
        prop_assert_eq!(Console::parse(&route.to_path()), route);
    }

    #[test]
    fn canonical_paths_are_fixed_points(path in "(/[a-z0-9%?#]{0,6}){0,4}") {
        let canonical = Route::parse(&path).to_path();
        prop_assert_eq!(Route::parse(&canonical).to_path(), canonical);
    }
}
