#!/usr/bin/env bash
# Benchmarks fleet against docker-compose (Debian's 1.29, the peer) on a real
# engine, side by side in one run, for each fleet size N:
#   no-op      a converged fleet, sync again        (fleet sync  | compose up -d)
#   recovery   every container killed (Exited 137)  (fleet sync  | compose up -d)
#   create     no container exists                  (fleet sync  | compose up -d)
#   floor      `docker ps` + one `docker inspect` of N + one `docker image inspect`
#              run back to back by the shell: the least a no-op can cost
# and prints medians, ratios, the docker processes fleet spawned (counted
# from `fleet -v`, which prints every docker argv it runs) and fleet's peak RSS.
#
# Usage: bash bench/run.sh [N ...]        (default: 10 50 200)
#        REPS=5 bash bench/run.sh 50      (repetitions per figure; default 5, 3 for N > 100)
# Sets up what it needs: the engine and image (scripts/engine.sh),
# docker-compose and bc from Debian's packages, a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/engine.sh
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v bc >/dev/null 2>&1 || need+=(bc)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --release --quiet
FLEET="$PWD/target/release/fleet"
IMAGE=fleet-demo:busybox
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10 50 200)
work=$(mktemp -d)
export FLEET_LOCK_DIR="$work"
trap 'cleanup_all; rm -rf "$work"' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ids_of() { docker ps -aq --filter "label=$1"; }
rm_all() { local ids; ids=$(ids_of "$1"); [ -z "$ids" ] || docker rm -f $ids >/dev/null; }
kill_all() { local ids; ids=$(docker ps -q --filter "label=$1"); [ -z "$ids" ] || docker kill $ids >/dev/null; }
cleanup_all() { rm_all fleet.project=bench-fleet 2>/dev/null || true; rm_all com.docker.compose.project=benchcompose 2>/dev/null || true; }
all_running() {
  local n; n=$(docker ps -q --filter "label=$1" --filter status=running | wc -l)
  [ "$n" -eq "$2" ] || { echo "bench: expected $2 running for $1, found $n" >&2; exit 1; }
}
# Times one command (seconds), discarding its output; fails the bench if it fails.
timed() { local s e; s=$(now); "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; e=$(now); echo "$e - $s" | bc -l; }

printf '# fleet vs docker-compose, %s\n' "$(date -u +%Y-%m-%d)"
printf 'machine: %s cores, %s, engine %s, docker CLI %s, %s\n' "$(nproc)" "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)" \
  "$(docker version --format '{{.Server.Version}}')" "$(docker version --format '{{.Client.Version}}')" "$(docker-compose version --short)"
printf 'fleet --jobs default (8); reps: %s (3 for N > 100)\n\n' "${REPS:-5}"
printf '| N | scenario | fleet s | compose s | fleet/compose | fleet docker procs | fleet peak RSS |\n'
printf '|---|---|---|---|---|---|---|\n'

for N in "${SIZES[@]}"; do
  reps=${REPS:-5}; [ "$N" -gt 100 ] && reps=${REPS:-3}
  cfg="$work/agents-$N.json"
  # One type holds at most 100 instances: split N over types b0, b1, …
  types="" left=$N i=0
  while [ "$left" -gt 0 ]; do
    n=$(( left > 100 ? 100 : left ))
    types+="${types:+, }\"b$i\": { \"image\": \"$IMAGE\", \"command\": [\"sleep\", \"infinity\"], \"instances\": $n }"
    left=$(( left - n )); i=$(( i + 1 ))
  done
  printf '{ "project": "bench-fleet", "types": { %s } }\n' "$types" > "$cfg"
  mkdir -p "$work/compose-$N"
  cat > "$work/compose-$N/docker-compose.yml" <<YAML
version: "2.4"
services:
  b:
    image: $IMAGE
    command: ["sleep", "infinity"]
    restart: unless-stopped
    network_mode: bridge
YAML
  compose() { (cd "$work/compose-$N" && docker-compose -p benchcompose up -d --scale "b=$N"); }
  fleet_sync() { "$FLEET" -c "$cfg" sync; }
  procs() { "$FLEET" -v -c "$cfg" sync 2>&1 >/dev/null | grep -c '^+ ' || true; }
  # fleet's own VmHWM (kB), printed by fleet when FLEET_BENCH_RSS is set.
  rss() { FLEET_BENCH_RSS=1 "$FLEET" -c "$cfg" sync 2>&1 >/dev/null | awk '/^fleet-peak-rss:/ {print $2}'; }

  # fleet and compose alternate inside every repetition, so drift in the
  # machine's state (page cache, the engine's own bookkeeping) hits both.
  cleanup_all
  fc=(); fr=(); fn=(); cc=(); cr=(); cn=(); fl=()
  for _ in $(seq "$reps"); do
    rm_all fleet.project=bench-fleet; fc+=("$(timed fleet_sync)")
    rm_all com.docker.compose.project=benchcompose; cc+=("$(timed compose)")
  done
  all_running fleet.project=bench-fleet "$N"; all_running com.docker.compose.project=benchcompose "$N"
  for _ in $(seq "$reps"); do
    fn+=("$(timed fleet_sync)")
    cn+=("$(timed compose)")
    s=$(now)
    ids=$(docker ps -a --no-trunc --filter label=fleet.project=bench-fleet --format '{{.ID}}')
    docker inspect $ids >/dev/null
    docker image inspect "$IMAGE" >/dev/null
    e=$(now); fl+=("$(echo "$e - $s" | bc -l)")
  done
  noop_procs=$(procs); noop_rss=$(rss)
  for _ in $(seq "$reps"); do
    kill_all fleet.project=bench-fleet; fr+=("$(timed fleet_sync)")
    kill_all com.docker.compose.project=benchcompose; cr+=("$(timed compose)")
  done
  all_running fleet.project=bench-fleet "$N"; all_running com.docker.compose.project=benchcompose "$N"
  kill_all fleet.project=bench-fleet; rec_procs=$(procs)
  kill_all fleet.project=bench-fleet; rec_rss=$(rss)
  rm_all fleet.project=bench-fleet; create_procs=$(procs)
  cleanup_all

  m() { printf '%s\n' "$@" | median; }
  row() { printf '| %s | %s | %.3f | %.3f | %.2f | %s | %s |\n' "$N" "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)" "$4" "$5"; }
  row "no-op" "$(m "${fn[@]}")" "$(m "${cn[@]}")" "$noop_procs" "$noop_rss kB"
  row "recovery (all Exited 137)" "$(m "${fr[@]}")" "$(m "${cr[@]}")" "$rec_procs" "$rec_rss kB"
  row "cold create" "$(m "${fc[@]}")" "$(m "${cc[@]}")" "$create_procs" "-"
  printf '| %s | floor (ps + inspect + image inspect) | %.3f | - | no-op/floor %.2f | 3 | - |\n' "$N" "$(m "${fl[@]}")" "$(echo "$(m "${fn[@]}") / $(m "${fl[@]}")" | bc -l)"
done
