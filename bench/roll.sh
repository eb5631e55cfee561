#!/usr/bin/env bash
# What a recreate of a pool of 10 costs, rolled (max_unavailable 1) and all
# at once (max_unavailable 10), on the tests' engine (never the host's):
#   FLEET_TEST_DOCKER_HOST=unix:///run/fleet-test-w/docker.sock bash bench/roll.sh
# Each run changes an env value, so all 10 are recreated; the time is
# `fleet sync`'s wall time (with --wait: until all 10 are ready).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${FLEET_TEST_DOCKER_HOST:?set it to the DOCKER_HOST scripts/test-engine.sh start prints}"
export DOCKER_HOST=$FLEET_TEST_DOCKER_HOST
cargo build --release --quiet
bin=$PWD/target/release/fleet
dir=$(mktemp -d)
trap 'docker rm -f $(docker ps -aq --filter label=fleet.project=benchroll) >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
conf() {
  printf '{"project":"benchroll","types":{"w":{"image":"fleet-demo:busybox","command":["sleep","infinity"],"instances":10,"max_unavailable":%s,"env":{"V":"%s"}}}}\n' "$1" "$2" > "$dir/agents.json"
}
run() {
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" -q -c "$dir/agents.json" --lock-dir "$dir" --jobs 10 sync "$@" >/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
conf 10 0; "$bin" -q -c "$dir/agents.json" --lock-dir "$dir" sync >/dev/null
v=1
for max in 10 1; do
  for wait in "" --wait; do
    for rep in 1 2 3; do
      v=$((v + 1)); conf "$max" "$v"
      echo "max_unavailable=$max ${wait:-(no --wait)} run $rep: $(run $wait)s"
    done
  done
done
