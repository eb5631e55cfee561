#!/usr/bin/env bash
# Shared by the scenario scripts (sourced, not run): the tests' own engine
# (scripts/test-engine.sh; the scenarios stop and kill it, never the host's
# dockerd), the release binary, a work dir removed on exit, log/fail
# helpers, and cleanup of the scenario's project. Set `scenario` and
# `project` before sourcing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { printf '[%s] %s\n' "$scenario" "$*"; }
fail() { printf '[%s] FAILED: %s\n' "$scenario" "$*" >&2; exit 1; }
# start | stop | kill the test engine (FLEET_TEST_ENGINE_DIR/DATA pick which).
engine_ctl() { bash scripts/test-engine.sh "$@"; }

cargo build --release --quiet
FLEET="$PWD/target/release/fleet"
docker_host=$(engine_ctl start | sed -n 's/^DOCKER_HOST=//p')
[ -n "$docker_host" ] || fail "the test engine did not start"
work=$(mktemp -d)
cfg="$work/agents.json"
# fleet and docker reach the test engine and nothing else: no variable of
# the caller's (DOCKER_HOST, DOCKER_CONTEXT, FLEET_TIMEOUT, FLEET_CONFIG, …)
# steers them, nor does ~/.docker.
for v in $(compgen -e); do
  case "$v" in
    FLEET_TEST_ENGINE_*) ;;
    DOCKER_* | FLEET_*) unset "$v" ;;
  esac
done
export DOCKER_HOST="$docker_host" DOCKER_CONFIG="$work/docker-config" FLEET_LOCK_DIR="$work" NO_COLOR=1
cleanup() {
  ids=$(docker ps -aq --filter "label=fleet.project=$project" 2>/dev/null || true)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
}
