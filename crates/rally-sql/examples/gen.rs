//! Stand-in for `cargo rally gen [--check]` until the CLI exists:
//! `cargo run -p rally-sql --example gen -- <app root> [--check]`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: gen <app root> [--check]");
        return ExitCode::from(2);
    };
    let check = args.next().is_some_and(|a| a == "--check");
    let result = if check {
        rally_sql::check(&root).map(|stale| {
            for s in &stale {
                eprintln!("{s}");
            }
            stale.is_empty()
        })
    } else {
        rally_sql::generate(&root)
            .and_then(|files| rally_sql::write(&root, &files))
            .map(|report| {
                for path in &report.written {
                    println!("Wrote {}", path.display());
                }
                for path in &report.removed {
                    println!("Removed {}", path.display());
                }
                println!(
                    "{} written, {} unchanged, {} removed",
                    report.written.len(),
                    report.unchanged.len(),
                    report.removed.len()
                );
                true
            })
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("generated SQL code is stale — run the generator");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
