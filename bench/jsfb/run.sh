#!/usr/bin/env bash
# Builds the rally bundles and runs the js-framework-benchmark operations in headless Chromium.
#
#   bench/jsfb/run.sh [run.mjs options...]      e.g. --iterations 15, --ops 04_select,05_swap
#
# JSFB_BUILDS (default "wasm-release,wasm-speed") picks the rally bundles: each name is a cargo
# profile of the workspace; wasm-release gets wasm-opt (as apps ship), wasm-speed does not.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
builds="${JSFB_BUILDS:-wasm-release,wasm-speed}"

# The one build step: rally-build compiles jsfb-rally for wasm32 with the given profile and runs
# wasm-bindgen in-process (--target web), writing dist/<profile>/jsfb_rally{.js,_bg.wasm}.
build_wasm() {
  local profile="$1"
  shift
  (cd "$root" && cargo run --quiet -p rally-build -- \
    jsfb-rally "bench/jsfb/dist/$profile" --name jsfb_rally --profile "$profile" "$@")
}

IFS=',' read -r -a profiles <<<"$builds"
for profile in "${profiles[@]}"; do
  if [ "$profile" = "wasm-release" ]; then
    build_wasm "$profile"
  else
    build_wasm "$profile" --no-wasm-opt
  fi
done

cd "$here"
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi
exec node run.mjs --builds "$builds" "$@"
