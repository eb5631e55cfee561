#!/usr/bin/env bash
# `fleet exec` benchmark (issue 18, "Targets"), on the multi-host test rig
# (scripts/test-hosts.sh: test engines of their own, an sshd on 127.0.0.1).
# Side by side, taking turns inside every repetition, on running idle
# agents of a release build:
#
#   docker exec      `docker exec AGENT true` on engine 1's socket (the floor)
#   fleet agent      `fleet exec AGENT -- true` (the named agent, claim included)
#   fleet type       `fleet exec TYPE -- true` into a pool of POOL (pick + claim)
#   docker exec ssh  `docker exec AGENT true` with DOCKER_HOST=ssh://… (one
#                    handshake a call: the docker CLI's own ssh)
#   fleet agent ssh  `fleet exec AGENT -- true` on an ssh:// host (one
#                    handshake a call, shared by fleet's docker calls)
#
# Prints a Markdown table: median and p90 wall seconds of REPS, each against
# the local `docker exec`, and the docker processes one call spawns (`-v`).
#
# Usage: bash bench/exec.sh            (REPS 21, POOL 50)
#   FLEET=path/to/fleet skips the release build. The rig's dirs default to
#   the bench's own (engine 1 /run/fleet-test-bench1, rig
#   /run/fleet-test-bench, engine 2 /run/fleet-test-bench2);
#   FLEET_TEST_ENGINE_DIR/DATA, FLEET_TEST_HOSTS_DIR and
#   FLEET_TEST_HOSTS_PORT choose others. A rig already running is used and
#   left running; one the bench starts is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-21} POOL=${POOL:-50}
export FLEET_TEST_ENGINE_DIR=${FLEET_TEST_ENGINE_DIR:-/run/fleet-test-bench1}
export FLEET_TEST_ENGINE_DATA=${FLEET_TEST_ENGINE_DATA:-/var/lib/fleet-test-bench1}
export FLEET_TEST_HOSTS_DIR=${FLEET_TEST_HOSTS_DIR:-/run/fleet-test-bench}
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION FLEET_DOCKER FLEET_CONFIG
log() { printf '[bench-exec] %s\n' "$*" >&2; }

work=$(mktemp -d)
rig_was_up=
bash scripts/test-hosts.sh env >/dev/null 2>&1 && rig_was_up=1
bash scripts/test-hosts.sh start > "$work/env"
while IFS='=' read -r k v; do printf -v "$k" '%s' "$v"; done < "$work/env"
export DOCKER_CONFIG=$FLEET_TEST_HOSTS_DOCKER_CONFIG
SOCK=$FLEET_TEST_HOST1_DOCKER_HOST
SSH=$FLEET_TEST_HOST1_SSH
export FLEET_LOCK_DIR=$work

cleanup() {
  set +e
  for p in bench-exec bench-exec-ssh; do
    ids=$(DOCKER_HOST=$SOCK docker ps -aq --filter "label=fleet.project=$p")
    [ -z "$ids" ] || DOCKER_HOST=$SOCK docker rm -f $ids >/dev/null
  done
  ids=$(DOCKER_HOST=$SOCK docker ps -aq --filter "name=fleet-claim")
  [ -z "$ids" ] || DOCKER_HOST=$SOCK docker rm -f $ids >/dev/null
  [ -n "$rig_was_up" ] || bash scripts/test-hosts.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${FLEET:-}" ]; then
  log "building the release binary"
  cargo build --release --quiet
  FLEET=$PWD/target/release/fleet
fi

types='"solo": { "image": "fleet-demo:busybox", "command": ["sleep", "infinity"], "restart": "no" },
       "w": { "image": "fleet-demo:busybox", "command": ["sleep", "infinity"], "restart": "no", "instances": '"$POOL"' }'
printf '{ "project": "bench-exec", "types": { %s } }\n' "$types" > "$work/local.json"
printf '{ "project": "bench-exec-ssh", "hosts": { "h1": { "docker_host": "%s" } },
  "types": { "s": { "image": "fleet-demo:busybox", "command": ["sleep", "infinity"], "restart": "no" } } }\n' \
  "$SSH" > "$work/ssh.json"
local_fleet() { DOCKER_HOST=$SOCK "$FLEET" -c "$work/local.json" "$@"; }
ssh_fleet() { PATH="$FLEET_TEST_HOSTS_PATH:$PATH" "$FLEET" -c "$work/ssh.json" "$@"; }
log "creating $POOL + 2 agents on $SOCK"
local_fleet sync --wait >/dev/null
ssh_fleet sync --wait >/dev/null

declare -A cmd=(
  [docker exec]="DOCKER_HOST=$SOCK docker exec solo-default true"
  [fleet agent]="local_fleet exec solo-default -- true"
  [fleet type]="local_fleet exec w -- true"
  [docker exec ssh]="PATH=$FLEET_TEST_HOSTS_PATH:\$PATH DOCKER_HOST=$SSH docker exec s-default true"
  [fleet agent ssh]="ssh_fleet exec s-default -- true"
)
order=("docker exec" "fleet agent" "fleet type" "docker exec ssh" "fleet agent ssh")
key() { echo "$1" | tr ' ' _; }
for name in "${order[@]}"; do eval "${cmd[$name]}" >/dev/null; done   # warm
for _ in $(seq 1 "$REPS"); do
  for name in "${order[@]}"; do
    t0=$(date +%s%N)
    eval "${cmd[$name]}" >/dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000)) >> "$work/t-$(key "$name")"
  done
done
# Docker processes of one call: fleet's from -v (`+ docker …` lines).
p_agent=$(local_fleet -v exec solo-default -- true 2>&1 >/dev/null | grep -c '^+ docker ' || true)
p_type=$(local_fleet -v exec w -- true 2>&1 >/dev/null | grep -c '^+ docker ' || true)
p_ssh=$(ssh_fleet -v exec s-default -- true 2>&1 >/dev/null | grep -c '^+ docker ' || true)

stat() { sort -n "$work/t-$(key "$1")" | awk -v q="$2" '{a[NR]=$1} END {i=int(NR*q+0.5); if (i<1) i=1; if (i>NR) i=NR; printf "%.3f", a[i]/1e6}'; }
floor=$(stat "docker exec" 0.5)
printf 'Run of %s. %s; engine %s; docker CLI %s; reps %s; pool %s.\n\n' \
  "$(date -u +%F)" "$(nproc) cores" \
  "$(DOCKER_HOST=$SOCK docker version -f '{{.Server.Version}}')" "$(docker version -f '{{.Client.Version}}' 2>/dev/null)" "$REPS" "$POOL"
printf '| call | median s | p90 s | median / local docker exec | docker procs |\n|---|---|---|---|---|\n'
for name in "${order[@]}"; do
  med=$(stat "$name" 0.5)
  case $name in
    "fleet agent") p=$p_agent ;; "fleet type") p=$p_type ;; "fleet agent ssh") p=$p_ssh ;; *) p=1 ;;
  esac
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$med" "$(stat "$name" 0.9)" \
    "$(echo "scale=2; $med / $floor" | bc)" "$p"
done
