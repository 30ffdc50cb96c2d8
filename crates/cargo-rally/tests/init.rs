//! `cargo rally init` on a fresh machine, through the built binary: `cargo new --vcs none`,
//! `init`, the files it wrote, a second `init` refusing, `gen --check` passing, and gen
//! refusing to write anything for a broken page. (Building the new app is left to
//! `scripts/test.sh`, which builds `examples/starter`, the template, for server and wasm.)

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cargo_rally(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-rally"))
        .arg("rally")
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_PATH")
        .output()
        .expect("cargo-rally runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `cargo new --vcs none <name>` in `parent`.
fn cargo_new(parent: &Path, name: &str) -> PathBuf {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["new", "--vcs", "none", "--quiet", name])
        .current_dir(parent)
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo new: {}", stderr(&out));
    parent.join(name)
}

/// Every file below `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn read(app: &Path, path: &str) -> String {
    fs::read_to_string(app.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn init_writes_the_starter_into_a_new_crate_once_and_it_generates_cleanly() {
    let parent = tempfile::tempdir().unwrap();
    let app = cargo_new(parent.path(), "my_app");

    let out = cargo_rally(&app, &["init"]);
    assert!(out.status.success(), "init failed: {}", stderr(&out));
    let log = stderr(&out);
    assert!(
        log.contains("rally: wrote the starter app (16 files)"),
        "{log}"
    );
    assert!(log.contains("rally: next: cargo rally migrate"), "{log}");

    // The files, with the crate's name in place of the template's.
    for path in [
        "src/lib.rs",
        "src/broadcasts.rs",
        "src/context.rs",
        "src/public/mod.rs",
        "src/public/pages/mod.rs",
        "src/public/pages/home_.rs",
        "src/public/pages/not_found_.rs",
        "src/public/pages/home_/sql/get_count.sql",
        "src/public/pages/home_/sql/add_to_count.sql",
        "db/migrations/001_create_counter.sql",
        "db/seeds/001_counter.sql",
        "assets/app.css",
        "src/generated/mod.rs",
        "src/generated/routes/public.rs",
        "src/generated/rally/contract.rs",
        "src/generated/sql/mod.rs",
    ] {
        assert!(app.join(path).is_file(), "{path} is missing");
    }
    assert!(read(&app, "src/main.rs").contains("my_app::generated::rally::app::serve().await"));
    assert!(!read(&app, "src/public/pages/home_.rs").contains("starter::"));
    assert!(read(&app, ".env").contains("PORT=8080"));
    assert!(read(&app, ".env.example").contains("# DATABASE_PATH=db/my_app.db"));
    assert!(read(&app, "README.md").starts_with("# my_app\n"));
    let gitignore = read(&app, ".gitignore");
    for entry in ["/target", ".env", "/db/*.db*"] {
        assert!(gitignore.lines().any(|l| l == entry), "{gitignore}");
    }

    // Cargo.toml: cargo new's package, rally from this checkout by path, the features and
    // the bundle profile.
    let manifest = read(&app, "Cargo.toml");
    assert!(
        manifest.starts_with("[package]\nname = \"my_app\"\n"),
        "{manifest}"
    );
    let rally = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rally")
        .canonicalize()
        .unwrap();
    assert!(
        manifest.contains(&format!("rally = {{ path = \"{}\" }}\n", rally.display())),
        "{manifest}"
    );
    for line in [
        "wasm-bindgen = { version = \"=0.2.130\", optional = true }",
        "crate-type = [\"cdylib\", \"rlib\"]",
        "name = \"my_app\"\nrequired-features = [\"server\"]",
        "server = [\"rally/server\", \"rally/mimalloc\", \"dep:tokio\", \"dep:axum\", \"dep:rusqlite\"]",
        "mount-public = [\"browser\"]",
        "[profile.wasm-release]",
    ] {
        assert!(manifest.contains(line), "{line} not in {manifest}");
    }
    assert_eq!(manifest.matches("[dependencies]").count(), 1, "{manifest}");

    // A second init refuses, names the file, and writes nothing.
    let before = tree(&app);
    let out = cargo_rally(&app, &["init"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "rally error: refusing to overwrite src/lib.rs: the file exists, so nothing was written. Run `cargo rally init` in a fresh `cargo new` crate, or remove the file.\n"
    );
    assert_eq!(tree(&app), before);

    // What init generated is what gen generates.
    let out = cargo_rally(&app, &["gen", "--check"]);
    assert!(out.status.success(), "gen --check: {}", stderr(&out));
    assert!(stderr(&out).contains("rally: generated code is up to date"));

    // A stale generated file: --check fails and names it; gen restores it.
    let contract = app.join("src/generated/rally/contract.rs");
    fs::write(&contract, "// edited\n").unwrap();
    let out = cargo_rally(&app, &["gen", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "rally error: generated code is out of date — run `cargo rally gen`:\nsrc/generated/rally/contract.rs is stale\n"
        ),
        "{}",
        stderr(&out)
    );
    assert!(cargo_rally(&app, &["gen"]).status.success());
    assert!(cargo_rally(&app, &["gen", "--check"]).status.success());

    // A broken page: gen fails with the file, line and fix, and writes nothing.
    let before = tree(&app);
    let home = read(&app, "src/public/pages/home_.rs");
    let broken = home.replace(
        "#[derive(Debug, Clone, PartialEq)]\npub enum Message",
        "#[derive(Debug, PartialEq)]\npub enum Message",
    );
    assert_ne!(broken, home);
    fs::write(app.join("src/public/pages/home_.rs"), &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l == "pub enum Message {")
        .unwrap()
        + 1;
    let out = cargo_rally(&app, &["gen"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "rally: generating code\nrally error: src/public/pages/home_.rs:{line}: `Message` does not derive `Clone` — add `#[derive(Clone)]` to `Message`\n"
        )
    );
    let mut after = tree(&app);
    after.insert(
        PathBuf::from("src/public/pages/home_.rs"),
        home.clone().into_bytes(),
    );
    assert_eq!(after, before, "gen wrote something despite the error");
}

#[test]
fn init_refuses_an_edited_main_rs_and_writes_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let app = cargo_new(parent.path(), "edited");
    fs::write(
        app.join("src/main.rs"),
        "fn main() {\n    println!(\"mine\");\n}\n",
    )
    .unwrap();
    let before = tree(&app);
    let out = cargo_rally(&app, &["init"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("refusing to overwrite src/main.rs"),
        "{}",
        stderr(&out)
    );
    assert_eq!(tree(&app), before);
}

#[test]
fn commands_outside_an_app_and_unknown_commands_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = cargo_rally(dir.path(), &["gen"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "rally error: no Cargo.toml in {} — run cargo rally in the app's directory, or start an app with `cargo new <name>` and `cargo rally init` in it\n",
            dir.path().display()
        )
    );
    let out = cargo_rally(dir.path(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("rally error: unrecognized subcommand 'frobnicate'"),
        "{err}"
    );
    assert!(err.contains("For more information, try '--help'."), "{err}");
    // Every command has its --help, on stdout, exit 0.
    for command in ["server", "build", "gen", "dev"] {
        let out = cargo_rally(dir.path(), &[command, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{command}");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains(&format!("Usage: cargo rally {command}")),
            "{command}: {help}"
        );
    }
}

#[test]
fn init_leaves_an_existing_readme_alone() {
    let parent = tempfile::tempdir().unwrap();
    let app = cargo_new(parent.path(), "documented");
    fs::write(app.join("README.md"), "# Mine\n").unwrap();
    let out = cargo_rally(&app, &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&app, "README.md"), "# Mine\n");
    assert!(app.join("src/public/pages/home_.rs").is_file());
}

#[test]
fn regen_replaces_generated_code_only_once_generation_succeeds() {
    let parent = tempfile::tempdir().unwrap();
    let app = cargo_new(parent.path(), "regen_app");
    assert!(cargo_rally(&app, &["init"]).status.success());
    let generated = app.join("src/generated");
    let fresh = tree(&generated);
    fs::write(generated.join("stale.rs"), "// left by an older Rally\n").unwrap();

    // A broken page: regen fails and the generated code, stale file included, is untouched.
    let home = app.join("src/public/pages/home_.rs");
    let page = fs::read_to_string(&home).unwrap();
    fs::write(&home, page.replace("pub fn view(", "pub fn render(")).unwrap();
    let before = tree(&generated);
    let out = cargo_rally(&app, &["regen"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("missing `pub fn view`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        tree(&generated),
        before,
        "a failed regen changed src/generated"
    );

    // Fixed: regen writes everything again and the stale file is gone.
    fs::write(&home, page).unwrap();
    let out = cargo_rally(&app, &["regen"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(tree(&generated), fresh);
}
