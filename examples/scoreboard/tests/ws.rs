//! The Scoreboard's `/ws` endpoint over real sockets on 127.0.0.1, driven by tokio-tungstenite
//! clients: loads, the score desk's saves and who may make them, the broadcast that follows a
//! save, and frames the server cannot use. Upstream's `ws_result_smoke` and the browser smoke
//! test's admin save, without a browser.
#![cfg(feature = "server")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use rally::auth_http::RequestAuth;
use rally::server::{Endpoint, WsConfig, serve_live_until};
use rally::wire::{ApiError, ClientFrame, Fingerprint, Request, ServerFrame};
use scoreboard::admin::pages::games::{self as desk, GameUpdate};
use scoreboard::broadcasts::{Event, GameSnapshot, GameStatus, Team};
use scoreboard::generated::rally::contract::CONTRACT;
use scoreboard::generated::rally::dispatch::Dispatch;
use scoreboard::public::pages::{games, me};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use common::frames::*;
use common::{ADMIN_ID, FAN_ID, seeded_db};

const ME: &str = "public/pages/me";

/// The app's endpoint, served in-process on a free port.
struct Server {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(db: rally::db::Db, auth: Option<Arc<dyn RequestAuth>>) -> Server {
    let endpoint = Endpoint::new(
        WsConfig::new(CONTRACT),
        Dispatch {
            context: Arc::new(scoreboard::context::Context::development(db)),
            auth,
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(serve_live_until(
        listener,
        axum::Router::new(),
        Some(endpoint),
        async move {
            let _ = stopped.await;
        },
    ));
    Server {
        addr,
        stop: Some(stop),
        served,
    }
}

/// The app's real auth (`src/auth.rs`) and a session cookie for each seeded user.
struct Sessions {
    auth: Arc<dyn RequestAuth>,
    /// The same auth, typed: to sign a session out as another tab would.
    app_auth: Arc<rally::auth_http::Auth<scoreboard::auth::ScoreboardAuth>>,
    admin: String,
    fan: String,
}

fn sessions(db: &rally::db::Db) -> Sessions {
    // The app's auth over in-memory sessions with a random key: nothing from the environment.
    let sessions = rally::session::Sessions::new(
        rally::session::SessionKey::random().expect("a key"),
        Arc::new(rally::session::MemorySessionStore::default()),
        rally::session::SessionConfig::development(),
    );
    let auth = Arc::new(
        scoreboard::auth::auth_with(
            &scoreboard::context::Context::development(db.clone()),
            sessions,
        )
        .expect("the app's auth"),
    );
    let cookie = |user| {
        auth.sessions()
            .issue(user)
            .expect("issue a session")
            .cookie_header()
    };
    Sessions {
        admin: cookie(ADMIN_ID),
        fan: cookie(FAN_ID),
        app_auth: auth.clone(),
        auth: auth.clone(),
    }
}

impl Server {
    /// A browser-like connection: this app's contract, same-origin `Origin`, and `cookie`.
    async fn connect(&self, cookie: Option<&str>) -> Client {
        self.connect_with(
            &CONTRACT.to_string(),
            &format!("http://{}", self.addr),
            cookie,
        )
        .await
        .expect("the upgrade is accepted")
    }

    async fn connect_with(
        &self,
        contract: &str,
        origin: &str,
        cookie: Option<&str>,
    ) -> Result<Client, WsError> {
        let mut request = format!("ws://{}/ws?contract={contract}", self.addr)
            .into_client_request()
            .unwrap();
        let headers = request.headers_mut();
        headers.insert("origin", HeaderValue::from_str(origin).unwrap());
        if let Some(cookie) = cookie {
            headers.insert("cookie", HeaderValue::from_str(cookie).unwrap());
        }
        tokio_tungstenite::connect_async(request)
            .await
            .map(|(ws, _)| ws)
    }

    async fn stop(mut self) {
        let _ = self.stop.take().expect("stopped once").send(());
        tokio::time::timeout(Duration::from_secs(15), self.served)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

/// Game `id` as a fresh public load sees it: (home score, away score, status).
async fn public_game(
    client: &mut Client,
    request_id: u32,
    id: i64,
) -> (i64, i64, scoreboard::wire::GameStatus) {
    request(client, request_id, PUBLIC_GAMES, &games::ServerMsg::Load).await;
    let loaded: games::LoadResult = ok(next(client).await, request_id);
    let game = loaded
        .games
        .into_iter()
        .find(|g| g.id == id)
        .expect("the game is listed");
    (game.home_score, game.away_score, game.status)
}

fn game_one_live(home_score: i64, away_score: i64) -> Event {
    Event::GameUpdated(GameSnapshot {
        id: 1,
        home: Team {
            code: "TOR".into(),
            name: "Toronto Towers".into(),
            slug: "toronto-towers".into(),
        },
        away: Team {
            code: "MTL".into(),
            name: "Montreal Meteors".into(),
            slug: "montréal-meteors".into(),
        },
        home_score,
        away_score,
        status: GameStatus::Live("3rd".into()),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_games_load_gets_exactly_one_result() {
    let server = start(seeded_db(), None).await;
    let mut client = server.connect(None).await;
    request(&mut client, 77, PUBLIC_GAMES, &games::ServerMsg::Load).await;
    let loaded: games::LoadResult = ok(next(&mut client).await, 77);
    assert_eq!(loaded.games.len(), 15);
    let first = &loaded.games[0];
    assert_eq!(
        (first.id, first.home.code.as_str(), first.away.code.as_str()),
        (1, "TOR", "MTL")
    );
    assert_eq!((first.home_score, first.away_score), (4, 2));
    assert_eq!(
        first.status,
        scoreboard::wire::GameStatus::Live("3rd".into())
    );
    assert_eq!(loaded.games[1].status, scoreboard::wire::GameStatus::Final);
    assert_eq!(
        loaded.games[2].status,
        scoreboard::wire::GameStatus::Scheduled
    );
    assert_quiet(&mut client, "the loading connection").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_auth_the_score_desk_refuses_everyone() {
    let server = start(seeded_db(), None).await;
    let mut fan_page = server.connect(None).await;
    subscribe(&mut fan_page, &["games"], 1).await;

    // Even with a cookie that looks like a session: with no auth configured nothing can
    // check it, and a mount other than `public` is closed.
    let mut desk_tab = server.connect(Some("__rally_auth=whatever")).await;
    request(&mut desk_tab, 10, ADMIN_GAMES, &score_save(1, 5, 2)).await;
    assert_eq!(
        errors(next(&mut desk_tab).await, 10),
        [ApiError::Unauthorized]
    );
    request(&mut desk_tab, 11, ADMIN_GAMES, &desk::ServerMsg::Load).await;
    assert_eq!(
        errors(next(&mut desk_tab).await, 11),
        [ApiError::Unauthorized]
    );

    assert_quiet(&mut fan_page, "a games subscriber").await;
    assert_eq!(
        public_game(&mut desk_tab, 12, 1).await,
        (4, 2, scoreboard::wire::GameStatus::Live("3rd".into())),
        "the refused save changed nothing"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_save_answers_the_desk_and_pushes_to_the_pages_showing_the_game() {
    let db = seeded_db();
    let sessions = sessions(&db);
    let server = start(db, Some(sessions.auth.clone())).await;

    let mut games_page = server.connect(None).await;
    subscribe(&mut games_page, &["games"], 1).await;
    // A game page and a team page of the game (the non-ASCII slug), and another game's page.
    let mut game_page = server.connect(None).await;
    subscribe(&mut game_page, &["game:1", "team:montréal-meteors"], 1).await;
    let mut other_game = server.connect(None).await;
    subscribe(&mut other_game, &["game:2", "team:boston-blizzards"], 1).await;
    // The desk itself watches the desk's topic and the public list.
    let mut desk_tab = server.connect(Some(&sessions.admin)).await;
    subscribe(&mut desk_tab, &["admin:games", "games"], 1).await;

    request(&mut desk_tab, 20, ADMIN_GAMES, &score_save(1, 5, 2)).await;
    let saved: GameUpdate = ok(next(&mut desk_tab).await, 20);
    assert_eq!(
        saved,
        GameUpdate {
            id: 1,
            home_code: "TOR".into(),
            away_code: "MTL".into(),
            home_score: 5,
            away_score: 2,
            status: scoreboard::wire::GameStatus::Live("3rd".into()),
            // Who saved it: the socket's signed-in admin.
            changed_by: "admin@example.com".into(),
        }
    );

    assert_eq!(
        push(next(&mut games_page).await),
        ("games".to_owned(), game_one_live(5, 2))
    );
    // Subscribed to two of the event's topics, the game page still gets it once.
    assert_eq!(
        push(next(&mut game_page).await),
        ("game:1".to_owned(), game_one_live(5, 2))
    );
    assert_quiet(&mut games_page, "the games page after its push").await;
    assert_quiet(&mut game_page, "the game page after its push").await;
    assert_quiet(&mut other_game, "another game's page").await;
    // The tab that saved has its result and no push of its own save.
    assert_quiet(&mut desk_tab, "the saving desk").await;

    // The next load sees the save.
    assert_eq!(
        public_game(&mut games_page, 30, 1).await,
        (5, 2, scoreboard::wire::GameStatus::Live("3rd".into()))
    );

    // A final game keeps its score: the save is refused and nobody hears about it.
    request(&mut desk_tab, 21, ADMIN_GAMES, &score_save(2, 9, 9)).await;
    assert_eq!(
        errors(next(&mut desk_tab).await, 21),
        [ApiError::Save {
            field: None,
            message: "Game is final.".into()
        }]
    );
    request(&mut desk_tab, 22, ADMIN_GAMES, &score_save(999, 1, 0)).await;
    assert_eq!(
        errors(next(&mut desk_tab).await, 22),
        [ApiError::Save {
            field: None,
            message: "Game not found.".into()
        }]
    );
    assert_quiet(&mut games_page, "the games page after refused saves").await;
    assert_quiet(&mut other_game, "game 2's page after a refused save").await;
    assert_eq!(
        public_game(&mut other_game, 31, 2).await,
        (1, 1, scoreboard::wire::GameStatus::Final)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_signed_in_admin_may_use_the_score_desk() {
    let db = seeded_db();
    let sessions = sessions(&db);
    let server = start(db, Some(sessions.auth.clone())).await;
    let mut games_page = server.connect(None).await;
    subscribe(&mut games_page, &["games"], 1).await;

    let tampered = {
        let (name, value) = sessions.admin.split_once('=').unwrap();
        let mut value = value.to_owned();
        let last = if value.ends_with('A') { "B" } else { "A" };
        value.replace_range(value.len() - 1.., last);
        format!("{name}={value}")
    };
    for (who, cookie) in [
        ("an anonymous visitor", None),
        ("a signed-in fan", Some(sessions.fan.as_str())),
        ("a tampered admin cookie", Some(tampered.as_str())),
    ] {
        let mut tab = server.connect(cookie).await;
        request(&mut tab, 40, ADMIN_GAMES, &score_save(1, 5, 2)).await;
        assert_eq!(
            errors(next(&mut tab).await, 40),
            [ApiError::Unauthorized],
            "{who} saved a score"
        );
        request(&mut tab, 41, ADMIN_GAMES, &desk::ServerMsg::Load).await;
        assert_eq!(
            errors(next(&mut tab).await, 41),
            [ApiError::Unauthorized],
            "{who} loaded the desk"
        );
        // The public pages stay open to them.
        assert_eq!(
            public_game(&mut tab, 42, 1).await,
            (4, 2, scoreboard::wire::GameStatus::Live("3rd".into())),
            "{who}'s refused save changed the game"
        );
    }
    assert_quiet(&mut games_page, "a games subscriber").await;

    // The admin's own cookie works on the same server.
    let mut desk_tab = server.connect(Some(&sessions.admin)).await;
    request(&mut desk_tab, 43, ADMIN_GAMES, &desk::ServerMsg::Load).await;
    let loaded: desk::LoadResult = ok(next(&mut desk_tab).await, 43);
    assert_eq!(loaded.games.len(), 15);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_the_server_cannot_use_get_an_error_and_the_connection_keeps_working() {
    let server = start(seeded_db(), None).await;
    let mut client = server.connect(None).await;

    client
        .send(Message::Binary(
            vec![0xff, 0xff, 0xff, 0xff, 0x0f, 0x42].into(),
        ))
        .await
        .unwrap();
    assert!(
        matches!(
            next(&mut client).await,
            ServerFrame::Error(ApiError::BadRequest { .. })
        ),
        "garbage frame"
    );
    client.send(Message::Text("hello".into())).await.unwrap();
    assert!(
        matches!(
            next(&mut client).await,
            ServerFrame::Error(ApiError::BadRequest { .. })
        ),
        "text frame"
    );

    // A request for a page that does not exist, and one whose message is not the page's.
    request(
        &mut client,
        50,
        "public/pages/nope",
        &games::ServerMsg::Load,
    )
    .await;
    match errors(next(&mut client).await, 50).as_slice() {
        [ApiError::BadRequest { reason }] => assert!(reason.contains("public/pages/nope")),
        other => panic!("unknown page: {other:?}"),
    }
    let frame = ClientFrame::Request(Request {
        id: 51,
        page: PUBLIC_GAMES.into(),
        message: vec![0x7f],
    });
    send(&mut client, &frame).await;
    match errors(next(&mut client).await, 51).as_slice() {
        [ApiError::BadRequest { reason }] => assert!(reason.contains(PUBLIC_GAMES), "{reason}"),
        other => panic!("wrong message: {other:?}"),
    }
    // A save sent to a page without saves.
    request(&mut client, 52, PUBLIC_GAMES, &score_save(1, 5, 2)).await;
    assert!(matches!(
        errors(next(&mut client).await, 52).as_slice(),
        [ApiError::BadRequest { .. }]
    ));

    request(&mut client, 53, PUBLIC_GAMES, &games::ServerMsg::Load).await;
    let loaded: games::LoadResult = ok(next(&mut client).await, 53);
    assert_eq!(loaded.games.len(), 15);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_bundles_are_told_to_reload_and_other_sites_are_refused() {
    let server = start(seeded_db(), None).await;

    let stale = Fingerprint::from_bytes([0; 32]);
    assert_ne!(stale, CONTRACT);
    let mut client = server
        .connect_with(&stale.to_string(), &format!("http://{}", server.addr), None)
        .await
        .expect("the upgrade succeeds so the client can be told why");
    assert!(matches!(
        next(&mut client).await,
        ServerFrame::Reload { .. }
    ));

    match server
        .connect_with(&CONTRACT.to_string(), "http://evil.example", None)
        .await
    {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        Err(e) => panic!("cross-site upgrade failed oddly: {e}"),
        Ok(_) => panic!("a cross-site upgrade was accepted"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_loads_the_callers_own_account_and_refuses_anonymous_callers() {
    let db = seeded_db();
    let sessions = sessions(&db);
    let server = start(db, Some(sessions.auth.clone())).await;

    // A private page on the public mount: the socket is open to all, the page is not.
    let mut anonymous = server.connect(None).await;
    request(&mut anonymous, 1, ME, &me::ServerMsg::Load).await;
    assert_eq!(
        errors(next(&mut anonymous).await, 1),
        [ApiError::Unauthorized]
    );

    let mut fan = server.connect(Some(&sessions.fan)).await;
    request(&mut fan, 2, ME, &me::ServerMsg::Load).await;
    let account: me::LoadResult = ok(next(&mut fan).await, 2);
    assert_eq!(
        (
            account.email.as_str(),
            account.role.as_str(),
            account.games_changed
        ),
        ("fan@example.com", "fan", 0)
    );

    // The admin's save is recorded as theirs: their account counts it, the fan's does not.
    let mut admin = server.connect(Some(&sessions.admin)).await;
    request(&mut admin, 3, ADMIN_GAMES, &score_save(1, 5, 2)).await;
    let saved: GameUpdate = ok(next(&mut admin).await, 3);
    assert_eq!(saved.changed_by, "admin@example.com");
    request(&mut admin, 4, ME, &me::ServerMsg::Load).await;
    let account: me::LoadResult = ok(next(&mut admin).await, 4);
    assert_eq!((account.role.as_str(), account.games_changed), ("admin", 1));
    request(&mut fan, 5, ME, &me::ServerMsg::Load).await;
    let account: me::LoadResult = ok(next(&mut fan).await, 5);
    assert_eq!(account.games_changed, 0);

    // Signed out elsewhere: the same socket is anonymous at its next request.
    sessions
        .app_auth
        .sessions()
        .sign_out(&cookie_headers(&sessions.fan));
    request(&mut fan, 6, ME, &me::ServerMsg::Load).await;
    assert_eq!(errors(next(&mut fan).await, 6), [ApiError::Unauthorized]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_score_desks_topic_is_refused_to_all_but_admins() {
    let db = seeded_db();
    let sessions = sessions(&db);
    let server = start(db, Some(sessions.auth.clone())).await;
    for (who, cookie) in [
        ("an anonymous visitor", None),
        ("a signed-in fan", Some(sessions.fan.as_str())),
    ] {
        let mut tab = server.connect(cookie).await;
        send(
            &mut tab,
            &ClientFrame::Topics(vec!["games".into(), "admin:games".into()]),
        )
        .await;
        assert_eq!(
            next(&mut tab).await,
            ServerFrame::Error(ApiError::Unauthorized),
            "{who} subscribed to the desk's topic"
        );
        // The refused set is not in force: an admin save pushes nothing to this tab.
        let mut desk_tab = server.connect(Some(&sessions.admin)).await;
        request(&mut desk_tab, 7, ADMIN_GAMES, &score_save(1, 6, 2)).await;
        let _: GameUpdate = ok(next(&mut desk_tab).await, 7);
        assert_quiet(&mut tab, who).await;
    }
    let mut admin = server.connect(Some(&sessions.admin)).await;
    subscribe(&mut admin, &["games", "admin:games"], 8).await;
    let mut other_desk = server.connect(Some(&sessions.admin)).await;
    request(&mut other_desk, 9, ADMIN_GAMES, &score_save(1, 7, 2)).await;
    let _: GameUpdate = ok(next(&mut other_desk).await, 9);
    let (topic, _) = push(next(&mut admin).await);
    assert!(topic == "games" || topic == "admin:games", "{topic}");
    server.stop().await;
}

fn cookie_headers(cookie: &str) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("cookie", cookie.parse().unwrap());
    headers
}
