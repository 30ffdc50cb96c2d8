//! The SQL half of `cargo rally gen`, for working on rally-sql itself:
//! `cargo run -p rally-sql [--features postgres] --example gen -- <app root> [--check] [--postgres]`.
//! With `--postgres` the queries are typed against Postgres (`DATABASE_URL`'s server, else a
//! throwaway cluster).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: gen <app root> [--check]");
        return ExitCode::from(2);
    };
    let flags: Vec<String> = args.collect();
    let check = flags.iter().any(|a| a == "--check");
    let options = if flags.iter().any(|a| a == "--postgres") {
        rally_sql::Options {
            database_url: std::env::var("DATABASE_URL").ok(),
            ..rally_sql::Options::for_dialect(rally_sql::Dialect::Postgres)
        }
    } else {
        rally_sql::Options::default()
    };
    let result = if check {
        rally_sql::check_with(&root, &options).map(|stale| {
            for s in &stale {
                eprintln!("{s}");
            }
            stale.is_empty()
        })
    } else {
        rally_sql::generate_with(&root, &options)
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
