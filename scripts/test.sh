#!/usr/bin/env bash
# The whole test suite, the real-engine tests required (not skipped):
# sets up the engine and the local image, checks formatting and lints, runs
# the restart and fault scenarios (which restart or kill dockerd, so they run
# before the suite), then
# every test with snapshots frozen.
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/engine.sh
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
bash scripts/restart-scenario.sh
bash scripts/fault-scenario.sh
bash scripts/check-units.sh
export INSTA_UPDATE=no FLEET_ENGINE_TESTS=require
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast
else
  echo "[test] cargo-nextest not found; using cargo test" >&2
  cargo test --no-fail-fast
fi
