#!/usr/bin/env bash
# The Rally Scoreboard's benchmarks (bench/README.md, "Scoreboard"): SSR requests/s against a
# static file, in-process renders/s, admin click → peer page update in Chromium, bundle sizes
# per mount against the starter, cold and incremental `cargo rally build` times. Writes
# bench/results/scoreboard.json.
#
#   bench/scoreboard/run.sh                      # everything (~20–30 min on 2 cores)
#   bench/scoreboard/run.sh --only ssr,render    # parts: sizes ssr render click build
#
# It measures a snapshot of the committed tree (`git archive HEAD`, plus this directory as it is
# in the working tree) in $SB_WORK, so edits elsewhere in the checkout neither leak into the
# figures nor get touched. Environment:
#   SB_TARGET_DIR         where the snapshot builds (default: $CARGO_TARGET_DIR/scoreboard-bench,
#                         else <repo>/target/scoreboard-bench). Its own directory, because cargo
#                         would otherwise take the checkout's builds of the same crates as fresh.
#   SB_WORK               the snapshot, databases, bundles and logs (default /tmp/rally-sbbench)
#   SB_COLD_TARGET_DIR    the empty target dir of the cold build, deleted afterwards
#                         (default $SB_WORK/target-cold)
#   SB_MAX_BUSY, SB_MAX_WAIT   before each measurement wait until the machine's busy CPU over
#                         10 s is at most SB_MAX_BUSY cores (default 0.3), for at most
#                         SB_MAX_WAIT s (default 300); the load average is recorded too
#   SB_SECS, SB_ROUNDS, SB_CONNS, SB_CLICKS   HTTP window (5), rounds (3), connections (16,64),
#                         clicks (100)
# Every step runs under `timeout`; servers are stopped by their pid when a step is cut short.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${SB_WORK:-/tmp/rally-sbbench}
export CARGO_TARGET_DIR=${SB_TARGET_DIR:-${CARGO_TARGET_DIR:-$REPO/target}/scoreboard-bench}
COLD=${SB_COLD_TARGET_DIR:-$WORK/target-cold}
MAX_BUSY=${SB_MAX_BUSY:-0.3}
MAX_WAIT=${SB_MAX_WAIT:-300}
SECS=${SB_SECS:-5}
ROUNDS=${SB_ROUNDS:-3}
CONNS=${SB_CONNS:-16,64}
CLICKS=${SB_CLICKS:-100}
OUT=$REPO/bench/results/scoreboard.json
ONLY=sizes,ssr,render,click,build
while [[ $# -gt 0 ]]; do
  case $1 in
    --only) ONLY=$2; shift 2 ;;
    *) echo "usage: $0 [--only sizes,ssr,render,click,build]" >&2; exit 2 ;;
  esac
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

SRC=$WORK/src
PARTS=$WORK/parts
APP=$SRC/examples/scoreboard
STARTER=$SRC/examples/starter
mkdir -p "$WORK" "$PARTS" "$WORK/logs" "$WORK/db"
rm -f "$PARTS"/*.json "$PARTS/waits.txt"
log() { echo "== $(date -u +%H:%M:%S) $*" >&2; }

# Servers the steps started (their pid files): stopped by pid on any exit.
cleanup() {
  for f in "$WORK"/*.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    if [[ -n $pid && -d /proc/$pid ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
    rm -f "$f"
  done
  if [[ -n ${COLD_CREATED:-} && -d $COLD ]]; then rm -rf "$COLD"; fi
}
trap cleanup EXIT

# Waits (bounded) for a quiet machine and records the load. "Quiet" is measured, not read from
# the load average: the machine's busy CPU over 10 s (from /proc/stat) at most SB_MAX_BUSY cores.
# (The load average stays high for minutes after the HTTP benchmark, whose server runs ~170
# threads, and counts threads that use no CPU.)
TICKS=$(getconf CLK_TCK)
busy() { awk -v t="$TICKS" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / t }' /proc/stat; }
wait_load() {
  local what=$1 waited=0 a b cores
  while :; do
    a=$(busy); sleep 10; b=$(busy)
    waited=$((waited + 10))
    cores=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b - a) / 10 }')
    if awk -v c="$cores" -v m="$MAX_BUSY" 'BEGIN { exit !(c <= m) }'; then break; fi
    if (( waited >= MAX_WAIT )); then
      log "the machine still used $cores cores after ${waited} s; measuring $what anyway"
      break
    fi
  done
  echo "$what: waited ${waited} s, machine busy $cores cores over the last 10 s; $(uptime | sed 's/^ *//')" | tee -a "$PARTS/waits.txt" >&2
}

# --- the snapshot -------------------------------------------------------------------------
COMMIT=$(git -C "$REPO" rev-parse --short HEAD)
if [[ ! -f $SRC/.commit || $(cat "$SRC/.commit") != "$COMMIT" ]]; then
  log "snapshot of $COMMIT in $SRC"
  rm -rf "$SRC"
  mkdir -p "$SRC"
  # -m: the files get the current time, so cargo rebuilds whatever an older snapshot built.
  git -C "$REPO" archive HEAD | tar -x -m -C "$SRC"
  echo "$COMMIT" > "$SRC/.commit"
fi
# This directory as it is now (cp -p keeps the times, so cargo rebuilds only what changed).
mkdir -p "$SRC/bench/scoreboard"
cp -rp "$REPO/bench/scoreboard/." "$SRC/bench/scoreboard/"
if ! grep -q '"bench/scoreboard"' "$SRC/Cargo.toml"; then
  sed -i 's|^members = \[\(.*\)\]|members = [\1, "bench/scoreboard"]|' "$SRC/Cargo.toml"
fi
BENCH_DIRTY=$(git -C "$REPO" status --porcelain -- bench/scoreboard | wc -l)

log "building cargo-rally and scoreboard-bench (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$SRC" && timeout 1800 cargo build -q -p cargo-rally && timeout 1800 cargo build -q --release -p rally-bench-scoreboard)
CARGO_RALLY=$CARGO_TARGET_DIR/debug/cargo-rally
BENCH=$CARGO_TARGET_DIR/release/scoreboard-bench
SERVER=$CARGO_TARGET_DIR/release/scoreboard

# `cargo rally build [--release]` of an app; copies its bundles to $WORK/pkg-<profile>/<app>.
rally_build() {
  local dir=$1 profile=$2 app
  app=$(basename "$dir")
  log "cargo rally build ($profile) of $app"
  (cd "$dir" && timeout 1800 "$CARGO_RALLY" rally build $([[ $profile == release ]] && echo --release)) \
    > "$WORK/logs/build-$app-$profile.log" 2>&1 || { tail -30 "$WORK/logs/build-$app-$profile.log" >&2; exit 1; }
  grep -E '^rally: .*(gzip|published)|optimising' "$WORK/logs/build-$app-$profile.log" >&2 || true
  rm -rf "$WORK/pkg-$profile/$app"
  mkdir -p "$WORK/pkg-$profile"
  cp -r "$dir/target/rally/pkg" "$WORK/pkg-$profile/$app"
}

# A fresh copy of the seeded database.
fresh_db() {
  local name=$1
  if [[ ! -f $WORK/db/template.db ]]; then
    (cd "$APP" && DATABASE_PATH="$WORK/db/template.db" timeout 120 "$CARGO_RALLY" rally reset) >&2
  fi
  rm -f "$WORK/db/$name.db"*
  cp "$WORK/db/template.db" "$WORK/db/$name.db"
  echo "$WORK/db/$name.db"
}
rm -f "$WORK/db/template.db"*

# --- 3. bundle sizes ----------------------------------------------------------------------
if want sizes; then
  rally_build "$STARTER" dev
  rally_build "$APP" dev
  rally_build "$STARTER" release
  rally_build "$APP" release
  specs=()
  for profile in dev release; do
    specs+=("starter/$profile/public=$WORK/pkg-$profile/starter/public")
    for mount in public admin; do specs+=("scoreboard/$profile/$mount=$WORK/pkg-$profile/scoreboard/$mount"); done
  done
  python3 "$REPO/bench/scoreboard/report.py" sizes "$PARTS/sizes.json" "${specs[@]}"
fi

# The release server and bundles (what `cargo rally build --release` makes) for SSR and clicks.
if want ssr || want click; then
  if ! want sizes || [[ ! -x $SERVER ]]; then rally_build "$APP" release; fi
  export RALLY_BUNDLE_DIR=$WORK/pkg-release/scoreboard
  export RALLY_ASSETS_DIR=$APP/assets
fi

# --- 1. SSR over HTTP ---------------------------------------------------------------------
# Peers in the same run: /assets/app.css (a static file, ServeDir) and /favicon.ico (a bare 204
# handler: the HTTP stack alone); /not_found is SSR without a database load.
if want ssr; then
  wait_load ssr
  DATABASE_PATH=$(fresh_db ssr) timeout 900 "$BENCH" http --server "$SERVER" --cwd "$APP" \
    --conns "$CONNS" --secs "$SECS" --rounds "$ROUNDS" --pid-file "$WORK/http.pid" --json "$PARTS/ssr.json"
  wait_load ssr_gzip
  DATABASE_PATH=$(fresh_db ssr) timeout 900 "$BENCH" http --server "$SERVER" --cwd "$APP" \
    --paths /games,/standings,/assets/app.css,/favicon.ico --conns 16 --secs "$SECS" --rounds "$ROUNDS" \
    --header 'Accept-Encoding: gzip' --pid-file "$WORK/http.pid" --json "$PARTS/ssr_gzip.json"
  # What browsers send: brotli is listed too, and a server may pick it (pages get gzip).
  wait_load ssr_browser
  DATABASE_PATH=$(fresh_db ssr) timeout 900 "$BENCH" http --server "$SERVER" --cwd "$APP" \
    --paths /games,/standings,/assets/app.css,/favicon.ico --conns 16 --secs "$SECS" --rounds "$ROUNDS" \
    --header 'Accept-Encoding: gzip, deflate, br, zstd' --pid-file "$WORK/http.pid" --json "$PARTS/ssr_browser.json"
  # The same client without TCP_QUICKACK, as wrk or a browser would connect: shows the delayed-ACK
  # stall behind responses the server writes in two parts.
  DATABASE_PATH=$(fresh_db ssr) timeout 300 "$BENCH" http --server "$SERVER" --cwd "$APP" \
    --paths /games,/assets/app.css,/favicon.ico --conns 16 --secs 3 --rounds 1 --quickack off \
    --pid-file "$WORK/http.pid" --json "$PARTS/ssr_plain.json"
fi

# --- 1b. in-process render ----------------------------------------------------------------
if want render; then
  wait_load render
  timeout 300 "$BENCH" render --db "$(fresh_db render)" --secs 3 --json "$PARTS/render.json"
fi

# --- 2. admin click → peer update ---------------------------------------------------------
if want click; then
  wait_load click
  DATABASE_PATH=$(fresh_db click) SB_REPO=$REPO timeout 600 node "$REPO/bench/scoreboard/click.mjs" \
    --server "$SERVER" --cwd "$APP" --clicks "$CLICKS" --pid-file "$WORK/click.pid" --json "$PARTS/click.json"
fi

# --- 4. cold and incremental build times --------------------------------------------------
# Each line of `cargo rally build` gets a timestamp; report.py cuts the steps from the
# `rally: …` lines. Runs in the snapshot, so the edits touch nothing in the checkout.
timed_build() {
  local label=$1 logf=$WORK/logs/time-$1.log
  {
    echo "$EPOCHREALTIME START $label"
    echo "$EPOCHREALTIME LOAD $(cat /proc/loadavg)"
    echo "$EPOCHREALTIME BUSY $(busy)"
    { (cd "$APP" && CARGO_TARGET_DIR=$COLD timeout 3600 /usr/bin/time -f 'TIME %e %U %S' "$CARGO_RALLY" rally build 2>&1) \
        && echo "EXIT 0" || echo "EXIT $?"; } |
      while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
    echo "$EPOCHREALTIME BUSY $(busy)"
    echo "$EPOCHREALTIME LOAD $(cat /proc/loadavg)"
  } > "$logf"
  grep -q ' EXIT 0$' "$logf" || { tail -30 "$logf" >&2; exit 1; }
  log "$label: $(awk 'NR==1 { s = $1 } / EXIT / { printf "%.1f s", $1 - s }' "$logf")"
  BUILD_SPECS+=("$label=$logf")
}
if want build; then
  BUILD_SPECS=()
  PAGE=$APP/src/public/pages/standings.rs
  cp -p "$PAGE" "$WORK/standings.rs.orig"
  rm -rf "$COLD"
  COLD_CREATED=1
  wait_load build-cold
  timed_build cold
  for i in 1 2 3; do
    sleep 2
    touch "$PAGE"
    timed_build "touch-$i"
  done
  for i in 1 2 3; do
    sleep 2
    echo "// bench edit $i" >> "$PAGE"
    timed_build "edit-$i"
    sleep 2
    cp "$WORK/standings.rs.orig" "$PAGE"
    touch "$PAGE"
    timed_build "edit-$i-revert"
  done
  cp -p "$WORK/standings.rs.orig" "$PAGE"
  du -sh "$COLD" | tee "$WORK/logs/cold-target-size.txt" >&2
  rm -rf "$COLD"
  python3 "$REPO/bench/scoreboard/report.py" buildlog "$PARTS/build.json" "${BUILD_SPECS[@]}"
fi

# --- results --------------------------------------------------------------------------------
cat > "$WORK/meta.json" <<EOF
{
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$COMMIT",
  "bench_scoreboard_uncommitted_files": $BENCH_DIRTY,
  "machine": "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)",
  "rustc": "$(rustc -V)",
  "wasm_opt": "$(wasm-opt --version 2>/dev/null || echo none)",
  "node": "$(node --version)",
  "parts_run": "$ONLY",
  "load_average_end": "$(cut -d' ' -f1-3 /proc/loadavg)"
}
EOF
mkdir -p "$(dirname "$OUT")"
python3 "$REPO/bench/scoreboard/report.py" merge "$OUT" "$PARTS" "$WORK/meta.json"
python3 "$REPO/bench/scoreboard/report.py" table "$OUT"
log "wrote $OUT"
