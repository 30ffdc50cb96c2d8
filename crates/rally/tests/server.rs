//! The server runtime over real HTTP on 127.0.0.1.

#![cfg(feature = "server")]

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use rally::server::{app, html, serve_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn get_raw(addr: std::net::SocketAddr, path: &str, extra_headers: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra_headers}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.split("\r\n\r\n").next()?.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn serves_pages_bundle_and_favicon_then_shuts_down() {
    let bundle = std::env::temp_dir().join(format!("rally-server-test-{}", std::process::id()));
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(
        bundle.join("app.js"),
        "export default function init() {}\n".repeat(200),
    )
    .unwrap();
    let hashed = bundle.join("public/0123456789abcdef");
    std::fs::create_dir_all(&hashed).unwrap();
    std::fs::write(hashed.join("app.js"), "export default 1;\n").unwrap();
    std::fs::write(bundle.join("public/current"), "0123456789abcdef\n").unwrap();
    assert_eq!(
        rally::server::app::bundle_script(&bundle, "public"),
        "/pkg/public/0123456789abcdef/app.js"
    );
    assert_eq!(
        rally::server::app::bundle_script(&bundle, "admin"),
        "/pkg/admin/app.js",
        "no published bundle: the plain name"
    );

    let pages = Router::new()
        .route(
            "/",
            get(|| async { html(StatusCode::OK, "<p>hello</p>".into()) }),
        )
        .route(
            "/missing",
            get(|| async { html(StatusCode::NOT_FOUND, "<p>no</p>".into()) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_until(listener, app(pages, &bundle), async {
        let _ = stopped.await;
    }));

    let page = get_raw(addr, "/", "").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.ends_with("<p>hello</p>"));
    assert!(
        header(&page, "content-type")
            .unwrap()
            .starts_with("text/html")
    );

    assert!(
        get_raw(addr, "/missing", "")
            .await
            .starts_with("HTTP/1.1 404")
    );
    assert!(
        get_raw(addr, "/favicon.ico", "")
            .await
            .starts_with("HTTP/1.1 204")
    );
    assert!(
        get_raw(addr, "/pkg/nope.js", "")
            .await
            .starts_with("HTTP/1.1 404")
    );

    let js = get_raw(addr, "/pkg/app.js", "Accept-Encoding: gzip\r\n").await;
    assert!(js.starts_with("HTTP/1.1 200"), "{js}");
    assert_eq!(header(&js, "cache-control"), Some("no-cache"));
    assert_eq!(header(&js, "content-encoding"), Some("gzip"));
    assert!(header(&js, "content-type").unwrap().contains("javascript"));
    let js = get_raw(addr, "/pkg/public/0123456789abcdef/app.js", "").await;
    assert!(js.starts_with("HTTP/1.1 200"), "{js}");
    assert_eq!(
        header(&js, "cache-control"),
        Some("public, max-age=31536000, immutable"),
        "a content-hashed bundle is cached for good"
    );
    let missing = get_raw(addr, "/pkg/public/0123456789abcdef/nope.js", "").await;
    assert_eq!(header(&missing, "cache-control"), Some("no-cache"));

    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(
        matches!(result, Ok(Ok(Ok(())))),
        "server stops cleanly on the shutdown signal"
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the port is released"
    );
    let _ = std::fs::remove_dir_all(&bundle);
}

#[tokio::test]
async fn the_root_mount_answers_get_on_a_path_other_routers_serve_only_for_post() {
    use axum::routing::post;
    use tower::ServiceExt;
    let sign_in = Router::new().route("/sign_in", post(|| async { "form posted" }));
    let root = Router::new().fallback(|uri: axum::http::Uri| async move { format!("page {uri}") });
    let site = rally::server::ssr::with_root(sign_in, root);
    let call = |method: &str, path: &str| {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        site.clone().oneshot(request)
    };
    let body = |r: axum::response::Response| async move {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    let get = call("GET", "/sign_in?return_to=/admin").await.unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(body(get).await, "page /sign_in?return_to=/admin");
    let post = call("POST", "/sign_in").await.unwrap();
    assert_eq!(body(post).await, "form posted");
    let other = call("GET", "/games").await.unwrap();
    assert_eq!(body(other).await, "page /games");
}
