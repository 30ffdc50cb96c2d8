//! The scoreboard server under HTTP load: a closed-loop keep-alive load generator on one
//! thread (one tokio task per connection, Nagle off), against the server as a child process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Opts, emit, loadavg, quantile};

/// The server child; SIGTERM (then SIGKILL) on drop, so nothing outlives the benchmark.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(binary: &str, cwd: &str) -> Result<Server, String> {
        let mut child = Command::new(binary)
            .current_dir(cwd)
            .env("ADDR", "127.0.0.1:0")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or("warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {binary}: {e}"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
        };
        server.addr = rx
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| format!("{binary} did not print `listening on http://…` within 20 s"))?;
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// user + system CPU seconds of the whole server process (all threads).
    fn cpu_seconds(&self, ticks: f64) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the `(comm)`: state is field 3; utime and stime are fields 14 and 15.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let get = |i: usize| {
            fields
                .get(i - 3)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (get(14) + get(15)) / ticks
    }

    fn threads(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// One response: status and body length.
struct Response {
    status: u16,
    body: usize,
    close: bool,
}

/// Reads one HTTP/1.1 response from `stream`; `buf` keeps bytes between calls.
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    quickack: bool,
) -> std::io::Result<Response> {
    let eof = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed");
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let mut chunk = [0u8; 16384];
    // Head.
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = read(stream, &mut chunk, quickack).await?;
        if n == 0 {
            return Err(eof());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| bad("non-UTF-8 head"))?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let mut length = None;
    let mut chunked = false;
    let mut close = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    buf.drain(..head_end);
    // 1xx, 204 and 304 responses have no body, whatever their headers say.
    let body = if status < 200 || status == 204 || status == 304 {
        0
    } else if chunked {
        let mut total = 0;
        loop {
            let line_end = loop {
                if let Some(i) = find(buf, b"\r\n") {
                    break i;
                }
                let n = read(stream, &mut chunk, quickack).await?;
                if n == 0 {
                    return Err(eof());
                }
                buf.extend_from_slice(&chunk[..n]);
            };
            let size_text = std::str::from_utf8(&buf[..line_end]).map_err(|_| bad("chunk size"))?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("chunk size"))?;
            // The size line, the data and its CRLF (the last chunk: the trailer's empty line).
            let need = line_end + 2 + size + 2;
            while buf.len() < need {
                let n = read(stream, &mut chunk, quickack).await?;
                if n == 0 {
                    return Err(eof());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..need);
            total += size;
            if size == 0 {
                break total;
            }
        }
    } else {
        let length = length.ok_or_else(|| bad("no Content-Length and not chunked"))?;
        while buf.len() < length {
            let n = read(stream, &mut chunk, quickack).await?;
            if n == 0 {
                return Err(eof());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..length);
        length
    };
    Ok(Response {
        status,
        body,
        close,
    })
}

/// One `read`, with `TCP_QUICKACK` set first when asked: Linux otherwise delays the ACK of
/// a response's first segment (up to 40 ms) while the server's Nagle holds back the rest.
async fn read(stream: &mut TcpStream, chunk: &mut [u8], quickack: bool) -> std::io::Result<usize> {
    if quickack {
        set_quickack(stream);
    }
    stream.read(chunk).await
}

fn set_quickack(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a pointer to an int of the given size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What one connection did in the measured window.
#[derive(Default)]
struct ConnResult {
    latencies_us: Vec<u32>,
    errors: u64,
    bytes: u64,
    statuses: Vec<(u16, u64)>,
}

async fn connection(
    addr: String,
    request: std::sync::Arc<Vec<u8>>,
    window: (Instant, Instant),
    quickack: bool,
) -> ConnResult {
    let mut out = ConnResult::default();
    let (start, end) = window;
    let mut stream = None;
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        if Instant::now() >= end {
            break;
        }
        if stream.is_none() {
            match TcpStream::connect(&addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    buf.clear();
                    stream = Some(s);
                }
                Err(_) => {
                    out.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let s = stream.as_mut().expect("connected");
        let sent = Instant::now();
        let result = match s.write_all(&request).await {
            Ok(()) => read_response(s, &mut buf, quickack).await,
            Err(e) => Err(e),
        };
        let done = Instant::now();
        match result {
            Ok(response) => {
                if done > start && done <= end {
                    out.latencies_us
                        .push(done.duration_since(sent).as_micros().min(u32::MAX as u128) as u32);
                    out.bytes += response.body as u64;
                    match out.statuses.iter_mut().find(|(s, _)| *s == response.status) {
                        Some((_, n)) => *n += 1,
                        None => out.statuses.push((response.status, 1)),
                    }
                }
                if response.close {
                    stream = None;
                }
            }
            Err(_) => {
                if done > start && done <= end {
                    out.errors += 1;
                }
                stream = None;
            }
        }
    }
    out
}

/// One measured point.
struct Point {
    path: String,
    conns: usize,
    round: usize,
    requests: u64,
    rps: f64,
    p50_us: u32,
    p90_us: u32,
    p99_us: u32,
    max_us: u32,
    mean_bytes: f64,
    errors: u64,
    statuses: Vec<(u16, u64)>,
    server_cpu_us_per_req: f64,
    server_cpu_share: f64,
    client_cpu_share: f64,
    server_threads: u64,
    load1: f64,
    /// CPU used on the machine by everything but the server and this load generator.
    other_cpu_share: f64,
}

pub(crate) fn process_cpu_seconds() -> f64 {
    // This process (the load generator): /proc/self/stat.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (get(14) + get(15)) / clock_ticks_cached()
}

/// Busy CPU seconds of the whole machine (all cores) from /proc/stat.
pub(crate) fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0.0;
    };
    // user nice system idle iowait irq softirq steal guest guest_nice: busy = all but idle,
    // iowait, and guest (already counted in user).
    let v: Vec<f64> = cpu
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    let get = |i: usize| v.get(i).copied().unwrap_or(0.0);
    (get(0) + get(1) + get(2) + get(5) + get(6) + get(7)) / clock_ticks_cached()
}

fn clock_ticks_cached() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(clock_ticks)
}

#[allow(clippy::too_many_arguments)]
fn measure(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    path: &str,
    headers: &[&str],
    conns: usize,
    warmup: Duration,
    secs: Duration,
    round: usize,
    quickack: bool,
) -> Point {
    let host = server.addr.clone();
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: scoreboard-bench\r\nAccept: */*\r\n"
    );
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let request = std::sync::Arc::new(request.into_bytes());
    let ticks = clock_ticks_cached();
    let load1 = loadavg()[0];
    let results = rt.block_on(async {
        let start = Instant::now() + warmup;
        let end = start + secs;
        let tasks: Vec<_> = (0..conns)
            .map(|_| {
                tokio::spawn(connection(
                    host.clone(),
                    request.clone(),
                    (start, end),
                    quickack,
                ))
            })
            .collect();
        // Server and client CPU over the measured window only.
        tokio::time::sleep_until(start.into()).await;
        let cpu0 = server.cpu_seconds(ticks);
        let me0 = process_cpu_seconds();
        let all0 = machine_busy_seconds();
        let t0 = Instant::now();
        tokio::time::sleep_until(end.into()).await;
        let cpu1 = server.cpu_seconds(ticks);
        let me1 = process_cpu_seconds();
        let all1 = machine_busy_seconds();
        let elapsed = t0.elapsed().as_secs_f64();
        let threads = server.threads();
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await.expect("connection task"));
        }
        (all, cpu1 - cpu0, me1 - me0, all1 - all0, elapsed, threads)
    });
    let (conn_results, server_cpu, client_cpu, machine_cpu, elapsed, threads) = results;
    let mut lat = Vec::new();
    let mut errors = 0;
    let mut bytes = 0;
    let mut statuses: Vec<(u16, u64)> = Vec::new();
    for r in conn_results {
        lat.extend(r.latencies_us);
        errors += r.errors;
        bytes += r.bytes;
        for (s, n) in r.statuses {
            match statuses.iter_mut().find(|(x, _)| *x == s) {
                Some((_, m)) => *m += n,
                None => statuses.push((s, n)),
            }
        }
    }
    lat.sort_unstable();
    let requests = lat.len() as u64;
    Point {
        path: path.to_owned(),
        conns,
        round,
        requests,
        rps: requests as f64 / secs.as_secs_f64(),
        p50_us: quantile(&lat, 0.50),
        p90_us: quantile(&lat, 0.90),
        p99_us: quantile(&lat, 0.99),
        max_us: lat.last().copied().unwrap_or(0),
        mean_bytes: if requests > 0 {
            bytes as f64 / requests as f64
        } else {
            0.0
        },
        errors,
        statuses,
        server_cpu_us_per_req: if requests > 0 {
            server_cpu * 1e6 / requests as f64
        } else {
            0.0
        },
        server_cpu_share: server_cpu / elapsed,
        client_cpu_share: client_cpu / elapsed,
        server_threads: threads,
        load1,
        other_cpu_share: ((machine_cpu - server_cpu - client_cpu) / elapsed).max(0.0),
    }
}

fn point_json(p: &Point) -> Value {
    json!({
        "path": p.path,
        "conns": p.conns,
        "round": p.round,
        "requests": p.requests,
        "rps": (p.rps * 10.0).round() / 10.0,
        "p50_us": p.p50_us,
        "p90_us": p.p90_us,
        "p99_us": p.p99_us,
        "max_us": p.max_us,
        "mean_body_bytes": p.mean_bytes.round(),
        "errors": p.errors,
        "statuses": p.statuses.iter().map(|(s, n)| json!({"status": s, "count": n})).collect::<Vec<_>>(),
        "server_cpu_us_per_req": (p.server_cpu_us_per_req * 10.0).round() / 10.0,
        "server_cpu_cores": (p.server_cpu_share * 100.0).round() / 100.0,
        "client_cpu_cores": (p.client_cpu_share * 100.0).round() / 100.0,
        "server_threads": p.server_threads,
        "load1_before": p.load1,
        "other_cpu_cores": (p.other_cpu_share * 100.0).round() / 100.0,
    })
}

pub fn main(args: &[String]) -> Result<(), String> {
    let opts = Opts::parse(args)?;
    let binary = opts.get("server").ok_or("--server BIN is required")?;
    let cwd = opts.get("cwd").unwrap_or(".");
    let paths = opts.list(
        "paths",
        "/games,/standings,/not_found,/assets/app.css,/favicon.ico",
    );
    let conns: Vec<usize> = opts
        .list("conns", "16,64")
        .iter()
        .map(|c| c.parse().map_err(|_| format!("--conns: bad number `{c}`")))
        .collect::<Result<_, _>>()?;
    let secs = Duration::from_secs_f64(opts.num("secs", 5.0)?);
    let warmup = Duration::from_secs_f64(opts.num("warmup", 1.0)?);
    let rounds: usize = opts.num("rounds", 3)?;
    let headers = opts.all("header");
    let peers = opts.list("peers", "/assets/app.css,/favicon.ico");
    let quickack = opts.get("quickack").unwrap_or("on") != "off";

    let load_start = loadavg();
    let server = Server::start(binary, cwd)?;
    eprintln!(
        "server {} (pid {}), load average {:.2} {:.2} {:.2}",
        server.addr,
        server.pid(),
        load_start[0],
        load_start[1],
        load_start[2]
    );
    if let Some(file) = opts.get("pid-file") {
        std::fs::write(file, format!("{}\n", server.pid()))
            .map_err(|e| format!("cannot write {file}: {e}"))?;
    }
    let rss_start = server.rss_kib();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;

    let mut points = Vec::new();
    for round in 0..rounds {
        for &c in &conns {
            // Rotate the order of the paths each round.
            let n = paths.len();
            for k in 0..n {
                let path = &paths[(k + round) % n];
                let p = measure(
                    &rt, &server, path, &headers, c, warmup, secs, round, quickack,
                );
                eprintln!(
                    "round {} {:>3} conns {:<16} {:>9.0} req/s  p50 {:>6} µs  p99 {:>6} µs  server {:>6.1} µs CPU/req  {} errors  (load {:.2}, others {:.2} cores)",
                    round + 1,
                    c,
                    p.path,
                    p.rps,
                    p.p50_us,
                    p.p99_us,
                    p.server_cpu_us_per_req,
                    p.errors,
                    p.load1,
                    p.other_cpu_share
                );
                points.push(p);
            }
        }
    }
    let rss_end = server.rss_kib();
    drop(server);
    let load_end = loadavg();

    // Per (path, conns): the round with the median req/s.
    let mut summary = Vec::new();
    for &c in &conns {
        for path in &paths {
            let Some(m) = median_point(&points, path, c) else {
                continue;
            };
            let all_rps: Vec<f64> = points
                .iter()
                .filter(|p| &p.path == path && p.conns == c)
                .map(|p| (p.rps * 10.0).round() / 10.0)
                .collect();
            let mut row = point_json(m);
            row["rps_rounds"] = json!(all_rps);
            // Ratios to each peer's median round at the same connection count.
            let mut ratios = serde_json::Map::new();
            for peer in &peers {
                if let Some(q) = median_point(&points, peer, c)
                    && q.rps > 0.0
                    && q.server_cpu_us_per_req > 0.0
                {
                    ratios.insert(
                        peer.clone(),
                        json!({
                            "rps": (m.rps / q.rps * 1000.0).round() / 1000.0,
                            "p50": (m.p50_us as f64 / q.p50_us.max(1) as f64 * 100.0).round() / 100.0,
                            "server_cpu_per_req": (m.server_cpu_us_per_req / q.server_cpu_us_per_req * 100.0).round() / 100.0,
                        }),
                    );
                }
            }
            row["ratios_to_peers"] = serde_json::Value::Object(ratios);
            summary.push(row);
        }
    }
    eprintln!(
        "\nmedian round per point (req/s ratio to {}):",
        peers.join(", ")
    );
    for row in &summary {
        let ratios: Vec<String> = peers
            .iter()
            .map(|p| row["ratios_to_peers"][p.as_str()]["rps"].to_string())
            .collect();
        eprintln!(
            "{:>3} conns {:<16} {:>9} req/s  p50 {:>6} µs  p99 {:>6} µs  {:>7} µs CPU/req  ratios {}",
            row["conns"],
            row["path"].as_str().unwrap_or(""),
            row["rps"],
            row["p50_us"],
            row["p99_us"],
            row["server_cpu_us_per_req"],
            ratios.join(" / ")
        );
    }
    let out = json!({
        "peers": peers,
        "quickack": quickack,
        "secs": secs.as_secs_f64(),
        "warmup_secs": warmup.as_secs_f64(),
        "rounds": rounds,
        "headers": headers,
        "load_average_start": load_start,
        "load_average_end": load_end,
        "server_rss_kib": { "start": rss_start, "end": rss_end },
        "client": "one thread (tokio current_thread), one task per keep-alive HTTP/1.1 connection, TCP_NODELAY; TCP_QUICKACK before each read unless --quickack off",
        "summary": summary,
        "points": points.iter().map(point_json).collect::<Vec<_>>(),
    });
    emit(&opts, &out)
}

fn median_point<'a>(points: &'a [Point], path: &str, conns: usize) -> Option<&'a Point> {
    let mut matching: Vec<&Point> = points
        .iter()
        .filter(|p| p.path == path && p.conns == conns)
        .collect();
    matching.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    matching.get(matching.len() / 2).copied()
}
