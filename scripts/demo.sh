#!/usr/bin/env bash
# Builds the Rally Scoreboard, resets its embedded SQLite database with the seeds, and serves it
# on http://127.0.0.1:${PORT:-8080}. Sign in at /sign_in with admin@example.com and code A1Z9Q.
#
# It builds debug bundles, which is quick; RELEASE=1 builds and serves the optimised server and
# bundles instead (several times smaller bundles; a cold build takes several minutes on 2 cores).
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
release=()
if [[ ${RELEASE:-} == 1 ]]; then
  release=(--release)
  # The smallest bundles: a Binaryen that also optimises after wasm-bindgen (docs/adr/0060).
  ensure_binaryen
fi
step "building the Scoreboard (server, and one wasm bundle per mount${release:+, optimised})"
../../target/debug/cargo-rally rally build "${release[@]}"
if [[ ${#release[@]} == 0 ]]; then
  echo "note: these are debug bundles; RELEASE=1 $0 serves the optimised ones"
fi
step "serving the Scoreboard (Ctrl-C stops it)"
exec ../../target/debug/cargo-rally rally server "${release[@]}"
