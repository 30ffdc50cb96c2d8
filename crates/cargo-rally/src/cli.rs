//! The command line, parsed with `clap`: each command with its `--help`.

use clap::{Parser, Subcommand, ValueEnum};

/// Rally's CLI: generate, build, migrate and run a Rally app. Run it in the app's directory
/// (the one with its Cargo.toml); docs/cli.md describes every command.
#[derive(Debug, Parser)]
#[command(name = "cargo rally", bin_name = "cargo rally", version)]
pub struct Cli {
    /// What to do (`gen` when omitted).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A `cargo rally` command.
#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Write the starter app into a fresh `cargo new` crate, then run `gen`.
    Init {
        /// The database the app starts on: the embedded SQLite file, or a Postgres server
        /// named by `DATABASE_URL` (gen types the queries on a throwaway one).
        #[arg(long, value_enum, default_value_t = Database::Sqlite)]
        db: Database,
    },
    /// Write src/generated/ from the pages and the .sql files.
    Gen {
        /// Compare with what is checked in instead of writing; fails when it is stale.
        #[arg(long)]
        check: bool,
    },
    /// Delete src/generated/, then `gen`.
    Regen,
    /// Apply the pending migrations of db/migrations/ to the database.
    Migrate,
    /// Delete the database, then apply every migration and seed.
    Reset,
    /// `gen`, then the server binary and one browser bundle per mount.
    Build {
        /// Optimised: the server in the release profile, the bundles in `wasm-release`
        /// with wasm-opt.
        #[arg(long)]
        release: bool,
    },
    /// `build`, then run the server in the foreground (stopping this app's previous one).
    Server {
        /// Build and run the optimised server and bundles.
        #[arg(long, global = true)]
        release: bool,
        /// `restart`: stop this app's running server first, whatever port it holds.
        #[command(subcommand)]
        action: Option<ServerAction>,
    },
    /// Build and run the server, then rebuild, restart and reload the tabs on every change.
    Dev,
}

/// The database `cargo rally init` sets the app up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Database {
    /// SQLite, embedded: `db/<app>.db`.
    Sqlite,
    /// Postgres: `DATABASE_URL`.
    Postgres,
}

/// What `cargo rally server` does besides starting.
#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum ServerAction {
    /// Stop this app's running server (recorded in target/rally/server.pid), then build and
    /// start the new one.
    Restart,
}

/// What to run, or the text to print and exit 0 with (`--help`, `--version`).
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run this command.
    Run(Command),
    /// Print this and succeed.
    Print(String),
}

/// Parses `args` (without the leading `rally`). The error says what is wrong and how to get
/// help, without clap's `error: ` prefix (the binary adds `rally error: `).
pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let argv = std::iter::once("cargo rally").chain(args.iter().map(String::as_str));
    match Cli::try_parse_from(argv) {
        Ok(cli) => Ok(Parsed::Run(
            cli.command.unwrap_or(Command::Gen { check: false }),
        )),
        Err(e) => {
            use clap::error::ErrorKind;
            let text = e.render().to_string();
            match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Ok(Parsed::Print(text)),
                _ => Err(text
                    .trim_end()
                    .strip_prefix("error: ")
                    .unwrap_or(text.trim_end())
                    .to_owned()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Parsed, String> {
        parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn commands_and_their_flags() {
        let command = |args: &[&str]| match run(args) {
            Ok(Parsed::Run(c)) => c,
            other => panic!("{args:?}: {other:?}"),
        };
        assert_eq!(command(&[]), Command::Gen { check: false });
        assert_eq!(command(&["gen", "--check"]), Command::Gen { check: true });
        assert_eq!(
            command(&["build", "--release"]),
            Command::Build { release: true }
        );
        assert_eq!(
            command(&["server", "--release"]),
            Command::Server {
                release: true,
                action: None
            }
        );
        assert_eq!(
            command(&["server", "restart"]),
            Command::Server {
                release: false,
                action: Some(ServerAction::Restart)
            }
        );
        assert_eq!(
            command(&["server", "restart", "--release"]),
            Command::Server {
                release: true,
                action: Some(ServerAction::Restart)
            }
        );
    }

    #[test]
    fn help_is_printed_for_every_command_and_mistakes_say_what_to_do() {
        for args in [
            &["--help"][..],
            &["help"],
            &["server", "--help"],
            &["gen", "-h"],
        ] {
            let Ok(Parsed::Print(text)) = run(args) else {
                panic!("{args:?}");
            };
            assert!(text.contains("Usage: cargo rally"), "{args:?}: {text}");
        }
        let Ok(Parsed::Print(text)) = run(&["build", "--help"]) else {
            panic!()
        };
        assert!(text.contains("--release"), "{text}");
        let err = run(&["frobnicate"]).unwrap_err();
        assert!(
            err.starts_with("unrecognized subcommand 'frobnicate'"),
            "{err}"
        );
        assert!(err.contains("--help"), "{err}");
        let err = run(&["build", "--relase"]).unwrap_err();
        assert!(err.contains("unexpected argument '--relase'"), "{err}");
        assert!(err.contains("--release"), "a suggestion: {err}");
    }
}
