//! Server rendering of every page against the seeded database: upstream's SSR contract checks
//! (which pages embed a load, the texts they show), status codes, canonical paths, the theme,
//! and one snapshot per page in `tests/snapshots/`.
//!
//! Snapshots are insta's, as everywhere in Rally: a missing or changed one fails;
//! `INSTA_UPDATE=always cargo test -p scoreboard --features server --test ssr` (or
//! `cargo insta review`) rewrites them.
#![cfg(feature = "server")]

mod common;

use axum::http::{HeaderMap, StatusCode};
use rally::mount::Hydration;
use rally::page::LoadError;
use rally::server::PageRequest;
use rally::server::ssr::{Rendered, render};
use rally::session::{Identity, SessionId};
use scoreboard::generated::rally::admin::Admin;
use scoreboard::generated::rally::public::Public;
use scoreboard::public::pages::{games, teams};

use common::{ADMIN_ID, FAN_ID, seeded_db};
use scoreboard::context::Context;

fn identity(user_id: i64) -> Identity {
    Identity {
        user_id,
        session_id: SessionId::generate().expect("a session id"),
        expires_at: u64::MAX,
    }
}

fn public_shared(db: &Context, user: Option<i64>) -> scoreboard::public::SharedState {
    let headers = HeaderMap::new();
    let identity = user.map(identity);
    scoreboard::public::shared_state(
        db,
        &PageRequest {
            headers: &headers,
            identity: identity.as_ref(),
        },
    )
}

fn admin_shared(db: &Context) -> scoreboard::admin::SharedState {
    let headers = HeaderMap::new();
    let identity = identity(ADMIN_ID);
    scoreboard::admin::shared_state(
        db,
        &PageRequest {
            headers: &headers,
            identity: Some(&identity),
        },
    )
}

/// A public page as an anonymous visitor sees it, light theme.
fn public(db: &Context, path: &str) -> Rendered {
    render::<Public>(
        db,
        &rally::server::Caller::anonymous(),
        public_shared(db, None),
        path,
        false,
    )
}

/// An admin page as the seeded admin sees it, light theme.
fn admin(db: &Context, path: &str) -> Rendered {
    render::<Admin>(
        db,
        &rally::server::Caller::anonymous(),
        admin_shared(db),
        path,
        false,
    )
}

fn public_hydration(rendered: &Rendered) -> Hydration<scoreboard::public::SharedState> {
    rally::payload::decode(&rendered.payload).unwrap_or_else(|e| {
        panic!(
            "{}: the hydration payload does not decode: {e}",
            rendered.path
        )
    })
}

fn admin_hydration(rendered: &Rendered) -> Hydration<scoreboard::admin::SharedState> {
    rally::payload::decode(&rendered.payload).unwrap_or_else(|e| {
        panic!(
            "{}: the hydration payload does not decode: {e}",
            rendered.path
        )
    })
}

/// Whether the page embeds a load result for the browser to replay.
fn has_load(rendered: &Rendered, admin: bool) -> bool {
    if admin {
        admin_hydration(rendered).load.is_some()
    } else {
        public_hydration(rendered).load.is_some()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MountName {
    Public,
    Admin,
}

/// One page of the contract: where it is, what it answers and what it must (not) show.
struct Page {
    /// The snapshot's file name (without `.html`).
    name: &'static str,
    mount: MountName,
    path: &'static str,
    status: StatusCode,
    canonical: &'static str,
    hydrated: bool,
    shows: &'static [&'static str],
    hides: &'static [&'static str],
}

const PAGES: &[Page] = &[
    Page {
        name: "public_home",
        mount: MountName::Public,
        path: "/",
        status: StatusCode::OK,
        canonical: "/",
        hydrated: true,
        shows: &["Today", "15 games", "Toronto Towers", "Montreal Meteors"],
        hides: &["Waiting for scores", "No games yet"],
    },
    Page {
        name: "public_games",
        mount: MountName::Public,
        path: "/games",
        status: StatusCode::OK,
        canonical: "/games",
        hydrated: true,
        shows: &["Today", "15 games", "Toronto Towers", "Montreal Meteors"],
        hides: &["Waiting for scores", "No games yet"],
    },
    Page {
        name: "public_game_detail",
        mount: MountName::Public,
        path: "/games/1",
        status: StatusCode::OK,
        canonical: "/games/1",
        hydrated: true,
        shows: &[
            "Game detail",
            "MTL at TOR",
            "Toronto Towers",
            "Montreal Meteors",
            "3rd",
        ],
        hides: &["Loading game", "Details"],
    },
    Page {
        name: "public_standings",
        mount: MountName::Public,
        path: "/standings",
        status: StatusCode::OK,
        canonical: "/standings",
        hydrated: true,
        shows: &["League table", "New York Comets", "Boston Blizzards"],
        hides: &["Waiting for standings"],
    },
    Page {
        name: "public_team_toronto",
        mount: MountName::Public,
        path: "/teams/toronto-towers",
        status: StatusCode::OK,
        canonical: "/teams/toronto-towers",
        hydrated: true,
        shows: &["Toronto Towers", "Recent games", "<dd>2-0</dd>"],
        hides: &["Loading team", "No games yet"],
    },
    Page {
        name: "public_team_montreal",
        mount: MountName::Public,
        path: "/teams/montr%C3%A9al-meteors",
        status: StatusCode::OK,
        canonical: "/teams/montr%C3%A9al-meteors",
        hydrated: true,
        shows: &["Montreal Meteors", "Recent games", "<dd>0-2</dd>"],
        hides: &["Loading team", "Team not found"],
    },
    Page {
        name: "public_sign_in_invalid",
        mount: MountName::Public,
        path: "/sign_in?return_to=/admin/games&error=invalid",
        status: StatusCode::OK,
        canonical: "/sign_in",
        hydrated: false,
        shows: &[
            "Sign in",
            "Invalid sign-in code.",
            r#"value="/admin/games""#,
            r#"action="/sign_in""#,
        ],
        hides: &["If that email is known"],
    },
    Page {
        name: "public_not_found",
        mount: MountName::Public,
        path: "/missing",
        status: StatusCode::NOT_FOUND,
        canonical: "/not_found",
        hydrated: false,
        shows: &["Not found"],
        hides: &["Toronto Towers"],
    },
    Page {
        name: "admin_home",
        mount: MountName::Admin,
        path: "/admin",
        status: StatusCode::OK,
        canonical: "/admin",
        hydrated: true,
        shows: &["Admin score desk", "Score desk", "Finalize", "TOR", "MTL"],
        hides: &["No games yet", "Loading games"],
    },
    Page {
        name: "admin_games",
        mount: MountName::Admin,
        path: "/admin/games",
        status: StatusCode::OK,
        canonical: "/admin/games",
        hydrated: true,
        shows: &["Admin score desk", "Score desk", "Finalize", "TOR", "MTL"],
        hides: &["No games yet", "Loading games"],
    },
    Page {
        name: "admin_not_found",
        mount: MountName::Admin,
        path: "/admin/missing",
        status: StatusCode::NOT_FOUND,
        canonical: "/admin/not_found",
        hydrated: false,
        shows: &["Admin score desk", "Not found"],
        hides: &["Finalize"],
    },
];

fn render_page(db: &Context, page: &Page) -> Rendered {
    match page.mount {
        MountName::Public => public(db, page.path),
        MountName::Admin => admin(db, page.path),
    }
}

#[test]
fn every_page_keeps_the_ssr_contract() {
    let db = Context::development(seeded_db());
    let mut failures = Vec::new();
    for page in PAGES {
        let rendered = render_page(&db, page);
        let mut fail =
            |what: String| failures.push(format!("{} ({}): {what}", page.name, page.path));
        if rendered.status != page.status {
            fail(format!(
                "status {} instead of {}",
                rendered.status, page.status
            ));
        }
        if rendered.path != page.canonical {
            fail(format!(
                "canonical path {:?} instead of {:?}",
                rendered.path, page.canonical
            ));
        }
        let hydrated = has_load(&rendered, page.mount == MountName::Admin);
        if hydrated != page.hydrated {
            fail(format!(
                "Hydration.load is {} but should be {}",
                if hydrated { "Some" } else { "None" },
                if page.hydrated { "Some" } else { "None" },
            ));
        }
        for text in page.shows {
            if !rendered.body.contains(text) {
                fail(format!("does not show {text:?}"));
            }
        }
        for text in page.hides {
            if rendered.body.contains(text) {
                fail(format!("shows {text:?}"));
            }
        }
        if rendered.dark_mode {
            fail("rendered dark without asking".to_owned());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_embedded_shared_state_is_what_the_request_built() {
    let db = Context::development(seeded_db());
    let anonymous = public_hydration(&public(&db, "/games"));
    assert_eq!(
        anonymous.shared,
        scoreboard::public::SharedState {
            demo_code: Some(scoreboard::auth::DEMO_CODE.to_owned()),
            ..scoreboard::public::SharedState::default()
        },
        "development shows the demo code"
    );

    let signed_in = public_shared(&db, Some(ADMIN_ID));
    let rendered = render::<Public>(
        &db,
        &rally::server::Caller::anonymous(),
        signed_in.clone(),
        "/games",
        false,
    );
    assert_eq!(public_hydration(&rendered).shared, signed_in);
    assert!(signed_in.can_access_admin);

    let desk = admin_hydration(&admin(&db, "/admin/games")).shared;
    let user = desk.authentication_context.expect("the admin is signed in");
    assert_eq!(user.user_id, ADMIN_ID);
    assert_eq!(user.email, "admin@example.com");
}

#[test]
fn the_embedded_load_is_the_page_data_the_browser_replays() {
    let db = Context::development(seeded_db());
    for path in ["/", "/games"] {
        let load = public_hydration(&public(&db, path))
            .load
            .expect("the games page embeds its load");
        let games: Result<games::LoadResult, LoadError> =
            rally::wire::decode(&load).expect("the load decodes as the games page's result");
        let games = games.expect("the seeded games load");
        assert_eq!(games.games.len(), 15, "{path}");
        assert_eq!(
            games.games.iter().map(|g| g.id).collect::<Vec<_>>(),
            (1..=15).collect::<Vec<_>>(),
            "{path}: schedule order"
        );
    }

    let load = public_hydration(&public(&db, "/teams/montr%C3%A9al-meteors"))
        .load
        .expect("the team page embeds its load");
    let team: Result<teams::slug_::LoadResult, LoadError> = rally::wire::decode(&load).unwrap();
    let team = team.expect("Montréal loads").team;
    // The non-ASCII slug survives percent-decoding and the postcard/base64url payload.
    assert_eq!(team.slug, "montréal-meteors");
    assert_eq!((team.code.as_str(), team.wins, team.losses), ("MTL", 0, 2));
    assert_eq!((team.points_for, team.points_against), (5, 9));
    assert_eq!(team.recent_games.len(), 5);
}

#[test]
fn unknown_pages_games_and_teams_answer_404() {
    let db = Context::development(seeded_db());
    // Not-found routes: the not-found page, nothing to load.
    for (rendered, admin) in [
        (public(&db, "/missing"), false),
        (public(&db, "/games/abc"), false),
        (public(&db, "/games/1/extra"), false),
        (admin(&db, "/admin/missing"), true),
    ] {
        assert_eq!(rendered.status, StatusCode::NOT_FOUND, "{}", rendered.path);
        assert!(rendered.body.contains("Not found"), "{}", rendered.body);
        assert!(!has_load(&rendered, admin), "{}", rendered.path);
    }

    // Routes whose load finds nothing: 404, the load's message, and the failed load embedded
    // so the browser shows the same thing without asking again.
    for (path, message) in [
        ("/games/999", "Game not found."),
        ("/teams/nobody", "Team not found."),
    ] {
        let rendered = public(&db, path);
        assert_eq!(rendered.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            rendered.body.contains(message),
            "{path} does not say {message:?}: {}",
            rendered.body
        );
        assert!(
            !rendered.body.contains("Loading"),
            "{path}: {}",
            rendered.body
        );
        let load = public_hydration(&rendered)
            .load
            .unwrap_or_else(|| panic!("{path} embeds its failed load"));
        let status = if path.starts_with("/games") {
            rally::wire::decode::<Result<games::id_::LoadResult, LoadError>>(&load)
                .unwrap()
                .expect_err("no such game")
        } else {
            rally::wire::decode::<Result<teams::slug_::LoadResult, LoadError>>(&load)
                .unwrap()
                .expect_err("no such team")
        };
        assert_eq!(status.status, 404, "{path}");
        assert_eq!(status.message, message, "{path}");
    }
}

#[test]
fn paths_render_at_their_canonical_form() {
    let db = Context::development(seeded_db());
    for (path, canonical) in [
        ("/games/", "/games"),
        ("/games/1/", "/games/1"),
        ("/games/1?from=home#top", "/games/1"),
        ("//standings", "/standings"),
        ("/teams/montréal-meteors", "/teams/montr%C3%A9al-meteors"),
    ] {
        let rendered = public(&db, path);
        assert_eq!(rendered.path, canonical, "{path}");
        assert_eq!(rendered.status, StatusCode::OK, "{path}");
        assert_eq!(
            rendered.body,
            public(&db, canonical).body,
            "{path} renders another page than {canonical}"
        );
    }
    let rendered = admin(&db, "/admin/games/");
    assert_eq!(rendered.path, "/admin/games");
    assert!(rendered.body.contains("TOR"));
    assert!(has_load(&rendered, true));
}

/// The `<input>` of the theme switch (`role="switch"`).
fn theme_switch(body: &str) -> &str {
    let at = body
        .find(r#"role="switch""#)
        .expect("the shell has a theme switch");
    let start = body[..at].rfind("<input").expect("the switch is an input");
    let end = at + body[at..].find('>').expect("the input tag ends");
    &body[start..=end]
}

#[test]
fn dark_mode_checks_the_theme_switch_on_both_mounts() {
    let db = Context::development(seeded_db());
    let light = public(&db, "/games");
    let dark = render::<Public>(
        &db,
        &rally::server::Caller::anonymous(),
        public_shared(&db, None),
        "/games",
        true,
    );
    assert!(dark.dark_mode);
    assert!(
        theme_switch(&dark.body).contains(" checked"),
        "{}",
        theme_switch(&dark.body)
    );
    assert!(
        !theme_switch(&light.body).contains(" checked"),
        "{}",
        theme_switch(&light.body)
    );
    // Only the switch differs.
    assert_eq!(
        dark.body.replacen(theme_switch(&dark.body), "", 1),
        light.body.replacen(theme_switch(&light.body), "", 1)
    );

    let dark = render::<Admin>(
        &db,
        &rally::server::Caller::anonymous(),
        admin_shared(&db),
        "/admin/games",
        true,
    );
    assert!(dark.dark_mode);
    assert!(theme_switch(&dark.body).contains(" checked"));
    assert!(!theme_switch(&admin(&db, "/admin/games").body).contains(" checked"));
}

#[test]
fn the_public_nav_offers_the_desk_to_admins_only() {
    let db = Context::development(seeded_db());
    let render_as = |user: Option<i64>| {
        render::<Public>(
            &db,
            &rally::server::Caller::anonymous(),
            public_shared(&db, user),
            "/standings",
            false,
        )
        .body
    };
    let anonymous = render_as(None);
    assert!(anonymous.contains(">Sign In<"), "{anonymous}");
    assert!(!anonymous.contains(r#"href="/admin/games""#), "{anonymous}");
    assert!(!anonymous.contains(">Sign Out<"), "{anonymous}");

    let fan = render_as(Some(FAN_ID));
    assert!(fan.contains(">Sign Out<"), "{fan}");
    assert!(!fan.contains(r#"href="/admin/games""#), "{fan}");

    let admin = render_as(Some(ADMIN_ID));
    assert!(admin.contains(">Sign Out<"), "{admin}");
    assert!(admin.contains(r#"href="/admin/games""#), "{admin}");

    // A session for a user that no longer exists is anonymous.
    let gone = render_as(Some(99));
    assert_eq!(gone, anonymous);
}

#[test]
fn the_standings_are_ordered_by_wins_then_points_for_then_code() {
    let db = Context::development(seeded_db());
    let body = public(&db, "/standings").body;
    let position = |code: &str| {
        body.find(&format!("<strong>{code}</strong>"))
            .unwrap_or_else(|| panic!("{code} is not in the table: {body}"))
    };
    let order = ["NYC", "TOR", "LAK", "VAN", "MTL", "BOS"];
    for pair in order.windows(2) {
        assert!(
            position(pair[0]) < position(pair[1]),
            "{} should come before {}",
            pair[0],
            pair[1]
        );
    }
}

fn snapshot_text(rendered: &Rendered, hydrated: bool) -> String {
    format!(
        "status: {}\nhydration: {}\n\n{}\n",
        rendered.status.as_u16(),
        if hydrated { "yes" } else { "no" },
        rendered.body.replace("><", ">\n<")
    )
}

#[test]
fn every_page_matches_its_snapshot_and_renders_deterministically() {
    let db = Context::development(seeded_db());
    for page in PAGES {
        let rendered = render_page(&db, page);
        let again = render_page(&Context::development(seeded_db()), page);
        assert_eq!(
            rendered, again,
            "{}: two renders of the same data differ",
            page.name
        );
        let actual = snapshot_text(
            &rendered,
            has_load(&rendered, page.mount == MountName::Admin),
        );
        insta::with_settings!({
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("the server-rendered {} page against the seeds", page.name),
        }, {
            insta::assert_snapshot!(page.name, actual);
        });
    }
}
