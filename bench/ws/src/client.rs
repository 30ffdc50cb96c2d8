//! The load generators: closed-loop request/response, and the fan-out with its memory readings.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::proto::{self, Msg, Target};
use crate::sys;

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Handshakes in flight at once (the listen backlog is 1,024; staying well under it avoids
/// SYN retransmits that would stretch the set-up by seconds).
const CONNECTS_IN_FLIGHT: usize = 64;

/// Opens a WebSocket to the server on `port` (Nagle off on the client side, 4 KiB read buffer).
pub async fn connect(port: u16) -> Result<Client, String> {
    let url = format!(
        "ws://127.0.0.1:{port}{}?{}={}",
        rally_wire::WS_PATH,
        rally_wire::CONTRACT_PARAM,
        proto::CONTRACT
    );
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .map(|(ws, _)| ws)
        .map_err(|e| format!("connect to 127.0.0.1:{port}: {e}"))
}

/// The next binary message, skipping pings and pongs.
async fn next_binary(ws: &mut Client) -> Result<Vec<u8>, String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(bytes))) => return Ok(bytes.to_vec()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => return Err(format!("unexpected message {other:?}")),
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err("the server closed the connection".to_owned()),
        }
    }
}

/// One `Get` round trip, checked.
async fn get(ws: &mut Client, target: Target, id: u32) -> Result<(), String> {
    let frame = proto::request_frame(id, &Msg::Get { key: id });
    ws.send(Message::Binary(frame.into()))
        .await
        .map_err(|e| format!("send: {e}"))?;
    let reply = next_binary(ws).await?;
    target.check_get_reply(&reply, id)
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Percentiles {
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
}

/// Percentiles of nanosecond samples (sorted in place); zeros when empty.
pub fn percentiles(samples: &mut [u64]) -> Percentiles {
    if samples.is_empty() {
        return Percentiles {
            p50_us: 0.0,
            p99_us: 0.0,
            max_us: 0.0,
            mean_us: 0.0,
        };
    }
    samples.sort_unstable();
    let at = |p: f64| {
        let rank = (p * samples.len() as f64).ceil() as usize;
        samples[rank.clamp(1, samples.len()) - 1] as f64 / 1000.0
    };
    let mean = samples.iter().map(|&s| s as f64).sum::<f64>() / samples.len() as f64;
    Percentiles {
        p50_us: rounded(at(0.50), 1),
        p99_us: rounded(at(0.99), 1),
        max_us: rounded(at(1.0), 1),
        mean_us: rounded(mean / 1000.0, 1),
    }
}

/// `x` rounded to `digits` decimals (for the JSON).
pub fn rounded(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// One measured point of the request/response benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub server: &'static str,
    pub connections: usize,
    pub requests: usize,
    pub seconds: f64,
    pub requests_per_s: f64,
    pub latency: Percentiles,
    /// Server process CPU time per request, in microseconds (user + system, all threads).
    pub server_cpu_us_per_request: f64,
    /// Server process CPU use during the window, in % of one core.
    pub server_cpu_percent: f64,
    /// Load generator CPU use during the window, in % of one core.
    pub client_cpu_percent: f64,
    /// Server threads at the end of the window.
    pub server_threads: u64,
}

/// `connections` closed-loop clients against one server: each sends a `Get`, awaits its
/// result and repeats, for `warmup` and then `measure`. Only round trips that both start and
/// end inside the measured window count.
pub async fn request_response(
    target: Target,
    server: &sys::ServerProcess,
    connections: usize,
    warmup: Duration,
    measure: Duration,
) -> Result<Point, String> {
    let gate = Arc::new(Semaphore::new(CONNECTS_IN_FLIGHT));
    let mut connecting = JoinSet::new();
    for _ in 0..connections {
        let gate = Arc::clone(&gate);
        let port = server.port;
        connecting.spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            let mut ws = connect(port).await?;
            // One round trip so the connection is fully set up before the clock starts.
            get(&mut ws, target, 1).await?;
            Ok::<_, String>(ws)
        });
    }
    let mut clients = Vec::with_capacity(connections);
    while let Some(joined) = connecting.join_next().await {
        clients.push(joined.map_err(|e| e.to_string())??);
    }

    let start = Instant::now();
    let window_start = start + warmup;
    let window_end = window_start + measure;
    let mut running = JoinSet::new();
    for ws in clients {
        running.spawn(closed_loop(ws, target, window_start, window_end));
    }
    let me = std::process::id();
    tokio::time::sleep_until(window_start.into()).await;
    let server_cpu0 = sys::cpu_secs(server.pid).unwrap_or(0.0);
    let client_cpu0 = sys::cpu_secs(me).unwrap_or(0.0);
    let t0 = Instant::now();
    tokio::time::sleep_until(window_end.into()).await;
    let server_cpu1 = sys::cpu_secs(server.pid).unwrap_or(0.0);
    let client_cpu1 = sys::cpu_secs(me).unwrap_or(0.0);
    let elapsed = t0.elapsed().as_secs_f64();
    let server_threads = sys::threads(server.pid).unwrap_or(0);

    let mut samples = Vec::new();
    while let Some(joined) = running.join_next().await {
        samples.extend(joined.map_err(|e| e.to_string())??);
    }
    let requests = samples.len();
    let seconds = measure.as_secs_f64();
    let server_cpu = server_cpu1 - server_cpu0;
    Ok(Point {
        server: target.name(),
        connections,
        requests,
        seconds,
        requests_per_s: rounded(requests as f64 / seconds, 0),
        latency: percentiles(&mut samples),
        server_cpu_us_per_request: if requests > 0 {
            rounded(server_cpu * 1e6 / requests as f64, 2)
        } else {
            0.0
        },
        server_cpu_percent: rounded(server_cpu * 100.0 / elapsed, 1),
        client_cpu_percent: rounded((client_cpu1 - client_cpu0) * 100.0 / elapsed, 1),
        server_threads,
    })
}

async fn closed_loop(
    mut ws: Client,
    target: Target,
    window_start: Instant,
    window_end: Instant,
) -> Result<Vec<u64>, String> {
    let mut samples = Vec::new();
    let mut id: u32 = 2;
    loop {
        let sent = Instant::now();
        get(&mut ws, target, id).await?;
        let done = Instant::now();
        if sent >= window_start && done <= window_end {
            samples.push((done - sent).as_nanos() as u64);
        }
        if done >= window_end {
            break;
        }
        id = id.checked_add(1).unwrap_or(2);
    }
    let _ = tokio::time::timeout(Duration::from_millis(200), ws.close(None)).await;
    Ok(samples)
}

/// Memory readings of the fan-out server.
#[derive(Debug, Clone, Serialize)]
pub struct Memory {
    pub rss_kib_fresh: u64,
    /// Connections at the intermediate reading (1,000, or all when fewer).
    pub connections_first: usize,
    pub rss_kib_at_first: u64,
    pub rss_kib_at_all: u64,
    pub connections: usize,
    /// (RSS with all connections − RSS of the fresh server) / connections.
    pub kib_per_connection: f64,
    /// (RSS with all − RSS at the first reading) / (connections − first): without the
    /// one-off costs (worker and blocking threads, allocator arenas).
    pub kib_per_connection_marginal: f64,
}

/// One publish of the fan-out.
#[derive(Debug, Clone, Serialize)]
pub struct Publish {
    pub round: u32,
    /// Subscribers that received the push.
    pub received: usize,
    /// Round trip of the save itself (its result to the origin), microseconds.
    pub save_result_us: f64,
    /// From sending the save until each subscriber had the push.
    pub latency: Percentiles,
    /// Server process CPU time from the save until every push arrived, milliseconds.
    pub server_cpu_ms: f64,
    /// Load generator CPU time over the same span, milliseconds.
    pub client_cpu_ms: f64,
    /// With several server nodes: the p50 latency of each node's subscribers, microseconds
    /// (node 0 holds the saver; the others receive through the broker).
    pub node_p50_us: Vec<f64>,
}

/// Result of the fan-out benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct FanOut {
    pub subscribers: usize,
    pub connect_seconds: f64,
    pub memory: Memory,
    pub publishes: Vec<Publish>,
    /// Over all publishes: the median p50 and p99 and the worst max, milliseconds.
    pub summary_ms: Summary,
}

/// Fan-out latency over all publishes, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    pub p50_median: f64,
    pub p99_median: f64,
    pub max_worst: f64,
}

fn summarize(publishes: &[Publish]) -> Summary {
    let median = |f: fn(&Publish) -> f64| {
        let mut v: Vec<f64> = publishes.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0) / 1000.0
    };
    Summary {
        p50_median: rounded(median(|p| p.latency.p50_us), 2),
        p99_median: rounded(median(|p| p.latency.p99_us), 2),
        max_worst: rounded(
            publishes
                .iter()
                .map(|p| p.latency.max_us / 1000.0)
                .fold(0.0, f64::max),
            2,
        ),
    }
}

/// What every subscriber task shares.
struct Board {
    /// The round being measured; pushes of other rounds are ignored.
    round: AtomicU32,
    /// Arrival time of the current round's push per subscriber, in ns after `base` (0: none).
    arrivals: Vec<AtomicU64>,
    received: AtomicUsize,
    all_received: Notify,
    ready: AtomicUsize,
    all_ready: Notify,
    base: Instant,
    failures: AtomicUsize,
}

/// Connects `subscribers` clients to a Rally server process, each subscribing to the topic,
/// reads the server's RSS fresh, at 1,000 connections and with all of them idle, then makes
/// an extra client save `publishes` times and times the push to every subscriber.
pub async fn fan_out(
    server: &sys::ServerProcess,
    subscribers: usize,
    publishes: u32,
) -> Result<FanOut, String> {
    fan_out_across(&[server], subscribers, publishes).await
}

/// As [`fan_out`], with the subscribers spread round-robin over `servers` (nodes sharing a
/// hub) and the saver on the first. Memory is the first node's; CPU is summed over all.
pub async fn fan_out_across(
    servers: &[&sys::ServerProcess],
    subscribers: usize,
    publishes: u32,
) -> Result<FanOut, String> {
    let server = servers.first().ok_or("no server")?;
    let pids: Vec<u32> = servers.iter().map(|s| s.pid).collect();
    let ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    let servers_cpu = || {
        pids.iter()
            .map(|&p| sys::cpu_secs(p).unwrap_or(0.0))
            .sum::<f64>()
    };
    let board = Arc::new(Board {
        round: AtomicU32::new(0),
        arrivals: (0..subscribers).map(|_| AtomicU64::new(0)).collect(),
        received: AtomicUsize::new(0),
        all_received: Notify::new(),
        ready: AtomicUsize::new(0),
        all_ready: Notify::new(),
        base: Instant::now(),
        failures: AtomicUsize::new(0),
    });
    let pid = server.pid;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_fresh = sys::rss_kib(pid).ok_or("cannot read the server's VmRSS")?;

    let gate = Arc::new(Semaphore::new(CONNECTS_IN_FLIGHT));
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    let first = subscribers.min(1000);
    let spawn_range = |range: std::ops::Range<usize>, tasks: &mut JoinSet<()>| {
        for index in range {
            let board = Arc::clone(&board);
            let gate = Arc::clone(&gate);
            let port = ports[index % ports.len()];
            let target = subscribers;
            tasks.spawn(async move {
                if let Err(e) = subscriber(port, index, target, &board, &gate).await {
                    if board.failures.fetch_add(1, Ordering::SeqCst) < 5 {
                        eprintln!("subscriber {index}: {e}");
                    }
                    board.all_ready.notify_waiters();
                }
            });
        }
    };
    spawn_range(0..first, &mut tasks);
    wait_ready(&board, first).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_1k = sys::rss_kib(pid).ok_or("cannot read the server's VmRSS")?;
    spawn_range(first..subscribers, &mut tasks);
    wait_ready(&board, subscribers).await?;
    let connect_seconds = rounded(started.elapsed().as_secs_f64(), 2);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_all = sys::rss_kib(pid).ok_or("cannot read the server's VmRSS")?;
    let memory = Memory {
        rss_kib_fresh: rss_fresh,
        connections_first: first,
        rss_kib_at_first: rss_1k,
        rss_kib_at_all: rss_all,
        connections: subscribers,
        kib_per_connection: rounded(
            rss_all.saturating_sub(rss_fresh) as f64 / subscribers as f64,
            2,
        ),
        kib_per_connection_marginal: if subscribers > first {
            rounded(
                rss_all.saturating_sub(rss_1k) as f64 / (subscribers - first) as f64,
                2,
            )
        } else {
            0.0
        },
    };

    let mut saver = connect(server.port).await?;
    get(&mut saver, Target::Rally, 1).await?;
    let mut results = Vec::new();
    for round in 1..=publishes {
        for a in &board.arrivals {
            a.store(0, Ordering::Relaxed);
        }
        board.received.store(0, Ordering::SeqCst);
        board.round.store(round, Ordering::SeqCst);
        let frame = proto::request_frame(round, &Msg::Save { round });
        let server_cpu0 = servers_cpu();
        let client_cpu0 = sys::cpu_secs(std::process::id()).unwrap_or(0.0);
        let sent = Instant::now();
        saver
            .send(Message::Binary(frame.into()))
            .await
            .map_err(|e| format!("send the save: {e}"))?;
        let result = next_binary(&mut saver).await?;
        let save_result_us = rounded(sent.elapsed().as_nanos() as f64 / 1000.0, 1);
        match rally_wire::decode::<rally_wire::ServerFrame>(&result) {
            Ok(rally_wire::ServerFrame::Result { id, result: Ok(_) }) if id == round => {}
            other => return Err(format!("the save got {other:?}")),
        }
        let waited = tokio::time::timeout(Duration::from_secs(10), async {
            while board.received.load(Ordering::SeqCst) < subscribers {
                board.all_received.notified().await;
            }
        })
        .await;
        let server_cpu_ms = rounded((servers_cpu() - server_cpu0) * 1000.0, 0);
        let client_cpu_ms = rounded(
            (sys::cpu_secs(std::process::id()).unwrap_or(0.0) - client_cpu0) * 1000.0,
            0,
        );
        if waited.is_err() {
            eprintln!(
                "publish {round}: only {} of {subscribers} subscribers got the push within 10 s",
                board.received.load(Ordering::SeqCst)
            );
        }
        let sent_ns = (sent - board.base).as_nanos() as u64;
        let latencies_of = |node: Option<usize>| -> Vec<u64> {
            board
                .arrivals
                .iter()
                .enumerate()
                .filter(|(i, _)| node.is_none_or(|n| i % ports.len() == n))
                .map(|(_, a)| a.load(Ordering::SeqCst))
                .filter(|&t| t > 0)
                .map(|t| t.saturating_sub(sent_ns))
                .collect()
        };
        let mut latencies = latencies_of(None);
        let node_p50_us = (0..ports.len())
            .map(|n| percentiles(&mut latencies_of(Some(n))).p50_us)
            .collect();
        results.push(Publish {
            round,
            received: latencies.len(),
            save_result_us,
            latency: percentiles(&mut latencies),
            server_cpu_ms,
            client_cpu_ms,
            node_p50_us,
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let _ = tokio::time::timeout(Duration::from_millis(200), saver.close(None)).await;
    tasks.abort_all();
    Ok(FanOut {
        subscribers,
        connect_seconds,
        memory,
        summary_ms: summarize(&results),
        publishes: results,
    })
}

async fn wait_ready(board: &Board, n: usize) -> Result<(), String> {
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let notified = board.all_ready.notified();
            if board.ready.load(Ordering::SeqCst) + board.failures.load(Ordering::SeqCst) >= n {
                return;
            }
            notified.await;
        }
    })
    .await;
    let failures = board.failures.load(Ordering::SeqCst);
    if waited.is_err() || failures > 0 {
        return Err(format!(
            "{} of {n} subscribers ready ({failures} failed)",
            board.ready.load(Ordering::SeqCst)
        ));
    }
    Ok(())
}

/// Connects, subscribes, makes one round trip (the server handles a connection's frames in
/// order, so once the result is back the topic set is in force), reports ready, then records
/// the arrival of each round's push.
async fn subscriber(
    port: u16,
    index: usize,
    target: usize,
    board: &Board,
    gate: &Semaphore,
) -> Result<(), String> {
    let mut ws = {
        let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
        let mut ws = connect(port).await?;
        ws.send(Message::Binary(proto::subscribe_frame().into()))
            .await
            .map_err(|e| format!("subscribe: {e}"))?;
        get(&mut ws, Target::Rally, 1).await?;
        ws
    };
    board.ready.fetch_add(1, Ordering::SeqCst);
    board.all_ready.notify_waiters();
    loop {
        let bytes = next_binary(&mut ws).await?;
        let now = (Instant::now() - board.base).as_nanos() as u64;
        if proto::push_round(&bytes) == Some(board.round.load(Ordering::SeqCst)) {
            board.arrivals[index].store(now.max(1), Ordering::SeqCst);
            if board.received.fetch_add(1, Ordering::SeqCst) + 1 == target {
                board.all_received.notify_one();
            }
        }
    }
}
