#!/usr/bin/env bash
# Browser bundle sizes, Rally against Leptos 0.8 (bench/README.md, "Bundle sizes"): builds
# Rally's counter (examples/counter), the Leptos counter in its two variants
# (bench/leptos-counter, features `csr` and `hydrate`), the starter's `public` mount and the
# Scoreboard's `public` and `admin` mounts, all with the same pipeline: rally-build, profile
# wasm-release, wasm-opt (rally-build's passes) before wasm-bindgen 0.2.130 and again after it
# (npm's Binaryen 132, which scripts/lib.sh installs; docs/adr/0060; $WASM_OPT picks another). The apps' mounts are built exactly as `cargo rally build --release` builds them
# (rally-build with feature `mount-<mount>`), without building their release servers.
#
#   bench/bundles/run.sh
#
# Sizes (raw and gzip -9 of the wasm and the JS, and the served copies: zopfli's gzip and brotli
# as `--precompress` writes them for every bundle, Leptos's too) come from report.py sizes;
# ratios.py adds the totals and the Rally / Leptos ratios, prints a table and writes
# bench/results/bundles.json. Bundles go to $CARGO_TARGET_DIR/bundles (default target/bundles).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
. scripts/lib.sh
ensure_binaryen
out_dir="${CARGO_TARGET_DIR:-$root/target}/bundles"
parts="$(mktemp -d)"
trap 'rm -rf "$parts"' EXIT

cargo build --quiet -p rally-build
rally_build="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/rally-build"

# bundle <label app/profile/mount> <package> [features]: one bundle, named app.js/app_bg.wasm
# as report.py expects.
specs=()
bundle() {
  local label="$1" package="$2" features="${3:-}" dir
  dir="$out_dir/${label//\//-}"
  rm -rf "$dir"
  echo "== $label ($package${features:+, features $features})" >&2
  "$rally_build" "$package" "$dir" --name app --profile wasm-release --precompress ${features:+--features "$features"}
  specs+=("$label=$dir")
}

bundle counter/wasm-release/rally counter
bundle leptos-counter-csr/wasm-release/leptos leptos-counter csr
bundle leptos-counter-hydrate/wasm-release/leptos leptos-counter hydrate
bundle starter/release/public starter mount-public
bundle scoreboard/release/public scoreboard mount-public
bundle scoreboard/release/admin scoreboard mount-admin

python3 "$root/bench/scoreboard/report.py" sizes "$parts/sizes.json" "${specs[@]}"
python3 "$here/ratios.py" "$parts/sizes.json" "$root/bench/results/bundles.json" \
  --commit "$(git rev-parse --short HEAD)" \
  --dirty "$(git status --porcelain -- . ':!bench/results' | wc -l)" \
  --wasm-opt "$( ("$WASM_OPT" --version 2>/dev/null) || echo none)" \
  --rustc "$(rustc -V)"
