//! The whole Scoreboard server as `cargo rally server` runs it — the generated `build()`: the
//! app's `configure` hook, sign-in, both mounts and `/ws` — over real HTTP on 127.0.0.1, with a
//! seeded in-memory database: the hook's `/healthz` and document, page titles, and the signed-in
//! `/me` page (sign-in redirect, then the caller's own account after a real sign-in).
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
