//! A throwaway Postgres for scripts and browser tests: starts a `TempCluster`, creates the
//! database named by the first argument (default `app`), prints its URL on one line, and keeps
//! the server until standard input closes (the parent exiting closes it), then stops it and
//! removes its directory.
//!
//! `cargo run -p rally-sql --features postgres --example cluster -- scoreboard`

use std::io::Read;
use std::process::ExitCode;

use rally_sql::postgres::TempCluster;

fn main() -> ExitCode {
    let name = std::env::args().nth(1).unwrap_or_else(|| "app".to_owned());
    let cluster = match TempCluster::start() {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cluster.create_database(&name) {
        Ok(url) => println!("{url}"),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    // Blocks until the parent closes our standard input (or exits).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(cluster);
    ExitCode::SUCCESS
}
