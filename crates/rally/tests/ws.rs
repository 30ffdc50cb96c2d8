//! The `/ws` endpoint over real sockets on 127.0.0.1, driven by tokio-tungstenite clients.
#![cfg(feature = "server")]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rally::server::dispatch::{Reply, Request};
use rally::server::{Endpoint, LocalHub, WsConfig, serve_live_until};
use rally_wire::{
    ApiError, ClientFrame, Fingerprint, LimitKind, Request as WireRequest, ServerFrame,
};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const CONTRACT: Fingerprint = Fingerprint::from_bytes([7; 32]);
const PAGE: &str = "test/pages/counter";

/// The test page's server messages.
#[derive(Debug, Serialize, Deserialize)]
enum ServerMsg {
    Load,
    Add(i64),
    /// Publishes to two topics at once.
    Announce(String),
    Panic,
    SleepMs(u64),
    /// Waits (up to 10 s) until this many `Meet` handlers run at once; answers how many did.
    Meet(u32),
    Big(usize),
    /// 1 if the handler runs inside the server's tokio runtime (`Handle::current()` works).
    InRuntime,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Event {
    Count(i64),
    Note(String),
    Blob(Vec<u8>),
}

#[derive(Default)]
struct App {
    count: AtomicI64,
    seen_cookies: Mutex<Vec<String>>,
    /// `Meet` handlers running.
    arrived: Mutex<u32>,
    met: Condvar,
}

impl App {
    fn dispatch(&self, request: Request<'_>) -> Reply {
        if request.page != PAGE {
            return Reply::error(ApiError::BadRequest {
                reason: format!("no page {}", request.page),
            });
        }
        if let Some(cookie) = request.connection.headers.get("cookie") {
            self.seen_cookies
                .lock()
                .unwrap()
                .push(cookie.to_str().unwrap().to_owned());
        }
        let msg: ServerMsg = match request.decode() {
            Ok(m) => m,
            Err(e) => return Reply::error(e),
        };
        match msg {
            ServerMsg::Load => Reply::encode(Ok(self.count.load(Ordering::SeqCst))),
            ServerMsg::Add(n) => {
                let now = self.count.fetch_add(n, Ordering::SeqCst) + n;
                Reply::encode(Ok(now)).publish(vec!["counter".into()], &Event::Count(now))
            }
            ServerMsg::Announce(note) => {
                Reply::encode(Ok(0i64)).publish(vec!["a".into(), "b".into()], &Event::Note(note))
            }
            ServerMsg::Panic => panic!("the handler fell over"),
            ServerMsg::SleepMs(ms) => {
                std::thread::sleep(Duration::from_millis(ms));
                Reply::encode(Ok(ms as i64))
            }
            ServerMsg::Meet(n) => {
                let mut arrived = self.arrived.lock().unwrap();
                *arrived += 1;
                self.met.notify_all();
                let (arrived, _) = self
                    .met
                    .wait_timeout_while(arrived, Duration::from_secs(10), |a| *a < n)
                    .unwrap();
                Reply::encode(Ok(i64::from(*arrived)))
            }
            ServerMsg::Big(n) => {
                Reply::encode(Ok(0i64)).publish(vec!["big".into()], &Event::Blob(vec![7; n]))
            }
            ServerMsg::InRuntime => {
                Reply::encode(Ok(i64::from(tokio::runtime::Handle::try_current().is_ok())))
            }
        }
    }
}

struct Server {
    url: String,
    hub: Arc<LocalHub>,
    endpoint: Endpoint,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(configure: impl FnOnce(&mut WsConfig)) -> Server {
    let mut config = WsConfig::new(CONTRACT);
    configure(&mut config);
    let app = Arc::new(App::default());
    let hub = Arc::new(LocalHub::new());
    let handler = Arc::clone(&app);
    let endpoint = Endpoint::with_hub(
        config,
        move |r: Request<'_>| handler.dispatch(r),
        hub.clone(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(serve_live_until(
        listener,
        axum::Router::new(),
        Some(endpoint.clone()),
        async move {
            let _ = stopped.await;
        },
    ));
    Server {
        url,
        hub,
        endpoint,
        app,
        stop: Some(stop),
        served,
    }
}

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl Server {
    async fn connect(&self) -> Client {
        self.connect_with(&CONTRACT.to_string(), None)
            .await
            .unwrap()
    }

    async fn connect_with(&self, contract: &str, origin: Option<&str>) -> Result<Client, WsError> {
        let mut request = format!("{}?contract={contract}", self.url)
            .into_client_request()
            .unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        request
            .headers_mut()
            .insert("cookie", HeaderValue::from_static("__rally_auth=abc"));
        tokio_tungstenite::connect_async(request)
            .await
            .map(|(ws, _)| ws)
    }

    /// Waits until the server has read `n` requests in all (from every connection).
    async fn wait_until_read(&self, n: u64) {
        for _ in 0..1000 {
            if self.endpoint.requests_read() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "the server read {} requests, not {n}",
            self.endpoint.requests_read()
        );
    }

    async fn wait_for_subscribers(&self, topic: &str, n: usize) {
        for _ in 0..500 {
            if self.hub.subscribers(topic) == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "{topic} never reached {n} subscribers (has {})",
            self.hub.subscribers(topic)
        );
    }
}

async fn send(client: &mut Client, frame: &ClientFrame) {
    client
        .send(Message::Binary(rally_wire::encode(frame).into()))
        .await
        .unwrap();
}

async fn request(client: &mut Client, id: u32, msg: &ServerMsg) {
    let frame = ClientFrame::Request(WireRequest {
        id,
        page: PAGE.into(),
        message: rally_wire::encode(msg),
    });
    send(client, &frame).await;
}

async fn subscribe(client: &mut Client, topics: &[&str]) {
    send(
        client,
        &ClientFrame::Topics(topics.iter().map(|t| t.to_string()).collect()),
    )
    .await;
}

/// The next protocol frame (skipping pings), failing after 5 s.
async fn next(client: &mut Client) -> ServerFrame {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), client.next())
            .await
            .expect("no frame within 5 s")
            .expect("connection ended")
            .expect("read failed");
        match message {
            Message::Binary(bytes) => {
                return rally_wire::decode(&bytes).expect("server frames decode");
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

fn ok_i64(frame: ServerFrame) -> (u32, i64) {
    match frame {
        ServerFrame::Result {
            id,
            result: Ok(payload),
        } => (id, rally_wire::decode(&payload.0).unwrap()),
        other => panic!("expected an Ok result, got {other:?}"),
    }
}

fn push(frame: ServerFrame) -> (String, Event) {
    match frame {
        ServerFrame::Push { topic, event } => (topic, rally_wire::decode(&event).unwrap()),
        other => panic!("expected a push, got {other:?}"),
    }
}

#[tokio::test]
async fn load_and_save_round_trip_and_handlers_see_the_upgrade_headers() {
    let server = start(|_| {}).await;
    let mut client = server.connect().await;
    request(&mut client, 1, &ServerMsg::Load).await;
    assert_eq!(ok_i64(next(&mut client).await), (1, 0));
    request(&mut client, 2, &ServerMsg::Add(5)).await;
    assert_eq!(ok_i64(next(&mut client).await), (2, 5));
    request(&mut client, 3, &ServerMsg::Load).await;
    assert_eq!(ok_i64(next(&mut client).await), (3, 5));
    assert_eq!(
        server.app.seen_cookies.lock().unwrap().as_slice(),
        ["__rally_auth=abc"; 3]
    );
    // Handlers may block on async code (auth's `authorize_blocking` does).
    request(&mut client, 4, &ServerMsg::InRuntime).await;
    assert_eq!(ok_i64(next(&mut client).await), (4, 1));
}

#[tokio::test]
async fn a_publish_reaches_subscribers_but_not_the_origin() {
    let server = start(|_| {}).await;
    let mut origin = server.connect().await;
    let mut peer = server.connect().await;
    let mut other = server.connect().await;
    subscribe(&mut origin, &["counter"]).await;
    subscribe(&mut peer, &["counter"]).await;
    subscribe(&mut other, &["elsewhere"]).await;
    server.wait_for_subscribers("counter", 2).await;
    server.wait_for_subscribers("elsewhere", 1).await;

    request(&mut origin, 1, &ServerMsg::Add(2)).await;
    assert_eq!(ok_i64(next(&mut origin).await), (1, 2));
    assert_eq!(
        push(next(&mut peer).await),
        ("counter".into(), Event::Count(2))
    );

    // The origin's next frame is its next result, not a push of its own save.
    request(&mut origin, 2, &ServerMsg::Load).await;
    assert_eq!(ok_i64(next(&mut origin).await), (2, 2));
    // `other` never got the counter push: its next frame is its own result.
    request(&mut other, 9, &ServerMsg::Load).await;
    assert_eq!(ok_i64(next(&mut other).await), (9, 2));
}

#[tokio::test]
async fn topic_sets_are_replaced_whole_and_emptied() {
    let server = start(|_| {}).await;
    let mut origin = server.connect().await;
    let mut peer = server.connect().await;
    subscribe(&mut peer, &["counter", "a"]).await;
    server.wait_for_subscribers("counter", 1).await;

    subscribe(&mut peer, &["a"]).await; // replaces: no longer "counter"
    server.wait_for_subscribers("counter", 0).await;
    assert_eq!(server.hub.subscribers("a"), 1);
    request(&mut origin, 1, &ServerMsg::Add(1)).await;
    ok_i64(next(&mut origin).await);
    request(&mut origin, 2, &ServerMsg::Announce("still on a".into())).await;
    ok_i64(next(&mut origin).await);
    assert_eq!(
        push(next(&mut peer).await),
        ("a".into(), Event::Note("still on a".into()))
    );

    subscribe(&mut peer, &[]).await;
    server.wait_for_subscribers("a", 0).await;
    request(&mut origin, 3, &ServerMsg::Announce("nobody".into())).await;
    ok_i64(next(&mut origin).await);
    request(&mut peer, 4, &ServerMsg::Load).await;
    assert_eq!(ok_i64(next(&mut peer).await), (4, 1));
}

#[tokio::test]
async fn a_connection_on_several_targeted_topics_receives_the_event_once() {
    let server = start(|_| {}).await;
    let mut origin = server.connect().await;
    let mut both = server.connect().await;
    let mut only_b = server.connect().await;
    subscribe(&mut both, &["a", "b"]).await;
    subscribe(&mut only_b, &["b"]).await;
    server.wait_for_subscribers("b", 2).await;
    server.wait_for_subscribers("a", 1).await;

    request(&mut origin, 1, &ServerMsg::Announce("hi".into())).await;
    ok_i64(next(&mut origin).await);
    assert_eq!(
        push(next(&mut both).await),
        ("a".into(), Event::Note("hi".into()))
    );
    assert_eq!(
        push(next(&mut only_b).await),
        ("b".into(), Event::Note("hi".into()))
    );
    request(&mut both, 2, &ServerMsg::Load).await;
    assert_eq!(
        ok_i64(next(&mut both).await),
        (2, 0),
        "a second copy of the event arrived"
    );
}

#[tokio::test]
async fn a_foreign_origin_is_refused_and_allowed_origins_are_not() {
    let server = start(|c| c.allowed_origins = vec!["https://app.example".into()]).await;
    let host = server
        .url
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .to_owned();
    match server
        .connect_with(&CONTRACT.to_string(), Some("https://evil.example"))
        .await
    {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    assert!(
        server
            .connect_with(&CONTRACT.to_string(), Some(&format!("http://{host}")))
            .await
            .is_ok()
    );
    assert!(
        server
            .connect_with(&CONTRACT.to_string(), Some("https://app.example"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_wrong_or_missing_fingerprint_gets_the_reload_frame() {
    let server = start(|_| {}).await;
    for contract in [
        Fingerprint::from_bytes([8; 32]).to_string(),
        "nonsense".to_owned(),
    ] {
        let mut client = server.connect_with(&contract, None).await.unwrap();
        assert!(matches!(
            next(&mut client).await,
            ServerFrame::Reload { .. }
        ));
        match client.next().await {
            Some(Ok(Message::Close(Some(close)))) => assert_eq!(close.code, CloseCode::Policy),
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn malformed_and_text_frames_get_an_error_and_the_connection_keeps_working() {
    let server = start(|_| {}).await;
    let mut client = server.connect().await;
    client
        .send(Message::Binary(vec![9, 9, 9].into()))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut client).await,
        ServerFrame::Error(ApiError::BadRequest { .. })
    ));
    client
        .send(Message::Text("sub:games".into()))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut client).await,
        ServerFrame::Error(ApiError::BadRequest { .. })
    ));
    // A well-formed frame whose message is not the page's type: an error result for its id.
    let bad = ClientFrame::Request(WireRequest {
        id: 4,
        page: PAGE.into(),
        message: vec![200],
    });
    send(&mut client, &bad).await;
    match next(&mut client).await {
        ServerFrame::Result {
            id: 4,
            result: Err(errors),
        } => {
            assert!(matches!(errors.as_slice(), [ApiError::BadRequest { .. }]))
        }
        other => panic!("{other:?}"),
    }
    request(&mut client, 5, &ServerMsg::Load).await;
    assert_eq!(ok_i64(next(&mut client).await), (5, 0));
}

#[tokio::test]
async fn a_panicking_handler_yields_an_internal_error_and_nothing_else_breaks() {
    let server = start(|_| {}).await;
    let mut a = server.connect().await;
    let mut b = server.connect().await;
    request(&mut a, 1, &ServerMsg::Panic).await;
    match next(&mut a).await {
        ServerFrame::Result {
            id: 1,
            result: Err(errors),
        } => match errors.as_slice() {
            [ApiError::Internal { trace_id }] => assert_eq!(trace_id.len(), 16),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    request(&mut a, 2, &ServerMsg::Add(1)).await;
    assert_eq!(ok_i64(next(&mut a).await), (2, 1));
    request(&mut b, 3, &ServerMsg::Load).await;
    assert_eq!(ok_i64(next(&mut b).await), (3, 1));
}

#[tokio::test]
async fn limits_are_answered_with_clear_errors() {
    let server = start(|c| {
        c.max_in_flight = 2;
        c.max_topics = 3;
        c.max_topic_bytes = 8;
        c.max_frame_bytes = 1024;
    })
    .await;
    let mut client = server.connect().await;

    for id in 1..=3 {
        request(&mut client, id, &ServerMsg::SleepMs(300)).await;
    }
    match next(&mut client).await {
        ServerFrame::Result {
            id: 3,
            result: Err(e),
        } => {
            assert_eq!(
                e,
                [ApiError::LimitExceeded {
                    limit: LimitKind::InFlight,
                    max: 2
                }]
            );
            assert!(e[0].to_string().contains("at most 2 requests in flight"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ok_i64(next(&mut client).await).1, 300);
    assert_eq!(ok_i64(next(&mut client).await).1, 300);

    subscribe(&mut client, &["t1", "t2", "t3", "t4"]).await;
    assert_eq!(
        next(&mut client).await,
        ServerFrame::Error(ApiError::LimitExceeded {
            limit: LimitKind::Topics,
            max: 3
        })
    );
    subscribe(&mut client, &["a-very-long-topic"]).await;
    assert_eq!(
        next(&mut client).await,
        ServerFrame::Error(ApiError::LimitExceeded {
            limit: LimitKind::TopicBytes,
            max: 8
        })
    );
    assert_eq!(server.hub.subscribers("t1"), 0);

    client
        .send(Message::Binary(vec![0u8; 1500].into()))
        .await
        .unwrap();
    assert_eq!(
        next(&mut client).await,
        ServerFrame::Error(ApiError::LimitExceeded {
            limit: LimitKind::FrameBytes,
            max: 1024
        })
    );
    request(&mut client, 9, &ServerMsg::Load).await;
    assert_eq!(ok_i64(next(&mut client).await), (9, 0));

    // Far over the limit: the connection ends before the frame is buffered.
    let _ = client.send(Message::Binary(vec![0u8; 4096].into())).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match client.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "an oversized frame did not end the connection"
    );
}

#[tokio::test]
async fn slow_handlers_run_side_by_side_on_the_handler_threads() {
    let server = start(|c| c.handler_threads = 3).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(server.connect().await);
    }
    // Each handler waits for the other two: one after another, the first would wait alone.
    for (id, client) in (1..).zip(clients.iter_mut()) {
        request(client, id, &ServerMsg::Meet(3)).await;
    }
    for (id, client) in (1..).zip(clients.iter_mut()) {
        assert_eq!(ok_i64(next(client).await), (id, 3));
    }
}

#[tokio::test]
async fn a_full_handler_queue_holds_requests_back_without_dropping_them_or_stalling_pushes() {
    // One handler thread and room for one waiting request: the first request runs, the second
    // waits in the queue, the third waits in its connection, which stops reading meanwhile.
    let mut server = start(|c| {
        c.handler_threads = 1;
        c.handler_queue = 1;
    })
    .await;
    let mut busy = server.connect().await;
    let mut other = server.connect().await;
    subscribe(&mut busy, &["counter"]).await;
    server.wait_for_subscribers("counter", 1).await;

    for id in 1..=3 {
        request(&mut busy, id, &ServerMsg::SleepMs(200)).await;
    }
    request(&mut busy, 4, &ServerMsg::Load).await;
    request(&mut other, 5, &ServerMsg::Load).await;
    // 1 runs, 2 is queued, 3 waits in `busy` (which reads no further), 5 waits in `other`.
    server.wait_until_read(4).await;

    // While it cannot queue its request, the connection still receives pushes.
    server.endpoint.hub().publish(
        None,
        &["counter".into()],
        &rally_wire::encode(&Event::Count(9)),
    );
    assert_eq!(
        push(next(&mut busy).await),
        ("counter".into(), Event::Count(9))
    );
    // Then every request is answered, in order (one thread), none with an error.
    for id in 1..=3 {
        assert_eq!(ok_i64(next(&mut busy).await), (id, 200));
    }
    assert_eq!(ok_i64(next(&mut busy).await), (4, 0));
    assert_eq!(ok_i64(next(&mut other).await), (5, 0));

    // A shutdown while the queue is full still answers everything read before it.
    for id in 6..=8 {
        request(&mut busy, id, &ServerMsg::SleepMs(100)).await;
    }
    server.wait_until_read(8).await;
    server.stop.take().unwrap().send(()).unwrap();
    for id in 6..=8 {
        assert_eq!(ok_i64(next(&mut busy).await), (id, 100));
    }
    match busy.next().await {
        Some(Ok(Message::Close(Some(close)))) => assert_eq!(close.code, CloseCode::Away),
        other => panic!("expected a going-away close, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_that_never_reads_is_disconnected_while_others_keep_receiving() {
    let server = start(|c| c.outbound_queue = 4).await;
    let mut origin = server.connect().await;
    let mut reader = server.connect().await;
    let mut sleeper = server.connect().await;
    subscribe(&mut reader, &["big"]).await;
    subscribe(&mut sleeper, &["big"]).await;
    server.wait_for_subscribers("big", 2).await;

    let events = 200;
    let reading = tokio::spawn(async move {
        for _ in 0..events {
            let (_, event) = push(next(&mut reader).await);
            assert!(matches!(event, Event::Blob(b) if b.len() == 256 * 1024));
        }
    });
    for id in 0..events {
        request(&mut origin, id, &ServerMsg::Big(256 * 1024)).await;
        ok_i64(next(&mut origin).await);
    }
    reading.await.unwrap();
    assert_eq!(
        server.hub.subscribers("big"),
        1,
        "the sleeping client is still subscribed"
    );
    assert_eq!(server.hub.connections(), 2);
    // The sleeper finds a close frame after whatever was buffered before it was cut off.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = sleeper.next().await {
            if let Message::Close(Some(close)) = message {
                return Some(close.code);
            }
        }
        None
    })
    .await
    .unwrap();
    assert!(matches!(closed, Some(CloseCode::Policy) | None));
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_then_closes_sockets() {
    let mut server = start(|_| {}).await;
    let mut client = server.connect().await;
    let mut idle = server.connect().await;
    request(&mut client, 1, &ServerMsg::SleepMs(300)).await;
    server.wait_until_read(1).await;
    server.stop.take().unwrap().send(()).unwrap();

    assert_eq!(ok_i64(next(&mut client).await), (1, 300));
    for socket in [&mut client, &mut idle] {
        match socket.next().await {
            Some(Ok(Message::Close(Some(close)))) => assert_eq!(close.code, CloseCode::Away),
            other => panic!("expected a going-away close, got {other:?}"),
        }
    }
    tokio::time::timeout(Duration::from_secs(5), &mut server.served)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(server.endpoint.open_connections(), 0);
    assert!(
        server
            .connect_with(&CONTRACT.to_string(), None)
            .await
            .is_err()
    );
}
