#!/usr/bin/env bash
# Runs the SSR criterion benchmark on one core and prints the figures in µs.
#
#   bench/ssr/run.sh [criterion options...]    e.g. --measurement-time 10
#
# Pinned to one CPU with taskset when available. Prints build+render, build-only and
# render-only (criterion's mean and median point estimates), and the allocations per render.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

pin=()
if command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c "${SSR_CPU:-1}")
fi

cargo bench --quiet -p rally-bench-ssr --bench ssr --no-run
"${pin[@]}" cargo bench --quiet -p rally-bench-ssr --bench ssr -- "$@"

target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
echo
echo "SSR, 1,000-row table (rally-view build + rally_view::render::to_html), one core:"
for bench in build_and_render build render; do
  est="$target_dir/criterion/ssr_1k_rows/$bench/new/estimates.json"
  if [ -f "$est" ]; then
    # Point estimates are in ns.
    mean_ns=$(sed -n 's/.*"mean":{"confidence_interval":{[^}]*},"point_estimate":\([0-9.e+-]*\).*/\1/p' "$est")
    median_ns=$(sed -n 's/.*"median":{"confidence_interval":{[^}]*},"point_estimate":\([0-9.e+-]*\).*/\1/p' "$est")
    awk -v b="$bench" -v m="$mean_ns" -v d="$median_ns" \
      'BEGIN { printf "  %-17s mean %8.1f µs   median %8.1f µs\n", b, m / 1000, d / 1000 }'
  fi
done
cargo run --quiet --release -p rally-bench-ssr --example profile | sed 's/^/  /'
