//! `cargo rally <command>`: the Rally CLI.
//!
//! Runs in the app's directory (the one with its `Cargo.toml`). Every failure prints
//! `rally error: …` with what to do, and exits 1.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod init;

const USAGE: &str =
    "usage: cargo rally <gen [--check] | regen | migrate | reset | build [--release] | server>";

fn main() -> ExitCode {
    // Cargo runs `cargo-rally rally <args>`; running the binary directly works too.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .skip_while(|a| a == "rally")
        .collect();
    let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["init"] => init_app(&root),
        ["gen"] | [] => gen_all(&root, false),
        ["gen", "--check"] => gen_all(&root, true),
        ["regen"] => regen(&root),
        ["migrate"] => migrate(&root),
        ["reset"] => reset(&root),
        ["build"] => build(&root, false),
        ["build", "--release"] => build(&root, true),
        ["server"] => build(&root, false).and_then(|()| server(&root)),
        _ => Err(format!("unknown command `{}`. {USAGE}", args.join(" "))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rally error: {e}");
            ExitCode::FAILURE
        }
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

fn step(what: &str) {
    eprintln!("rally: {what}");
}

/// The app's database file: `DATABASE_PATH`, else `db/<package>.db`.
fn database(root: &Path) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("DATABASE_PATH") {
        return Ok(PathBuf::from(path));
    }
    Ok(root.join("db").join(format!("{}.db", package(root)?)))
}

fn package(root: &Path) -> Result<String, String> {
    rally_codegen::package_name(root).map_err(|e| e.to_string())
}

/// SQL functions, then the page glue.
fn gen_all(root: &Path, check: bool) -> Result<(), String> {
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

/// gen → the server binary → one browser bundle per mount.
fn build(root: &Path, release: bool) -> Result<(), String> {
    gen_all(root, false)?;
    let package = package(root)?;
    step("building the server");
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(root)
        .args(["build", "--features", "server", "--bin", &package]);
    if release {
        cargo.arg("--release");
    }
    let status = cargo
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the server build failed (see cargo's errors above)".into());
    }
    for mount in rally_codegen::mount_names(root).map_err(|e| e.to_string())? {
        step(&format!("building the {mount} bundle (wasm32)"));
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
                "{mount}: {:.1} KiB gzip",
                sizes.total_gzip() as f64 / 1024.0
            ));
        }
    }
    Ok(())
}

fn server(root: &Path) -> Result<(), String> {
    let package = package(root)?;
    step("starting the server (PORT from the environment or .env, default 8080)");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["run", "--quiet", "--features", "server", "--bin", &package])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the server exited with {status}"))
    }
}
