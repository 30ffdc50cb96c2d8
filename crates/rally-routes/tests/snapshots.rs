//! The generated source, pinned: insta snapshots in `tests/snapshots/*.snap` (runtime at
//! `::rally::routes`, as an app sees it) and `tests/generated/*_routes.rs` (runtime at
//! `::rally_routes`, compiled and run by `tests/generated_routes.rs`, so not a `.snap`).
//! `INSTA_UPDATE=always cargo test -p rally-routes` rewrites both, as for every snapshot in
//! Rally.
#![cfg(feature = "codegen")]

mod common;

use std::path::Path;

use rally_routes::codegen::{GenerateOptions, Mount, PageFile, generate_mount};

/// A compiled fixture must equal `actual`; `INSTA_UPDATE=always` (insta's own switch) rewrites it.
fn check(relative: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(relative);
    if std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "always") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} — run INSTA_UPDATE=always cargo test -p rally-routes",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || expected.lines().count().min(actual.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "{} is stale (first difference at line {line}) — check the new output below and run INSTA_UPDATE=always cargo test -p rally-routes\n{actual}",
            path.display()
        );
    }
}

fn app_options() -> GenerateOptions {
    GenerateOptions::default()
        .with_runtime_path("::rally::routes")
        .unwrap()
}

fn generated(fixture: (Mount, Vec<PageFile>), options: &GenerateOptions) -> String {
    generate_mount(&fixture.0, &fixture.1, options).unwrap_or_else(|e| panic!("{e}"))
}

fn snapshot(name: &str, actual: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, actual);
    });
}

#[test]
fn public_mount_snapshot() {
    snapshot("public", &generated(common::public(), &app_options()));
}

#[test]
fn admin_mount_snapshot() {
    snapshot("admin", &generated(common::admin(), &app_options()));
}

#[test]
fn compiled_fixtures_are_current() {
    let options = GenerateOptions::default();
    check(
        "generated/public_routes.rs",
        &generated(common::public(), &options),
    );
    check(
        "generated/admin_routes.rs",
        &generated(common::admin(), &options),
    );
    check(
        "generated/console_routes.rs",
        &generated(common::orgs(), &options),
    );
}

#[test]
fn output_depends_only_on_the_set_of_files() {
    for fixture in [common::public(), common::admin(), common::orgs()] {
        let (mount, pages) = fixture;
        let first = generate_mount(&mount, &pages, &app_options()).unwrap();
        let mut reversed = pages.clone();
        reversed.reverse();
        let mut rotated = pages.clone();
        rotated.rotate_left(pages.len() / 2);
        let mut doubled = pages.clone();
        doubled.extend(pages.iter().cloned());
        for other in [reversed, rotated, doubled] {
            assert_eq!(
                generate_mount(&mount, &other, &app_options()).unwrap(),
                first
            );
        }
        // And across runs.
        assert_eq!(
            generate_mount(&mount, &pages, &app_options()).unwrap(),
            first
        );
    }
}
