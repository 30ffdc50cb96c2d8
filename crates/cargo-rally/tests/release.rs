//! `cargo rally build --release` on `examples/starter`, through the built binary: the optimised
//! server binary in cargo's `release` directory and a published, size-optimised bundle.
//! Ignored by `cargo test` (a release build of every dependency takes minutes); the README's
//! test command runs it with `--ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn starter() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/starter")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

#[test]
#[ignore = "a release build of every dependency; run by scripts/test.sh with --ignored"]
fn build_release_makes_an_optimised_server_and_a_published_small_bundle() {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-rally"))
        .args(["rally", "build", "--release"])
        .current_dir(starter())
        .output()
        .expect("cargo-rally runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "build --release failed:\n{log}");
    // Built once, in the release profile.
    assert_eq!(
        log.matches("rally: building the server").count(),
        1,
        "{log}"
    );
    let server = target_dir().join("release/starter");
    assert!(
        server.is_file(),
        "no release server at {}",
        server.display()
    );

    // The bundle is published under its hash, and `current` names it.
    let mount = starter().join("target/rally/pkg/public");
    let hash = std::fs::read_to_string(mount.join("current")).expect("a published bundle");
    let hash = hash.trim();
    assert!(
        log.contains(&format!(
            "public: published as /pkg/public/{hash}/app.js (served as "
        )),
        "{log}"
    );
    // `wasm-release` (opt-level z, LTO, panic=abort): the dev bundle is over 1.3 MB.
    let wasm = std::fs::metadata(mount.join(hash).join("app_bg.wasm"))
        .unwrap()
        .len();
    assert!(wasm < 600 * 1024, "release wasm is {wasm} bytes");
    // Rally's own JS snippets are pasted into the glue: a bundle whose app has none of its own
    // is the glue and the wasm, and the glue imports nothing beside itself.
    let glue = std::fs::read_to_string(mount.join(hash).join("app.js")).expect("the glue");
    let compact = glue.replace(' ', "").replace('\'', "\"");
    assert!(
        !compact.contains("from\"./snippets/"),
        "the published glue still imports a snippet file"
    );
}
