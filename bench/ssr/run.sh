#!/usr/bin/env bash
# Runs the SSR criterion benchmarks on one core and prints the figures in µs, Rally against the
# Leptos peer.
#
#   bench/ssr/run.sh [--lto] [--runs N] [criterion options...]    e.g. --measurement-time 10
#
# Two bench binaries, same measurements: `ssr` (the system allocator, glibc malloc here) and
# `ssr_mimalloc`. Each runs Rally's build+render, build only and render only, and Leptos 0.8's
# build+render of the same table in the same criterion group (same process; the HTML is checked
# equal first). Pinned to one CPU with taskset when available (SSR_CPU, default 1).
#
# --lto (or SSR_PROFILE=bench-lto) builds with the workspace's `bench-lto` profile (release +
# fat LTO, one codegen unit) instead of cargo's default `bench` profile (= release).
# --runs N (or SSR_RUNS=N, default 1) repeats both binaries N times and prints the ratio
# Rally / Leptos of each run and their median, per allocator (criterion's median point
# estimates; above 1 means Rally is slower).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

profile="${SSR_PROFILE:-bench}"
runs="${SSR_RUNS:-1}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --lto) profile=bench-lto; shift ;;
    --runs) runs="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

pin=()
if command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c "${SSR_CPU:-1}")
fi

cargo bench --quiet -p rally-bench-ssr --profile "$profile" --no-run
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
point() { # point <estimates.json> <mean|median>: the point estimate in ns
  sed -n "s/.*\"$2\":{\"confidence_interval\":{[^}]*},\"point_estimate\":\([0-9.e+-]*\).*/\1/p" "$1"
}
median_of() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

groups=(ssr_1k_rows ssr_1k_rows_mimalloc)
label() { case "$1" in ssr_1k_rows) echo "system allocator" ;; *) echo "mimalloc" ;; esac; }
results="$(mktemp)"
trap 'rm -f "$results" "$results.load"' EXIT

for run in $(seq 1 "$runs"); do
  echo "run $run: load average $(cut -d' ' -f1-3 /proc/loadavg) at the start" >>"$results.load"
  for bench in ssr ssr_mimalloc; do
    "${pin[@]}" cargo bench --quiet -p rally-bench-ssr --profile "$profile" --bench "$bench" -- ${args[@]+"${args[@]}"}
  done
  for group in "${groups[@]}"; do
    rally="$(point "$target_dir/criterion/$group/build_and_render/new/estimates.json" median)"
    leptos="$(point "$target_dir/criterion/$group/leptos_build_and_render/new/estimates.json" median)"
    echo "$run $group $rally $leptos" >>"$results"
  done
done

echo
echo "SSR of the 1,000-row table, one core, profile $profile ($runs run(s); criterion medians):"
sed 's/^/  /' "$results.load"
for group in "${groups[@]}"; do
  echo "  $(label "$group")"
  for bench in build_and_render build render leptos_build_and_render; do
    est="$target_dir/criterion/$group/$bench/new/estimates.json"
    [ -f "$est" ] || continue
    awk -v b="$bench" -v m="$(point "$est" mean)" -v d="$(point "$est" median)" \
      'BEGIN { printf "    %-24s mean %8.1f µs   median %8.1f µs   (last run)\n", b, m / 1000, d / 1000 }'
  done
  awk -v g="$group" '$2 == g { printf "    run %-3s rally %8.1f µs   leptos %8.1f µs   rally/leptos %.2f\n", $1, $3 / 1000, $4 / 1000, $3 / $4 }' "$results"
  ratio="$(awk -v g="$group" '$2 == g { print $3 / $4 }' "$results" | median_of)"
  rally="$(awk -v g="$group" '$2 == g { print $3 / 1000 }' "$results" | median_of)"
  leptos="$(awk -v g="$group" '$2 == g { print $4 / 1000 }' "$results" | median_of)"
  printf '    median of %s run(s): rally %.1f µs, leptos %.1f µs, ratio rally/leptos %.2f\n' "$runs" "$rally" "$leptos" "$ratio"
done
cargo run --quiet --release -p rally-bench-ssr --example profile | sed 's/^/  /'
