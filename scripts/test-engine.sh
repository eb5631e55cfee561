#!/usr/bin/env bash
# The tests' own Docker engine, never the host's. The tests and scenarios
# stop, kill and restart it freely; the host's dockerd, its containers, its
# bridge and its iptables rules are never touched.
#
#   bash scripts/test-engine.sh start   # idempotent: starts it, builds the image; prints DOCKER_HOST=…
#   bash scripts/test-engine.sh stop    # SIGTERM, as a shutdown does; then nothing of it is left running
#   bash scripts/test-engine.sh kill    # SIGKILL dockerd and its containerd, as a crash does
#   bash scripts/test-engine.sh purge   # stop it and delete its state and data root
#   bash scripts/test-engine.sh env     # prints DOCKER_HOST=… (starts nothing)
#
# Everything lives under $FLEET_TEST_ENGINE_DIR (default /run/fleet-test-engine)
# and $FLEET_TEST_ENGINE_DATA (default /var/lib/fleet-test-engine); two
# engines with different dirs run side by side. What is its own:
# - socket, data root, exec root (dockerd's containerd keeps its state
#   there), pid file, daemon config, and cgroup parent (named after the
#   dir, cgroupfs driver), so no path or cgroup is shared with another engine;
# - network namespace: its docker0 and iptables rules live there (a second
#   engine in the host's namespace deletes or rewrites the host engine's);
#   it has no link to the outside, which nothing here needs (no registry);
# - mount namespace: a private, empty /etc/docker (Docker 20.10 reads its
#   engine ID from /etc/docker/key.json and has no flag for it), and tmpfs
#   over /run/containerd and /run/docker (a system containerd socket there
#   would be used silently). The copies of the host engine's mounts
#   (container root filesystems, network namespace files) are dropped from
#   it, so the test engine pins none of the host's containers;
# - UTS namespace: the hostname, and an engine label
#   `fleet-test-engine=<dir>` by which the test harness recognises it.
# The three namespaces are kept (bind-mounted under <dir>/ns) from `start` to
# `stop`, so a `kill` then `start` finds what a crashed host engine finds:
# the same network, the same /run/containerd with the shims of the
# containers that outlived the crash. `stop` (or a `stop` after a `kill`)
# kills what is left of it, container processes and shims included, and
# releases the namespaces.
set -euo pipefail

RUN=${FLEET_TEST_ENGINE_DIR:-/run/fleet-test-engine}
DATA=${FLEET_TEST_ENGINE_DATA:-/var/lib/fleet-test-engine}
SOCK="$RUN/docker.sock"
PIDFILE="$RUN/dockerd.pid"
NS="$RUN/ns"
EXEC="$RUN/exec"
CTD_ADDR="$EXEC/containerd/containerd.sock"
CTD_PIDFILE="$EXEC/containerd/containerd.pid"
IMAGE=fleet-demo:busybox
export DOCKER_HOST="unix://$SOCK"
# The docker CLI here talks to the test engine only: no operator context,
# TLS setting or config (~/.docker) applies.
export DOCKER_CONFIG="$RUN/docker-config"
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
log() { printf '[test-engine] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

check_paths() {
  local p
  for p in "$RUN" "$DATA"; do
    [[ $p =~ ^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$ ]] || die "$p: expected an absolute path of [A-Za-z0-9._/-]"
    case "$p" in
      /var/lib/docker | /var/lib/docker/* | /run/docker | /run/docker/* | /var/run/* | /run/containerd | /run/containerd/* | /var/lib/containerd | /var/lib/containerd/*)
        die "$p belongs to the host's engine; pick another FLEET_TEST_ENGINE_DIR/FLEET_TEST_ENGINE_DATA" ;;
    esac
  done
  [ "$RUN" != "$DATA" ] || die "FLEET_TEST_ENGINE_DIR and FLEET_TEST_ENGINE_DATA must differ"
}
check_paths
# The engine's name, one per dir: its cgroup parent and hostname. Always
# `fleet-test…`, so it can never be the host engine's cgroup parent (`docker`).
NAME=$(basename "$RUN" | cut -c1-50)
[[ $NAME == fleet-test* ]] || NAME="fleet-test-$NAME"

# What the engine and this script use (installed only when missing).
install_packages() {
  bash "$(dirname "${BASH_SOURCE[0]}")/need.sh" dockerd:docker.io docker:docker.io \
    containerd:containerd runc:runc /bin/busybox:busybox-static \
    unshare:util-linux nsenter:util-linux flock:util-linux findmnt:util-linux \
    mountpoint:util-linux mount:mount ip:iproute2 pgrep:procps
}

# The state letter of a process (R, S, Z, …), or nothing when it is gone.
# PID 1 here reaps exited processes late: a zombie counts as gone.
proc_state() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }
alive() {
  local state
  state=$(proc_state "$1")
  [ -n "$state" ] && [ "$state" != Z ] || return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}
wait_gone() {
  local pid=$1 tenths=${2:-300}
  for _ in $(seq 1 "$tenths"); do alive "$pid" || return 0; sleep 0.1; done
  return 1
}
pid_in() { [ -f "$1" ] && tr -dc 0-9 < "$1"; }

# The pid of our dockerd, if it runs.
live_pid() {
  local pid
  pid=$(pid_in "$PIDFILE") && [ -n "$pid" ] && alive "$pid" dockerd && echo "$pid"
}
# The pid of our dockerd's containerd, if it runs.
containerd_pid() {
  local pid
  pid=$(pid_in "$CTD_PIDFILE") && [ -n "$pid" ] && alive "$pid" containerd && echo "$pid"
}

answers() { timeout 5 docker info >/dev/null 2>&1; }

lock() {
  exec 9>>"$RUN.lock"
  flock -w 300 9 || die "another test-engine.sh holds $RUN.lock"
}

# Closes every file descriptor above stderr (in the subshell that runs it).
close_fds() {
  local fd me=$BASHPID
  for fd in $(ls "/proc/$me/fd"); do
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
  done
}

ns_ready() { mountpoint -q "$NS/mnt" && mountpoint -q "$NS/net" && mountpoint -q "$NS/uts"; }

make_ns() {
  drop_ns
  mkdir -p "$NS" "$RUN/etc-docker" /etc/docker /run/containerd /run/docker
  # A mount namespace can only be pinned on a private mount.
  mountpoint -q "$NS" || { mount --bind "$NS" "$NS" && mount --make-private "$NS"; }
  touch "$NS/mnt" "$NS/net" "$NS/uts"
  unshare --mount="$NS/mnt" --net="$NS/net" --uts="$NS/uts" --propagation private \
    sh -c '
      set -e
      # Copies of other engines mounts (container root filesystems, network
      # namespace files, other engines namespaces): dropped, so that this
      # namespace keeps none of them alive.
      findmnt -rn -o TARGET,FSTYPE | awk '\''$2 == "nsfs" || $2 == "overlay" ||
          $1 ~ "^(/var/lib/docker|/run/docker|/run/containerd|/run/netns)(/|$)" { print $1 }'\'' |
        sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
      mount -t tmpfs -o mode=0711 tmpfs /run/containerd
      mount -t tmpfs -o mode=0700 tmpfs /run/docker
      mount --bind "$1/etc-docker" /etc/docker
      hostname "$2"
      ip link set lo up
    ' sh "$RUN" "$NAME"
}

drop_ns() {
  local f
  for f in mnt net uts; do
    if mountpoint -q "$NS/$f" 2>/dev/null; then umount "$NS/$f"; fi
  done
  if mountpoint -q "$NS" 2>/dev/null; then umount "$NS"; fi
  return 0
}

# What a SIGKILLed engine leaves: its containerd (if it outlived dockerd),
# container processes (in our cgroup parent) and their shims (which name our
# containerd's address). Killed, so nothing of the engine runs after `stop`.
reap() {
  local ctd ctrs=() shims=() p
  ctd=$(containerd_pid) || ctd=
  for p in $(grep -lE "^[0-9]+:[^:]*:/$NAME/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
    alive "$p" && ctrs+=("$p")
  done
  for p in $(pgrep -f -- "-address $CTD_ADDR" || true); do
    tr '\0' '\n' < "/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "$CTD_ADDR" && alive "$p" && shims+=("$p")
  done
  [ -n "$ctd" ] || [ ${#ctrs[@]} -gt 0 ] || [ ${#shims[@]} -gt 0 ] || return 0
  log "killing what is left of the test engine: containerd ${ctd:-none}, container processes ${ctrs[*]:-none}, shims ${shims[*]:-none}"
  kill -KILL $ctd "${ctrs[@]}" "${shims[@]}" 2>/dev/null || true
  for p in $ctd "${ctrs[@]}" "${shims[@]}"; do wait_gone "$p" 100 || log "process $p did not go"; done
}

# Empty cgroup dirs the engine made under our parent (cgroup v1 or v2).
remove_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/"$NAME" /sys/fs/cgroup/"$NAME"; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

start() {
  install_packages
  mkdir -p "$RUN" "$DATA" "$RUN/etc-docker" "$DOCKER_CONFIG"
  lock
  local pid
  if pid=$(live_pid); then
    # A dockerd that is restoring many containers answers late.
    for _ in $(seq 1 60); do answers && break; sleep 1; done
    if answers; then
      ensure_image
      echo "DOCKER_HOST=$DOCKER_HOST"
      return 0
    fi
    log "dockerd $pid does not answer; killing it"
    kill -KILL "$pid" || true
    wait_gone "$pid" || die "dockerd $pid does not go away"
  fi
  # What a crash leaves: dockerd's pid file (a new one refuses to start while
  # it names a live process, which may be any process that reused the PID),
  # the socket, and containerd's pid file (dockerd trusts a live process
  # under that PID to be its containerd, and kills it when it does not
  # answer).
  rm -f "$PIDFILE" "$SOCK"
  containerd_pid >/dev/null || rm -f "$CTD_PIDFILE"
  ns_ready || make_ns
  cat > "$RUN/daemon.json" <<JSON
{
  "labels": ["fleet-test-engine=$RUN"],
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "bip": "10.231.0.1/24",
  "default-address-pools": [{ "base": "10.232.0.0/16", "size": 24 }]
}
JSON
  log "starting the test engine (socket $SOCK, data $DATA, log $RUN/dockerd.log)"
  # nsenter execs dockerd in the kept namespaces (no fork: the background
  # pid is dockerd's). It inherits no file descriptor but stdio (a lock the
  # caller or this script holds would stay held while the engine runs), and
  # a fixed environment: nothing of the caller's reaches the engine.
  (
    close_fds
    exec setsid env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      nsenter --mount="$NS/mnt" --net="$NS/net" --uts="$NS/uts" -- \
      dockerd --host "unix://$SOCK" --data-root "$DATA" --exec-root "$EXEC" \
      --pidfile "$PIDFILE" --config-file "$RUN/daemon.json" --cgroup-parent "$NAME" \
      >>"$RUN/dockerd.log" 2>&1 </dev/null
  ) &
  pid=$!
  for _ in $(seq 1 120); do
    answers && break
    if ! alive "$pid" && ! live_pid >/dev/null; then break; fi
    sleep 0.5
  done
  if ! answers; then
    log "the test engine did not answer; last lines of $RUN/dockerd.log:"
    tail -20 "$RUN/dockerd.log" >&2 || true
    exit 1
  fi
  ensure_image
  echo "DOCKER_HOST=$DOCKER_HOST"
}

# The local image, made from the host's busybox-static (no registry).
ensure_image() {
  docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
  log "building $IMAGE on the test engine from /bin/busybox"
  bash "$(dirname "${BASH_SOURCE[0]}")/busybox-image.sh" docker "$IMAGE"
}

stop() {
  [ -d "$RUN" ] || return 0
  lock
  local pid
  if pid=$(live_pid); then
    log "stopping the test engine (dockerd $pid) with SIGTERM"
    kill -TERM "$pid"
    # dockerd gives containers that ignore SIGTERM 10 s, then kills them.
    wait_gone "$pid" 900 || die "dockerd $pid did not stop within 90s"
  fi
  reap
  drop_ns
  remove_cgroups
  rm -f "$PIDFILE" "$SOCK"
}

kill_engine() {
  lock
  local pid ctd
  pid=$(live_pid) || die "no test engine runs"
  ctd=$(containerd_pid || pgrep -P "$pid" -x containerd || true)
  log "killing the test engine (dockerd $pid, containerd ${ctd:-none}) with SIGKILL"
  kill -KILL "$pid" $ctd
  wait_gone "$pid" || true
  for c in $ctd; do wait_gone "$c" || true; done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  kill) kill_engine ;;
  purge)
    stop
    rm -rf "$DATA" "$RUN" "$RUN.lock" "$RUN.tests.lock"
    ;;
  env) echo "DOCKER_HOST=$DOCKER_HOST" ;;
  *) echo "usage: $0 start|stop|kill|purge|env" >&2; exit 2 ;;
esac
