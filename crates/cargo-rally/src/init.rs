//! `cargo rally init`: turns a fresh `cargo new` crate into a Rally app — the starter counter
//! (`examples/starter`, which the browser tests run, is the template).

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli::Database;

/// The template's files: path in the app, contents (`starter` is replaced by the crate name).
const FILES: &[(&str, &str)] = &[
    (
        "src/lib.rs",
        include_str!("../../../examples/starter/src/lib.rs"),
    ),
    (
        "src/main.rs",
        include_str!("../../../examples/starter/src/main.rs"),
    ),
    (
        "src/broadcasts.rs",
        include_str!("../../../examples/starter/src/broadcasts.rs"),
    ),
    (
        "src/context.rs",
        include_str!("../../../examples/starter/src/context.rs"),
    ),
    (
        "src/public/mod.rs",
        include_str!("../../../examples/starter/src/public/mod.rs"),
    ),
    (
        "src/public/pages/mod.rs",
        include_str!("../../../examples/starter/src/public/pages/mod.rs"),
    ),
    (
        "src/public/pages/home_.rs",
        include_str!("../../../examples/starter/src/public/pages/home_.rs"),
    ),
    (
        "src/public/pages/not_found_.rs",
        include_str!("../../../examples/starter/src/public/pages/not_found_.rs"),
    ),
    (
        "src/public/pages/home_/sql/get_count.sql",
        include_str!("../../../examples/starter/src/public/pages/home_/sql/get_count.sql"),
    ),
    (
        "src/public/pages/home_/sql/add_to_count.sql",
        include_str!("../../../examples/starter/src/public/pages/home_/sql/add_to_count.sql"),
    ),
    (
        "db/migrations/001_create_counter.sql",
        include_str!("../../../examples/starter/db/migrations/001_create_counter.sql"),
    ),
    (
        "db/seeds/001_counter.sql",
        include_str!("../../../examples/starter/db/seeds/001_counter.sql"),
    ),
    (
        "assets/app.css",
        include_str!("../../../examples/starter/assets/app.css"),
    ),
    (".env.example", ENV_EXAMPLE),
    (
        ".env",
        "# Read by the server and by `cargo rally dev`; the process environment wins. Not committed.\nPORT=8080\n",
    ),
    ("README.md", README),
];

const ENV_EXAMPLE: &str = "# Copy to .env. The process environment wins over this file.\nPORT=8080\n# APP_ENV=production\n# SECRET_KEY_BASE=<base64url of 32 random bytes>\n# DATABASE_PATH=db/starter.db\n";

const README: &str = "# starter

A Rally app: a counter persisted in SQLite, saved over the WebSocket and pushed to every open
tab.

```sh
cargo rally migrate   # db/migrations → db/starter.db
cargo rally dev       # build, serve on http://127.0.0.1:8080, rebuild and reload on every change
```

| command | what it does |
|---|---|
| `cargo rally gen [--check]` | writes `src/generated/` from the pages and SQL (`--check`: fails when it is stale) |
| `cargo rally build [--release]` | gen, the server binary, one browser bundle per mount in `target/rally/pkg/` |
| `cargo rally server` | build, then serve (`PORT` from the environment or `.env`, default 8080) |
| `cargo rally reset` | recreates the database from the migrations and `db/seeds/` |

A page is one module under `src/public/pages/`; its file name is its route (`home_.rs` is `/`).
";

/// The Postgres flavour (`init --db postgres`): these files replace the template's.
const POSTGRES_FILES: &[(&str, &str)] = &[
    (
        "src/context.rs",
        include_str!("../../../examples/starter/postgres/context.rs"),
    ),
    (
        "db/migrations/001_create_counter.sql",
        include_str!("../../../examples/starter/postgres/001_create_counter.sql"),
    ),
];

/// Edits of the template's page for Postgres, whose pool can fail before the query runs (so
/// its closures return `rally::postgres::Error`). Each must match exactly once; a test checks.
const POSTGRES_EDITS: &[(&str, &str, &str)] = &[
    (
        "src/public/pages/home_.rs",
        ".read_sync(get_count)",
        ".read_sync(|c| Ok::<_, rally::postgres::Error>(get_count(c)?))",
    ),
    (
        "src/public/pages/home_.rs",
        ".write_sync(|tx| add_to_count(tx, delta))",
        ".write_sync(|tx| Ok::<_, rally::postgres::Error>(add_to_count(tx, delta)?))",
    ),
    (
        "src/public/pages/home_.rs",
        "saved in SQLite",
        "saved in Postgres",
    ),
    ("README.md", "persisted in SQLite", "persisted in Postgres"),
    (
        "README.md",
        "cargo rally migrate   # db/migrations → db/starter.db",
        "cargo rally migrate   # db/migrations → DATABASE_URL (set it in .env)",
    ),
    (
        ".env.example",
        "# DATABASE_PATH=db/starter.db\n",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/starter\n",
    ),
];

/// The template's files for `db`: path and contents.
fn files(db: Database) -> Vec<(&'static str, String)> {
    FILES
        .iter()
        .map(|&(path, contents)| {
            let mut contents = contents.to_owned();
            if db == Database::Postgres {
                if let Some((_, replacement)) = POSTGRES_FILES.iter().find(|(p, _)| *p == path) {
                    contents = (*replacement).to_owned();
                }
                for (_, from, to) in POSTGRES_EDITS.iter().filter(|(p, _, _)| *p == path) {
                    contents = contents.replacen(from, to, 1);
                }
            }
            (path, contents)
        })
        .collect()
}

/// What `cargo new` writes in `src/main.rs`; init may replace exactly this.
const CARGO_NEW_MAIN: &str = "fn main() {\n    println!(\"Hello, world!\");\n}\n";

/// Files of the starter that an existing crate's own copy replaces (left alone, as upstream).
const KEPT: &[&str] = &["README.md"];

/// Writes the starter into `root`, refusing to overwrite anything but `cargo new`'s main.rs.
/// Returns the files written.
pub fn init(root: &Path, package: &str, db: Database) -> Result<Vec<PathBuf>, String> {
    let files = files(db);
    for (path, _) in &files {
        let target = root.join(path);
        if KEPT.contains(path) && target.is_file() {
            continue;
        }
        if target.is_dir() {
            return Err(format!(
                "refusing to overwrite {path}: it exists as a directory. Run `cargo rally init` in a fresh `cargo new` crate."
            ));
        }
        let existing = fs::read_to_string(&target).ok();
        let disposable = *path == "src/main.rs" && existing.as_deref() == Some(CARGO_NEW_MAIN);
        if existing.is_some() && !disposable {
            return Err(format!(
                "refusing to overwrite {path}: the file exists, so nothing was written. Run `cargo rally init` in a fresh `cargo new` crate, or remove the file."
            ));
        }
    }
    let manifest = root.join("Cargo.toml");
    let cargo_toml = fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read Cargo.toml ({e}); run `cargo new <name>` first"))?;
    if depends_on_rally(&cargo_toml) {
        return Err(
            "Cargo.toml already mentions rally; this crate looks initialised already".into(),
        );
    }
    let crate_name = package.replace('-', "_");
    let mut written = Vec::new();
    for (path, contents) in &files {
        let target = root.join(path);
        if KEPT.contains(path) && target.is_file() {
            continue;
        }
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let contents = contents
            .replace("starter::", &format!("{crate_name}::"))
            .replace("db/starter.db", &format!("db/{package}.db"))
            .replace("# starter\n", &format!("# {package}\n"));
        fs::write(&target, contents).map_err(|e| format!("cannot write {path}: {e}"))?;
        written.push(PathBuf::from(path));
    }
    fs::write(&manifest, manifest_with_rally(&cargo_toml, package, db))
        .map_err(|e| format!("cannot write Cargo.toml: {e}"))?;
    append_gitignore(root)?;
    Ok(written)
}

/// The `rally` dependency: the checkout this CLI was built from, while it exists (`cargo
/// install --path crates/cargo-rally`, or running it from the repository); else the version.
fn rally_dependency() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rally");
    match path.join("Cargo.toml").is_file() {
        true => {
            let path = path.canonicalize().unwrap_or(path);
            let path = path.display().to_string().replace('\\', "/");
            format!("rally = {{ path = \"{path}\" }}")
        }
        false => format!(
            "# The Rally checkout this CLI was built from is gone: point this at one, for example\n# rally = {{ path = \"../rally/crates/rally\" }}\nrally = \"{}\"",
            env!("CARGO_PKG_VERSION")
        ),
    }
}

fn manifest_with_rally(cargo_toml: &str, package: &str, db: Database) -> String {
    let rally = rally_dependency();
    let (database_deps, server_database, metadata) = match db {
        Database::Sqlite => (
            r#"rusqlite = { version = "0.39", features = ["bundled"], optional = true }"#,
            r#""dep:rusqlite""#,
            "",
        ),
        Database::Postgres => (
            r#"postgres = { version = "0.19", optional = true }
thiserror = { version = "2", optional = true }"#,
            r#""rally/postgres", "dep:postgres", "dep:thiserror""#,
            "\n# `cargo rally gen` types the queries on Postgres.\n[package.metadata.rally]\ndatabase = \"postgres\"\n",
        ),
    };
    let deps = format!(
        r#"{rally}
serde = {{ version = "1", features = ["derive"] }}
tokio = {{ version = "1", features = ["rt-multi-thread", "macros", "net", "signal", "sync", "time"], optional = true }}
axum = {{ version = "0.8", features = ["ws"], optional = true }}
{database_deps}
# The browser runtime is pinned to the wasm-bindgen version `cargo rally build` embeds.
wasm-bindgen = {{ version = "=0.2.130", optional = true }}
"#
    );
    let mut out = String::new();
    let mut added = false;
    for line in cargo_toml.lines() {
        out.push_str(line);
        out.push('\n');
        if line.trim() == "[dependencies]" {
            out.push_str(&deps);
            added = true;
        }
    }
    if !added {
        out.push_str("\n[dependencies]\n");
        out.push_str(&deps);
    }
    out.push_str(&format!(
        r#"
[lib]
crate-type = ["cdylib", "rlib"]

[[bin]]
name = "{package}"
required-features = ["server"]

[features]
default = []
# The server build: SSR, the WebSocket, the database.
server = ["rally/server", "rally/mimalloc", "dep:tokio", "dep:axum", {server_database}]
# One browser bundle per mount. Keyed lists in the browser need "rally/lists" here too
# (`html::keyed`, ~9.6 KiB gzip), lazy ones "rally/lazy-lists" (`keyed_lazy`, ~2.7 KiB more);
# the build says so if one is missing.
browser = ["rally/browser", "rally/allocator", "dep:wasm-bindgen"]
mount-public = ["browser"]

# `cargo rally build --release`: small browser bundles.
[profile.wasm-release]
inherits = "release"
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
{metadata}"#
    ));
    out
}

fn append_gitignore(root: &Path) -> Result<(), String> {
    let path = root.join(".gitignore");
    let mut text = fs::read_to_string(&path).unwrap_or_default();
    for entry in ["/target", ".env", "/db/*.db*"] {
        if !text.lines().any(|l| l.trim() == entry) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(entry);
            text.push('\n');
        }
    }
    fs::write(&path, text).map_err(|e| format!("cannot write .gitignore: {e}"))
}

/// Whether a manifest already has a `rally` dependency (`rally = …`, `rally.workspace = …`);
/// the crate's own name may well contain "rally".
fn depends_on_rally(manifest: &str) -> bool {
    manifest.lines().any(|line| {
        line.trim_start()
            .strip_prefix("rally")
            .is_some_and(|rest| rest.trim_start().starts_with(['=', '.']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crate_named_like_rally_is_not_taken_for_an_initialised_one() {
        assert!(!depends_on_rally(
            "[package]\nname = \"rally_demo\"\n\n[dependencies]\n"
        ));
        assert!(depends_on_rally(
            "[dependencies]\nrally = { path = \"x\" }\n"
        ));
        assert!(depends_on_rally("[dependencies]\nrally.workspace = true\n"));
        assert!(!depends_on_rally("[dependencies]\nrally-view = \"1\"\n"));
    }

    fn cargo_new(dir: &Path) {
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::write(dir.join("Cargo.toml"), "[package]\nname = \"my-app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n").unwrap();
        fs::write(dir.join("src/main.rs"), CARGO_NEW_MAIN).unwrap();
    }

    #[test]
    fn init_writes_the_starter_into_a_fresh_crate() {
        let dir = tempfile::tempdir().unwrap();
        cargo_new(dir.path());
        let written = init(dir.path(), "my-app", Database::Sqlite).unwrap();
        assert_eq!(written.len(), FILES.len());
        let main = fs::read_to_string(dir.path().join("src/main.rs")).unwrap();
        assert!(
            main.contains("my_app::generated::rally::app::serve()"),
            "{main}"
        );
        let manifest = fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("rally = { path = ")
                && manifest.contains("mount-public = [\"browser\"]")
        );
        assert!(
            fs::read_to_string(dir.path().join(".gitignore"))
                .unwrap()
                .contains("/db/*.db*")
        );
    }

    #[test]
    fn every_postgres_edit_applies_once() {
        for (path, from, _) in POSTGRES_EDITS {
            let (_, template) = FILES
                .iter()
                .find(|(p, _)| p == path)
                .expect("a template file");
            assert_eq!(template.matches(from).count(), 1, "{path}: {from}");
        }
        for (path, _) in POSTGRES_FILES {
            assert!(
                FILES.iter().any(|(p, _)| p == path),
                "{path} replaces a template file"
            );
        }
    }

    #[test]
    fn init_for_postgres_writes_the_postgres_flavour() {
        let dir = tempfile::tempdir().unwrap();
        cargo_new(dir.path());
        init(dir.path(), "my-app", Database::Postgres).unwrap();
        let read = |p: &str| fs::read_to_string(dir.path().join(p)).unwrap();
        assert!(read("src/context.rs").contains("PgDb::open"));
        assert!(read("src/public/pages/home_.rs").contains("rally::postgres::Error"));
        assert!(read("db/migrations/001_create_counter.sql").contains("bigint"));
        assert!(read(".env.example").contains("DATABASE_URL=postgres://"));
        let manifest = read("Cargo.toml");
        assert!(manifest.contains("database = \"postgres\""), "{manifest}");
        assert!(
            manifest.contains("\"rally/postgres\", \"dep:postgres\""),
            "{manifest}"
        );
        assert!(!manifest.contains("rusqlite"), "{manifest}");
    }

    #[test]
    fn init_refuses_to_overwrite_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        cargo_new(dir.path());
        fs::write(dir.path().join("src/main.rs"), "fn main() { /* mine */ }\n").unwrap();
        let err = init(dir.path(), "my-app", Database::Sqlite).unwrap_err();
        assert!(err.contains("refusing to overwrite src/main.rs"), "{err}");
        assert!(!dir.path().join("src/lib.rs").exists());
        let second = tempfile::tempdir().unwrap();
        cargo_new(second.path());
        init(second.path(), "my-app", Database::Sqlite).unwrap();
        let again = init(second.path(), "my-app", Database::Sqlite).unwrap_err();
        assert!(again.contains("refusing to overwrite"), "{again}");
    }
}
