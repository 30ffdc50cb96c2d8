//! `cargo bench -p rally-bench-sql`: µs per request for each runner. The runners take turns in
//! short rounds (`SQL_BENCH_REQUESTS`, default 500 requests each, reads then writes), the first
//! one rotating, for `SQL_BENCH_RUNS` rounds (default 40); the figure is the median round. Short
//! interleaved rounds keep a busy machine's drift from favouring whoever ran in a quiet moment.
//!
//! SQLite and Postgres runners take turns in the same rounds, but are reported as two groups,
//! each against its own floor (hand-written rusqlite, hand-written postgres). Postgres is a
//! throwaway cluster the benchmark starts, or `DATABASE_URL` when that is a `postgres://` URL.

use std::time::Instant;

use rally_bench_sql::{Runner, create_database, postgres, runners};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// µs per request of `requests` calls of `work`, starting at request number `start`.
fn measure(runner: &mut dyn Runner, write: bool, start: u64, requests: u64) -> f64 {
    let began = Instant::now();
    let mut checksum = 0i64;
    for i in start..start + requests {
        checksum = checksum.wrapping_add(if write {
            runner.write(i)
        } else {
            runner.read(i)
        });
    }
    let elapsed = began.elapsed();
    std::hint::black_box(checksum);
    elapsed.as_secs_f64() * 1e6 / requests as f64
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful: run a smoke pass.
    let quick = !std::env::args().any(|a| a == "--bench");
    let requests = if quick {
        50
    } else {
        env_number("SQL_BENCH_REQUESTS", 500)
    };
    let runs = if quick {
        1
    } else {
        env_number("SQL_BENCH_RUNS", 40) as usize
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let template = dir.path().join("template.sqlite");
    create_database(&template);
    // Declared before the runners, so it is dropped after them (their connections close first).
    let mut server = postgres::PgServer::start();
    let sqlite = runners(&template, dir.path());
    let pg = postgres::runners(&mut server);
    // Each group's floor is its first runner.
    let groups = [
        ("SQLite", "rusqlite", 0..sqlite.len()),
        (
            "Postgres",
            "postgres",
            sqlite.len()..sqlite.len() + pg.len(),
        ),
    ];
    let mut runners: Vec<Box<dyn Runner>> = sqlite.into_iter().chain(pg).collect();
    let names: Vec<&str> = runners.iter().map(|r| r.name()).collect();
    let mut results = vec![(Vec::new(), Vec::new()); runners.len()];

    // Warm the statement caches, the page cache and the server's plan caches.
    for runner in runners.iter_mut() {
        measure(runner.as_mut(), false, 0, requests.min(500));
        measure(runner.as_mut(), true, 0, requests.min(500) / 5);
    }
    for run in 0..runs {
        // Interleave runners and rotate who goes first, so drift hits everyone alike.
        for k in 0..runners.len() {
            let r = (k + run) % runners.len();
            let start = 1_000 + (run as u64) * requests;
            let read = measure(runners[r].as_mut(), false, start, requests);
            let write = measure(runners[r].as_mut(), true, start, requests);
            results[r].0.push(read);
            results[r].1.push(write);
        }
    }
    let medians: Vec<(f64, f64)> = results
        .into_iter()
        .map(|(r, w)| (median(r), median(w)))
        .collect();
    println!(
        "\nSQL benchmark: median of {runs} interleaved rounds of {requests} requests per runner, µs per request"
    );
    println!(
        "read = 5 indexed reads (game page); write = one transaction (BEGIN IMMEDIATE on SQLite): UPDATE, INSERT … RETURNING, COMMIT"
    );
    for (database, floor, members) in groups {
        let (floor_read, floor_write) = medians[members.start];
        println!("\n{database}\n");
        println!("| runner | read µs | vs {floor} | write µs | vs {floor} |");
        println!("|---|---:|---:|---:|---:|");
        for r in members {
            let (read, write) = medians[r];
            println!(
                "| {} | {read:.1} | {:.2}× | {write:.1} | {:.2}× |",
                names[r],
                read / floor_read,
                write / floor_write
            );
        }
    }
    drop(runners);
    drop(server);
}
