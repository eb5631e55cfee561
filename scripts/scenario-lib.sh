#!/usr/bin/env bash
# Shared by the scenario scripts (sourced, not run): the engine and the
# release binary, a work dir removed on exit, log/fail helpers, and cleanup
# of the scenario's project. Set `scenario` and `project` before sourcing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/engine.sh
cargo build --release --quiet
FLEET="$PWD/target/release/fleet"
work=$(mktemp -d)
cfg="$work/agents.json"
export FLEET_LOCK_DIR="$work"
log() { printf '[%s] %s\n' "$scenario" "$*"; }
fail() { printf '[%s] FAILED: %s\n' "$scenario" "$*" >&2; exit 1; }
cleanup() {
  ids=$(docker ps -aq --filter "label=fleet.project=$project" 2>/dev/null || true)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
}
