#!/usr/bin/env bash
# The tests' own podman (Debian's 4.3.1 here), rootful and daemonless, with
# storage, run state and temp files of its own so it never touches another
# podman's containers or images (nor any docker engine): vfs storage, runc,
# cgroupfs, no network namespace (`netns = "none"`), explicit nofile/nproc
# ulimits, as DEVELOPERS.md measured on this kind of machine. fleet reaches
# it through a wrapper that sets CONTAINERS_CONF / CONTAINERS_STORAGE_CONF
# and runs podman: `fleet --docker <wrapper>`.
#
#   bash scripts/test-podman.sh start   # idempotent: config, wrapper, image; prints FLEET_TEST_PODMAN=<wrapper>
#   bash scripts/test-podman.sh stop    # removes its containers (podman has no daemon to stop)
#   bash scripts/test-podman.sh purge   # and its storage
#
# Everything lives under $FLEET_TEST_PODMAN_DIR (default /run/fleet-test-podman)
# and $FLEET_TEST_PODMAN_DATA (default /var/lib/fleet-test-podman).
set -euo pipefail
cd "$(dirname "$0")/.."

RUN=${FLEET_TEST_PODMAN_DIR:-/run/fleet-test-podman}
DATA=${FLEET_TEST_PODMAN_DATA:-/var/lib/fleet-test-podman}
WRAPPER="$RUN/podman"
IMAGE=fleet-demo:busybox
log() { printf '[test-podman] %s\n' "$*" >&2; }

setup() {
  bash scripts/need.sh podman:podman /bin/busybox:busybox-static runc:runc conmon:conmon
  mkdir -p "$RUN/tmp" "$DATA"
  cat > "$RUN/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$RUN/storage"
graphroot = "$DATA"
CONF
  cat > "$RUN/containers.conf" <<CONF
[containers]
netns = "none"
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$RUN/events.log"
tmp_dir = "$RUN/tmp"
CONF
  cat > "$WRAPPER" <<SH
#!/bin/sh
# podman on the tests' own storage (scripts/test-podman.sh).
export CONTAINERS_CONF="$RUN/containers.conf" CONTAINERS_STORAGE_CONF="$RUN/storage.conf"
unset CONTAINER_HOST CONTAINER_CONNECTION
exec podman "\$@"
SH
  chmod 0755 "$WRAPPER"
}

ensure_image() {
  if ! "$WRAPPER" image exists "$IMAGE"; then
    log "building $IMAGE for the tests' podman from /bin/busybox"
    bash scripts/busybox-image.sh "$WRAPPER" "$IMAGE"
  fi
}

stop() {
  [ -x "$WRAPPER" ] || return 0
  "$WRAPPER" rm -f -t 0 -a >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start)
    setup
    "$WRAPPER" info >/dev/null || { log "podman does not answer: $("$WRAPPER" info 2>&1 | tail -3)"; exit 1; }
    ensure_image
    echo "FLEET_TEST_PODMAN=$WRAPPER"
    ;;
  stop) stop ;;
  purge) stop; rm -rf "$RUN" "$DATA" ;;
  *) echo "usage: $0 start|stop|purge" >&2; exit 2 ;;
esac
