#!/usr/bin/env bash
# Builds and serves the demo on http://127.0.0.1:${PORT:-8080}.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_wasm_target
command -v wasm-opt >/dev/null || echo "note: wasm-opt not found (apt-get install binaryen); the bundle will be larger"

step "building the server and the build tool"
cargo build --workspace
step "building the browser bundle"
./target/debug/rally-build view-demo target/rally/view-demo
step "serving the demo (Ctrl-C stops it)"
exec ./target/debug/view-demo
