//! The `/ws` endpoint: the upgrade checks (Origin, contract fingerprint), one task per
//! connection, limits, dispatch off the async threads, and graceful shutdown.
//!
//! Data flows one way per connection: a frame arrives → it is decoded and checked → a request
//! is queued for the handler threads → its reply comes back to the connection's mailbox, and
//! the connection task sends the result to the origin and then publishes the reply's event
//! through the hub.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rally_wire::{
    ApiError, ClientFrame, DecodeError, Fingerprint, LimitKind, Limits, Request as WireRequest,
    ServerFrame,
};
use serde::Deserialize;
use tokio::time::Sleep;
use tokio_util::task::TaskTracker;

use super::dispatch::{ConnectionInfo, Dispatch, HandlerPool, Job, Origin, Reply};
use super::http::ConnectionSlot;
use super::hub::{ConnectionId, Hub, LocalHub, Outbox};
use super::mailbox::{Mail, Mailbox, Mailboxes};

/// Limits and policies of the endpoint.
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// The contract the server was built with; clients with another one are told to reload.
    pub contract: Fingerprint,
    /// Origins allowed besides the server's own (`scheme://host[:port]`), for deployments
    /// behind a proxy that rewrites `Host`.
    pub allowed_origins: Vec<String>,
    /// Largest frame accepted from a signed-in connection, in bytes.
    pub max_frame_bytes: usize,
    /// Largest frame accepted from a connection without a session: far below
    /// `max_frame_bytes`, because an incomplete frame is buffered until it ends and anyone can
    /// open sockets (1,000 sockets each sending all but one byte of a 2 MiB frame held 2 GiB).
    pub max_anonymous_frame_bytes: usize,
    /// Largest encoded load or save message, in bytes; larger ones are answered
    /// [`LimitKind::MessageBytes`] without reaching the page.
    pub max_message_bytes: usize,
    /// How often an idle connection is pinged.
    pub ping_every: Duration,
    /// A connection that sends nothing (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
    /// How often a connection's topics are authorized again, so that a session that ends
    /// (signed out elsewhere, expired) stops receiving the pushes it may no longer see.
    pub recheck_topics_every: Duration,
    /// The upgrade request's headers a connection keeps for its life, for auth and pages
    /// (`Caller::headers`); default `Cookie`, `Authorization`, `User-Agent`,
    /// `Accept-Language`. Add the header an app's own auth reads.
    pub kept_headers: Vec<header::HeaderName>,
    /// Requests a connection may have awaiting their result.
    pub max_in_flight: usize,
    /// Topics a connection may subscribe to.
    pub max_topics: usize,
    /// Longest topic name, in bytes.
    pub max_topic_bytes: usize,
    /// Frames queued for a connection before it counts as too slow and is disconnected.
    pub outbound_queue: usize,
    /// How long shutdown waits for in-flight requests before closing sockets anyway.
    pub shutdown_grace: Duration,
    /// Threads that run handlers, shared by every connection. Handlers may block (SQLite), so
    /// they never run on the async threads; a request waits in a queue while every handler
    /// thread is busy. Raise it when handlers spend their time waiting rather than computing.
    pub handler_threads: usize,
    /// Requests that may wait for a handler thread, across all connections. When the queue is
    /// full, a connection with a new request stops reading frames until there is room again
    /// (TCP then slows the client down); it still receives results and pushes meanwhile.
    pub handler_queue: usize,
}

impl WsConfig {
    /// Defaults: 128 KiB frames (16 KiB without a session), 64 KiB messages, 32 requests in
    /// flight, 64 topics of up to 256 bytes, 256 queued frames, a ping every 20 s and a close
    /// after 60 s of silence, topics re-authorized every 15 s, 10 s shutdown grace, one handler
    /// thread per CPU (at least 2) and 1,024 queued requests.
    pub fn new(contract: Fingerprint) -> Self {
        WsConfig {
            contract,
            allowed_origins: Vec::new(),
            max_frame_bytes: 128 * 1024,
            max_anonymous_frame_bytes: 16 * 1024,
            max_message_bytes: 64 * 1024,
            ping_every: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            recheck_topics_every: Duration::from_secs(15),
            kept_headers: vec![
                header::COOKIE,
                header::AUTHORIZATION,
                header::USER_AGENT,
                header::ACCEPT_LANGUAGE,
            ],
            max_in_flight: 32,
            max_topics: 64,
            max_topic_bytes: 256,
            outbound_queue: 256,
            shutdown_grace: Duration::from_secs(10),
            handler_threads: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .max(2),
            handler_queue: 1024,
        }
    }

    /// Decoding limits for a connection's frames: the frame size, and no collection longer
    /// than a topic set may be, checked before anything is allocated for it.
    /// How often a connection looks at its timers.
    fn tick(&self) -> Duration {
        self.ping_every
            .min(self.recheck_topics_every)
            .min(self.idle_timeout / 2)
            .max(Duration::from_millis(10))
    }

    fn limits(&self, max_frame_bytes: usize) -> Limits {
        Limits {
            max_bytes: max_frame_bytes,
            max_len: self.max_topics,
            ..Limits::DEFAULT
        }
    }

    /// The frame limit of a connection with or without a session.
    fn frame_limit(&self, signed_in: bool) -> usize {
        if signed_in {
            self.max_frame_bytes
        } else {
            self.max_anonymous_frame_bytes.min(self.max_frame_bytes)
        }
    }
}

/// The WebSocket endpoint of a Rally server. Cheap to clone.
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

struct Inner {
    config: WsConfig,
    handlers: HandlerPool,
    hub: Arc<dyn Hub>,
    /// Open connections' mailboxes; shutdown goes through them.
    mailboxes: Mailboxes,
    connections: TaskTracker,
    /// Requests read from every connection so far.
    requests_read: AtomicU64,
}

impl Endpoint {
    /// An endpoint with an in-process hub.
    pub fn new(config: WsConfig, dispatch: impl Dispatch) -> Self {
        Self::with_hub(config, dispatch, Arc::new(LocalHub::new()))
    }

    /// An endpoint publishing through `hub`.
    pub fn with_hub(config: WsConfig, dispatch: impl Dispatch, hub: Arc<dyn Hub>) -> Self {
        let handlers = HandlerPool::new(
            Arc::new(dispatch),
            config.handler_threads,
            config.handler_queue,
        );
        Endpoint {
            inner: Arc::new(Inner {
                config,
                handlers,
                hub,
                mailboxes: Mailboxes::default(),
                connections: TaskTracker::new(),
                requests_read: AtomicU64::new(0),
            }),
        }
    }

    /// The route `GET /ws`, to merge into the app's router.
    pub fn router(&self) -> Router {
        Router::new()
            .route(rally_wire::WS_PATH, get(upgrade))
            .with_state(self.clone())
    }

    /// The hub, to publish from outside a request (jobs, admin tools).
    pub fn hub(&self) -> &Arc<dyn Hub> {
        &self.inner.hub
    }

    /// Open connections.
    pub fn open_connections(&self) -> usize {
        self.inner.connections.len()
    }

    /// Requests read from all connections since the start, answered or not (a metric, and
    /// what tests wait on instead of sleeping).
    pub fn requests_read(&self) -> u64 {
        self.inner.requests_read.load(Ordering::Relaxed)
    }

    /// Runs a save posted as an HTML form to `page`, as a socket request from a tab with the
    /// request's `headers` would run: the same Origin check, the same dispatch (mount and page
    /// rules, the caller from the cookie), the same broadcast to every subscriber. The form
    /// itself has no socket, so every subscriber receives the push.
    ///
    /// The decoding and the dispatch run on `pool` (they may block on SQLite).
    pub async fn save_form(
        &self,
        pool: &super::RenderPool,
        page: &str,
        headers: &HeaderMap,
        form: Vec<(String, String)>,
    ) -> Result<(), FormSaveError> {
        let inner = &self.inner;
        check_origin(headers, &inner.config.allowed_origins).map_err(FormSaveError::Origin)?;
        let dispatch = Arc::clone(inner.handlers.dispatch());
        let page = page.to_owned();
        let max = inner.config.max_message_bytes;
        let connection = super::ConnectionInfo {
            id: super::ConnectionId::next(),
            headers: headers.clone(),
        };
        let reply = pool
            .run(move || {
                let message = match dispatch.decode_form(&page, &form) {
                    None => return Err(FormSaveError::NoSaves),
                    Some(Err(e)) => return Err(FormSaveError::Form(e)),
                    Some(Ok(message)) if message.len() > max => {
                        return Err(FormSaveError::Refused(ApiError::LimitExceeded {
                            limit: LimitKind::MessageBytes,
                            max: max as u64,
                        }));
                    }
                    Some(Ok(message)) => message,
                };
                Ok(dispatch.dispatch(super::Request {
                    connection: &connection,
                    page: &page,
                    message: &message,
                }))
            })
            .await
            .map_err(|e| match e {
                super::pool::PoolError::Busy { .. } => FormSaveError::Busy,
                super::pool::PoolError::Panicked(e) => {
                    let trace_id = super::dispatch::trace_id();
                    tracing::error!(%trace_id, "form save panicked: {e}");
                    FormSaveError::Refused(ApiError::Internal { trace_id })
                }
            })??;
        match reply.result {
            Ok(_) => {
                if let Some(publish) = reply.publish {
                    inner.hub.publish(None, &publish.topics, &publish.event);
                }
                Ok(())
            }
            Err(mut errors) => Err(FormSaveError::Refused(errors.pop().unwrap_or(
                ApiError::Internal {
                    trace_id: super::dispatch::trace_id(),
                },
            ))),
        }
    }

    /// Stops accepting connections, lets in-flight requests finish (up to the grace period),
    /// closes every socket with "going away" and waits for the connection tasks to end.
    pub async fn shutdown(&self) {
        self.inner.mailboxes.shut_down();
        self.inner.connections.close();
        let grace = self.inner.config.shutdown_grace + Duration::from_secs(1);
        if tokio::time::timeout(grace, self.inner.connections.wait())
            .await
            .is_err()
        {
            tracing::warn!("websocket connections still open after the shutdown grace period");
        }
    }
}

#[derive(Deserialize)]
struct UpgradeQuery {
    contract: Option<String>,
}

async fn upgrade(
    State(endpoint): State<Endpoint>,
    Query(query): Query<UpgradeQuery>,
    slot: Option<Extension<ConnectionSlot>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let inner = &endpoint.inner;
    if inner.mailboxes.shutting_down() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        )
            .into_response();
    }
    if let Err(refusal) = check_origin(&headers, &inner.config.allowed_origins) {
        tracing::warn!("websocket upgrade refused: {refusal}");
        return (StatusCode::FORBIDDEN, refusal).into_response();
    }
    let contract_ok = query
        .contract
        .as_deref()
        .and_then(|c| c.parse::<Fingerprint>().ok())
        .is_some_and(|c| c == inner.config.contract);
    let connection = ConnectionInfo {
        id: ConnectionId::next(),
        headers: kept_headers(&headers, &inner.config.kept_headers),
    };
    let signed_in = signed_in(Arc::clone(inner.handlers.dispatch()), connection.clone()).await;
    let max = inner.config.frame_limit(signed_in);
    let tracker = inner.connections.clone();
    // Frames up to twice the limit are read and answered with a clear error; larger ones end
    // the connection inside tungstenite before they are buffered.
    ws.max_message_size(max.saturating_mul(2))
        .max_frame_size(max.saturating_mul(2))
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                // The HTTP connection's place under the listener's caps is held by the socket.
                let _slot = slot;
                if contract_ok {
                    Connection::new(endpoint, connection, socket, max)
                        .run()
                        .await;
                } else {
                    refuse_contract(socket).await;
                }
            })
        })
}

/// Whether the upgrade request carries a live session, on a blocking thread (it may read the
/// session store).
async fn signed_in(dispatch: Arc<dyn Dispatch>, info: ConnectionInfo) -> bool {
    tokio::task::spawn_blocking(move || dispatch.signed_in(&info))
        .await
        .unwrap_or(false)
}

/// The headers a connection keeps for its life (`WsConfig::kept_headers`), as copies that own
/// their bytes. Everything else of the upgrade request is dropped: a socket kept a 400 KB
/// header for its life (issue 14), and the originals point into hyper's read buffer, which
/// would otherwise live as long as the socket.
fn kept_headers(headers: &HeaderMap, kept: &[header::HeaderName]) -> HeaderMap {
    headers
        .iter()
        .filter(|(k, _)| kept.contains(k))
        .filter_map(|(k, v)| Some((k.clone(), HeaderValue::from_bytes(v.as_bytes()).ok()?)))
        .collect()
}

/// Same origin by default (the `Origin` authority equals `Host`), or one of `allowed`.
/// Browsers always send `Origin` on a WebSocket upgrade; a request without one comes from a
/// non-browser client, which cross-site request forgery cannot drive, so it is let through.
fn check_origin(headers: &HeaderMap, allowed: &[String]) -> Result<(), String> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .map_err(|_| "unreadable Origin header".to_owned())?;
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return Ok(());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    if !host.is_empty() && authority.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(format!(
            "Origin {origin} is not this server ({host}); add it to WsConfig::allowed_origins if it should connect"
        ))
    }
}

async fn refuse_contract(mut socket: WebSocket) {
    let reload = ServerFrame::Reload {
        reason: "this page was built for another version of the server".to_owned(),
    };
    let _ = socket
        .send(Message::Binary(rally_wire::encode(&reload).into()))
        .await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: close_code::POLICY,
            reason: "contract mismatch".into(),
        })))
        .await;
}

struct Connection {
    endpoint: Endpoint,
    /// The connection's info and mailbox, shared with its jobs.
    origin: Arc<Origin>,
    socket: WebSocket,
    /// What the last wake-up took from the mailbox and is not handled yet.
    mail: Mail,
    /// Requests read and not yet answered, including `waiting`.
    in_flight: usize,
    /// A request read while the handler queue was full; no frame is read until it is queued.
    waiting: Option<WireRequest>,
    /// The largest frame this connection may send (smaller without a session).
    max_frame: usize,
    /// The topic set in force, as last accepted.
    topics: Vec<String>,
    /// When the client last sent anything (a frame, a pong).
    heard: Instant,
    /// When the connection was last pinged, and its topics last authorized.
    pinged: Instant,
    topics_checked: Instant,
}

/// A connection's entries in the hub and the mailbox registry, removed on drop.
struct Registered {
    inner: Arc<Inner>,
    origin: Arc<Origin>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let id = self.origin.info.id;
        self.inner.hub.leave(id);
        self.inner.mailboxes.close(id);
        self.origin.mailbox.close();
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum End {
    ClientClosed,
    SlowConsumer,
    Shutdown,
    Broken,
    Idle,
}

/// What woke the connection task.
enum Wake {
    Mail,
    Place,
    Frame(Message),
    Tick,
    Ended(End),
}

impl Connection {
    fn new(endpoint: Endpoint, info: ConnectionInfo, socket: WebSocket, max_frame: usize) -> Self {
        let inner = &endpoint.inner;
        let mailbox = Arc::new(Mailbox::new(inner.config.outbound_queue));
        inner.hub.join(info.id, Outbox::new(Arc::clone(&mailbox)));
        inner.mailboxes.open(info.id, Arc::clone(&mailbox));
        Connection {
            endpoint,
            origin: Arc::new(Origin { info, mailbox }),
            socket,
            mail: Mail::default(),
            in_flight: 0,
            waiting: None,
            max_frame,
            topics: Vec::new(),
            heard: Instant::now(),
            pinged: Instant::now(),
            topics_checked: Instant::now(),
        }
    }

    async fn run(mut self) {
        // Leaves the hub and the registry even if the task panics or is dropped.
        let registered = Registered {
            inner: Arc::clone(&self.endpoint.inner),
            origin: Arc::clone(&self.origin),
        };
        let end = self.serve().await;
        drop(registered);
        if let Some(request) = self.waiting.take() {
            // Read from the socket, so handled like every other request, though nobody may be
            // waiting for its result any more.
            let job = Job::new(&self.origin, request);
            self.endpoint.inner.handlers.submit_over_capacity(job);
        }
        let (code, reason) = match end {
            End::SlowConsumer => (close_code::POLICY, "too slow to receive pushes; reconnect"),
            End::Shutdown => (close_code::AWAY, "server shutting down"),
            End::Idle => (close_code::POLICY, "idle for too long"),
            End::ClientClosed | End::Broken => return,
        };
        tracing::debug!(
            connection = self.origin.info.id.0,
            ?end,
            "closing websocket"
        );
        let close = Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }));
        let _ = tokio::time::timeout(Duration::from_secs(1), self.socket.send(close)).await;
    }

    async fn serve(&mut self) -> End {
        let inner = Arc::clone(&self.endpoint.inner);
        let mut grace: Option<Pin<Box<Sleep>>> = None;
        let mut ticks = tokio::time::interval(inner.config.tick());
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.reset();
        loop {
            let draining = grace.is_some();
            if draining && self.in_flight == 0 {
                return End::Shutdown;
            }
            let reading = !draining && self.waiting.is_none();
            let mailbox = &self.origin.mailbox;
            let mail = &mut self.mail;
            // The mailbox comes first: results and pushes go out before more is read.
            let wake = tokio::select! {
                biased;
                () = std::future::poll_fn(|cx| mailbox.poll_take(cx, mail)) => Wake::Mail,
                place = inner.handlers.place(), if self.waiting.is_some() => {
                    if let Some(request) = self.waiting.take() {
                        let job = Job::new(&self.origin, request);
                        inner.handlers.submit(place, job);
                    }
                    Wake::Place
                }
                _ = ticks.tick() => Wake::Tick,
                incoming = self.socket.recv(), if reading => match incoming {
                    Some(Ok(message)) => Wake::Frame(message),
                    Some(Err(e)) => {
                        tracing::debug!(connection = self.origin.info.id.0, "websocket read failed: {e}");
                        Wake::Ended(End::Broken)
                    }
                    None => Wake::Ended(End::ClientClosed),
                },
                () = elapsed(&mut grace) => {
                    tracing::warn!(connection = self.origin.info.id.0, in_flight = self.in_flight, "closing with requests still running");
                    Wake::Ended(End::Shutdown)
                }
            };
            let handled = match wake {
                Wake::Mail => self.handle_mail(&mut grace).await,
                Wake::Place => Ok(()),
                Wake::Frame(message) => {
                    self.heard = Instant::now();
                    self.receive(message).await
                }
                Wake::Tick => self.tick().await,
                Wake::Ended(end) => Err(end),
            };
            if let Err(end) = handled {
                return end;
            }
        }
    }

    /// Sends the results and pushes that arrived, in order; starts the shutdown grace period
    /// when the endpoint is shutting down.
    async fn handle_mail(&mut self, grace: &mut Option<Pin<Box<Sleep>>>) -> Result<(), End> {
        if self.mail.slow {
            return Err(End::SlowConsumer);
        }
        if std::mem::take(&mut self.mail.shutdown) && grace.is_none() {
            let period = self.endpoint.inner.config.shutdown_grace;
            *grace = Some(Box::pin(tokio::time::sleep(period)));
        }
        while let Some((id, reply)) = self.mail.replies.pop_front() {
            self.finish(id, reply).await?;
        }
        while let Some(push) = self.mail.pushes.pop_front() {
            self.send(Message::Binary(push)).await?;
        }
        self.mail.trim();
        Ok(())
    }

    /// Sends a frame; the wait ends early if the hub disconnects a slow consumer.
    async fn send(&mut self, message: Message) -> Result<(), End> {
        let mailbox = &self.origin.mailbox;
        tokio::select! {
            // The mailbox is asked only when the write has to wait.
            biased;
            result = self.socket.send(message) => result.map_err(|_| End::Broken),
            () = std::future::poll_fn(|cx| mailbox.poll_slow(cx)) => Err(End::SlowConsumer),
        }
    }

    async fn send_frame(&mut self, frame: &ServerFrame) -> Result<(), End> {
        self.send(Message::Binary(Bytes::from(rally_wire::encode(frame))))
            .await
    }

    async fn receive(&mut self, message: Message) -> Result<(), End> {
        let bytes = match message {
            Message::Binary(bytes) => bytes,
            Message::Text(_) => {
                let reason =
                    "text frames are not part of the protocol; send binary frames".to_owned();
                return self
                    .send_frame(&ServerFrame::Error(ApiError::BadRequest { reason }))
                    .await;
            }
            Message::Close(_) => return Err(End::ClientClosed),
            Message::Ping(_) | Message::Pong(_) => return Ok(()),
        };
        let config = &self.endpoint.inner.config;
        match rally_wire::decode_with::<ClientFrame>(&bytes, config.limits(self.max_frame)) {
            Ok(ClientFrame::Request(request)) => {
                self.endpoint
                    .inner
                    .requests_read
                    .fetch_add(1, Ordering::Relaxed);
                self.request(request).await
            }
            Ok(ClientFrame::Topics(topics)) => self.topics(topics).await,
            // The only collection in a client frame is the topic set: refused while decoding,
            // before a million empty names are allocated, sorted and de-duplicated.
            Err(DecodeError::TooLong { max }) => {
                let error = ApiError::LimitExceeded {
                    limit: LimitKind::Topics,
                    max: max as u64,
                };
                self.send_frame(&ServerFrame::Error(error)).await
            }
            Err(DecodeError::TooLarge { max, .. }) => {
                let error = ApiError::LimitExceeded {
                    limit: LimitKind::FrameBytes,
                    max: max as u64,
                };
                self.send_frame(&ServerFrame::Error(error)).await
            }
            Err(e) => {
                tracing::debug!(connection = self.origin.info.id.0, "undecodable frame: {e}");
                let error = ApiError::BadRequest {
                    reason: format!("undecodable frame: {e}"),
                };
                self.send_frame(&ServerFrame::Error(error)).await
            }
        }
    }

    async fn request(&mut self, request: WireRequest) -> Result<(), End> {
        let config = &self.endpoint.inner.config;
        if request.message.len() > config.max_message_bytes {
            let error = ApiError::LimitExceeded {
                limit: LimitKind::MessageBytes,
                max: config.max_message_bytes as u64,
            };
            return self
                .send_frame(&ServerFrame::err(request.id, vec![error]))
                .await;
        }
        let max = config.max_in_flight;
        if self.in_flight >= max {
            let error = ApiError::LimitExceeded {
                limit: LimitKind::InFlight,
                max: max as u64,
            };
            return self
                .send_frame(&ServerFrame::err(request.id, vec![error]))
                .await;
        }
        self.in_flight += 1;
        let handlers = &self.endpoint.inner.handlers;
        match handlers.try_place() {
            Some(place) => handlers.submit(place, Job::new(&self.origin, request)),
            // The queue is full: stop reading until a place is free (`serve`).
            None => self.waiting = Some(request),
        }
        Ok(())
    }

    /// Sends the result to the origin, then publishes the reply's event to the peers.
    async fn finish(&mut self, id: u32, reply: Reply) -> Result<(), End> {
        self.in_flight -= 1;
        let refused =
            matches!(&reply.result, Err(errors) if errors.contains(&ApiError::Unauthorized));
        let frame = match reply.result {
            Ok(payload) => ServerFrame::ok(id, payload),
            Err(errors) => ServerFrame::err(id, errors),
        };
        let sent = self.send_frame(&frame).await;
        if refused {
            // The session may have ended: its pushes end with it, not at the next check.
            self.recheck_topics().await?;
        }
        if let Some(publish) = reply.publish {
            self.endpoint.inner.hub.publish(
                Some(self.origin.info.id),
                &publish.topics,
                &publish.event,
            );
        }
        sent
    }

    async fn topics(&mut self, mut topics: Vec<String>) -> Result<(), End> {
        let config = &self.endpoint.inner.config;
        topics.sort_unstable();
        topics.dedup();
        let error = if topics.len() > config.max_topics {
            Some(ApiError::LimitExceeded {
                limit: LimitKind::Topics,
                max: config.max_topics as u64,
            })
        } else if topics.iter().any(|t| t.len() > config.max_topic_bytes) {
            Some(ApiError::LimitExceeded {
                limit: LimitKind::TopicBytes,
                max: config.max_topic_bytes as u64,
            })
        } else {
            None
        };
        let error = match error {
            None => {
                let dispatch = Arc::clone(self.endpoint.inner.handlers.dispatch());
                authorize_topics(dispatch, self.origin.info.clone(), &topics)
                    .await
                    .err()
            }
            error => error,
        };
        match error {
            // The previous set stays in force.
            Some(error) => self.send_frame(&ServerFrame::Error(error)).await,
            None => {
                self.topics.clone_from(&topics);
                self.topics_checked = Instant::now();
                self.endpoint
                    .inner
                    .hub
                    .set_topics(self.origin.info.id, topics);
                Ok(())
            }
        }
    }

    /// The periodic chores: close a silent connection, ping an idle one, authorize the topics
    /// again when it is time.
    async fn tick(&mut self) -> Result<(), End> {
        let config = &self.endpoint.inner.config;
        let now = Instant::now();
        if now.duration_since(self.heard) >= config.idle_timeout {
            return Err(End::Idle);
        }
        let recheck = now.duration_since(self.topics_checked) >= config.recheck_topics_every;
        if now.duration_since(self.pinged) >= config.ping_every
            && now.duration_since(self.heard) >= config.ping_every
        {
            self.pinged = now;
            self.send(Message::Ping(Bytes::new())).await?;
        }
        if recheck {
            self.recheck_topics().await?;
        }
        Ok(())
    }

    /// Authorizes the topic set in force again; the topics the caller may no longer see are
    /// dropped, and the client is told with a frame-level `Unauthorized` (the browser then
    /// loads the page again as a document, which signs it in or shows it without them).
    async fn recheck_topics(&mut self) -> Result<(), End> {
        self.topics_checked = Instant::now();
        let dispatch = Arc::clone(self.endpoint.inner.handlers.dispatch());
        if self.topics.is_empty() || !dispatch.authorizes_topics() {
            return Ok(());
        }
        let info = self.origin.info.clone();
        let topics = self.topics.clone();
        let kept = tokio::task::spawn_blocking(move || {
            if dispatch.authorize_topics(&info, &topics).is_ok() {
                return topics;
            }
            topics
                .into_iter()
                .filter(|t| {
                    dispatch
                        .authorize_topics(&info, std::slice::from_ref(t))
                        .is_ok()
                })
                .collect()
        })
        .await
        .unwrap_or_default();
        if kept.len() == self.topics.len() {
            return Ok(());
        }
        tracing::debug!(
            connection = self.origin.info.id.0,
            dropped = self.topics.len() - kept.len(),
            "topics no longer authorized"
        );
        self.topics.clone_from(&kept);
        self.endpoint
            .inner
            .hub
            .set_topics(self.origin.info.id, kept);
        self.send_frame(&ServerFrame::Error(ApiError::Unauthorized))
            .await
    }
}

/// The app's topic rule for `topics`, on a blocking thread (it may read the session store).
async fn authorize_topics(
    dispatch: Arc<dyn super::Dispatch>,
    info: super::ConnectionInfo,
    topics: &[String],
) -> Result<(), ApiError> {
    if !dispatch.authorizes_topics() {
        return Ok(());
    }
    let topics = topics.to_vec();
    tokio::task::spawn_blocking(move || dispatch.authorize_topics(&info, &topics))
        .await
        .unwrap_or_else(|e| {
            let trace_id = super::dispatch::trace_id();
            tracing::error!(%trace_id, "topic authorization panicked: {e}");
            Err(ApiError::Internal { trace_id })
        })
}

/// Why a save posted as a form was not made.
#[derive(Debug, thiserror::Error)]
pub enum FormSaveError {
    /// The request came from another site's page.
    #[error("{0}")]
    Origin(String),
    /// The route's page takes no saves.
    #[error("this page takes no saves")]
    NoSaves,
    /// The posted fields are not a save of the page.
    #[error(transparent)]
    Form(#[from] crate::form::FormError),
    /// The dispatch refused or failed it: the caller may not, or `handle_save` said no.
    #[error("{0}")]
    Refused(ApiError),
    /// Every render thread was busy and their queue full; nothing was saved.
    #[error("the server is busy; nothing was saved")]
    Busy,
}

/// Completes when the shutdown grace period has elapsed; never while it has not begun.
fn elapsed(grace: &mut Option<Pin<Box<Sleep>>>) -> impl Future<Output = ()> + '_ {
    std::future::poll_fn(move |cx| match grace {
        Some(sleep) => sleep.as_mut().poll(cx),
        None => std::task::Poll::Pending,
    })
}
