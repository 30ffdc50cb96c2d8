//! `cargo rally <command>`: the Rally CLI (see `docs/cli.md`).
//!
//! Runs in the app's directory (the one with its `Cargo.toml`). Every failure prints
//! `rally error: …` with what to do, and exits 1.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Cargo runs `cargo-rally rally <args>`; running the binary directly works too.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .skip_while(|a| a == "rally")
        .collect();
    let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match cargo_rally::run(&root, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rally error: {e}");
            ExitCode::FAILURE
        }
    }
}
