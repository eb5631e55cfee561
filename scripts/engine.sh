#!/usr/bin/env bash
# Makes sure a Docker engine answers and the local demo image exists.
# Idempotent: installs docker.io and busybox-static only when missing, starts
# dockerd only when `docker info` fails, builds the image only when absent.
# No registry is needed: the image is made from the host's busybox-static.
set -euo pipefail

IMAGE="${FLEET_DEMO_IMAGE:-fleet-demo:busybox}"
log() { printf '[engine] %s\n' "$*" >&2; }

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v docker >/dev/null 2>&1 || need_pkgs+=(docker.io)
[ -x /bin/busybox ] || need_pkgs+=(busybox-static)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  # A dockerd that died hard leaves its pid file; a new one refuses to start
  # while the file names a live process, which after a crash may be any
  # process that reused the PID.
  if [ -f /var/run/docker.pid ] && ! pidof dockerd >/dev/null 2>&1; then
    log "removing the stale /var/run/docker.pid of a dockerd that is gone"
    rm -f /var/run/docker.pid
  fi
  log "no engine answers; starting dockerd (log: /tmp/dockerd.log)"
  setsid dockerd >/tmp/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    log "dockerd did not come up within 60s; last lines of /tmp/dockerd.log:"
    tail -20 /tmp/dockerd.log >&2 || true
    exit 1
  fi
fi
log "engine $(docker version --format '{{.Server.Version}}') answers"

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "building $IMAGE from /bin/busybox (no registry needed)"
  bash "$(dirname "$0")/busybox-image.sh" docker "$IMAGE"
fi
