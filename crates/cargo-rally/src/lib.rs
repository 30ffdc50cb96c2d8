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
        Command::Init { db } => init_app(root, db),
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

fn init_app(root: &Path, db: cli::Database) -> Result<(), String> {
    let package = package(root)?;
    let written = init::init(root, &package, db)?;
    step(&format!("wrote the starter app ({} files)", written.len()));
    gen_all(root, false)?;
    match db {
        cli::Database::Sqlite => {
            step("next: cargo rally migrate && cargo rally build && cargo rally server")
        }
        cli::Database::Postgres => step(
            "next: set DATABASE_URL in .env (postgres://user@host:5432/db), then cargo rally migrate && cargo rally build && cargo rally server",
        ),
    }
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

/// The database the app's server talks to: a Postgres `DATABASE_URL`, else its SQLite file.
enum AppDatabase {
    /// `DATABASE_URL` (`postgres://…`).
    Postgres(String),
    /// The file of [`database`].
    Sqlite(PathBuf),
}

fn app_database(root: &Path) -> Result<AppDatabase, String> {
    match database_url(root)? {
        Some(url) => Ok(AppDatabase::Postgres(url)),
        None => database(root).map(AppDatabase::Sqlite),
    }
}

/// `DATABASE_URL` when it names a Postgres server.
fn database_url(root: &Path) -> Result<Option<String>, String> {
    let url = app_env(root)?
        .get("DATABASE_URL")
        .filter(|u| !u.trim().is_empty());
    match url {
        Some(url) if rally_sql::is_postgres_url(&url) => Ok(Some(url)),
        Some(url) => Err(format!(
            "DATABASE_URL is `{}`, which is not a Postgres URL — write postgres://user@host:5432/db, or unset it to use the SQLite file (DATABASE_PATH)",
            mask_password(&url)
        )),
        None => Ok(None),
    }
}

fn mask_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The databases the app's queries are generated for, from `[package.metadata.rally]` in
/// Cargo.toml: `database = "postgres"` (or `"sqlite"`, the default), or a list whose first
/// entry is the default and whose second is chosen by the app's cargo feature of that name,
/// e.g. `database = ["sqlite", "postgres"]`: the second reads `db/postgres/migrations` and is
/// generated into `src/generated/sql_postgres/`. Postgres queries are typed against
/// `DATABASE_URL`'s server when it is set, else a throwaway cluster.
fn sql_options(root: &Path) -> Result<Vec<rally_sql::Options>, String> {
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("Cargo.toml is not valid TOML: {e}"))?;
    let declared = table
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("rally"))
        .and_then(|r| r.get("database"));
    let names: Vec<Option<&str>> = match declared {
        None => vec![Some("sqlite")],
        Some(toml::Value::Array(list)) => list.iter().map(toml::Value::as_str).collect(),
        Some(one) => vec![one.as_str()],
    };
    let bad = |what: String| {
        format!(
            "Cargo.toml: [package.metadata.rally] database is {what} — write \"sqlite\" (the default), \"postgres\", or [\"sqlite\", \"postgres\"] for both"
        )
    };
    let mut dialects = Vec::new();
    for name in &names {
        let dialect = match name {
            Some("sqlite") => rally_sql::Dialect::Sqlite,
            Some("postgres") => rally_sql::Dialect::Postgres,
            Some(other) => return Err(bad(format!("\"{other}\""))),
            None => return Err(bad("not a string".to_owned())),
        };
        if dialects.contains(&dialect) || dialects.len() == 2 {
            return Err(bad(format!("a list of {} entries", names.len())));
        }
        dialects.push(dialect);
    }
    if dialects.is_empty() {
        return Err(bad("an empty list".to_owned()));
    }
    let mut all = Vec::new();
    for (i, dialect) in dialects.into_iter().enumerate() {
        let mut options = rally_sql::Options::for_dialect(dialect);
        if dialect == rally_sql::Dialect::Postgres {
            options.database_url = database_url(root)?;
            options.postgres_runtime = postgres_runtime(&table).to_owned();
        }
        if i > 0 {
            let name = dialect_name(dialect);
            options.migrations_dir = PathBuf::from(format!("db/{name}/migrations"));
            options.output_dir = PathBuf::from(format!("src/generated/sql_{name}"));
        }
        all.push(options);
    }
    Ok(all)
}

/// Where generated Postgres code finds its executor: through `rally` in an app, through
/// `rally-sql` in a crate that depends on that alone (a tool, a fixture).
fn postgres_runtime(manifest: &toml::Table) -> &'static str {
    let dependencies = manifest.get("dependencies").and_then(toml::Value::as_table);
    let has = |name: &str| dependencies.is_some_and(|d| d.contains_key(name));
    if !has("rally") && has("rally-sql") {
        "rally_sql::postgres"
    } else {
        rally_sql::DEFAULT_POSTGRES_RUNTIME
    }
}

fn dialect_name(dialect: rally_sql::Dialect) -> &'static str {
    match dialect {
        rally_sql::Dialect::Sqlite => "sqlite",
        rally_sql::Dialect::Postgres => "postgres",
    }
}

/// The migrations and seeds for the app's database: `db/postgres/…` when the app is generated
/// for Postgres as its second database, else `db/…`.
fn schema_dirs(root: &Path, database: &AppDatabase) -> Result<(PathBuf, PathBuf), String> {
    let wanted = match database {
        AppDatabase::Postgres(_) => rally_sql::Dialect::Postgres,
        AppDatabase::Sqlite(_) => rally_sql::Dialect::Sqlite,
    };
    let options = sql_options(root)?;
    let dir = match options.iter().position(|o| o.dialect == wanted) {
        Some(i) if i > 0 => root.join("db").join(dialect_name(wanted)),
        _ => root.join("db"),
    };
    Ok((dir.join("migrations"), dir.join("seeds")))
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
    let mut secondary_kept = false;
    let mut options = sql_options(root)?;
    // The second database of an app generated for both is only for its `postgres` build. With
    // no Postgres to type against (none installed, no DATABASE_URL), `gen` and `build` keep
    // the checked-in functions instead of failing, so the SQLite app still builds anywhere;
    // `gen --check` (CI) still needs Postgres.
    if mode == Mode::Write
        && options.len() == 2
        && options[1].dialect == rally_sql::Dialect::Postgres
        && options[1].database_url.is_none()
        && !rally_sql::postgres::TempCluster::installed()
        && root.join(&options[1].output_dir).is_dir()
    {
        step(&format!(
            "Postgres is not installed and DATABASE_URL is not set: keeping the checked-in {} (apt-get install postgresql to regenerate it)",
            options[1].output_dir.display()
        ));
        options.truncate(1);
        secondary_kept = true;
    }
    let mut sql = Vec::new();
    for o in &options {
        if o.dialect == rally_sql::Dialect::Postgres {
            step(match o.database_url {
                Some(_) => {
                    "typing the queries for Postgres on a scratch database on DATABASE_URL's server"
                }
                None => "typing the queries for Postgres on a throwaway cluster (initdb)",
            });
        }
        sql.push(rally_sql::generate_with(root, o).map_err(|e| e.to_string())?);
    }
    let module = match (
        sql.first().is_some_and(|files| !files.is_empty()),
        &options[..],
    ) {
        (false, _) => rally_codegen::SqlModule::None,
        (true, [_, second]) => rally_codegen::SqlModule::Alternative(dialect_name(second.dialect)),
        (true, _) if secondary_kept => rally_codegen::SqlModule::Alternative("postgres"),
        (true, _) => rally_codegen::SqlModule::Single,
    };
    let pages = rally_codegen::generate_with_sql(root, module).map_err(|e| e.to_string())?;
    if check {
        let mut stale = Vec::new();
        for o in &options {
            stale.extend(
                rally_sql::check_with(root, o)
                    .map_err(|e| e.to_string())?
                    .iter()
                    .map(ToString::to_string),
            );
        }
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
    let (mut written_sql, mut unchanged_sql) = (0, 0);
    for (o, files) in options.iter().zip(&sql) {
        let report = rally_sql::write_to(root, files, &o.output_dir).map_err(|e| e.to_string())?;
        written_sql += report.written.len();
        unchanged_sql += report.unchanged.len();
    }
    let written = rally_codegen::write(root, &pages).map_err(|e| e.to_string())?;
    step(&format!(
        "{} files written, {} unchanged",
        written_sql + written.len(),
        unchanged_sql + pages.len() - written.len()
    ));
    Ok(())
}

/// `regen`: generates from scratch (stale generated files go), deleting `src/generated/` only
/// once both generators succeeded.
fn regen(root: &Path) -> Result<(), String> {
    generate(root, Mode::Replace)
}

fn migrate(root: &Path) -> Result<(), String> {
    let database = app_database(root)?;
    let (migrations, _) = schema_dirs(root, &database)?;
    let applied = match database {
        AppDatabase::Postgres(url) => {
            step(&format!("migrating {}", mask_password(&url)));
            rally_sql::postgres::migrate(&url, &migrations).map_err(|e| e.to_string())?
        }
        AppDatabase::Sqlite(db) => {
            if let Some(dir) = db.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            step(&format!("migrating {}", db.display()));
            rally_sql::migrate(&db, &migrations).map_err(|e| e.to_string())?
        }
    };
    for file in &applied {
        step(&format!("applied {}", file.path.display()));
    }
    step(&format!("{} migration(s) applied", applied.len()));
    Ok(())
}

fn reset(root: &Path) -> Result<(), String> {
    let (migrations, seeds) = match app_database(root)? {
        AppDatabase::Postgres(url) => {
            step(&format!(
                "resetting {} (drop and recreate)",
                mask_password(&url)
            ));
            let (migrations, seeds) = schema_dirs(root, &AppDatabase::Postgres(url.clone()))?;
            let seeds = seeds.exists().then_some(seeds);
            let report = rally_sql::postgres::reset_with(&url, &migrations, seeds.as_deref())
                .map_err(|e| e.to_string())?;
            (report.migrations.len(), report.seeds.len())
        }
        AppDatabase::Sqlite(db) => {
            if let Some(dir) = db.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            step(&format!("resetting {}", db.display()));
            let report = rally_sql::reset(&db, root).map_err(|e| e.to_string())?;
            (report.migrations.len(), report.seeds.len())
        }
    };
    step(&format!("{migrations} migration(s), {seeds} seed(s)"));
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
        let mount_dir = root.join("target/rally/pkg").join(mount);
        let hash = publish::publish(&mount_dir, release)?;
        let served = match publish::served_sizes(&mount_dir, &hash) {
            Some((gzip, brotli)) => format!(
                " (served as {:.1} KiB gzip, {:.1} KiB brotli)",
                gzip as f64 / 1024.0,
                brotli as f64 / 1024.0
            ),
            None => String::new(),
        };
        step(&format!(
            "{mount}: published as /pkg/{mount}/{hash}/app.js{served}"
        ));
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

    fn app_with(manifest_extra: &str, dotenv: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\n{manifest_extra}"),
        )
        .unwrap();
        std::fs::write(dir.path().join(".env"), dotenv).unwrap();
        dir
    }

    #[test]
    fn generated_postgres_code_names_its_executor_through_the_crate_the_app_depends_on() {
        let runtime = |extra: &str| {
            let app = app_with(
                &format!("[package.metadata.rally]\ndatabase = \"postgres\"\n{extra}"),
                "",
            );
            sql_options(app.path()).unwrap()[0].postgres_runtime.clone()
        };
        // An app: `rally` re-exports it.
        assert_eq!(
            runtime("[dependencies]\nrally = { path = \"../rally\" }\n"),
            "rally::postgres"
        );
        // A crate on rally-sql alone (a tool, a fixture).
        assert_eq!(
            runtime("[dependencies]\nrally-sql = \"0.1\"\n"),
            "rally_sql::postgres"
        );
        // Neither: the app's path, whose compile error then names the missing `rally`.
        assert_eq!(runtime(""), "rally::postgres");
    }

    #[test]
    fn the_database_comes_from_cargo_metadata_and_database_url() {
        // Only where the process environment does not set it (tests run without it).
        if std::env::var_os("DATABASE_URL").is_some() {
            return;
        }
        let sqlite = app_with("", "");
        let options = sql_options(sqlite.path()).unwrap();
        assert_eq!(options, [rally_sql::Options::default()]);
        assert!(matches!(
            app_database(sqlite.path()).unwrap(),
            AppDatabase::Sqlite(_)
        ));

        let pg = app_with(
            "[package.metadata.rally]\ndatabase = \"postgres\"\n",
            "DATABASE_URL=postgres://app:secret@db.internal:5432/app\n",
        );
        let options = sql_options(pg.path()).unwrap();
        assert_eq!(options.len(), 1);
        assert_eq!(options[0].dialect, rally_sql::Dialect::Postgres);
        assert_eq!(
            options[0].database_url.as_deref(),
            Some("postgres://app:secret@db.internal:5432/app")
        );

        // Both: SQLite as generated by default, Postgres beside it with its own schema.
        let both = app_with(
            "[package.metadata.rally]\ndatabase = [\"sqlite\", \"postgres\"]\n",
            "",
        );
        let options = sql_options(both.path()).unwrap();
        assert_eq!(options[0], rally_sql::Options::default());
        assert_eq!(options[1].dialect, rally_sql::Dialect::Postgres);
        assert_eq!(
            options[1].migrations_dir,
            Path::new("db/postgres/migrations")
        );
        assert_eq!(
            options[1].output_dir,
            Path::new("src/generated/sql_postgres")
        );
        let (migrations, seeds) =
            schema_dirs(both.path(), &AppDatabase::Postgres("postgres:///x".into())).unwrap();
        assert_eq!(migrations, both.path().join("db/postgres/migrations"));
        assert_eq!(seeds, both.path().join("db/postgres/seeds"));
        let twice = app_with(
            "[package.metadata.rally]\ndatabase = [\"sqlite\", \"sqlite\"]\n",
            "",
        );
        assert!(sql_options(twice.path()).is_err());

        let typo = app_with("[package.metadata.rally]\ndatabase = \"mysql\"\n", "");
        let e = sql_options(typo.path()).unwrap_err();
        assert!(
            e.contains("database is \"mysql\"") && e.contains("\"postgres\""),
            "{e}"
        );

        let wrong = app_with("", "DATABASE_URL=mysql://app:secret@host/app\n");
        let e = database_url(wrong.path()).unwrap_err();
        assert!(
            e.contains("not a Postgres URL") && !e.contains("secret"),
            "{e}"
        );
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://u:pw@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(mask_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(mask_password("postgres:///db"), "postgres:///db");
    }
}
