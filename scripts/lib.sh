# Shared by scripts/*.sh: progress lines, loud failures, and installing what a fresh machine lacks.

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nerror: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly, through passwordless sudo, or not at all.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

ensure_wasm_target() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then return; fi
  step "installing the wasm32-unknown-unknown target (rustup)"
  rustup target add wasm32-unknown-unknown \
    || fail "cannot install the wasm32-unknown-unknown target: 'rustup target add wasm32-unknown-unknown' failed. It downloads rust-std from rustup's distribution server; make that reachable or install the target by hand."
}

# Warns (does not stop) when the disk that holds target/ has less room than a run from a clean
# checkout writes: cargo's builds, the wasm bundles and the throwaway Postgres cluster. Without
# the warning such a run fails ten minutes in, as "No space left on device" inside some test.
warn_if_disk_low() {
  local need_gib=$1 dir=${CARGO_TARGET_DIR:-target}
  mkdir -p "$dir"
  local free_kib
  free_kib=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
  [ -n "$free_kib" ] || return 0
  local free_gib=$((free_kib / 1024 / 1024))
  if [ "$free_gib" -lt "$need_gib" ]; then
    printf '\nwarning: %s GiB free on the disk of %s; a run from a clean checkout writes about %s GiB.\n' \
      "$free_gib" "$dir" "$need_gib" >&2
    printf '  If it runs out, tests fail with "No space left on device": free some space, or point\n' >&2
    printf '  CARGO_TARGET_DIR at a larger disk (CARGO_INCREMENTAL=0 saves about 3 GiB).\n' >&2
  fi
}

# Debian packages: chromium + chromium-driver for browser tests, binaryen for wasm-opt,
# redis for the multi-node tests, postgresql for the Postgres tests.
ensure_debian_packages() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v wasm-opt >/dev/null || missing+=(binaryen)
  # The multi-node tests start their own redis-server on a free port (never the system one).
  command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  # The Postgres tests start their own throwaway cluster with initdb/pg_ctl (docs/adr/0022);
  # Debian keeps those binaries off PATH, under /usr/lib/postgresql/<version>/bin.
  command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && return
  step "installing Debian packages: ${missing[*]}"
  { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
    || fail "cannot install ${missing[*]} with apt-get (needs root or passwordless sudo). Install them by hand: apt-get install ${missing[*]}"
  command -v chromium >/dev/null || fail "chromium is still missing after apt-get install"
}

ensure_npm_packages() {
  local dir=$1
  command -v npm >/dev/null || fail "npm is missing: install Node.js 20+ and npm (apt-get install nodejs npm)"
  if [ ! -d "$dir/node_modules/playwright-core" ] || [ ! -d "$dir/node_modules/axe-core" ]; then
    step "installing npm packages in $dir (playwright-core, axe-core; the browser is Debian's chromium)"
    (cd "$dir" && npm ci --no-audit --no-fund) || fail "npm ci failed in $dir; check that the npm registry is reachable"
  fi
}

# A Binaryen new enough to run after wasm-bindgen as well (docs/adr/0060): npm's `binaryen`
# (wasm-opt as JS + wasm; Debian's 108 corrupts bindgen's output). Points WASM_OPT at it unless
# the caller chose one; rally-build falls back to Debian's, before bindgen only, without it.
ensure_binaryen() {
  [ -n "${WASM_OPT:-}" ] && return
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/binaryen"
  command -v npm >/dev/null || fail "npm is missing: install Node.js 20+ and npm (apt-get install nodejs npm)"
  if [ ! -x "$dir/node_modules/.bin/wasm-opt" ]; then
    step "installing npm's binaryen in $dir (wasm-opt after wasm-bindgen)"
    (cd "$dir" && npm ci --no-audit --no-fund) || fail "npm ci failed in $dir; check that the npm registry is reachable"
  fi
  WASM_OPT="$dir/node_modules/.bin/wasm-opt"
  export WASM_OPT
}
