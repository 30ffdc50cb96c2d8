//! Generated code reaches the runtime through one facade, `rally::glue` (route modules through
//! `rally::routes`), and every name it uses there is one the facade exports: so moving an item
//! inside `rally` can break only `crates/rally/src/glue.rs`, never the generator. (That the
//! generated code compiles against the facade is shown by `examples/starter` and
//! `examples/scoreboard`, whose generated code the workspace builds for the server and wasm32.)

mod common;

use std::path::Path;

/// `(file, rally::<module>::<name>)` for every runtime path in the generated code of `root`,
/// comments and the contract's description text left out.
fn runtime_paths(root: &Path, with_sql: bool) -> Vec<(String, String, String)> {
    let files = rally_codegen::generate(root, with_sql).unwrap_or_else(|e| panic!("{e}"));
    let mut found = Vec::new();
    for file in files {
        for line in file.contents.lines() {
            let code = line.trim_start();
            if code.starts_with("//") || code.starts_with("type ") || code.starts_with("#![doc") {
                continue;
            }
            let mut rest = line;
            while let Some(at) = rest.find("rally::") {
                let preceded = rest[..at].chars().next_back();
                rest = &rest[at + "rally::".len()..];
                if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // `my_rally::…`
                }
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let mut parts = path.split("::");
                let module = parts.next().unwrap_or_default().to_owned();
                let name = parts.next().unwrap_or_default().to_owned();
                found.push((file.path.display().to_string(), module, name));
            }
        }
    }
    found
}

fn examples() -> [std::path::PathBuf; 2] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    [root.join("starter"), root.join("scoreboard")]
}

#[test]
fn generated_code_names_the_runtime_only_through_its_facade() {
    let league = tempfile::tempdir().unwrap();
    common::league::app(league.path(), true);
    let mut paths = runtime_paths(league.path(), false);
    for app in examples() {
        paths.extend(runtime_paths(&app, true));
    }
    assert!(
        paths.iter().filter(|(_, m, _)| m == "glue").count() > 40,
        "{paths:?}"
    );
    let outside: Vec<_> = paths
        .iter()
        .filter(|(_, module, _)| module != "glue" && module != "routes")
        .collect();
    assert!(
        outside.is_empty(),
        "runtime paths outside rally::glue: {outside:?}"
    );
}

#[test]
fn every_name_the_generated_code_uses_is_exported_by_the_facade() {
    let glue =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../rally/src/glue.rs"))
            .unwrap();
    let exported = |name: &str| {
        glue.lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .any(|l| {
                l.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|word| word == name)
            })
    };
    let league = tempfile::tempdir().unwrap();
    common::league::app(league.path(), true);
    let mut paths = runtime_paths(league.path(), false);
    for app in examples() {
        paths.extend(runtime_paths(&app, true));
    }
    let mut missing: Vec<_> = paths
        .iter()
        .filter(|(_, module, name)| module == "glue" && !name.is_empty() && !exported(name))
        .map(|(file, _, name)| format!("{file}: rally::glue::{name}"))
        .collect();
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "not exported by rally::glue: {missing:?}"
    );
}
