//! The Rally CLI behind `cargo rally <command>` (the `cargo-rally` binary is a thin wrapper).
//!
//! Runs in the app's directory (the one with its `Cargo.toml`). Every failure is returned as a
//! message that says what to do; the binary prints it as `rally error: …` and exits 1.

use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod cli;
pub mod dev;
pub mod init;
pub mod publish;
pub mod serve;
mod signal;

/// Runs the command `args` (without the leading `rally`) in the app at `root`.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    use cli::{Command, Parsed, ServerAction};
    let command = match cli::parse(args)? {
        Parsed::Run(command) => command,
        Parsed::Print(text) => {
            print!("{text}");
            return Ok(());
        }
    };
    match command {
        Command::Init => init_app(root),
        Command::Gen { check } => gen_all(root, check),
        Command::Regen => regen(root),
        Command::Migrate => migrate(root),
        Command::Reset => reset(root),
        Command::Build { release } => build(root, release).map(drop),
        Command::Server { release, action } => {
            let restart = action == Some(ServerAction::Restart);
            serve::server(root, release, restart)
        }
        Command::Dev => dev::run_cli(root),
    }
}

fn init_app(root: &Path) -> Result<(), String> {
    let package = package(root)?;
    let written = init::init(root, &package)?;
    step(&format!("wrote the starter app ({} files)", written.len()));
    gen_all(root, false)?;
    step("next: cargo rally migrate && cargo rally build && cargo rally server");
    Ok(())
}

/// Prints a progress line: `rally: <what>`.
pub fn step(what: &str) {
    eprintln!("rally: {what}");
}

/// The app's configuration as its server reads it: the process environment, then the app's
/// `.env` (one rule, in `rally-env`, for the runtime and the CLI).
pub(crate) fn app_env(root: &Path) -> Result<rally_env::Env, String> {
    rally_env::Env::with_dotenv(&root.join(".env")).map_err(|e| e.to_string())
}

/// The app's database file, as its server finds it: `DATABASE_PATH` (relative to the app),
/// else `db/<package>.db`.
fn database(root: &Path) -> Result<PathBuf, String> {
    if let Some(path) = app_env(root)?
        .get("DATABASE_PATH")
        .filter(|p| !p.trim().is_empty())
    {
        return Ok(root.join(path));
    }
    Ok(root.join("db").join(format!("{}.db", package(root)?)))
}

fn package(root: &Path) -> Result<String, String> {
    if !root.join("Cargo.toml").is_file() {
        return Err(format!(
            "no Cargo.toml in {} — run cargo rally in the app's directory, or start an app with `cargo new <name>` and `cargo rally init` in it",
            root.display()
        ));
    }
    rally_codegen::package_name(root).map_err(|e| e.to_string())
}

/// SQL functions, then the page glue. With `check`, compares instead of writing. Nothing is
/// written when either generator reports a problem.
pub fn gen_all(root: &Path, check: bool) -> Result<(), String> {
    let mode = if check { Mode::Check } else { Mode::Write };
    generate(root, mode)
}

/// What [`generate`] does with what the generators produced.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Write what changed.
    Write,
    /// Compare with what is on disk.
    Check,
    /// Delete `src/generated/` (stale files included), then write everything.
    Replace,
}

fn generate(root: &Path, mode: Mode) -> Result<(), String> {
    let check = mode == Mode::Check;
    package(root)?;
    step(if check {
        "checking generated code"
    } else {
        "generating code"
    });
    let sql = rally_sql::generate(root).map_err(|e| e.to_string())?;
    let with_sql = !sql.is_empty();
    let pages = rally_codegen::generate(root, with_sql).map_err(|e| e.to_string())?;
    if check {
        let mut stale: Vec<String> = rally_sql::check(root)
            .map_err(|e| e.to_string())?
            .iter()
            .map(ToString::to_string)
            .collect();
        stale.extend(
            rally_codegen::check(root, &pages)
                .iter()
                .map(|p| format!("{} is stale", p.display())),
        );
        if !stale.is_empty() {
            return Err(format!(
                "generated code is out of date — run `cargo rally gen`:\n{}",
                stale.join("\n")
            ));
        }
        step("generated code is up to date");
        return Ok(());
    }
    if mode == Mode::Replace {
        // Only now, with both generators' output in hand: a broken page leaves the old code.
        let generated = root.join("src/generated");
        if generated.exists() {
            std::fs::remove_dir_all(&generated)
                .map_err(|e| format!("cannot remove {}: {e}", generated.display()))?;
        }
    }
    let report = rally_sql::write(root, &sql).map_err(|e| e.to_string())?;
    let written = rally_codegen::write(root, &pages).map_err(|e| e.to_string())?;
    step(&format!(
        "{} files written, {} unchanged",
        report.written.len() + written.len(),
        report.unchanged.len() + pages.len() - written.len()
    ));
    Ok(())
}

/// `regen`: generates from scratch (stale generated files go), deleting `src/generated/` only
/// once both generators succeeded.
fn regen(root: &Path) -> Result<(), String> {
    generate(root, Mode::Replace)
}

fn migrate(root: &Path) -> Result<(), String> {
    let db = database(root)?;
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    step(&format!("migrating {}", db.display()));
    let applied =
        rally_sql::migrate(&db, &root.join("db/migrations")).map_err(|e| e.to_string())?;
    for file in &applied {
        step(&format!("applied {}", file.path.display()));
    }
    step(&format!("{} migration(s) applied", applied.len()));
    Ok(())
}

fn reset(root: &Path) -> Result<(), String> {
    let db = database(root)?;
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    step(&format!("resetting {}", db.display()));
    let report = rally_sql::reset(&db, root).map_err(|e| e.to_string())?;
    step(&format!(
        "{} migration(s), {} seed(s)",
        report.migrations.len(),
        report.seeds.len()
    ));
    Ok(())
}

/// What `cargo rally build` produced.
#[derive(Debug)]
pub struct Built {
    /// The server binary.
    pub server: PathBuf,
    /// Each mount's browser bundle.
    pub bundles: Vec<(String, rally_build::BuildOutput)>,
}

/// gen → the server binary → one browser bundle per mount.
pub fn build(root: &Path, release: bool) -> Result<Built, String> {
    gen_all(root, false)?;
    let server = build_server(root, release)?;
    let bundles = build_bundles(root, release, || false)?;
    for (mount, _) in &bundles {
        let hash = publish::publish(&root.join("target/rally/pkg").join(mount), release)?;
        step(&format!("{mount}: published as /pkg/{mount}/{hash}/app.js"));
    }
    Ok(Built { server, bundles })
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `cargo build` of the server binary; returns its path (from cargo's JSON messages, so
/// `CARGO_TARGET_DIR` and workspaces need no guessing). Compiler errors are printed as usual.
pub fn build_server(root: &Path, release: bool) -> Result<PathBuf, String> {
    let package = package(root)?;
    step("building the server");
    let format = if std::io::stderr().is_terminal() {
        "--message-format=json-diagnostic-rendered-ansi,json-render-diagnostics"
    } else {
        "--message-format=json-render-diagnostics"
    };
    let mut cargo = cargo();
    cargo
        .current_dir(root)
        .args(["build", "--features", "server", "--bin", &package, format])
        .stdout(Stdio::piped());
    if release {
        cargo.arg("--release");
    }
    let mut child = cargo
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}. Is cargo on PATH?"))?;
    let mut executable = None;
    if let Some(stdout) = child.stdout.take() {
        for message in cargo_metadata::Message::parse_stream(BufReader::new(stdout)).flatten() {
            if let Some(path) = bin_artifact(&message, &package) {
                executable = Some(path);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for cargo: {e}"))?;
    if !status.success() {
        return Err("the server build failed (see cargo's errors above)".into());
    }
    executable.ok_or_else(|| {
        format!("cargo built no `{package}` binary; the app's Cargo.toml needs a `[[bin]] name = \"{package}\"` with `required-features = [\"server\"]`")
    })
}

/// The executable of a `compiler-artifact` message for the binary `name`.
fn bin_artifact(message: &cargo_metadata::Message, name: &str) -> Option<PathBuf> {
    match message {
        cargo_metadata::Message::CompilerArtifact(artifact)
            if artifact.target.is_bin() && artifact.target.name == name =>
        {
            artifact.executable.clone().map(|p| p.into_std_path_buf())
        }
        _ => None,
    }
}

/// One browser bundle per mount, in `target/rally/pkg/<mount>/`. `stop` is asked between
/// mounts, so an interrupted dev build does not start the next one.
pub fn build_bundles(
    root: &Path,
    release: bool,
    stop: impl Fn() -> bool,
) -> Result<Vec<(String, rally_build::BuildOutput)>, String> {
    let package = package(root)?;
    let mut bundles = Vec::new();
    for mount in rally_codegen::mount_names(root).map_err(|e| e.to_string())? {
        if stop() {
            return Err("interrupted".into());
        }
        step(&format!("building the {mount} bundle (wasm32)"));
        publish::unpublish(&root.join("target/rally/pkg").join(&mount));
        let out = rally_build::build_wasm(&rally_build::WasmBuild {
            workspace: root.to_path_buf(),
            package: package.clone(),
            features: vec![format!("mount-{mount}")],
            profile: if release {
                "wasm-release".into()
            } else {
                "dev".into()
            },
            out_dir: root.join("target/rally/pkg").join(&mount),
            out_name: "app".into(),
            wasm_opt: if release {
                rally_build::WasmOpt::IfAvailable
            } else {
                rally_build::WasmOpt::Off
            },
        })
        .map_err(|e| e.to_string())?;
        if let Ok(sizes) = out.sizes() {
            // A dev bundle is several times the size of a release one; say so where the size
            // is shown, so nobody judges an app by it.
            let kind = if release {
                ""
            } else {
                " — a debug build; `cargo rally build --release` makes the optimised bundle"
            };
            step(&format!(
                "{mount}: {:.1} KiB gzip (wasm {:.1} + JS {:.1}){kind}",
                sizes.total_gzip() as f64 / 1024.0,
                sizes.wasm_gzip as f64 / 1024.0,
                sizes.js_gzip as f64 / 1024.0,
            ));
        }
        bundles.push((mount, out));
    }
    Ok(bundles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_binary_is_read_from_cargos_json_messages() {
        // A line as cargo 1.95 prints it, with an executable path that needs unescaping.
        let line = r#"{"reason":"compiler-artifact","package_id":"path+file:///a#my-app@0.1.0","manifest_path":"/a/Cargo.toml","target":{"kind":["bin"],"crate_types":["bin"],"name":"my-app","src_path":"/a/src/main.rs","edition":"2024","doc":true,"doctest":false,"test":true},"profile":{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":false},"features":["server"],"filenames":["/t/debug/my-app"],"executable":"/t/de\"bug\\x\u00e9/my-app","fresh":true}"#;
        let parse = |line: &str| {
            cargo_metadata::Message::parse_stream(line.as_bytes())
                .next()
                .unwrap()
                .unwrap()
        };
        assert_eq!(
            bin_artifact(&parse(line), "my-app"),
            Some(PathBuf::from("/t/de\"bug\\xé/my-app"))
        );
        assert_eq!(bin_artifact(&parse(line), "other"), None);
        let lib = line.replace(r#""kind":["bin"]"#, r#""kind":["lib"]"#);
        assert_eq!(bin_artifact(&parse(&lib), "my-app"), None);
        // Compiler messages and garbage lines are skipped, not errors.
        assert_eq!(
            bin_artifact(
                &parse(r#"{"reason":"build-finished","success":true}"#),
                "my-app"
            ),
            None
        );
        assert!(matches!(
            parse("not json"),
            cargo_metadata::Message::TextLine(_)
        ));
    }
}
