//! Keyed lists in a browser bundle are opt-in (docs/adr/0049), and lazy ones on top of them
//! (docs/adr/0064): a wasm32 build that makes one without the `lists` (`lazy-lists`) feature
//! fails, and its error says which feature to turn on; with the feature it builds. Natively
//! both are always there (every other test uses them).
//!
//! Builds `fixtures/keyed-without-lists` for wasm32 with the cargo that runs this test, in a
//! target directory of its own (the workspace's is locked while tests are built).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build_fixture_for_wasm(features: &[&str]) -> Output {
    let root = workspace();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args(["build", "--quiet", "--target", "wasm32-unknown-unknown"])
        .args(["-p", "keyed-without-lists"])
        .env("CARGO_TARGET_DIR", root.join("target/lists-feature"))
        // The fixture's own diagnostics, not the ones a surrounding build asked for.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    for feature in features {
        command.args(["--features", feature]);
    }
    command
        .output()
        .expect("cargo, which runs this test, can be run")
}

fn assert_wasm_target() {
    assert!(
        wasm_target_installed(),
        "the wasm32-unknown-unknown target is missing: `rustup target add wasm32-unknown-unknown` (scripts/test.sh does)"
    );
}

fn wasm_target_installed() -> bool {
    let output = Command::new("rustc")
        .args([
            "--print",
            "target-libdir",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .output();
    output.is_ok_and(|o| {
        o.status.success() && Path::new(String::from_utf8_lossy(&o.stdout).trim()).exists()
    })
}

#[test]
fn a_keyed_list_in_a_browser_build_needs_the_lists_feature() {
    assert_wasm_target();

    let without = build_fixture_for_wasm(&[]);
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(
        !without.status.success(),
        "built without `lists`:\n{stderr}"
    );
    assert!(
        stderr.contains("keyed lists in a browser bundle need the `lists` feature"),
        "the error names the feature:\n{stderr}"
    );
    assert!(
        stderr.contains(r#"add "rally/lists""#),
        "the error says what to add:\n{stderr}"
    );
    assert!(
        stderr.contains("a keyed list made here"),
        "the error points at the list:\n{stderr}"
    );

    let with = build_fixture_for_wasm(&["rally-view/lists"]);
    assert!(
        with.status.success(),
        "does not build with `lists`:\n{}",
        String::from_utf8_lossy(&with.stderr)
    );
}

#[test]
fn a_lazy_keyed_list_in_a_browser_build_needs_the_lazy_lists_feature() {
    assert_wasm_target();

    let lists_only = build_fixture_for_wasm(&["rally-view/lists", "keyed-without-lists/lazy"]);
    let stderr = String::from_utf8_lossy(&lists_only.stderr);
    assert!(
        !lists_only.status.success(),
        "built with `lists` but without `lazy-lists`:\n{stderr}"
    );
    assert!(
        stderr.contains("lazy keyed lists in a browser bundle need the `lazy-lists` feature"),
        "the error names the feature:\n{stderr}"
    );
    assert!(
        stderr.contains(r#"add "rally/lazy-lists""#),
        "the error says what to add:\n{stderr}"
    );
    assert!(
        stderr.contains("a lazy keyed list made here"),
        "the error points at the list:\n{stderr}"
    );
    // The plain keyed list in the same crate is fine with `lists`: only the lazy one fails.
    assert!(
        !stderr.contains("need the `lists` feature"),
        "only the lazy list is refused:\n{stderr}"
    );

    let with = build_fixture_for_wasm(&["rally-view/lazy-lists", "keyed-without-lists/lazy"]);
    assert!(
        with.status.success(),
        "does not build with `lazy-lists`:\n{}",
        String::from_utf8_lossy(&with.stderr)
    );
}
