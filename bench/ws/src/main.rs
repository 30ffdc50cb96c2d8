//! WebSocket benchmarks for Rally's `/ws` endpoint (issue 3).
//!
//! ```text
//! ws-bench [--conns 1,100,1000] [--warmup 1] [--secs 3] [--rounds 5] [--subscribers 10000]
//!          [--publishes 5] [--only rr|fanout] [--json PATH|-]
//! ws-bench server <rally|echo|bare>   (used by the benchmark itself)
//! ```
//!
//! 1. Request/response: closed-loop clients against Rally's endpoint and against a bare
//!    tokio-tungstenite echo server, each in its own process, same frames both ways.
//! 2. Fan-out: `--subscribers` clients subscribed to one topic; an extra client saves, the
//!    handler publishes; time from the save until each subscriber has the push. The server's
//!    VmRSS before and after opening the connections gives the memory per idle connection.
//!    Run against Rally and against a bare tokio-tungstenite server with the same frames
//!    (the floor on this machine).

mod client;
mod nodes;
mod proto;
mod server;
mod sys;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::{FanOut, Point, rounded};
use crate::proto::Target;

struct Options {
    conns: Vec<usize>,
    warmup: Duration,
    measure: Duration,
    rounds: u32,
    subscribers: usize,
    publishes: u32,
    request_response: bool,
    fan_out: bool,
    /// Fan-out on one node against two nodes sharing Redis (`--only nodes`).
    nodes: bool,
    json: Option<String>,
}

const USAGE: &str = "usage: ws-bench [--conns 1,100,1000] [--warmup SECS] [--secs SECS] \
[--rounds N] [--subscribers N] [--publishes N] [--only rr|fanout|nodes] [--json PATH|-]\n       ws-bench server <rally|echo|bare>";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        conns: vec![1, 100, 1000],
        warmup: Duration::from_secs(1),
        measure: Duration::from_secs(3),
        rounds: 5,
        subscribers: 10_000,
        publishes: 5,
        request_response: true,
        fan_out: true,
        nodes: false,
        json: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../results/ws.json").to_owned()),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let secs = |v: String| {
            v.parse::<f64>()
                .ok()
                .filter(|s| *s >= 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("{flag}: not a number of seconds: {v}"))
        };
        match flag.as_str() {
            "--conns" => {
                o.conns = value()?
                    .split(',')
                    .map(|c| {
                        c.trim()
                            .parse()
                            .map_err(|_| format!("--conns: bad count {c}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--warmup" => o.warmup = secs(value()?)?,
            "--secs" => o.measure = secs(value()?)?,
            "--rounds" => {
                o.rounds = value()?
                    .parse()
                    .ok()
                    .filter(|&r| r > 0)
                    .ok_or("--rounds: not a positive count")?;
            }
            "--subscribers" => {
                o.subscribers = value()?.parse().map_err(|_| "--subscribers: not a count")?;
            }
            "--publishes" => {
                o.publishes = value()?.parse().map_err(|_| "--publishes: not a count")?;
            }
            "--only" => match value()?.as_str() {
                "rr" => o.fan_out = false,
                "fanout" => o.request_response = false,
                "nodes" => {
                    (o.request_response, o.fan_out, o.nodes) = (false, false, true);
                    o.json = Some(
                        concat!(env!("CARGO_MANIFEST_DIR"), "/../results/nodes.json").to_owned(),
                    );
                }
                other => return Err(format!("--only rr|fanout|nodes, not {other}")),
            },
            "--json" => {
                let v = value()?;
                o.json = (v != "-").then_some(v);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("server") {
        return server::main(args.get(1).map_or("", String::as_str));
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    // Each process holds at most one end of every connection: the largest run needs the
    // subscribers, the saver and a few spare descriptors.
    let nofile = sys::raise_nofile();
    let largest = options
        .conns
        .iter()
        .copied()
        .chain((options.fan_out || options.nodes).then_some(options.subscribers))
        .max()
        .unwrap_or(0) as u64;
    let needed = largest + 64;
    if nofile < needed {
        eprintln!(
            "error: the open-file limit is {nofile} (soft limit after raising it to the hard limit), \
             but {largest} connections need about {needed}. Raise the hard limit \
             (`ulimit -Hn {needed}` as root, or LimitNOFILE= in the service unit), or pass a smaller \
             --subscribers / --conns."
        );
        return ExitCode::from(2);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(&options, nofile)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options, nofile: u64) -> Result<(), String> {
    if options.nodes {
        let record = nodes::run(options.subscribers, options.publishes).await?;
        let record = json!({ "commit": commit(), "nodes": record });
        let text = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?;
        match &options.json {
            Some(path) => {
                std::fs::write(path, text + "\n").map_err(|e| format!("write {path}: {e}"))?
            }
            None => println!("{text}"),
        }
        return Ok(());
    }
    let began = Instant::now();
    let load_start = sys::loadavg();
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let (request_bytes, result_bytes) = proto::frame_sizes(1_000);
    println!(
        "ws-bench: {nproc} CPUs ({}), open-file limit {nofile}, load average {}",
        sys::cpu_model(),
        fmt_load(load_start)
    );

    let mut rounds: Vec<Point> = Vec::new();
    let mut points: Vec<Point> = Vec::new();
    if options.request_response {
        println!(
            "\nRequest/response: closed loop per connection, {} rounds of {:.0} s warm-up + {:.0} s measured \
             per point, echo and rally alternating; request frame {request_bytes} B, reply {result_bytes} B \
             (rally) / {request_bytes} B (echo)",
            options.rounds,
            options.warmup.as_secs_f64(),
            options.measure.as_secs_f64()
        );
        let echo = sys::ServerProcess::spawn("echo")?;
        let rally = sys::ServerProcess::spawn("rally")?;
        println!(
            "servers: echo pid {} port {}, rally pid {} port {}",
            echo.pid, echo.port, rally.pid, rally.port
        );
        print_point_header("round");
        for round in 1..=options.rounds {
            for &conns in &options.conns {
                let mut order = [(Target::Echo, &echo), (Target::Rally, &rally)];
                if round % 2 == 0 {
                    order.reverse();
                }
                for (target, server) in order {
                    let point = client::request_response(
                        target,
                        server,
                        conns,
                        options.warmup,
                        options.measure,
                    )
                    .await?;
                    print_point(&round.to_string(), &point);
                    rounds.push(point);
                }
            }
        }
        drop((echo, rally));
        println!(
            "\nRequest/response, median round of {} (by req/s) per point:",
            options.rounds
        );
        print_point_header("");
        for &conns in &options.conns {
            for server in ["echo", "rally"] {
                let mut of_point: Vec<&Point> = rounds
                    .iter()
                    .filter(|p| p.connections == conns && p.server == server)
                    .collect();
                of_point.sort_by(|a, b| a.requests_per_s.total_cmp(&b.requests_per_s));
                if let Some(median) = of_point.get(of_point.len() / 2) {
                    print_point("", median);
                    points.push((*median).clone());
                }
            }
            if let Some(r) = ratios(&points, conns) {
                println!(
                    "{:>12}  rally/echo  throughput {:.0} %, p50 ×{:.2}, p99 ×{:.2}, server CPU per request ×{:.2}",
                    "", r.throughput_pct, r.p50_x, r.p99_x, r.cpu_x
                );
            }
            let pairs = paired(&rounds, conns);
            if let Some(median) = median(&pairs) {
                let each: Vec<String> = pairs.iter().map(|r| format!("{r:.0}")).collect();
                println!(
                    "{:>12}  rally/echo  throughput per round (back to back): {} %; median {median:.0} %",
                    "",
                    each.join(", ")
                );
            }
        }
    }

    let mut fan_outs: Vec<(&str, FanOut)> = Vec::new();
    if options.fan_out {
        for kind in ["bare", "rally"] {
            println!(
                "\nFan-out, {kind} server: {} subscribers of one topic; an extra client saves, the handler publishes",
                options.subscribers
            );
            let server = sys::ServerProcess::spawn(kind)?;
            let result = client::fan_out(&server, options.subscribers, options.publishes).await?;
            drop(server);
            print_fan_out(&result);
            fan_outs.push((kind, result));
        }
    }

    let load_end = sys::loadavg();
    let duration = began.elapsed().as_secs_f64();
    println!(
        "\nload average at start {}, at end {}; {duration:.0} s in all",
        fmt_load(load_start),
        fmt_load(load_end)
    );

    if let Some(path) = &options.json {
        let ratio_json: Vec<_> = options
            .conns
            .iter()
            .filter_map(|&c| {
                ratios(&points, c).map(|r| {
                    let pairs = paired(&rounds, c);
                    json!({
                        "connections": c,
                        "throughput_percent": rounded(r.throughput_pct, 1),
                        "throughput_percent_per_round": pairs.iter().map(|&p| rounded(p, 1)).collect::<Vec<_>>(),
                        "throughput_percent_median_of_rounds": median(&pairs).map(|m| rounded(m, 1)),
                        "p50_x": rounded(r.p50_x, 2),
                        "p99_x": rounded(r.p99_x, 2),
                        "server_cpu_per_request_x": rounded(r.cpu_x, 2),
                    })
                })
            })
            .collect();
        let rally_fan_out = fan_outs.iter().find(|(k, _)| *k == "rally").map(|(_, f)| f);
        let goals = json!({
            "throughput_at_1000_percent_min": 70,
            "throughput_at_1000_met": median(&paired(&rounds, 1000)).map(|m| m >= 70.0),
            "fan_out_all_within_ms": 100,
            "fan_out_met": rally_fan_out.map(|f| f.publishes.iter().all(|p| p.received == f.subscribers && p.latency.max_us <= 100_000.0)),
            "kib_per_idle_connection_max": 20,
            "memory_met": rally_fan_out.map(|f| f.memory.kib_per_connection <= 20.0),
        });
        let fan_out_json: serde_json::Map<String, serde_json::Value> = fan_outs
            .iter()
            .map(|(k, f)| Ok(((*k).to_owned(), serde_json::to_value(f)?)))
            .collect::<Result<_, serde_json::Error>>()
            .map_err(|e| e.to_string())?;
        let doc = json!({
            "date_unix": std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            "commit": commit(),
            "machine": {
                "nproc": nproc,
                "cpu": sys::cpu_model(),
                "memory_gib": sys::mem_gib().map(|g| rounded(g, 1)),
                "kernel": sys::kernel(),
                "open_file_limit": nofile,
            },
            "load_average": { "start": load_start, "end": load_end },
            "duration_s": rounded(duration, 1),
            "request_response": {
                "method": "closed loop per connection (send a Get, await its result, repeat); each server in its own process; client and servers share the machine; per point the round with the median req/s; the goal is judged on the median of the per-round ratios (echo and rally measured back to back in each round)",
                "rounds": options.rounds,
                "warmup_s": options.warmup.as_secs_f64(),
                "measure_s": options.measure.as_secs_f64(),
                "request_frame_bytes": request_bytes,
                "reply_frame_bytes": { "rally": result_bytes, "echo": request_bytes },
                "points": points,
                "ratios_rally_over_echo": ratio_json,
                "all_rounds": rounds,
            },
            "fan_out": fan_out_json,
            "goals": goals,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("write {path}: {e}"))?;
        println!("figures written to {path}");
    }
    Ok(())
}

struct Ratios {
    throughput_pct: f64,
    p50_x: f64,
    p99_x: f64,
    cpu_x: f64,
}

fn ratios(points: &[Point], conns: usize) -> Option<Ratios> {
    let find = |s: &str| {
        points
            .iter()
            .find(|p| p.connections == conns && p.server == s)
    };
    let (echo, rally) = (find("echo")?, find("rally")?);
    let div = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Some(Ratios {
        throughput_pct: 100.0 * div(rally.requests_per_s, echo.requests_per_s),
        p50_x: div(rally.latency.p50_us, echo.latency.p50_us),
        p99_x: div(rally.latency.p99_us, echo.latency.p99_us),
        cpu_x: div(
            rally.server_cpu_us_per_request,
            echo.server_cpu_us_per_request,
        ),
    })
}

/// Rally's throughput in % of echo's, per round: the two were measured back to back, so a
/// slow phase of the machine (other guests on the host) affects both sides of a pair alike.
fn paired(rounds: &[Point], conns: usize) -> Vec<f64> {
    let of = |server: &'static str| {
        rounds
            .iter()
            .filter(move |p| p.connections == conns && p.server == server)
    };
    of("echo")
        .zip(of("rally"))
        .filter(|(echo, _)| echo.requests_per_s > 0.0)
        .map(|(echo, rally)| 100.0 * rally.requests_per_s / echo.requests_per_s)
        .collect()
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn print_point_header(first: &str) {
    println!(
        "{first:>5} {:>6}  {:<6} {:>10} {:>10} {:>10} {:>10}  {:>14} {:>10} {:>10} {:>8}",
        "conns",
        "server",
        "req/s",
        "p50 µs",
        "p99 µs",
        "max µs",
        "srv CPU µs/req",
        "srv CPU %",
        "cli CPU %",
        "threads"
    );
}

fn print_point(first: &str, p: &Point) {
    println!(
        "{first:>5} {:>6}  {:<6} {:>10.0} {:>10.1} {:>10.1} {:>10.0}  {:>14.1} {:>10.0} {:>10.0} {:>8}",
        p.connections,
        p.server,
        p.requests_per_s,
        p.latency.p50_us,
        p.latency.p99_us,
        p.latency.max_us,
        p.server_cpu_us_per_request,
        p.server_cpu_percent,
        p.client_cpu_percent,
        p.server_threads
    );
}

fn print_fan_out(f: &FanOut) {
    let m = &f.memory;
    println!(
        "  {} subscribers connected and subscribed in {:.1} s",
        f.subscribers, f.connect_seconds
    );
    println!(
        "  {:>7} {:>9} {:>14} {:>10} {:>10} {:>10} {:>14} {:>14}",
        "publish",
        "received",
        "save result ms",
        "p50 ms",
        "p99 ms",
        "max ms",
        "srv CPU ms",
        "cli CPU ms"
    );
    for p in &f.publishes {
        println!(
            "  {:>7} {:>9} {:>14.2} {:>10.1} {:>10.1} {:>10.1} {:>14.0} {:>14.0}",
            p.round,
            p.received,
            p.save_result_us / 1000.0,
            p.latency.p50_us / 1000.0,
            p.latency.p99_us / 1000.0,
            p.latency.max_us / 1000.0,
            p.server_cpu_ms,
            p.client_cpu_ms
        );
    }
    println!(
        "  over {} publishes: p50 {:.1} ms, p99 {:.1} ms (medians), max {:.1} ms (worst)",
        f.publishes.len(),
        f.summary_ms.p50_median,
        f.summary_ms.p99_median,
        f.summary_ms.max_worst
    );
    println!(
        "  server VmRSS: fresh {} KiB, {} connections {} KiB, {} connections {} KiB",
        m.rss_kib_fresh, m.connections_first, m.rss_kib_at_first, m.connections, m.rss_kib_at_all
    );
    println!(
        "  memory per idle subscribed connection: {:.1} KiB ((all − fresh) / {}), marginal {:.1} KiB ((all − {}) / {})",
        m.kib_per_connection,
        m.connections,
        m.kib_per_connection_marginal,
        m.connections_first,
        m.connections.saturating_sub(m.connections_first)
    );
}

fn fmt_load(l: Option<[f64; 3]>) -> String {
    l.map_or_else(
        || "unknown".to_owned(),
        |[a, b, c]| format!("{a:.2} {b:.2} {c:.2}"),
    )
}

fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}
