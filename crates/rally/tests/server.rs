//! The server runtime over real HTTP on 127.0.0.1.

#![cfg(feature = "server")]

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use rally::server::{app, html, serve_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod support;
use support::{header_value, request_raw};

async fn get_raw(addr: std::net::SocketAddr, path: &str, extra_headers: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra_headers}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
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
        header_value(&page, "content-type")
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
    assert_eq!(header_value(&js, "cache-control"), Some("no-cache"));
    assert_eq!(header_value(&js, "content-encoding"), Some("gzip"));
    assert!(
        header_value(&js, "content-type")
            .unwrap()
            .contains("javascript")
    );
    let js = get_raw(addr, "/pkg/public/0123456789abcdef/app.js", "").await;
    assert!(js.starts_with("HTTP/1.1 200"), "{js}");
    assert_eq!(
        header_value(&js, "cache-control"),
        Some("public, max-age=31536000, immutable"),
        "a content-hashed bundle is cached for good"
    );
    let missing = get_raw(addr, "/pkg/public/0123456789abcdef/nope.js", "").await;
    assert_eq!(header_value(&missing, "cache-control"), Some("no-cache"));

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

#[tokio::test]
async fn static_files_are_served_from_memory_with_encodings_validators_and_no_escape() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pkg");
    std::fs::create_dir_all(root.join("public/0123456789abcdef")).unwrap();
    let css = ".card { color: #222; margin: 0 auto; }\n".repeat(100);
    std::fs::write(root.join("app.css"), &css).unwrap();
    std::fs::write(root.join("tiny.js"), "export default 1;\n").unwrap();
    // A precompressed copy from the build wins over compressing on load.
    let js = "export function init() { return 42; }\n".repeat(100);
    std::fs::write(root.join("public/0123456789abcdef/app.js"), &js).unwrap();
    std::fs::write(
        root.join("public/0123456789abcdef/app.js.br"),
        b"built brotli",
    )
    .unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_until(listener, app(Router::new(), &root), async {
        let _ = stopped.await;
    }));

    // Brotli when preferred, gzip when that is all the client takes, identity otherwise.
    let (head, body) =
        request_raw(addr, "GET", "/pkg/app.css", "Accept-Encoding: gzip, br\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(header_value(&head, "content-encoding"), Some("br"));
    assert_eq!(
        header_value(&head, "content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(header_value(&head, "vary"), Some("accept-encoding"));
    assert_eq!(header_value(&head, "cache-control"), Some("no-cache"));
    let mut plain = Vec::new();
    brotli_decompress(&body, &mut plain);
    assert_eq!(plain, css.as_bytes());
    let br_tag = header_value(&head, "etag").unwrap().to_owned();

    let (head, body) = request_raw(
        addr,
        "GET",
        "/pkg/app.css",
        "Accept-Encoding: br;q=0.1, gzip\r\n",
    )
    .await;
    assert_eq!(
        header_value(&head, "content-encoding"),
        Some("gzip"),
        "{head}"
    );
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, css);
    let gzip_tag = header_value(&head, "etag").unwrap().to_owned();
    assert_ne!(gzip_tag, br_tag, "each encoding has its own ETag");

    let (head, body) = request_raw(addr, "GET", "/pkg/app.css", "").await;
    assert_eq!(header_value(&head, "content-encoding"), None, "{head}");
    assert_eq!(body, css.as_bytes());
    let last_modified = header_value(&head, "last-modified").unwrap().to_owned();

    // 304s: by ETag (of the encoding that would be sent), else by date.
    let (head, body) = request_raw(
        addr,
        "GET",
        "/pkg/app.css",
        &format!("Accept-Encoding: br\r\nIf-None-Match: {br_tag}\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 304"), "{head}");
    assert!(body.is_empty());
    let (head, _) = request_raw(
        addr,
        "GET",
        "/pkg/app.css",
        &format!("Accept-Encoding: gzip\r\nIf-None-Match: {br_tag}\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "another encoding: {head}");
    let (head, _) = request_raw(
        addr,
        "GET",
        "/pkg/app.css",
        &format!("If-Modified-Since: {last_modified}\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 304"), "{head}");

    // HEAD: the headers of a GET, no body.
    let (head, body) = request_raw(addr, "HEAD", "/pkg/app.css", "Accept-Encoding: gzip\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(header_value(&head, "content-encoding"), Some("gzip"));
    assert!(body.is_empty());
    let (head, _) = request_raw(addr, "POST", "/pkg/app.css", "Content-Length: 0\r\n").await;
    assert!(head.starts_with("HTTP/1.1 405"), "{head}");

    // Tiny files are not compressed, by the service or the compression layer.
    let (head, body) =
        request_raw(addr, "GET", "/pkg/tiny.js", "Accept-Encoding: gzip, br\r\n").await;
    assert_eq!(header_value(&head, "content-encoding"), None, "{head}");
    assert_eq!(body, b"export default 1;\n");

    // The build's precompressed copy, with the hashed directory's cache policy.
    let (head, body) = request_raw(
        addr,
        "GET",
        "/pkg/public/0123456789abcdef/app.js",
        "Accept-Encoding: br\r\n",
    )
    .await;
    assert_eq!(
        header_value(&head, "content-encoding"),
        Some("br"),
        "{head}"
    );
    assert_eq!(body, b"built brotli");
    assert_eq!(
        header_value(&head, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(
        header_value(&head, "content-type")
            .unwrap()
            .contains("javascript")
    );

    // Nothing outside the directory: dot segments, encoded or not, and symlinks out.
    for path in [
        "/pkg/../secret.txt",
        "/pkg/%2e%2e/secret.txt",
        "/pkg/public/%2E%2E/%2E%2E/secret.txt",
        "/pkg/..%2fsecret.txt",
        "/pkg/..%5csecret.txt",
        "/pkg/link.txt",
        "/pkg/public",
        "/pkg/nope.css",
    ] {
        let (head, body) = request_raw(addr, "GET", path, "").await;
        assert!(head.starts_with("HTTP/1.1 404"), "{path}: {head}");
        assert!(
            !String::from_utf8_lossy(&body).contains("outside"),
            "{path}"
        );
    }

    // An edited file is picked up (the cache re-checks the disk at most once a second).
    let edited = ".card { color: red; }\n".repeat(50);
    std::fs::write(root.join("app.css"), &edited).unwrap();
    let modified = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(root.join("app.css"))
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let mut served = Vec::new();
    for _ in 0..100 {
        served = request_raw(addr, "GET", "/pkg/app.css", "").await.1;
        if served == edited.as_bytes() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served, edited.as_bytes());

    stop.send(()).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
}

fn brotli_decompress(data: &[u8], out: &mut Vec<u8>) {
    let mut input = data;
    brotli::BrotliDecompress(&mut input, out).unwrap();
}
