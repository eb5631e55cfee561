#!/usr/bin/env bash
# Proves that the test suite leaves the host's Docker engine alone: records
# the host engine (dockerd's PID and its children, engine ID, every
# container's ID, state, PID, StartedAt and restart count, its networks),
# the host's network devices, iptables rules (counters stripped) and mount
# table, runs `bash scripts/test.sh`, records them again and fails if
# anything differs, or if anything of the test engine still runs.
#
# Needs the host's engine running at unix:///var/run/docker.sock (start it
# and a container or two on it first); it is only read, never changed.
# FLEET_TEST_ENGINE_DIR / FLEET_TEST_ENGINE_DATA pass through to test.sh.
# Usage: bash scripts/check-host-untouched.sh
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[check-host-untouched] %s\n' "$*" >&2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
host_docker() {
  env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH \
    DOCKER_CONFIG="$tmp/docker-config" docker -H unix:///var/run/docker.sock "$@"
}
host_docker info >/dev/null 2>&1 || { log "no host engine answers at /var/run/docker.sock: start one (and a container on it) first"; exit 1; }
run_dir=${FLEET_TEST_ENGINE_DIR:-/run/fleet-test-engine}

snapshot() {
  local pid
  pid=$(tr -dc 0-9 < /var/run/docker.pid)
  echo "dockerd pid $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline")"
  echo "dockerd children: $(pgrep -P "$pid" | tr '\n' ' ')"
  echo "engine: $(host_docker info --format '{{.ID}} {{.Name}} containers={{.Containers}} running={{.ContainersRunning}}')"
  local ids
  ids=$(host_docker ps -aq --no-trunc)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    host_docker inspect --format \
      'container {{.Name}} {{.Id}} {{.State.Status}} pid={{.State.Pid}} started={{.State.StartedAt}} restarts={{.RestartCount}}' $ids | sort
  fi
  host_docker network ls --no-trunc --format 'network {{.Name}} {{.ID}}' | sort
  ip -o link show | sed -E 's/^[0-9]+: //; s/ +link\/.*//' | sort | sed 's/^/link /'
  ip -o addr show | awk '{ print "addr", $2, $3, $4 }' | sort
  if command -v iptables-save >/dev/null 2>&1; then
    iptables-save | grep -v '^#' | sed -E 's/ \[[0-9]+:[0-9]+\]//' | sed 's/^/iptables /'
  fi
  # Other test engines (scripts/test-engine.sh with other dirs) come and go
  # on their own; they are not the host's engine.
  findmnt -rn -o TARGET,SOURCE,FSTYPE | grep -vE '^/(run|var/lib)/fleet-test' | sort | sed 's/^/mount /'
}

snapshot > "$tmp/before"
log "host engine before: $(grep -E '^(dockerd pid|engine)' "$tmp/before" | cut -c1-120 | tr '\n' ';')"
grep '^container ' "$tmp/before" | sed 's/^/  /' >&2 || log "(no containers on the host engine)"
code=0
bash scripts/test.sh || code=$?
snapshot > "$tmp/after"
grep '^container ' "$tmp/after" | sed 's/^/  /' >&2 || true
if ! diff -u "$tmp/before" "$tmp/after" >&2; then
  log "FAILED: the host changed while the tests ran (diff above)"
  exit 1
fi
left=$(ps -eo pid=,args= | grep -F -- "--pidfile $run_dir/dockerd.pid" | grep -v grep || true)
[ -z "$left" ] || { log "FAILED: the test engine still runs: $left"; exit 1; }
log "host untouched: $(wc -l < "$tmp/before") facts identical (dockerd PID, children, engine ID, containers with state/PID/StartedAt/restarts, networks, links, addresses, iptables rules, mounts); no test engine left running"
[ "$code" -eq 0 ] || log "but scripts/test.sh failed (exit $code)"
exit "$code"
