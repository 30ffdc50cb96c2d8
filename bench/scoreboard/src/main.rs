//! Benchmarks of the Rally Scoreboard (see bench/README.md, "Scoreboard"):
//!
//! - `scoreboard-bench http --server BIN --cwd DIR …` starts the scoreboard's server binary
//!   (`ADDR=127.0.0.1:0`, the rest of its environment inherited) and drives it with a
//!   closed-loop HTTP/1.1 keep-alive load generator: per path and connection count, a warm-up,
//!   then a fixed measured window, in rounds; req/s, latency percentiles and the server's CPU
//!   time per request.
//! - `scoreboard-bench render --db FILE …` renders public pages in-process on one thread with
//!   `rally::server::ssr::render::<Public>` (load + update + view + HTML), and times the load
//!   alone.
//!
//! Both print a summary to stderr and JSON to stdout (or `--json PATH`).

mod http;
mod render;

/// The allocator the Scoreboard's server uses (`examples/scoreboard/src/main.rs`), so that the
/// in-process render measures what a request costs there. (Until 2026-12-04 this binary used
/// the system allocator; its in-process figures from before are not comparable.)
#[global_allocator]
static ALLOCATOR: rally::server::MiMalloc = rally::server::MiMalloc;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("http") => http::main(&args[1..]),
        Some("render") => render::main(&args[1..]),
        _ => Err(
            "usage: scoreboard-bench <http --server BIN --cwd DIR [--paths /a,/b] [--conns 16,64] \
             [--secs 5] [--warmup 1] [--rounds 3] [--header 'Name: value'] [--json PATH] \
             | render --db FILE [--paths /a,/b] [--secs 3] [--json PATH]>"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scoreboard-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` options.
pub(crate) struct Opts(Vec<(String, String)>);

impl Opts {
    pub(crate) fn parse(args: &[String]) -> Result<Opts, String> {
        let mut out = Vec::new();
        let mut it = args.iter();
        while let Some(name) = it.next() {
            let Some(name) = name.strip_prefix("--") else {
                return Err(format!("unexpected argument `{name}`"));
            };
            let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
            out.push((name.to_owned(), value.clone()));
        }
        Ok(Opts(out))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub(crate) fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name}: bad number `{v}`")),
        }
    }

    pub(crate) fn list(&self, name: &str, default: &str) -> Vec<String> {
        self.get(name)
            .unwrap_or(default)
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Writes `value` to `--json PATH`, or stdout.
pub(crate) fn emit(opts: &Opts, value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).expect("JSON");
    match opts.get("json") {
        Some(path) if path != "-" => {
            std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {path}: {e}"))
        }
        _ => {
            println!("{text}");
            Ok(())
        }
    }
}

/// The `q` quantile (0..=1) of sorted values (nearest rank).
pub(crate) fn quantile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The 1-, 5- and 15-minute load averages.
pub(crate) fn loadavg() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = text
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(f64::NAN));
    [
        it.next().unwrap_or(f64::NAN),
        it.next().unwrap_or(f64::NAN),
        it.next().unwrap_or(f64::NAN),
    ]
}
