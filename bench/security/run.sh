#!/usr/bin/env bash
# The attacks of issue 14 against the release Scoreboard, before and after the hardening
# (bench/README.md, "Security"): sign-in guesses per minute against one email, RSS under 1,000
# partial-frame sockets and 500 slow-header requests, server CPU per byte of the worst frame
# against junk, and a legitimate client's load latency during each. Writes
# bench/results/security.json. About 12 minutes on 2 cores once both builds exist (each release
# build takes ~6 minutes the first time).
#
#   bench/security/run.sh [BEFORE [AFTER]]      commits, default 9d2977b (before) and HEAD
#   SEC_ONLY=guesses,slow_headers bench/security/run.sh      some attacks only (see attack.py)
#
# Each version is a snapshot of its commit (`git archive`) in $SEC_WORK (default
# /tmp/rally-secbench), built in its own target dir ($SEC_TARGET_DIR/<before|after>, default
# target/secbench/…): cargo would otherwise take one snapshot's builds of the same crates as
# fresh for the other, since `git archive` dates every file at its commit. Servers run in development mode on
# 127.0.0.1 with a copy of examples/scoreboard/db/scoreboard.db (made by `cargo rally reset`
# when missing); attackers bind 127.0.0.2–127.0.0.9. Every attack stops by itself.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BEFORE=${1:-9d2977b}
AFTER=${2:-HEAD}
WORK=${SEC_WORK:-/tmp/rally-secbench}
TARGETS=${SEC_TARGET_DIR:-$REPO/target/secbench}
OUT=$REPO/bench/results/security.json
log() { echo "== $(date -u +%H:%M:%S) $*" >&2; }

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$WORK"

DB=$REPO/examples/scoreboard/db/scoreboard.db
if [[ ! -f $DB ]]; then
  log "seeding $DB"
  cargo build --quiet -p cargo-rally --manifest-path "$REPO/Cargo.toml"
  (cd "$REPO/examples/scoreboard" && "$REPO/target/debug/cargo-rally" rally reset)
fi

build() {
  local label=$1 commit=$2
  local dir=$WORK/$label
  local sha
  sha=$(git -C "$REPO" rev-parse --short "$commit")
  rm -rf "$dir/src"
  mkdir -p "$dir/src"
  git -C "$REPO" archive "$sha" | tar -x -C "$dir/src"
  log "building $label ($sha), release"
  (cd "$dir/src" && CARGO_TARGET_DIR=$TARGETS/$label timeout 1800 \
    cargo build --release --quiet -p scoreboard --features server --bin scoreboard)
  cp "$TARGETS/$label/release/scoreboard" "$dir/scoreboard"
  echo "$sha" > "$dir/commit"
}

attack() {
  local label=$1
  local dir=$WORK/$label
  local contract
  contract=$(grep -o '[0-9a-f]\{64\}' "$dir/src/examples/scoreboard/src/generated/rally/contract.rs" | head -1)
  log "attacking $label ($(cat "$dir/commit"))"
  timeout 1800 python3 "$REPO/bench/security/attack.py" --server "$dir/scoreboard" --db "$DB" \
    --contract "$contract" ${SEC_ONLY:+--only "$SEC_ONLY"} > "$dir/result.json"
}

build before "$BEFORE"
build after "$AFTER"
attack before
attack after

python3 - "$WORK" "$OUT" <<'EOF'
import json, os, platform, sys, time
work, out = sys.argv[1], sys.argv[2]
versions = {}
for label in ("before", "after"):
    with open(os.path.join(work, label, "result.json")) as f:
        versions[label] = {"commit": open(os.path.join(work, label, "commit")).read().strip(),
                           "results": json.load(f)}
report = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "machine": f"{os.cpu_count()} cores, {platform.machine()}, load {os.getloadavg()[0]:.2f}",
    "versions": versions,
}
with open(out, "w") as f:
    json.dump(report, f, indent=2)
    f.write("\n")
print(f"wrote {out}")
EOF
python3 "$REPO/bench/security/report.py" "$OUT"
