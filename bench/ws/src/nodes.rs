//! Fan-out across server nodes (issue 15): the same subscribers and saves as the fan-out
//! benchmark, once on one node with the in-process hub and once spread over two nodes that
//! share a Redis (`RALLY_HUB`), started here as a child on a free port with no persistence.
//! Reports the time until every subscriber has the push (p50/p99, medians over the publishes)
//! for both, their ratio, and the broker's added latency: per publish, the p50 of the node
//! that receives through Redis minus the p50 of the saver's node.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::{self, FanOut};
use crate::sys::ServerProcess;

/// A `redis-server` child, killed when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Result<Redis, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port: {e}"))?
            .port();
        let dir = std::env::temp_dir();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!("cannot start redis-server ({e}): apt-get install redis-server")
            })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("redis-server did not listen within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Redis { child, port })
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs both configurations and returns the JSON record.
pub async fn run(subscribers: usize, publishes: u32) -> Result<serde_json::Value, String> {
    println!(
        "\nFan-out across nodes: {subscribers} subscribers of one topic, {publishes} saves on node 0"
    );
    let one = {
        let server = ServerProcess::spawn("rally")?;
        client::fan_out_across(&[&server], subscribers, publishes).await?
    };
    report("1 node, in-process hub", &one);
    let redis = Redis::start()?;
    let env = [("RALLY_HUB", format!("redis://127.0.0.1:{}", redis.port))];
    let two = {
        let a = ServerProcess::spawn_with_env("rally", &env)?;
        let b = ServerProcess::spawn_with_env("rally", &env)?;
        client::fan_out_across(&[&a, &b], subscribers, publishes).await?
    };
    report("2 nodes, Redis hub", &two);
    let mut added: Vec<f64> = two
        .publishes
        .iter()
        .filter_map(|p| Some(p.node_p50_us.get(1)? - p.node_p50_us.first()?))
        .collect();
    added.sort_by(f64::total_cmp);
    let added_ms = added.get(added.len() / 2).copied().unwrap_or(0.0) / 1000.0;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let p50_ratio = ratio(two.summary_ms.p50_median, one.summary_ms.p50_median);
    let p99_ratio = ratio(two.summary_ms.p99_median, one.summary_ms.p99_median);
    println!(
        "  2 nodes / 1 node: p50 {p50_ratio:.2}×, p99 {p99_ratio:.2}×; the broker adds {added_ms:.2} ms (p50 of node 1 − p50 of node 0, median over publishes)"
    );
    Ok(json!({
        "subscribers": subscribers,
        "publishes": publishes,
        "one_node": one,
        "two_nodes": two,
        "two_over_one": { "p50": p50_ratio, "p99": p99_ratio },
        "broker_added_p50_ms": added_ms,
    }))
}

fn report(what: &str, f: &FanOut) {
    println!(
        "  {what:<24} connected in {:>5.1} s; until all received: p50 {:>6.1} ms, p99 {:>6.1} ms (medians), max {:>6.1} ms; received {}",
        f.connect_seconds,
        f.summary_ms.p50_median,
        f.summary_ms.p99_median,
        f.summary_ms.max_worst,
        f.publishes
            .iter()
            .map(|p| p.received.to_string())
            .collect::<Vec<_>>()
            .join("/")
    );
}
