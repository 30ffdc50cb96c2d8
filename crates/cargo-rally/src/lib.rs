//! The Rally CLI behind `cargo rally <command>` (the `cargo-rally` binary is a thin wrapper).
//!
//! Runs in the app's directory (the one with its `Cargo.toml`). Every failure is returned as a
//! message that says what to do; the binary prints it as `rally error: …` and exits 1.

use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod dev;
pub mod init;
pub mod publish;
pub mod serve;
mod signal;

/// One line of usage, printed with unknown commands.
pub const USAGE: &str = "usage: cargo rally <init | gen [--check] | regen | migrate | reset | build [--release] | server | dev>";

/// Runs the command `args` (without the leading `rally`) in the app at `root`.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["init"] => init_app(root),
        ["gen"] | [] => gen_all(root, false),
        ["gen", "--check"] => gen_all(root, true),
        ["regen"] => regen(root),
        ["migrate"] => migrate(root),
        ["reset"] => reset(root),
        ["build"] => build(root, false).map(drop),
        ["build", "--release"] => build(root, true).map(drop),
        ["server"] => build(root, false).and_then(|_| serve::server(root)),
        ["dev"] => dev::run_cli(root),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}\nSee docs/cli.md for what each command does.");
            Ok(())
        }
        _ => Err(format!("unknown command `{}`. {USAGE}", args.join(" "))),
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
    let report = rally_sql::write(root, &sql).map_err(|e| e.to_string())?;
    let written = rally_codegen::write(root, &pages).map_err(|e| e.to_string())?;
    step(&format!(
        "{} files written, {} unchanged",
        report.written.len() + written.len(),
        report.unchanged.len() + pages.len() - written.len()
    ));
    Ok(())
}

fn regen(root: &Path) -> Result<(), String> {
    let generated = root.join("src/generated");
    if generated.exists() {
        std::fs::remove_dir_all(&generated)
            .map_err(|e| format!("cannot remove {}: {e}", generated.display()))?;
    }
    gen_all(root, false)
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
        let hash = publish::publish(&root.join("target/rally/pkg").join(mount))?;
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
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(path) = bin_artifact(&line, &package) {
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
fn bin_artifact(line: &str, name: &str) -> Option<PathBuf> {
    if !line.contains("\"reason\":\"compiler-artifact\"")
        || !line.contains("\"kind\":[\"bin\"]")
        || !line.contains(&format!("\"name\":{}", json_string(name)))
    {
        return None;
    }
    let start = line.find("\"executable\":\"")? + "\"executable\":".len();
    parse_json_string(&line[start..]).map(PathBuf::from)
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The JSON string literal at the start of `s`, unescaped.
fn parse_json_string(s: &str) -> Option<String> {
    let mut chars = s.strip_prefix('"')?.chars();
    let mut out = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex = |chars: &mut std::str::Chars<'_>| {
                        let digits: String = chars.by_ref().take(4).collect();
                        u32::from_str_radix(&digits, 16).ok()
                    };
                    let first = hex(&mut chars)?;
                    let code = if (0xD800..0xDC00).contains(&first) {
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let second = hex(&mut chars)?;
                        0x10000 + ((first - 0xD800) << 10) + (second.checked_sub(0xDC00)?)
                    } else {
                        first
                    };
                    out.push(char::from_u32(code)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
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
            step(&format!(
                "{mount}: {:.1} KiB gzip (wasm {:.1} + JS {:.1})",
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
        let line = r#"{"reason":"compiler-artifact","package_id":"path+file:///a#my-app@0.1.0","target":{"kind":["bin"],"crate_types":["bin"],"name":"my-app","src_path":"/a/src/main.rs"},"profile":{},"features":["server"],"filenames":["/t/debug/my-app"],"executable":"/t/de\"bug\\x\u00e9/my-app","fresh":true}"#;
        assert_eq!(
            bin_artifact(line, "my-app"),
            Some(PathBuf::from("/t/de\"bug\\xé/my-app"))
        );
        assert_eq!(bin_artifact(line, "other"), None);
        let lib = line.replace(r#""kind":["bin"]"#, r#""kind":["lib"]"#);
        assert_eq!(bin_artifact(&lib, "my-app"), None);
        assert_eq!(
            parse_json_string(r#""\ud83d\ude00 x""#).as_deref(),
            Some("😀 x")
        );
        assert_eq!(parse_json_string(r#""unterminated"#), None);
    }
}
