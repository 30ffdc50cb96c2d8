#!/usr/bin/env bash
# Builds the Rally Scoreboard, resets its embedded SQLite database with the seeds, and serves it
# on http://127.0.0.1:${PORT:-8080}. Sign in at /sign_in with admin@example.com and code A1Z9Q.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_wasm_target
command -v wasm-opt >/dev/null || echo "note: wasm-opt not found (apt-get install binaryen); the bundles will be larger"

step "building cargo rally"
cargo build -p cargo-rally
cd examples/scoreboard
step "resetting the Scoreboard's database (db/scoreboard.db: migrations, then seeds)"
../../target/debug/cargo-rally rally reset
step "building the Scoreboard (server, and one wasm bundle per mount)"
../../target/debug/cargo-rally rally build
step "serving the Scoreboard (Ctrl-C stops it)"
exec ../../target/debug/cargo-rally rally server
