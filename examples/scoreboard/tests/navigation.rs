//! The public mount's routing as the browser runtime uses it: which messages navigate where
//! (upstream's `browser_navigation_helper_test`), path ↔ route round trips, and the topics a
//! page subscribes to before and after its data loads.

use rally::mount::Mount;
use rally::page::LoadError;
use rally::routes::QueryParams;
use scoreboard::generated::rally::admin::Admin;
use scoreboard::generated::rally::public::{Msg, Public};
use scoreboard::generated::routes::public::Route;
use scoreboard::public::SharedState;
use scoreboard::public::pages::{games, standings, teams};

fn team(code: &str, name: &str, slug: &str) -> scoreboard::wire::Team {
    scoreboard::wire::Team {
        code: code.into(),
        name: name.into(),
        slug: slug.into(),
    }
}

#[test]
fn navigation_messages_lead_to_their_pages() {
    let cases: Vec<(&str, Msg, &str)> = vec![
        (
            "games → game",
            Msg::Games(games::Message::NavigateGame { id: 7 }),
            "/games/7",
        ),
        (
            "games → team",
            Msg::Games(games::Message::NavigateTeam {
                slug: "toronto-towers".into(),
            }),
            "/teams/toronto-towers",
        ),
        (
            "games → non-ASCII team",
            Msg::Games(games::Message::NavigateTeam {
                slug: "montréal-meteors".into(),
            }),
            "/teams/montr%C3%A9al-meteors",
        ),
        (
            "home → game",
            Msg::Home(games::Message::NavigateGame { id: 3 }),
            "/games/3",
        ),
        (
            "home → team",
            Msg::Home(games::Message::NavigateTeam {
                slug: "toronto-towers".into(),
            }),
            "/teams/toronto-towers",
        ),
        (
            "game → team",
            Msg::GamesId(games::id_::Message::NavigateTeam {
                slug: "montréal-meteors".into(),
            }),
            "/teams/montr%C3%A9al-meteors",
        ),
        (
            "standings → team",
            Msg::Standings(standings::Message::NavigateTeam {
                slug: "new-york-comets".into(),
            }),
            "/teams/new-york-comets",
        ),
        (
            "team → team",
            Msg::TeamsSlug(teams::slug_::Message::NavigateTeam {
                slug: "montréal-meteors".into(),
            }),
            "/teams/montr%C3%A9al-meteors",
        ),
        (
            "team → game",
            Msg::TeamsSlug(teams::slug_::Message::NavigateGame { id: 3 }),
            "/games/3",
        ),
        (
            "a slug that needs escaping stays one segment",
            Msg::Games(games::Message::NavigateTeam {
                slug: "a/b?c#d".into(),
            }),
            "/teams/a%2Fb%3Fc%23d",
        ),
    ];
    for (what, msg, path) in cases {
        assert_eq!(
            Public::navigation(&msg).as_deref(),
            Some(path),
            "{what} should open {path}"
        );
        // Wherever a navigation leads, the router takes it back to the same page.
        assert_ne!(Public::parse(path), Route::NotFound, "{what}: {path}");
        assert_eq!(Public::path(&Public::parse(path)), path, "{what}");
    }
}

#[test]
fn other_messages_do_not_navigate() {
    let loaded = |r| Msg::Games(games::Message::Loaded(r));
    assert_eq!(
        Public::navigation(&loaded(Ok(games::LoadResult { games: vec![] }))),
        None
    );
    assert_eq!(
        Public::navigation(&loaded(Err(LoadError::new("Could not load games.")))),
        None
    );
    assert_eq!(
        Public::navigation(&Msg::Home(games::Message::Loaded(Ok(games::LoadResult {
            games: vec![]
        })))),
        None
    );
    assert_eq!(
        Public::navigation(&Msg::Standings(standings::Message::Loaded(Err(
            LoadError::new("Could not load standings.")
        )))),
        None
    );
    assert_eq!(
        Public::navigation(&Msg::TeamsSlug(teams::slug_::Message::Loaded(Err(
            LoadError::not_found("Team not found.")
        )))),
        None
    );
}

#[test]
fn paths_and_routes_round_trip() {
    let cases = [
        ("/", Route::Home),
        ("/games", Route::Games),
        ("/games/1", Route::GamesId { id: 1 }),
        ("/games/7", Route::GamesId { id: 7 }),
        ("/standings", Route::Standings),
        ("/sign_in", Route::SignIn),
        (
            "/teams/toronto-towers",
            Route::TeamsSlug {
                slug: "toronto-towers".into(),
            },
        ),
        (
            "/teams/montr%C3%A9al-meteors",
            Route::TeamsSlug {
                slug: "montréal-meteors".into(),
            },
        ),
        ("/not_found", Route::NotFound),
    ];
    for (path, route) in cases {
        assert_eq!(Public::parse(path), route, "{path}");
        assert_eq!(Public::path(&route), path, "{route:?}");
    }

    // Other spellings of the same pages parse to them; their canonical path is the one above.
    for (path, canonical) in [
        ("/games/", "/games"),
        ("/games/7?tab=box#top", "/games/7"),
        ("/teams/montréal-meteors", "/teams/montr%C3%A9al-meteors"),
        (
            "/teams/montr%c3%a9al-meteors",
            "/teams/montr%C3%A9al-meteors",
        ),
        ("/sign_in?return_to=/admin/games&error=invalid", "/sign_in"),
    ] {
        assert_eq!(Public::path(&Public::parse(path)), canonical, "{path}");
    }

    // What is not a page is the not-found page (404), never a guess.
    for path in [
        "/missing",
        "/games/abc",
        "/games/1.5",
        "/games/99999999999999999999",
        "/games/1/extra",
        "/teams",
        "/teams/a/b",
        "/teams/%ZZ",
    ] {
        let route = Public::parse(path);
        assert_eq!(route, Route::NotFound, "{path}");
        assert!(Public::is_not_found(&route), "{path}");
    }

    // The admin mount lives under /admin only.
    for (path, canonical) in [
        ("/admin", "/admin"),
        ("/admin/games/", "/admin/games"),
        ("/admin/missing", "/admin/not_found"),
        ("/games", "/admin/not_found"),
    ] {
        assert_eq!(Admin::path(&Admin::parse(path)), canonical, "{path}");
    }
}

/// The page at `path` in its initial state (nothing loaded).
fn page_at(path: &str) -> (Route, scoreboard::generated::rally::public::Page) {
    let route = Public::parse(path);
    let query = QueryParams::parse(path.split_once('?').map_or("", |(_, q)| q));
    let page = Public::initial_model(&SharedState::default(), &route, &query);
    (route, page)
}

fn topics(path: &str) -> Vec<String> {
    let (route, page) = page_at(path);
    Public::subscriptions(&route, &page)
}

#[test]
fn pages_subscribe_to_their_topics_before_anything_loads() {
    assert_eq!(topics("/"), ["games"]);
    assert_eq!(topics("/games"), ["games"]);
    assert_eq!(topics("/games?team=TOR"), ["games"]);
    assert_eq!(topics("/standings"), ["games"]);
    assert_eq!(topics("/games/1"), ["game:1"]);
    assert_eq!(topics("/teams/toronto-towers"), ["team:toronto-towers"]);
    assert_eq!(
        topics("/teams/montr%C3%A9al-meteors"),
        ["team:montréal-meteors"]
    );
    assert!(topics("/sign_in").is_empty());
    assert!(topics("/missing").is_empty());
    assert!(topics("/games/abc").is_empty());

    let desk = Admin::parse("/admin/games");
    let page = Admin::initial_model(
        &scoreboard::admin::SharedState::default(),
        &desk,
        &QueryParams::default(),
    );
    assert_eq!(Admin::subscriptions(&desk, &page), ["admin:games"]);
}

#[test]
fn route_backed_topics_follow_the_route_not_the_loaded_data() {
    // Game 1's page, with some other game's data in it (upstream's test: id "1", game 99).
    let (route, mut page) = page_at("/games/1");
    let other = games::id_::GameDetail {
        id: 99,
        home: scoreboard::wire::Team {
            code: "TOR".into(),
            name: "Toronto Towers".into(),
            slug: "toronto-towers".into(),
        },
        away: scoreboard::wire::Team {
            code: "MTL".into(),
            name: "Montreal Meteors".into(),
            slug: "montréal-meteors".into(),
        },
        home_score: 0,
        away_score: 0,
        status: scoreboard::wire::GameStatus::Scheduled,
    };
    let _ = Public::update(
        &SharedState::default(),
        &mut page,
        Msg::GamesId(games::id_::Message::Loaded(Ok(games::id_::LoadResult {
            game: other,
        }))),
    );
    assert_eq!(Public::subscriptions(&route, &page), ["game:1"]);

    // Montréal's page holding Toronto's record still listens for Montréal.
    let (route, mut page) = page_at("/teams/montr%C3%A9al-meteors");
    let toronto = teams::slug_::TeamDetail {
        code: "TOR".into(),
        name: "Toronto Towers".into(),
        slug: "toronto-towers".into(),
        wins: 0,
        losses: 0,
        points_for: 0,
        points_against: 0,
        recent_games: vec![],
    };
    let _ = Public::update(
        &SharedState::default(),
        &mut page,
        Msg::TeamsSlug(teams::slug_::Message::Loaded(Ok(
            teams::slug_::LoadResult { team: toronto },
        ))),
    );
    assert_eq!(
        Public::subscriptions(&route, &page),
        ["team:montréal-meteors"]
    );

    // A failed load does not unsubscribe either.
    let (route, mut page) = page_at("/games/999");
    let _ = Public::update(
        &SharedState::default(),
        &mut page,
        Msg::GamesId(games::id_::Message::Loaded(Err(LoadError::not_found(
            "Game not found.",
        )))),
    );
    assert_eq!(Public::subscriptions(&route, &page), ["game:999"]);

    // The list pages keep `games` once loaded.
    let (route, mut page) = page_at("/games");
    let _ = Public::update(
        &SharedState::default(),
        &mut page,
        Msg::Games(games::Message::Loaded(Ok(games::LoadResult {
            games: vec![games::GameSummary {
                id: 1,
                home: team("TOR", "Toronto Towers", "toronto-towers"),
                away: team("MTL", "Montreal Meteors", "montréal-meteors"),
                home_score: 4,
                away_score: 2,
                status: scoreboard::wire::GameStatus::Live("3rd".into()),
            }],
        }))),
    );
    assert_eq!(Public::subscriptions(&route, &page), ["games"]);
}
