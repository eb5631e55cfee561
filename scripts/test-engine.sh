#!/usr/bin/env bash
# The tests' own Docker engine, never the host's: its own socket, data root,
# exec root, pid file, cgroup parent, /etc/docker (so its engine ID differs),
# hostname, and its own network namespace (its bridge and iptables rules
# cannot disturb the host engine's). The tests and scenarios may stop and
# kill it freely; the host's dockerd and its containers are never touched.
#
#   bash scripts/test-engine.sh start   # idempotent: starts it, builds the image; prints DOCKER_HOST=…
#   bash scripts/test-engine.sh stop    # SIGTERM, as a shutdown does (containers come back Exited)
#   bash scripts/test-engine.sh kill    # SIGKILL dockerd and its containerd, as a crash does
#   bash scripts/test-engine.sh purge   # stop it and delete its data root
#
# Everything lives under $FLEET_TEST_ENGINE_DIR (default /run/fleet-test-engine)
# and $FLEET_TEST_ENGINE_DATA (default /var/lib/fleet-test-engine).
set -euo pipefail

RUN=${FLEET_TEST_ENGINE_DIR:-/run/fleet-test-engine}
DATA=${FLEET_TEST_ENGINE_DATA:-/var/lib/fleet-test-engine}
SOCK="$RUN/docker.sock"
PIDFILE="$RUN/dockerd.pid"
IMAGE=fleet-demo:busybox
export DOCKER_HOST="unix://$SOCK"
# The docker CLI of the test engine must not read the operator's context.
unset DOCKER_CONTEXT
log() { printf '[test-engine] %s\n' "$*" >&2; }

install_packages() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v docker >/dev/null 2>&1 || need+=(docker.io)
  [ -x /bin/busybox ] || need+=(busybox-static)
  command -v unshare >/dev/null 2>&1 || need+=(util-linux)
  command -v ip >/dev/null 2>&1 || need+=(iproute2)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# The PID in the pid file, if that process is a live dockerd. PID 1 here
# reaps late, so a zombie counts as gone (state Z in /proc/<pid>/stat).
live_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid state
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
  [ "$state" != Z ] || return 1
  grep -q dockerd "/proc/$pid/cmdline" 2>/dev/null
}

answers() { timeout 5 docker info >/dev/null 2>&1; }

wait_gone() {
  local pid=$1
  for _ in $(seq 1 300); do
    [ -r "/proc/$pid/stat" ] || return 0
    [ "$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" = Z ] && return 0
    sleep 0.1
  done
  return 1
}

start() {
  install_packages
  mkdir -p "$RUN" "$DATA"
  if live_pid && answers; then
    ensure_image
    echo "DOCKER_HOST=$DOCKER_HOST"
    return 0
  fi
  if live_pid; then
    log "dockerd $(cat "$PIDFILE") does not answer; killing it"
    kill -KILL "$(cat "$PIDFILE")" || true
    wait_gone "$(cat "$PIDFILE")" || true
  fi
  rm -f "$PIDFILE" "$SOCK"
  # A private /etc/docker: Docker 20.10 reads its engine ID from
  # /etc/docker/key.json and has no flag for it.
  mkdir -p "$RUN/etc-docker" /etc/docker /run/containerd /run/docker
  cat > "$RUN/daemon.json" <<'JSON'
{
  "bip": "10.231.0.1/24",
  "default-address-pools": [{ "base": "10.232.0.0/16", "size": 24 }]
}
JSON
  log "starting the test engine (socket $SOCK, data $DATA, log $RUN/dockerd.log)"
  # unshare execs (no fork): the process it starts becomes dockerd, in new
  # network, mount and UTS namespaces. In the mount namespace: our own
  # /etc/docker, and a tmpfs over /run/containerd and /run/docker so a
  # system containerd or the host engine's runtime files are never used.
  # fd 9 (a caller's lock) is closed for the child.
  setsid unshare --net --mount --uts --propagation private \
    sh -c '
      set -e
      mount --bind "$1/etc-docker" /etc/docker
      mount -t tmpfs tmpfs /run/containerd
      mount -t tmpfs tmpfs /run/docker
      hostname fleet-test-engine
      ip link set lo up
      exec dockerd --host "unix://$1/docker.sock" --data-root "$2" \
        --exec-root "$1/exec" --pidfile "$1/dockerd.pid" \
        --config-file "$1/daemon.json" --cgroup-parent fleet-test-engine
    ' sh "$RUN" "$DATA" >>"$RUN/dockerd.log" 2>&1 </dev/null 9>&- &
  for _ in $(seq 1 120); do
    answers && break
    sleep 0.5
  done
  if ! answers; then
    log "the test engine did not answer within 60s; last lines of $RUN/dockerd.log:"
    tail -20 "$RUN/dockerd.log" >&2 || true
    exit 1
  fi
  ensure_image
  echo "DOCKER_HOST=$DOCKER_HOST"
}

# The local image, made from the host's busybox-static (no registry).
ensure_image() {
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "building $IMAGE on the test engine from /bin/busybox"
    local root
    root=$(mktemp -d)
    mkdir -p "$root/bin"
    cp /bin/busybox "$root/bin/busybox"
    for applet in sh sleep true false cat echo env; do ln -s busybox "$root/bin/$applet"; done
    tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' - "$IMAGE" >/dev/null
    rm -rf "$root"
  fi
}

stop() {
  live_pid || return 0
  local pid
  pid=$(cat "$PIDFILE")
  log "stopping the test engine (dockerd $pid) with SIGTERM"
  kill -TERM "$pid"
  wait_gone "$pid" || { log "dockerd $pid did not stop within 30s"; exit 1; }
}

kill_engine() {
  live_pid || { log "no test engine runs"; exit 1; }
  local pid ctd
  pid=$(cat "$PIDFILE")
  ctd=$(pgrep -P "$pid" -x containerd || true)
  log "killing the test engine (dockerd $pid, containerd ${ctd:-none}) with SIGKILL"
  kill -KILL "$pid" $ctd
  wait_gone "$pid" || true
  for c in $ctd; do wait_gone "$c" || true; done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  kill) kill_engine ;;
  purge) stop; rm -rf "$DATA" "$RUN" ;;
  *) echo "usage: $0 start|stop|kill|purge" >&2; exit 2 ;;
esac
