#!/usr/bin/env bash
# Runs every test: native unit and property tests, the wasm32 build, and the browser tests in
# headless Chromium. Installs what a fresh machine lacks (wasm target, Chromium, Redis,
# Postgres, npm packages).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

warn_if_disk_low 16
ensure_wasm_target
ensure_debian_packages
ensure_npm_packages e2e
ensure_binaryen

step "building the workspace (native)"
cargo build --workspace --all-targets

step "building the browser bundles (wasm32 + wasm-bindgen)"
# view-demo and live-counter are release bundles, so their browser tests run what apps ship:
# renamed imports and minified glue (ADR 0043, 0044), live connection included.
./target/debug/rally-build view-demo target/rally/view-demo
./target/debug/rally-build view-props target/rally/view-props --profile dev --no-wasm-opt
./target/debug/rally-build live-counter target/rally/live-counter

step "the starter app through cargo rally (gen --check, reset, build)"
(cd examples/starter && ../../target/debug/cargo-rally rally gen --check && ../../target/debug/cargo-rally rally reset && ../../target/debug/cargo-rally rally build)

step "the Scoreboard through cargo rally (gen --check, reset, build)"
(cd examples/scoreboard && ../../target/debug/cargo-rally rally gen --check && ../../target/debug/cargo-rally rally reset && ../../target/debug/cargo-rally rally build)

step "the Scoreboard's server on Postgres (its browser tests run it on a throwaway cluster)"
cargo build -p scoreboard --features postgres
cp target/debug/scoreboard target/debug/scoreboard-postgres
cargo build -p rally-sql --features postgres --examples
# Put the SQLite server back where the other browser tests expect it.
cargo build -p scoreboard --features server

step "native tests"
cargo test --workspace
# Google sign-in is a feature no example enables; its flow is tested against a fake provider.
cargo test -p rally-auth --features google

step "Postgres tests (a throwaway cluster on 127.0.0.1, removed afterwards)"
cargo test -p rally-sql --features postgres
cargo test -p rally-db --features postgres
cargo test -p rally-auth --features postgres
cargo test -p rally-system --features postgres
cargo test -p rally --features postgres-hub --lib pg_hub

step "browser tests (headless Chromium)"
node e2e/run.mjs

step "cargo rally build --release (the starter)"
cargo test -p cargo-rally --test release -- --ignored

printf '\nall tests passed\n'
