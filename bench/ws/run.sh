#!/usr/bin/env bash
# Builds the WebSocket benchmarks in release and runs them all (about 2.5 minutes on 2 cores):
#
#   bench/ws/run.sh [ws-bench options...]    e.g. --secs 5 --rounds 1, --only rr, --json -
#
# 1. request/response against Rally's /ws and a bare tokio-tungstenite echo server, 1, 100 and
#    1,000 connections; 2. fan-out to 10,000 subscribers and memory per idle connection, Rally
#    and a bare tokio-tungstenite fan-out server. Servers run in child processes on 127.0.0.1.
# Prints the tables and writes bench/results/ws.json. Figures are noisy while other jobs use the
# CPU: check the load average it prints, and run it on an otherwise idle machine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

# 10,000 connections need more than 10,000 descriptors per process; ws-bench raises its soft
# limit to the hard limit too, and says so when the hard limit is too low.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cargo build --release --quiet -p ws-bench
cargo run --release --quiet -p ws-bench -- --json "$root/bench/results/ws.json" "$@"
