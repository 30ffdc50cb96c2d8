//! In-process SSR throughput of the scoreboard's public pages on one thread:
//! `rally::server::ssr::render::<Public>` (route, `load` through SQLite, the hydration payload,
//! `initial_model`, `update(Loaded)`, `view` in the shell, HTML; never the render memo, so every
//! page is rendered), and the load alone.

use std::time::{Duration, Instant};

use rally::mount::{Mount, ServerMount};
use rally::server::ssr::render;
use scoreboard::generated::rally::public::Public;
use scoreboard::public::SharedState;
use serde_json::json;

use crate::{Opts, emit, loadavg, quantile};

/// Runs `f` for `secs` after a warm-up of a quarter of that; iterations per second and the
/// per-call latency quantiles (calls are timed in batches of `batch` for cheap clocks).
fn throughput(secs: Duration, mut f: impl FnMut() -> usize) -> (f64, u64, u32, u32, usize) {
    let warm_end = Instant::now() + secs / 4;
    let mut size = 0;
    while Instant::now() < warm_end {
        size = f();
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    let end = start + secs;
    let mut n = 0u64;
    loop {
        let t = Instant::now();
        if t >= end {
            break;
        }
        size = std::hint::black_box(f());
        samples.push(t.elapsed().as_nanos().min(u32::MAX as u128) as u32);
        n += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    samples.sort_unstable();
    (
        n as f64 / elapsed,
        n,
        quantile(&samples, 0.5),
        quantile(&samples, 0.99),
        size,
    )
}

pub fn main(args: &[String]) -> Result<(), String> {
    let opts = Opts::parse(args)?;
    let db_path = opts
        .get("db")
        .ok_or("--db FILE is required (a reset scoreboard database)")?;
    let paths = opts.list("paths", "/games,/standings,/not_found");
    let secs = Duration::from_secs_f64(opts.num("secs", 3.0)?);
    let db = rally::db::Db::open(rally::db::Config::new(db_path))
        .map_err(|e| format!("cannot open {db_path}: {e}"))?;
    let db = scoreboard::context::Context::development(db);
    let load_start = loadavg();
    let (busy0, own0, t0) = (
        crate::http::machine_busy_seconds(),
        crate::http::process_cpu_seconds(),
        Instant::now(),
    );
    let mut rows = Vec::new();
    for path in &paths {
        let check = render::<Public>(
            &db,
            &rally::server::Caller::anonymous(),
            SharedState::default(),
            path,
            false,
        );
        let (rps, n, p50_ns, p99_ns, html) = throughput(secs, || {
            render::<Public>(
                &db,
                &rally::server::Caller::anonymous(),
                SharedState::default(),
                path,
                false,
            )
            .body
            .len()
        });
        let route = <Public as Mount>::parse(path);
        let has_load =
            <Public as ServerMount>::load_data(&db, &rally::server::Caller::anonymous(), &route)
                .is_some();
        let load = if has_load {
            let (lps, _, l50, l99, _) = throughput(secs, || {
                <Public as ServerMount>::load_data(&db, &rally::server::Caller::anonymous(), &route)
                    .map_or(0, |l| l.payload.len())
            });
            json!({ "loads_per_s": lps.round(), "p50_us": l50 as f64 / 1e3, "p99_us": l99 as f64 / 1e3 })
        } else {
            serde_json::Value::Null
        };
        eprintln!(
            "{path:<12} status {} {:>8.0} renders/s ({:.1} µs median, {:.1} µs p99, {} B of HTML, payload {} B){}",
            check.status.as_u16(),
            rps,
            p50_ns as f64 / 1e3,
            p99_ns as f64 / 1e3,
            html,
            check.payload.len(),
            if load.is_null() {
                String::new()
            } else {
                format!(
                    "; load alone {} loads/s, {} µs median",
                    load["loads_per_s"], load["p50_us"]
                )
            }
        );
        rows.push(json!({
            "path": path,
            "status": check.status.as_u16(),
            "renders_per_s": rps.round(),
            "renders": n,
            "p50_us": p50_ns as f64 / 1e3,
            "p99_us": p99_ns as f64 / 1e3,
            "html_bytes": html,
            "payload_bytes": check.payload.len(),
            "load_only": load,
        }));
    }
    let others =
        (crate::http::machine_busy_seconds() - busy0 - (crate::http::process_cpu_seconds() - own0))
            / t0.elapsed().as_secs_f64();
    eprintln!("others' CPU while rendering: {others:.2} cores");
    let out = json!({
        "other_cpu_cores": (others.max(0.0) * 100.0).round() / 100.0,
        "what": "rally::server::ssr::render::<Public> on one thread: route, load (SQLite), payload, initial_model, update(Loaded), view in the shell, to_html; no render memo, no document, no HTTP",
        "secs": secs.as_secs_f64(),
        "load_average_start": load_start,
        "load_average_end": loadavg(),
        "pages": rows,
    });
    emit(&opts, &out)
}
