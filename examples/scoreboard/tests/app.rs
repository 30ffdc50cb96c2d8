//! The whole Scoreboard server as `cargo rally server` runs it — the generated `build()`: the
//! app's `configure` hook, sign-in, both mounts and `/ws` — over real HTTP on 127.0.0.1, with a
//! seeded in-memory database: the hook's `/healthz` and document, page titles, and the signed-in
//! `/me` page (sign-in redirect, then the caller's own account after a real sign-in), and saves
//! posted as HTML forms (authorized, read and refused as socket saves are; redirected back).
#![cfg(feature = "server")]

mod common;

use rally::server::ServerConfig;
use rally::server::app::App;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::seeded_db;

struct Running {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<Result<(), rally::server::app::ServeError>>,
}

async fn start() -> Running {
    let dir = std::env::temp_dir();
    let app = App {
        env: rally::env::Env::from_pairs::<&str, &str>([]),
        db: seeded_db(),
        config: ServerConfig::local("127.0.0.1:0".parse().unwrap()),
        security: rally::server::security::Security::development(),
        assets: dir.join("scoreboard-test-no-assets"),
        bundles: dir.join("scoreboard-test-no-bundles"),
        hub: rally::server::hub::HubConfig::Local,
        render: rally::server::PoolConfig::default(),
    };
    let (builder, pages, endpoint) =
        scoreboard::generated::rally::app::build(app).expect("the server builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(builder.serve_until(listener, pages, endpoint, async move {
        let _ = stopped.await;
    }));
    Running { addr, stop, served }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.served.await.unwrap().unwrap();
    }
}

/// An HTTP/1.1 exchange: the status, the head and the body.
struct Response {
    status: u16,
    head: String,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

async fn exchange(addr: std::net::SocketAddr, request: String) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    Response {
        status: head[9..12].parse().unwrap(),
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

async fn get(addr: std::net::SocketAddr, path: &str, cookie: Option<&str>) -> Response {
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{cookie}\r\n"),
    )
    .await
}

/// Signs in through the real form (demo code), returning the session cookie and the redirect.
async fn sign_in(addr: std::net::SocketAddr, email: &str, return_to: &str) -> (String, String) {
    let body = format!("email={email}&code=A1Z9Q&return_to={return_to}").replace('@', "%40");
    let response = exchange(
        addr,
        format!(
            "POST /sign_in HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert_eq!(response.status, 302, "{}{}", response.head, response.body);
    let cookie = response
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let location = response.header("location").unwrap_or_default().to_owned();
    (cookie, location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_adds_a_health_check_and_names_the_app() {
    let running = start().await;
    let health = get(running.addr, "/healthz", None).await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    let games = get(running.addr, "/games", None).await;
    assert_eq!(games.status, 200);
    assert!(
        games.body.contains("<title>Games · Scoreboard</title>"),
        "{}",
        games.body
    );
    assert!(
        games
            .body
            .contains(r#"<meta name="application-name" content="Rally Scoreboard">"#),
        "{}",
        games.body
    );
    assert!(games.body.contains(
        r#"<meta name="description" content="Live scores of every game in the league.">"#
    ));
    // A game's title names the match once its load ran on the server.
    let game = get(running.addr, "/games/1", None).await;
    assert!(
        game.body
            .contains("<title>MTL 2 – 4 TOR · Scoreboard</title>"),
        "{}",
        game.body
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_needs_a_signed_in_user_and_shows_their_own_account() {
    let running = start().await;
    let addr = running.addr;
    let anonymous = get(addr, "/me", None).await;
    assert_eq!(anonymous.status, 302);
    assert_eq!(
        anonymous.header("location"),
        Some("/sign_in?return_to=%2Fme")
    );

    let (fan, location) = sign_in(addr, "fan@example.com", "/me").await;
    assert_eq!(location, "/me", "the sign-in returns to the account page");
    let page = get(addr, "/me", Some(&fan)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("fan@example.com"), "{}", page.body);
    assert!(page.body.contains(r#"<dd class="account-role">fan</dd>"#));
    assert!(
        page.body
            .contains("<title>Your account · Scoreboard</title>")
    );

    let (admin, _) = sign_in(addr, "admin@example.com", "/me").await;
    let page = get(addr, "/me", Some(&admin)).await;
    assert!(
        page.body.contains(r#"<dd class="account-role">admin</dd>"#),
        "{}",
        page.body
    );
    assert!(!page.body.contains("fan@example.com"));

    // The fan is still refused the score desk; the admin is let in.
    assert_eq!(get(addr, "/admin/games", Some(&fan)).await.status, 302);
    assert_eq!(get(addr, "/admin/games", Some(&admin)).await.status, 200);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_has_one_address_other_spellings_redirect_to_it() {
    let running = start().await;
    for (asked, canonical) in [
        ("/games/01", "/games/1"),
        ("/games/%31", "/games/1"),
        ("/games/1/", "/games/1"),
        ("/games/01?team=TOR", "/games/1?team=TOR"),
        (
            "/teams/montr%c3%a9al-meteors",
            "/teams/montr%C3%A9al-meteors",
        ),
        ("/standings/", "/standings"),
        ("/admin/games/", "/admin/games"),
    ] {
        let response = get(running.addr, asked, None).await;
        assert_eq!(response.status, 308, "{asked}: {}", response.head);
        assert_eq!(response.header("location"), Some(canonical), "{asked}");
        assert!(response.body.is_empty(), "{asked}");
    }
    // The canonical address itself answers; the not-found page is never redirected.
    for (path, status) in [
        ("/games/1", 200),
        ("/teams/montr%C3%A9al-meteors", 200),
        ("/", 200),
        ("/games/x", 404),
        ("/nowhere/", 404),
    ] {
        assert_eq!(get(running.addr, path, None).await.status, status, "{path}");
    }
    running.stop().await;
}

/// `POST path` with a form body, from `origin`, with `cookie`.
async fn post_form(
    addr: std::net::SocketAddr,
    path: &str,
    origin: &str,
    cookie: Option<&str>,
    body: &str,
) -> Response {
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    exchange(
        addr,
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{cookie}\r\n{body}",
            body.len()
        ),
    )
    .await
}

/// Game `id`'s `(away, home)` scores as the public game page renders them.
async fn public_scores(addr: std::net::SocketAddr, id: i64) -> Vec<String> {
    let page = get(addr, &format!("/games/{id}"), None).await.body;
    page.match_indices(r#"class="score">"#)
        .map(|(i, m)| {
            page[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .collect()
}

const SCORE_ONE: &str = "rally-save=UpdateScore&game_id=1&home_score=9&away_score=2&period=3rd";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_posted_as_a_form_saves_broadcasts_and_redirects_back() {
    use common::frames::{push, subscribe};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let running = start().await;
    let addr = running.addr;
    let (admin, _) = sign_in(addr, "admin@example.com", "/admin/games").await;
    // A tab with JavaScript elsewhere, following the public list.
    let contract = scoreboard::generated::rally::contract::CONTRACT.to_string();
    let mut request = format!("ws://{addr}/ws?contract={contract}")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", format!("http://{addr}").parse().unwrap());
    let (mut tab, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    subscribe(&mut tab, &["games"], 1).await;

    let origin = format!("http://{addr}");
    let response = post_form(addr, "/admin/games", &origin, Some(&admin), SCORE_ONE).await;
    assert_eq!(response.status, 303, "{}{}", response.head, response.body);
    assert_eq!(response.header("location"), Some("/admin/games"));
    assert_eq!(
        response.header("set-cookie"),
        None,
        "no notice after a save"
    );
    let (topic, event) = push(common::frames::next(&mut tab).await);
    assert_eq!(topic, "games");
    let scoreboard::broadcasts::Event::GameUpdated(game) = event;
    assert_eq!((game.id, game.home_score, game.away_score), (1, 9, 2));
    assert_eq!(public_scores(addr, 1).await, ["2", "9"]);
    // The desk as the browser sees it after the redirect: the new score, and its forms.
    let desk = get(addr, "/admin/games", Some(&admin)).await;
    assert!(desk.body.contains("Last change by admin@example.com"));
    assert!(
        desk.body
            .contains(r#"<form class="inline-save" method="post" data-rally-save="">"#)
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_posts_are_authorized_read_and_checked_as_socket_saves_are() {
    let running = start().await;
    let addr = running.addr;
    let origin = format!("http://{addr}");
    let (admin, _) = sign_in(addr, "admin@example.com", "/admin/games").await;
    let (fan, _) = sign_in(addr, "fan@example.com", "/games").await;
    let before = public_scores(addr, 1).await;

    // Nobody signed in: sent to sign in, as a visit would be. A fan: 403.
    let anonymous = post_form(addr, "/admin/games", &origin, None, SCORE_ONE).await;
    assert!(
        anonymous
            .header("location")
            .is_some_and(|l| l.starts_with("/sign_in?return_to=%2Fadmin%2Fgames")),
        "{}",
        anonymous.head
    );
    let as_fan = post_form(addr, "/admin/games", &origin, Some(&fan), SCORE_ONE).await;
    assert_eq!(as_fan.status, 403);
    // Another site's page cannot post with the admin's cookie.
    let forged = post_form(
        addr,
        "/admin/games",
        "http://evil.example",
        Some(&admin),
        SCORE_ONE,
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(public_scores(addr, 1).await, before, "nothing was saved");

    // A missing or malformed field, and the page's own refusal: back to the page, which shows
    // why once.
    for (body, notice) in [
        (
            "rally-save=UpdateScore&game_id=1&home_score=9&away_score=2",
            "the form has no `period` field",
        ),
        (
            "rally-save=UpdateScore&game_id=one&home_score=9&away_score=2&period=3rd",
            "`game_id` must be an integer, not \"one\"",
        ),
        (
            "rally-save=Explode",
            "the form names `Explode`, which is not a save of this page",
        ),
        // What the form says is shown as text, never as markup.
        (
            "rally-save=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "the form names `&lt;script&gt;alert(1)&lt;/script&gt;`, which is not a save of this page",
        ),
        (
            "rally-save=UpdateScore&game_id=2&home_score=9&away_score=2&period=3rd",
            "Game is final.",
        ),
    ] {
        let response = post_form(addr, "/admin/games", &origin, Some(&admin), body).await;
        assert_eq!(response.status, 303, "{body}");
        assert_eq!(response.header("location"), Some("/admin/games"));
        let flash = response
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .expect("the notice cookie")
            .to_owned();
        let page = get(addr, "/admin/games", Some(&format!("{admin}; {flash}"))).await;
        let shown = format!(r#"<p class="rally-notice" role="alert">{notice}</p>"#);
        assert!(
            page.body.contains(&shown),
            "{body}: {shown} not in the page"
        );
        assert!(
            page.header("set-cookie")
                .is_some_and(|c| c.contains("Max-Age=0")),
            "the notice is shown once"
        );
        assert_eq!(page.header("cache-control"), Some("no-store"));
    }
    assert_eq!(public_scores(addr, 1).await, before, "nothing was saved");

    // Pages without saves take no posts; a save is a form, not JSON.
    let public = post_form(addr, "/games", &origin, None, SCORE_ONE).await;
    assert_eq!(public.status, 405);
    let json = exchange(
        addr,
        format!(
            "POST /admin/games HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\nCookie: {admin}\r\n\r\n{{}}"
        ),
    )
    .await;
    assert_eq!(json.status, 415);
    running.stop().await;
}
