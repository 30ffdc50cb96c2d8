//! The page contract's server side over real HTTP on 127.0.0.1, through `AppBuilder` as the
//! generated `serve()` uses it: the app's context and the caller reach a page's load in SSR; a
//! page's access rule redirects anonymous visitors to sign in and answers 403 to a signed-in
//! user it refuses; the app's hook adds routes, changes the document, chooses the hub, and runs
//! startup hooks and background tasks.
//!
//! The mount is written by hand here (codegen writes the same shape for apps), so the runtime
//! is tested without an app.

#![cfg(feature = "server")]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rally::auth::Unauthorized;
use rally::auth_http::RequestAuth;
use rally::mount::{Loaded, Mount, ServerMount};
use rally::page::{Access, Head, LoadError};
use rally::routes::QueryParams;
use rally::server::app::{App, AppBuilder, ServeError};
use rally::server::hub::Outbox;
use rally::server::{Caller, ConnectionId, Denied, Hub, LocalHub, ServerConfig, WsConfig};
use rally::session::{Identity, SessionId};
use rally::view::html::{p, text};
use rally::view::{Effect, Element};
use rally::wire::Fingerprint;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod support;
use support::{header_value, request_raw};

/// What the app hands its pages.
struct Context {
    greeting: &'static str,
}

/// `/` for everyone, `/private` for signed-in users, `/owner/:id` for user `id` only.
#[derive(Clone, Debug, PartialEq)]
enum Route {
    Home,
    Private,
    Owner {
        id: i64,
    },
    /// A page whose load panics.
    Panic,
    /// A page of ~10 KB, as large as the Scoreboard's `/games`.
    Long,
    /// A page whose data is [`VERSION`] and whose view counts its renders in [`RENDERS`].
    Counted,
    NotFound,
}

struct Site;

/// The data of `/counted`: what a save would change.
static VERSION: AtomicUsize = AtomicUsize::new(1);
/// How many times `/counted`'s view ran.
static RENDERS: AtomicUsize = AtomicUsize::new(0);

impl Mount for Site {
    type Route = Route;
    type Shared = ();
    type Page = String;
    type Msg = String;
    const NAME: &'static str = "public";
    const PREFIX: &'static str = "";

    fn parse(path: &str) -> Route {
        let path = path.split('?').next().unwrap_or(path);
        match path {
            "/" => Route::Home,
            "/private" => Route::Private,
            "/panic" => Route::Panic,
            "/long" => Route::Long,
            "/counted" => Route::Counted,
            _ => match path.strip_prefix("/owner/").map(str::parse) {
                Some(Ok(id)) => Route::Owner { id },
                _ => Route::NotFound,
            },
        }
    }
    fn path(route: &Route) -> String {
        match route {
            Route::Home => "/".into(),
            Route::Private => "/private".into(),
            Route::Panic => "/panic".into(),
            Route::Long => "/long".into(),
            Route::Counted => "/counted".into(),
            Route::Owner { id } => format!("/owner/{id}"),
            Route::NotFound => "/not_found".into(),
        }
    }
    fn is_not_found(route: &Route) -> bool {
        *route == Route::NotFound
    }
    fn initial_model(_: &(), _: &Route, _: &QueryParams) -> String {
        "not loaded".into()
    }
    fn update(_: &(), page: &mut String, msg: String) -> Effect<String> {
        *page = msg;
        Effect::none()
    }
    fn view(page: &String) -> Element<String> {
        if page.starts_with("counted") {
            RENDERS.fetch_add(1, Ordering::SeqCst);
        }
        p(vec![], vec![text(page.clone())])
    }
    fn head(page: &String) -> Head {
        Head::title(format!("page: {page}")).description("A <test> page")
    }
    fn load(_: &Route) -> Option<Effect<String>> {
        None
    }
    fn hydrate(_: &Route, _: &[u8]) -> Option<String> {
        None
    }
    fn subscriptions(_: &Route, _: &String) -> Vec<String> {
        Vec::new()
    }
    fn apply_broadcast(_: &mut String, _: &[u8]) -> Effect<String> {
        Effect::none()
    }
    fn navigation(_: &String) -> Option<String> {
        None
    }
}

impl ServerMount for Site {
    type Context = Context;

    fn authorize(ctx: &Context, caller: &Caller<'_>, route: &Route) -> Result<(), Denied> {
        let _ = ctx;
        match route {
            Route::Home | Route::Panic | Route::Long | Route::Counted | Route::NotFound => Ok(()),
            Route::Private => rally::server::caller::allow(Access::SignedIn, caller, None),
            Route::Owner { id } => {
                let owner = |user: &Identity| user.user_id == *id;
                rally::server::caller::allow(Access::Public, caller, Some(&owner))
            }
        }
    }

    fn load_data(ctx: &Context, caller: &Caller<'_>, route: &Route) -> Option<Loaded<String>> {
        assert!(*route != Route::Panic, "the load panics");
        if *route == Route::Counted {
            let version = VERSION.load(Ordering::SeqCst);
            let loaded = format!("counted version {version} for {:?}", caller.user_id());
            return Some(Loaded::new(Ok::<String, LoadError>(loaded), |r| {
                r.unwrap_or_default()
            }));
        }
        if *route == Route::Long {
            let long = std::iter::once(format!("for user {:?}: ", caller.user_id()))
                .chain((0..200).map(|i| format!("row {i} of the long page; ")))
                .collect();
            return Some(Loaded::new(Ok::<String, LoadError>(long), |r| {
                r.unwrap_or_default()
            }));
        }
        let loaded: Result<String, LoadError> = Ok(format!(
            "{} user {:?} at {}",
            ctx.greeting,
            caller.user_id(),
            Site::path(route)
        ));
        Some(Loaded::new(loaded, |r| r.unwrap_or_default()))
    }
}

/// Signs requests in from an `x-user: <id>` header; the sign-in page is `/sign_in`.
struct HeaderAuth;

fn identity(headers: &HeaderMap) -> Option<Identity> {
    let user_id = headers.get("x-user")?.to_str().ok()?.parse().ok()?;
    Some(Identity {
        user_id,
        session_id: SessionId::parse("0123456789abcdef0123456789abcdef")?,
        expires_at: u64::MAX,
    })
}

impl RequestAuth for HeaderAuth {
    fn authenticate(&self, headers: &HeaderMap) -> Option<Identity> {
        identity(headers)
    }

    fn authorize<'a>(
        &'a self,
        _mount: &'a str,
        headers: &'a HeaderMap,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Identity>, Unauthorized>> + Send + 'a>> {
        Box::pin(async move { Ok(identity(headers)) })
    }

    fn authorize_blocking(
        &self,
        _mount: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Identity>, Unauthorized> {
        Ok(identity(headers))
    }

    fn protect<'a>(
        &'a self,
        _mount: &'a str,
        headers: &'a HeaderMap,
        _path: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Identity>, Response>> + Send + 'a>> {
        Box::pin(async move { Ok(identity(headers)) })
    }

    fn sign_in_redirect(&self, path: &str) -> Response {
        (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/sign_in?return_to={path}"))],
        )
            .into_response()
    }
}

/// A hub that counts publishes, to see that the app's choice is used.
#[derive(Default)]
struct CountingHub {
    inner: LocalHub,
    publishes: AtomicUsize,
}

impl Hub for CountingHub {
    fn join(&self, id: ConnectionId, outbox: Outbox) {
        self.inner.join(id, outbox);
    }
    fn leave(&self, id: ConnectionId) {
        self.inner.leave(id);
    }
    fn set_topics(&self, id: ConnectionId, topics: Vec<String>) {
        self.inner.set_topics(id, topics);
    }
    fn publish(&self, origin: Option<ConnectionId>, topics: &[String], event: &[u8]) {
        self.publishes.fetch_add(1, Ordering::SeqCst);
        self.inner.publish(origin, topics, event);
    }
}

fn app(dir: &std::path::Path) -> App {
    App {
        env: rally::env::Env::from_pairs::<&str, &str>([]),
        db: rally::db::Db::open(rally::db::Config::new(dir.join("app.db"))).unwrap(),
        config: ServerConfig::local("127.0.0.1:0".parse().unwrap()),
        security: rally::server::Security::development(),
        assets: dir.join("assets"),
        bundles: dir.join("pkg"),
        hub: rally::server::hub::HubConfig::Local,
        render: rally::server::PoolConfig::default(),
    }
}

/// A running app and how to stop it.
struct Running {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<Result<(), ServeError>>,
}

async fn serve(mut builder: AppBuilder<Context>) -> Running {
    let auth: Option<Arc<dyn RequestAuth>> = Some(Arc::new(HeaderAuth));
    let endpoint = builder.endpoint(
        WsConfig::new(Fingerprint::from_hex(&"0".repeat(64))),
        |_r: rally::server::Request<'_>| {
            rally::server::Reply::error(rally::wire::ApiError::Unauthorized)
        },
    );
    let pages = rally::server::ssr::with_root(
        axum::Router::new(),
        builder.mount::<Site>(
            Arc::new(|_: &Context, _: &rally::server::PageRequest<'_>| ()),
            auth,
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(builder.serve_until(listener, pages, endpoint, async move {
        let _ = stopped.await;
    }));
    Running { addr, stop, served }
}

async fn get_raw(addr: std::net::SocketAddr, path: &str, user: Option<i64>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let user = user.map(|u| format!("x-user: {u}\r\n")).unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{user}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response[9..12].parse().unwrap();
    (status, response)
}

fn location(response: &str) -> Option<&str> {
    response.split("\r\n\r\n").next()?.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case("location").then(|| v.trim())
    })
}

fn builder(dir: &std::path::Path) -> AppBuilder<Context> {
    AppBuilder::new(app(dir), Context { greeting: "hello" }, "Test App")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_and_the_caller_reach_the_load_in_ssr() {
    let dir = tempfile::tempdir().unwrap();
    let running = serve(builder(dir.path())).await;
    let (status, anonymous) = get_raw(running.addr, "/", None).await;
    assert_eq!(status, 200);
    assert!(anonymous.contains("hello user None at /"), "{anonymous}");
    let (_, signed_in) = get_raw(running.addr, "/", Some(7)).await;
    assert!(signed_in.contains("hello user Some(7) at /"), "{signed_in}");
    // The page's head: its title, its description escaped, the app's name for the browser.
    assert!(
        signed_in.contains("<title>page: hello user Some(7) at /</title>"),
        "{signed_in}"
    );
    assert!(signed_in.contains(r#"<meta name="description" content="A &lt;test&gt; page">"#));
    assert!(signed_in.contains(r#"<meta name="application-name" content="Test App">"#));
    let _ = running.stop.send(());
    running.served.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_render_answers_500_with_a_trace_id_and_its_thread_serves_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    // One render thread: the page after the panic is rendered by the same thread.
    app.render = rally::server::PoolConfig {
        threads: 1,
        queue: 4,
    };
    let running = serve(AppBuilder::new(
        app,
        Context { greeting: "hello" },
        "Test App",
    ))
    .await;
    for _ in 0..2 {
        let (status, page) = get_raw(running.addr, "/panic", None).await;
        assert_eq!(status, 500, "{page}");
        assert!(page.contains("trace id"), "{page}");
        assert!(
            !page.contains("the load panics"),
            "no panic text is shown: {page}"
        );
        let (status, page) = get_raw(running.addr, "/", None).await;
        assert_eq!(status, 200, "{page}");
    }
    let _ = running.stop.send(());
    running.served.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_boot_script_runs_under_the_csp_and_signed_in_pages_are_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let running = serve(builder(dir.path())).await;
    let (_, anonymous) = get_raw(running.addr, "/", None).await;
    let csp = header_value(&anonymous, "content-security-policy").expect("a CSP");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        anonymous.contains(&format!(r#"<script type="module" nonce="{nonce}">"#)),
        "{anonymous}"
    );
    assert_eq!(header_value(&anonymous, "cache-control"), None);
    let (_, signed_in) = get_raw(running.addr, "/", Some(7)).await;
    assert_eq!(header_value(&signed_in, "cache-control"), Some("no-store"));
    assert_eq!(header_value(&signed_in, "x-frame-options"), Some("DENY"));
    let _ = running.stop.send(());
    running.served.await.unwrap().unwrap();
}

/// Every value of a header, comma-separated lists split.
fn header_values(head: &str, name: &str) -> Vec<String> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(',').map(|v| v.trim().to_ascii_lowercase()))
        .collect()
}

/// The document with its per-request CSP nonce blanked out.
fn without_nonce(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find("nonce=\"") {
        out.push_str(&rest[..at + 7]);
        rest = &rest[at + 7..];
        rest = &rest[rest.find('"').unwrap()..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_gzipped_for_browsers_and_decode_to_the_same_document() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let running = serve(builder(dir.path())).await;
    let addr = running.addr;

    let (head, plain) = request_raw(addr, "GET", "/long", "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(header_value(&head, "content-encoding"), None, "{head}");
    assert!(header_values(&head, "vary").contains(&"accept-encoding".to_owned()));
    let plain = String::from_utf8(plain).unwrap();
    assert!(plain.len() > 5_000, "{}", plain.len());

    // What Chromium sends: gzip, although brotli is listed too (server/encoding.rs).
    let browser = "Accept-Encoding: gzip, deflate, br, zstd\r\n";
    let (head, zipped) = request_raw(addr, "GET", "/long", browser).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(
        header_value(&head, "content-encoding"),
        Some("gzip"),
        "{head}"
    );
    assert_eq!(
        header_value(&head, "content-length"),
        Some(zipped.len().to_string().as_str()),
        "sent whole, with its length: {head}"
    );
    assert!(header_values(&head, "vary").contains(&"accept-encoding".to_owned()));
    assert!(
        header_value(&head, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        zipped.len() < plain.len() / 4,
        "{} of {}",
        zipped.len(),
        plain.len()
    );
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&zipped[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    assert_eq!(without_nonce(&unzipped), without_nonce(&plain));
    assert!(unzipped.contains("row 199 of the long page"));

    // The same page again comes from the page cache (server/page_cache.rs), each time with the
    // nonce its own Content-Security-Policy names.
    for _ in 0..3 {
        let (head, zipped) = request_raw(addr, "GET", "/long", browser).await;
        assert_eq!(header_value(&head, "content-encoding"), Some("gzip"));
        let mut again = String::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_string(&mut again)
            .unwrap();
        assert_eq!(without_nonce(&again), without_nonce(&plain));
        let csp = header_value(&head, "content-security-policy").unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert!(again.contains(&format!("nonce=\"{nonce}\"")), "{csp}");
    }

    // A signed-in visitor's page is compressed on its own (it never enters the shared cache)
    // and decodes to that visitor's document.
    for _ in 0..2 {
        let signed_in = format!("{browser}x-user: 7\r\n");
        let (head, zipped) = request_raw(addr, "GET", "/long", &signed_in).await;
        assert_eq!(
            header_value(&head, "content-encoding"),
            Some("gzip"),
            "{head}"
        );
        assert_eq!(header_value(&head, "cache-control"), Some("no-store"));
        let mut theirs = String::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_string(&mut theirs)
            .unwrap();
        assert!(theirs.contains("row 199 of the long page"));
        assert!(
            theirs.contains("for user Some(7):"),
            "the page is the signed-in user's"
        );
    }

    // A client that refuses gzip, or takes only brotli, gets the document as it is.
    for refusing in ["Accept-Encoding: gzip;q=0\r\n", "Accept-Encoding: br\r\n"] {
        let (head, body) = request_raw(addr, "GET", "/long", refusing).await;
        assert_eq!(
            header_value(&head, "content-encoding"),
            None,
            "{refusing}: {head}"
        );
        assert_eq!(
            without_nonce(&String::from_utf8(body).unwrap()),
            without_nonce(&plain)
        );
    }
    // The 403 page goes through the compression layer: gzip too, never brotli.
    let (head, _) = request_raw(addr, "GET", "/owner/6", &format!("x-user: 5\r\n{browser}")).await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    assert_ne!(
        header_value(&head, "content-encoding"),
        Some("br"),
        "{head}"
    );

    let _ = running.stop.send(());
    running.served.await.unwrap().unwrap();
}

/// The page as sent, without what differs per response (the nonce).
fn page_of(response: &str) -> String {
    without_nonce(response.split("\r\n\r\n").nth(1).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_data_path_and_theme_repeat_is_rendered_once_and_new_data_renders_anew() {
    let dir = tempfile::tempdir().unwrap();
    let running = serve(builder(dir.path())).await;
    let addr = running.addr;
    let renders = || RENDERS.load(Ordering::SeqCst);

    // Kept from the second sighting; the third request is not rendered, and is the same page.
    let (_, first) = get_raw(addr, "/counted", None).await;
    assert!(first.contains("counted version 1 for None"), "{first}");
    get_raw(addr, "/counted", None).await;
    assert_eq!(renders(), 2);
    for _ in 0..3 {
        let (status, again) = get_raw(addr, "/counted", None).await;
        assert_eq!(status, 200);
        assert_eq!(page_of(&again), page_of(&first));
        assert_ne!(again, first, "each response has its own nonce");
    }
    assert_eq!(renders(), 2, "the kept page was served");

    // Another theme or query is another page.
    let dark = get_raw_with(addr, "/counted", "Cookie: dark=1\r\n").await;
    assert!(dark.contains("data-theme=\"dark\""), "{dark}");
    assert_eq!(renders(), 3);
    get_raw(addr, "/counted?tab=2", None).await;
    assert_eq!(renders(), 4);

    // New data (a save) is rendered at once, never the kept page.
    VERSION.store(2, Ordering::SeqCst);
    let (_, changed) = get_raw(addr, "/counted", None).await;
    assert!(changed.contains("counted version 2 for None"), "{changed}");
    assert!(!changed.contains("version 1"), "{changed}");
    assert_eq!(renders(), 5);
    let (_, again) = get_raw(addr, "/counted", None).await;
    assert_eq!(page_of(&again), page_of(&changed));
    assert_eq!(renders(), 5, "the new page replaced the old one");

    // A signed-in visitor's page is rendered for them every time and never kept.
    for _ in 0..3 {
        let (_, theirs) = get_raw(addr, "/counted", Some(7)).await;
        assert!(theirs.contains("counted version 2 for Some(7)"), "{theirs}");
    }
    assert_eq!(renders(), 8);

    // A page that is not there is kept like any other, with its status.
    let (status, missing) = get_raw(addr, "/no/such/page", None).await;
    assert_eq!(status, 404, "{missing}");
    for _ in 0..3 {
        let (status, again) = get_raw(addr, "/no/such/page", None).await;
        assert_eq!(status, 404, "a kept 404 is still a 404: {again}");
        assert_eq!(page_of(&again), page_of(&missing));
    }

    let _ = running.stop.send(());
    running.served.await.unwrap().unwrap();
}

async fn get_raw_with(addr: std::net::SocketAddr, path: &str, headers: &str) -> String {
    let (head, body) = request_raw(addr, "GET", path, headers).await;
    format!("{head}\r\n\r\n{}", String::from_utf8_lossy(&body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_page_sends_anonymous_visitors_to_sign_in_and_refuses_others_with_403() {
    let dir = tempfile::tempdir().unwrap();
    let running = serve(builder(dir.path())).await;
    let addr = running.addr;

    let (status, response) = get_raw(addr, "/private?tab=2", None).await;
    assert_eq!(status, 303, "{response}");
    assert_eq!(
        location(&response),
        Some("/sign_in?return_to=/private?tab=2")
    );
    let (status, response) = get_raw(addr, "/private", Some(3)).await;
    assert_eq!(status, 200, "{response}");
    assert!(response.contains("hello user Some(3) at /private"));

    // The predicate sees the route's params: user 5 owns /owner/5, not /owner/6.
    let (status, response) = get_raw(addr, "/owner/5", Some(5)).await;
    assert_eq!(status, 200, "{response}");
    let (status, forbidden) = get_raw(addr, "/owner/6", Some(5)).await;
    assert_eq!(status, 403, "{forbidden}");
    assert!(forbidden.contains("<h1>Forbidden</h1>"), "{forbidden}");
    // Nothing of the page: no load ran, no data or script to hydrate.
    assert!(!forbidden.contains("hello user"), "{forbidden}");
    assert!(!forbidden.contains("rally-payload"), "{forbidden}");
    assert!(!forbidden.contains("<script"), "{forbidden}");
    let (status, response) = get_raw(addr, "/owner/6", None).await;
    assert_eq!(status, 303);
    assert_eq!(location(&response), Some("/sign_in?return_to=/owner/6"));

    let _ = running.stop.send(());
    running.served.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_adds_routes_changes_the_document_chooses_the_hub_and_runs_hooks_and_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Arc::new(CountingHub::default());
    let started = Arc::new(AtomicBool::new(false));
    let task_stopped = Arc::new(AtomicBool::new(false));
    let (seen_start, seen_stop) = (Arc::clone(&started), Arc::clone(&task_stopped));
    let builder = builder(dir.path())
        .route("/healthz", get(|| async { "ok" }))
        .layout(|layout| rally::server::ssr::Layout {
            lang: "fr".into(),
            head: r#"<link rel="icon" href="/assets/icon.svg">"#.into(),
            ..layout
        })
        .hub(hub.clone())
        .on_startup("remember", move || {
            seen_start.store(true, Ordering::SeqCst);
            Ok(())
        })
        .spawn(move |shutdown| {
            tokio::spawn(async move {
                shutdown.wait().await;
                seen_stop.store(true, Ordering::SeqCst);
            })
        });
    // The endpoint publishes through the app's hub.
    let endpoint_hub = Arc::clone(builder.hub_handle());
    endpoint_hub.publish(None, &["t".to_owned()], b"event");
    assert_eq!(hub.publishes.load(Ordering::SeqCst), 1);

    let running = serve(builder).await;
    let (status, body) = get_raw(running.addr, "/healthz", None).await;
    assert_eq!((status, body.ends_with("ok")), (200, true), "{body}");
    let (_, page) = get_raw(running.addr, "/", None).await;
    assert!(page.contains(r#"<html lang="fr""#), "{page}");
    assert!(
        page.contains(r#"<link rel="icon" href="/assets/icon.svg">"#),
        "{page}"
    );
    // The default stylesheet went with the replaced head markup.
    assert!(!page.contains("/assets/app.css"), "{page}");
    assert!(
        started.load(Ordering::SeqCst),
        "the startup hook ran before serving"
    );
    assert!(!task_stopped.load(Ordering::SeqCst));

    let _ = running.stop.send(());
    running.served.await.unwrap().unwrap();
    assert!(
        task_stopped.load(Ordering::SeqCst),
        "the background task saw the shutdown and the server waited for it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_startup_hook_stops_the_server_and_names_the_hook() {
    let dir = tempfile::tempdir().unwrap();
    let builder = builder(dir.path()).on_startup("warm cache", || {
        Err("the cache server is unreachable".into())
    });
    let running = serve(builder).await;
    let err = running.served.await.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "startup hook `warm cache` failed: the cache server is unreachable"
    );
}
