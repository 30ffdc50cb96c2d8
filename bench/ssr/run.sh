#!/usr/bin/env bash
# Runs the SSR criterion benchmarks on one core and prints the figures in µs.
#
#   bench/ssr/run.sh [criterion options...]    e.g. --measurement-time 10
#
# Two bench binaries, same measurements: `ssr` (the system allocator, glibc malloc here) and
# `ssr_mimalloc`. Pinned to one CPU with taskset when available (SSR_CPU, default 1). Prints
# build+render (the headline figure), build only and render only — criterion's mean and median
# point estimates — then the heap allocations one build+render makes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

pin=()
if command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c "${SSR_CPU:-1}")
fi

cargo bench --quiet -p rally-bench-ssr --no-run
for bench in ssr ssr_mimalloc; do
  "${pin[@]}" cargo bench --quiet -p rally-bench-ssr --bench "$bench" -- "$@"
done

target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
point() { # point <estimates.json> <mean|median>: the point estimate in ns
  sed -n "s/.*\"$2\":{\"confidence_interval\":{[^}]*},\"point_estimate\":\([0-9.e+-]*\).*/\1/p" "$1"
}
echo
echo "SSR of the 1,000-row table (rally-view build + rally_view::render::to_html), one core:"
for group in ssr_1k_rows ssr_1k_rows_mimalloc; do
  case "$group" in
    ssr_1k_rows) echo "  system allocator" ;;
    *) echo "  mimalloc" ;;
  esac
  for bench in build_and_render build render; do
    est="$target_dir/criterion/$group/$bench/new/estimates.json"
    [ -f "$est" ] || continue
    awk -v b="$bench" -v m="$(point "$est" mean)" -v d="$(point "$est" median)" \
      'BEGIN { printf "    %-17s mean %8.1f µs   median %8.1f µs\n", b, m / 1000, d / 1000 }'
  done
done
cargo run --quiet --release -p rally-bench-ssr --example profile | sed 's/^/  /'
