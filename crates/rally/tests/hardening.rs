//! What a Rally server does against hostile clients (issue 14), over real sockets on
//! 127.0.0.1: slow and oversized request heads, too many connections, unknown hosts, frames
//! from sockets without a session, amplifying topic sets, oversized messages, silent sockets,
//! sessions that end while their topics are subscribed, and one socket flooding the handlers.
//! Every loop is bounded; timings are generous limits on waits, never measurements.
#![cfg(feature = "server")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, header};
use axum::response::Html;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use rally::server::dispatch::{ConnectionInfo, Dispatch, Reply, Request};
use rally::server::{Endpoint, HttpLimits, LocalHub, Security, WsConfig, http, serve_live_with};
use rally_wire::{
    ApiError, ClientFrame, Fingerprint, LimitKind, Request as WireRequest, ServerFrame,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;

mod support;
use support::header_value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const CONTRACT: Fingerprint = Fingerprint::from_bytes([9; 32]);
const PAGE: &str = "test/pages/hardening";

/// Signs sockets in from a `user=<name>` cookie; `private` is for signed-in users whose
/// session has not ended; every other topic is public. Requests sleep for the milliseconds
/// their message says (one byte), so a test can keep the handlers busy.
#[derive(Default)]
struct App {
    session_ended: AtomicBool,
}

fn user(connection: &ConnectionInfo) -> Option<String> {
    let cookie = connection.headers.get(header::COOKIE)?.to_str().ok()?;
    cookie.strip_prefix("user=").map(str::to_owned)
}

/// The app as the endpoint's dispatch.
struct Handlers(Arc<App>);

impl Dispatch for Handlers {
    fn dispatch(&self, request: Request<'_>) -> Reply {
        let ms = request.message.first().copied().unwrap_or(0);
        std::thread::sleep(Duration::from_millis(u64::from(ms)));
        Reply::encode(Ok(i64::from(ms)))
    }

    fn authorize_topics(
        &self,
        connection: &ConnectionInfo,
        topics: &[String],
    ) -> Result<(), ApiError> {
        let signed_in = user(connection).is_some() && !self.0.session_ended.load(Ordering::SeqCst);
        if topics.iter().all(|t| t != "private" || signed_in) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized)
        }
    }

    fn authorizes_topics(&self) -> bool {
        true
    }

    fn signed_in(&self, connection: &ConnectionInfo) -> bool {
        user(connection).is_some()
    }
}

struct Server {
    addr: std::net::SocketAddr,
    hub: Arc<LocalHub>,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `/ws` and a page at `/` behind the security layer, with these limits.
async fn start(ws: impl FnOnce(&mut WsConfig), http: impl FnOnce(&mut HttpLimits)) -> Server {
    let mut config = WsConfig::new(CONTRACT);
    ws(&mut config);
    let mut limits = HttpLimits::default();
    http(&mut limits);
    let app = Arc::new(App::default());
    let hub = Arc::new(LocalHub::new());
    let endpoint = Endpoint::with_hub(config, Handlers(Arc::clone(&app)), hub.clone());
    let pages =
        axum::Router::new().route("/", get(|| async { Html("<!doctype html><p>page</p>") }));
    let router = Security::development().layer(pages.merge(endpoint.router()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_live_with(
        listener,
        router,
        None,
        limits,
        async move {
            let _ = stopped.await;
        },
    ));
    Server {
        addr,
        hub,
        app,
        stop: Some(stop),
    }
}

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl Server {
    async fn connect(&self, cookie: Option<&str>) -> Client {
        let mut request = format!("ws://{}/ws?contract={CONTRACT}", self.addr)
            .into_client_request()
            .unwrap();
        if let Some(cookie) = cookie {
            request
                .headers_mut()
                .insert("cookie", HeaderValue::from_str(cookie).unwrap());
        }
        tokio_tungstenite::connect_async(request).await.unwrap().0
    }

    /// Sends raw bytes as one HTTP exchange and returns what came back before the close.
    async fn raw(&self, bytes: &[u8]) -> String {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        read_until_closed(&mut stream).await
    }
}

async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response));
    match read.await {
        Ok(_) => String::from_utf8_lossy(&response).into_owned(),
        Err(_) => panic!("the server kept the connection open"),
    }
}

fn get_request(host: &str, extra: &str) -> String {
    format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n")
}

async fn send_frame(client: &mut Client, frame: &ClientFrame) {
    client
        .send(Message::Binary(rally_wire::encode(frame).into()))
        .await
        .unwrap();
}

async fn request(client: &mut Client, id: u32, message: Vec<u8>) {
    let frame = ClientFrame::Request(WireRequest {
        id,
        page: PAGE.into(),
        message,
    });
    send_frame(client, &frame).await;
}

/// The next protocol frame, skipping pings; `None` once the socket is closed.
async fn next(client: &mut Client) -> Option<ServerFrame> {
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match client.next().await {
                Some(Ok(Message::Binary(bytes))) => {
                    return Some(rally_wire::decode::<ServerFrame>(&bytes).unwrap());
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
                Some(Ok(_)) => continue,
            }
        }
    });
    read.await.expect("no frame within 5 s")
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off() {
    let server = start(|_| {}, |h| h.header_timeout = Duration::from_millis(300)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaa")
        .await
        .unwrap();
    // Closed by the server (hyper answers 408 first, or just closes).
    let answer = read_until_closed(&mut stream).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let server = start(|_| {}, |h| h.header_timeout = Duration::from_millis(300)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn an_oversized_request_head_is_refused_with_431() {
    let server = start(|_| {}, |_| {}).await;
    let big = format!("X-Big: {}\r\n", "a".repeat(40 * 1024));
    let answer = server.raw(get_request("127.0.0.1", &big).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
}

/// A TCP connection from `ip` (any address of 127.0.0.0/8 reaches a server on 127.0.0.1).
async fn connect_from(ip: &str, to: std::net::SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

#[tokio::test]
async fn connections_over_the_per_address_cap_get_503_and_others_are_served() {
    let server = start(|_| {}, |h| h.max_connections_per_ip = 2).await;
    let held = [
        connect_from("127.0.0.2", server.addr).await,
        connect_from("127.0.0.2", server.addr).await,
    ];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = connect_from("127.0.0.2", server.addr).await;
    let refused = read_until_closed(&mut third).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert_eq!(header_value(&refused, "retry-after"), Some("5"));

    // Another address is served meanwhile, and the capped one once a slot is free.
    let mut other = connect_from("127.0.0.3", server.addr).await;
    other
        .write_all(get_request("127.0.0.1", "").as_bytes())
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut other)
            .await
            .starts_with("HTTP/1.1 200")
    );
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = connect_from("127.0.0.2", server.addr).await;
    again
        .write_all(get_request("127.0.0.1", "").as_bytes())
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut again)
            .await
            .starts_with("HTTP/1.1 200")
    );
}

#[tokio::test]
async fn a_websocket_holds_its_connection_slot_for_its_life() {
    let server = start(|_| {}, |h| h.max_connections = 1).await;
    let socket = server.connect(None).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = server.raw(get_request("127.0.0.1", "").as_bytes()).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    drop(socket);
    let mut served = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        served = server.raw(get_request("127.0.0.1", "").as_bytes()).await;
        if served.starts_with("HTTP/1.1 200") {
            break;
        }
    }
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
}

#[tokio::test]
async fn an_unknown_host_is_refused_before_any_route() {
    let server = start(|_| {}, |_| {}).await;
    let refused = server.raw(get_request("evil.example", "").as_bytes()).await;
    assert!(refused.starts_with("HTTP/1.1 421"), "{refused}");
    assert!(refused.contains("RALLY_HOSTS"), "{refused}");
    // The DNS-rebinding shape against the socket: Host and Origin agree, both foreign.
    let upgrade = "GET /ws?contract=x HTTP/1.1\r\nHost: evil.example\r\nOrigin: http://evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    let refused = server.raw(upgrade.as_bytes()).await;
    assert!(refused.starts_with("HTTP/1.1 421"), "{refused}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_html_a_csp_with_a_fresh_nonce() {
    let server = start(|_| {}, |_| {}).await;
    let first = server.raw(get_request("127.0.0.1", "").as_bytes()).await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert_eq!(
        header_value(&first, "x-content-type-options"),
        Some("nosniff")
    );
    assert_eq!(header_value(&first, "x-frame-options"), Some("DENY"));
    assert_eq!(
        header_value(&first, "referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
    let csp = header_value(&first, "content-security-policy").expect("a CSP on HTML");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    let nonce = |csp: &str| {
        csp.split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap()
            .to_owned()
    };
    let second = server.raw(get_request("localhost", "").as_bytes()).await;
    let second_csp = header_value(&second, "content-security-policy").unwrap();
    assert_ne!(nonce(csp), nonce(second_csp), "one nonce per response");
    // Development: no HSTS (plain http on loopback).
    assert_eq!(header_value(&first, "strict-transport-security"), None);
}

#[tokio::test]
async fn a_socket_without_a_session_may_only_send_small_frames() {
    let server = start(
        |c| {
            c.max_frame_bytes = 8 * 1024;
            c.max_anonymous_frame_bytes = 1024;
        },
        |_| {},
    )
    .await;
    let mut anonymous = server.connect(None).await;
    anonymous
        .send(Message::Binary(vec![0u8; 1500].into()))
        .await
        .unwrap();
    assert_eq!(
        next(&mut anonymous).await,
        Some(ServerFrame::Error(ApiError::LimitExceeded {
            limit: LimitKind::FrameBytes,
            max: 1024
        }))
    );
    // Far over its limit, the frame ends the connection before it is buffered.
    let _ = anonymous
        .send(Message::Binary(vec![0u8; 4096].into()))
        .await;
    assert_eq!(next(&mut anonymous).await, None);

    // A signed-in socket's frame of the same size is read (and refused as junk).
    let mut signed_in = server.connect(Some("user=ada")).await;
    signed_in
        .send(Message::Binary(vec![0u8; 4096].into()))
        .await
        .unwrap();
    match next(&mut signed_in).await {
        Some(ServerFrame::Error(ApiError::BadRequest { .. })) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_million_empty_topic_names_are_refused_while_decoding() {
    let server = start(|c| c.max_frame_bytes = 2 << 20, |_| {}).await;
    let mut client = server.connect(Some("user=ada")).await;
    let flood = ClientFrame::Topics(vec![String::new(); 1_000_000]);
    send_frame(&mut client, &flood).await;
    assert_eq!(
        next(&mut client).await,
        Some(ServerFrame::Error(ApiError::LimitExceeded {
            limit: LimitKind::Topics,
            max: 64
        }))
    );
    // The connection goes on.
    request(&mut client, 1, vec![0]).await;
    assert_eq!(
        next(&mut client).await,
        Some(ServerFrame::ok(1, rally_wire::encode(&0i64)))
    );
}

#[tokio::test]
async fn a_message_over_the_cap_never_reaches_the_page() {
    let server = start(|c| c.max_message_bytes = 100, |_| {}).await;
    let mut client = server.connect(None).await;
    request(&mut client, 4, vec![0; 200]).await;
    let refused = next(&mut client).await;
    let expected = ApiError::LimitExceeded {
        limit: LimitKind::MessageBytes,
        max: 100,
    };
    assert_eq!(refused, Some(ServerFrame::err(4, vec![expected.clone()])));
    assert_eq!(
        expected.to_string(),
        "Limit exceeded: at most 100 bytes per load or save."
    );
}

#[tokio::test]
async fn a_silent_socket_is_closed_and_one_that_answers_pings_is_kept() {
    let server = start(
        |c| {
            c.ping_every = Duration::from_millis(100);
            c.idle_timeout = Duration::from_millis(400);
        },
        |_| {},
    )
    .await;
    let mut silent = server.connect(None).await;
    let mut live = server.connect(None).await;
    // `live` is read (so it answers pings) while `silent` is not.
    let mut pings = 0;
    let reading = tokio::time::timeout(Duration::from_millis(1200), async {
        loop {
            match live.next().await {
                Some(Ok(Message::Ping(_))) => pings += 1,
                other => panic!("the live socket got {other:?}"),
            }
        }
    });
    assert!(reading.await.is_err(), "read until the time was up");
    assert!(pings >= 2, "pinged {pings} times in 1.2 s");
    assert_eq!(next(&mut silent).await, None, "the silent socket is closed");
    request(&mut live, 1, vec![0]).await;
    assert_eq!(
        next(&mut live).await,
        Some(ServerFrame::ok(1, rally_wire::encode(&0i64)))
    );
}

#[tokio::test]
async fn protected_topics_end_with_the_session() {
    let server = start(
        |c| c.recheck_topics_every = Duration::from_millis(100),
        |_| {},
    )
    .await;
    let mut client = server.connect(Some("user=ada")).await;
    send_frame(
        &mut client,
        &ClientFrame::Topics(vec!["private".into(), "public".into()]),
    )
    .await;
    for _ in 0..200 {
        if server.hub.subscribers("private") == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.hub.subscribers("private"), 1);

    use rally::server::Hub as _;
    server.app.session_ended.store(true, Ordering::SeqCst);
    assert_eq!(
        next(&mut client).await,
        Some(ServerFrame::Error(ApiError::Unauthorized)),
        "told that its session no longer sees some topics"
    );
    assert_eq!(server.hub.subscribers("private"), 0);
    assert_eq!(server.hub.subscribers("public"), 1, "public topics stay");
    server.hub.publish(None, &["private".into()], b"secret");
    server.hub.publish(None, &["public".into()], b"news");
    match next(&mut client).await {
        Some(ServerFrame::Push { topic, .. }) => assert_eq!(topic, "public"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_flooding_the_handlers_does_not_starve_another() {
    let server = start(|c| c.handler_threads = 1, |_| {}).await;
    let mut flood = server.connect(None).await;
    let mut other = server.connect(None).await;
    for id in 1..=20 {
        request(&mut flood, id, vec![30]).await;
    }
    let (mut flood_tx, mut flood_rx) = flood.split();
    let done = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&done);
    let reader = tokio::spawn(async move {
        while let Some(Ok(message)) = flood_rx.next().await {
            if let Message::Binary(_) = message {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    request(&mut other, 99, vec![0]).await;
    assert_eq!(
        next(&mut other).await,
        Some(ServerFrame::ok(99, rally_wire::encode(&0i64)))
    );
    // With one queue in arrival order, all 20 of the flood's would have run first.
    let ahead = done.load(Ordering::SeqCst);
    assert!(
        ahead <= 3,
        "{ahead} of the flood's requests ran before the other socket's"
    );
    let _ = flood_tx.close().await;
    reader.abort();
}

#[test]
fn the_forwarded_client_address_is_read_only_behind_a_proxy() {
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
    assert_eq!(
        http::forwarded_client(&headers),
        Some("203.0.113.9".parse().unwrap())
    );
    assert!(!HttpLimits::default().behind_proxy);
}
