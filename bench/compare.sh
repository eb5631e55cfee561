#!/usr/bin/env bash
# Two (or more) fleet binaries side by side on the same containers, taking
# turns inside every repetition, on the engine DOCKER_HOST names (it can be
# the tests' own: `bash scripts/test-engine.sh start` prints it):
#   no-op     a converged fleet of N, sync again
#   recovery  all N killed (Exited 137), sync
# Prints the median wall time of each binary for each.
#
# Usage: DOCKER_HOST=… bash bench/compare.sh N REPS BINARY…
#   e.g. DOCKER_HOST=unix:///run/fleet-test-engine/docker.sock bash bench/compare.sh 50 7 /tmp/before/fleet target/release/fleet
set -euo pipefail
[ -n "${DOCKER_HOST:-}" ] || { echo "bench/compare.sh: set DOCKER_HOST" >&2; exit 2; }
n=$1 reps=$2; shift 2
work=$(mktemp -d)
cfg="$work/agents.json"
export FLEET_LOCK_DIR="$work"
cat > "$cfg" <<JSON
{ "project": "bench-compare",
  "types": { "b": { "image": "fleet-demo:busybox", "command": ["sleep", "infinity"],
                    "instances": $n, "restart": "no" } } }
JSON
cleanup() {
  ids=$(docker ps -aq --filter label=fleet.project=bench-compare)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
timed() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
"$1" -c "$cfg" sync >/dev/null
for i in $(seq 1 "$reps"); do
  for b in "$@"; do
    timed "$b" -c "$cfg" sync >> "$work/noop-$(echo "$b" | md5sum | cut -c1-8)"
    docker kill $(docker ps -q --filter label=fleet.project=bench-compare) >/dev/null
    timed "$b" -c "$cfg" sync >> "$work/recovery-$(echo "$b" | md5sum | cut -c1-8)"
  done
done
printf '| binary | N | no-op s (median of %s) | recovery s (median of %s) |\n|---|---|---|---|\n' "$reps" "$reps"
for b in "$@"; do
  k=$(echo "$b" | md5sum | cut -c1-8)
  printf '| %s | %s | %s | %s |\n' "$b" "$n" "$(median < "$work/noop-$k")" "$(median < "$work/recovery-$k")"
done
