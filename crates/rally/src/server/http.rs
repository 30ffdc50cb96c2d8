//! The HTTP listener: accepts TCP connections and serves the app's router on each, with the
//! limits a server facing the internet needs.
//!
//! `axum::serve` has no header timeout, no header size setting and no connection caps: a client
//! that sends 390 KB of headers and never finishes was held for minutes, and 500 of them cost
//! 187 MiB (issue 14). Here each connection is served by hyper's HTTP/1 server directly:
//!
//! - **Caps**: at most [`HttpLimits::max_connections`] open connections, and
//!   [`HttpLimits::max_connections_per_ip`] from one address; a connection over a cap is answered
//!   `503` with `Retry-After` and closed. A WebSocket keeps its connection's slot for its life.
//! - **Header timeout**: the request head must arrive within [`HttpLimits::header_timeout`]; the
//!   same clock runs while a kept-alive connection waits for its next request, so idle
//!   connections close too.
//! - **Header size**: hyper's read buffer is capped at [`HttpLimits::max_header_bytes`]; a larger
//!   head is answered `431`.
//! - **The client's address** is in every request as `ConnectInfo<SocketAddr>`: the peer, or
//!   behind a trusted proxy the last `X-Forwarded-For` entry (which the proxy appended).
//!
//! HTTP/2 and TLS are the reverse proxy's job (docs/deploy.md): the app speaks HTTP/1.1.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// Limits of the HTTP listener; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Open connections, WebSockets included.
    pub max_connections: usize,
    /// Open connections from one client address (`0`: no per-address cap).
    pub max_connections_per_ip: usize,
    /// Time for a request head to arrive, and for an idle kept-alive connection to be reused.
    pub header_timeout: Duration,
    /// Largest request head (request line and headers), in bytes; at least 8,192.
    pub max_header_bytes: usize,
    /// Take the client's address from the last `X-Forwarded-For` entry: set it only behind a
    /// reverse proxy that appends it, since anyone can send the header. Then the per-address
    /// cap is off (every connection comes from the proxy).
    pub behind_proxy: bool,
}

impl Default for HttpLimits {
    /// 10,000 connections, 256 per address, 10 s for a request head, 32 KiB heads, no proxy.
    fn default() -> Self {
        HttpLimits {
            max_connections: 10_000,
            max_connections_per_ip: 256,
            header_timeout: Duration::from_secs(10),
            max_header_bytes: 32 * 1024,
            behind_proxy: false,
        }
    }
}

/// A connection's place under the caps, released when the last holder drops it: the HTTP
/// connection, and a WebSocket upgraded from it (see [`ConnectionSlot::from_request`]).
#[derive(Clone, Debug)]
pub struct ConnectionSlot(#[allow(dead_code)] Arc<SlotGuard>);

impl ConnectionSlot {
    /// The slot of the connection a request arrived on, to keep it held for as long as
    /// something outlives the request (a WebSocket).
    pub fn from_request(headers_and_extensions: &axum::http::Extensions) -> Option<Self> {
        headers_and_extensions.get::<ConnectionSlot>().cloned()
    }
}

#[derive(Debug)]
struct SlotGuard {
    counts: Arc<Counts>,
    ip: IpAddr,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.counts.release(self.ip);
    }
}

/// Open connections, in all and per address.
#[derive(Debug, Default)]
struct Counts {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

impl Counts {
    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, HashMap<IpAddr, usize>)> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a connection from `ip`, or `None` when a cap is reached.
    fn acquire(self: &Arc<Self>, ip: IpAddr, limits: &HttpLimits) -> Option<SlotGuard> {
        let mut open = self.lock();
        let (total, per_ip) = &mut *open;
        if *total >= limits.max_connections {
            return None;
        }
        let from_ip = per_ip.entry(ip).or_insert(0);
        if limits.max_connections_per_ip > 0
            && !limits.behind_proxy
            && *from_ip >= limits.max_connections_per_ip
        {
            return None;
        }
        *from_ip += 1;
        *total += 1;
        Some(SlotGuard {
            counts: Arc::clone(self),
            ip,
        })
    }

    fn release(&self, ip: IpAddr) {
        let mut open = self.lock();
        let (total, per_ip) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = per_ip.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, lets each
/// connection finish its request in flight, and returns once they have closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let counts = Arc::new(Counts::default());
    let stop = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut refusals = LogEvery::new(Duration::from_secs(10));
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was accepted: wait a
                    // little instead of spinning, as every accept loop must.
                    tracing::debug!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY on an accepted socket: {e}");
        }
        let Some(slot) = counts.acquire(peer.ip(), &limits) else {
            if refusals.ready() {
                tracing::warn!(
                    peer = %peer.ip(),
                    refused = refusals.take(),
                    "connection refused: too many open connections (HttpLimits)"
                );
            }
            connections.spawn(refuse(stream));
            continue;
        };
        let slot = ConnectionSlot(Arc::new(slot));
        connections.spawn(serve_connection(
            stream,
            peer,
            router.clone(),
            limits.clone(),
            slot,
            stop.clone(),
        ));
    }
    stop.cancel();
    connections.close();
    connections.wait().await;
    Ok(())
}

/// Answers a connection over a cap, briefly, and closes it.
async fn refuse(mut stream: TcpStream) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 37\r\nretry-after: 5\r\nconnection: close\r\n\r\nToo many connections; try again soon.";
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(BUSY)).await;
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: HttpLimits,
    slot: ConnectionSlot,
    stop: CancellationToken,
) {
    let behind_proxy = limits.behind_proxy;
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let client = if behind_proxy {
            forwarded_client(request.headers()).map_or(peer, |ip| SocketAddr::new(ip, 0))
        } else {
            peer
        };
        let extensions = request.extensions_mut();
        extensions.insert(ConnectInfo(client));
        extensions.insert(slot.clone());
        let router = router.clone();
        async move { router.oneshot(request).await.map_err(|e: Infallible| e) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(8192));
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let served = tokio::select! {
        served = connection.as_mut() => served,
        () = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = served {
        // Timeouts, oversized heads (answered 431 by hyper) and resets: the client's doing.
        tracing::debug!(peer = %peer, "connection ended: {e}");
    }
}

/// The client's address as the last `X-Forwarded-For` entry: the one the trusted proxy added.
pub fn forwarded_client(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str()
        .ok()?
        .rsplit(',')
        .next()
        .and_then(|entry| entry.trim().parse().ok())
}

/// Lets one log line through per period, counting the ones held back meanwhile, so that a
/// flood logs a few lines with counts instead of one line per event.
#[derive(Debug)]
pub struct LogEvery {
    period: Duration,
    last: Option<Instant>,
    held: u64,
}

impl LogEvery {
    /// At most one line per `period`.
    pub fn new(period: Duration) -> Self {
        LogEvery {
            period,
            last: None,
            held: 0,
        }
    }

    /// Whether to log now; counts the event either way.
    pub fn ready(&mut self) -> bool {
        self.ready_at(Instant::now())
    }

    /// As [`LogEvery::ready`], at `now`.
    pub fn ready_at(&mut self, now: Instant) -> bool {
        self.held += 1;
        let ready = self.last.is_none_or(|last| now - last >= self.period);
        if ready {
            self.last = Some(now);
        }
        ready
    }

    /// The events since the last line (this one included), and starts counting again.
    pub fn take(&mut self) -> u64 {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn caps_count_per_address_and_in_all_and_release_on_drop() {
        let counts = Arc::new(Counts::default());
        let limits = HttpLimits {
            max_connections: 3,
            max_connections_per_ip: 2,
            ..HttpLimits::default()
        };
        let a1 = counts.acquire(ip("10.0.0.1"), &limits).unwrap();
        let _a2 = counts.acquire(ip("10.0.0.1"), &limits).unwrap();
        assert!(
            counts.acquire(ip("10.0.0.1"), &limits).is_none(),
            "per-address cap"
        );
        let _b1 = counts.acquire(ip("10.0.0.2"), &limits).unwrap();
        assert!(
            counts.acquire(ip("10.0.0.3"), &limits).is_none(),
            "total cap"
        );
        drop(a1);
        assert!(counts.acquire(ip("10.0.0.1"), &limits).is_some());
    }

    #[test]
    fn behind_a_proxy_only_the_total_cap_applies() {
        let counts = Arc::new(Counts::default());
        let limits = HttpLimits {
            max_connections: 3,
            max_connections_per_ip: 1,
            behind_proxy: true,
            ..HttpLimits::default()
        };
        let held: Vec<_> = (0..3)
            .map(|_| counts.acquire(ip("10.0.0.9"), &limits).unwrap())
            .collect();
        assert!(counts.acquire(ip("10.0.0.9"), &limits).is_none());
        drop(held);
        assert_eq!(counts.lock().0, 0);
        assert!(
            counts.lock().1.is_empty(),
            "no entry left for a gone address"
        );
    }

    #[test]
    fn the_forwarded_client_is_the_last_entry() {
        let mut headers = HeaderMap::new();
        assert_eq!(forwarded_client(&headers), None);
        headers.append("x-forwarded-for", "1.1.1.1, 2.2.2.2".parse().unwrap());
        assert_eq!(forwarded_client(&headers), Some(ip("2.2.2.2")));
        headers.append("x-forwarded-for", "3.3.3.3".parse().unwrap());
        assert_eq!(forwarded_client(&headers), Some(ip("3.3.3.3")));
        headers.insert("x-forwarded-for", "not an ip".parse().unwrap());
        assert_eq!(forwarded_client(&headers), None);
    }

    #[test]
    fn log_every_lets_one_line_through_per_period_with_the_count() {
        let mut log = LogEvery::new(Duration::from_secs(10));
        let start = Instant::now();
        assert!(log.ready_at(start));
        assert_eq!(log.take(), 1);
        for n in 0..99 {
            assert!(!log.ready_at(start + Duration::from_millis(n * 90)));
        }
        assert!(log.ready_at(start + Duration::from_secs(10)));
        assert_eq!(log.take(), 100);
    }
}
