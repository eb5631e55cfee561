#!/usr/bin/env bash
# The whole test suite, on the tests' own Docker engine (scripts/test-engine.sh),
# never the host's: installs what the tests need when it is missing, starts
# the test engine (builds the local image on it), checks formatting and
# lints, runs the restart and fault scenarios (which stop and kill that
# engine, so they run before the suite), the unit, justfile and schema
# checks, then starts the multi-host rig (scripts/test-hosts.sh: two more
# engines and an sshd on 127.0.0.1 in front of all three) and the swarm rig
# (scripts/test-swarm.sh: a three-node Docker Swarm) and runs every test
# with snapshots frozen and the engine, hosts and swarm tests required;
# stops the rigs and the test engine at the end, pass or fail. The host's dockerd
# and sshd are never started, stopped or asked anything, nor are its
# containers.
#
# FLEET_TEST_ENGINE_DIR / FLEET_TEST_ENGINE_DATA choose the test engine's
# dirs (defaults /run/fleet-test-engine, /var/lib/fleet-test-engine), which
# is also the rig's engine 1; FLEET_TEST_HOSTS_DIR / FLEET_TEST_HOSTS_DATA /
# FLEET_TEST_HOSTS_PORT the rig's (defaults: see scripts/test-hosts.sh);
# FLEET_TEST_PODMAN_DIR / FLEET_TEST_PODMAN_DATA the test podman's;
# FLEET_TEST_SWARM_DIR / FLEET_TEST_SWARM_DATA the swarm rig's (defaults
# /run/fleet-test-swarm, /var/lib/fleet-test-swarm). Two runs at once on one
# machine need different ones.
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
log() { printf '[test] %s\n' "$*" >&2; }
# Nothing of the caller's environment steers the tests: fleet's, docker's
# and insta's variables are cleared (the in-process CLI tests read FLEET_*
# through clap), all but the test engine's dirs.
for v in $(compgen -e); do
  case "$v" in
    FLEET_TEST_ENGINE_DIR | FLEET_TEST_ENGINE_DATA) ;;
    FLEET_TEST_HOSTS_DIR | FLEET_TEST_HOSTS_DATA | FLEET_TEST_HOSTS_PORT) ;;
    FLEET_TEST_PODMAN_DIR | FLEET_TEST_PODMAN_DATA) ;;
    FLEET_TEST_SWARM_DIR | FLEET_TEST_SWARM_DATA) ;;
    DOCKER_* | FLEET_* | INSTA_*) unset "$v" ;;
  esac
done

# The engine's packages (docker.io, containerd, runc, busybox-static for the
# image, util-linux, mount, iproute2, procps for scripts/test-engine.sh and
# scripts/test-swarm.sh, and iptables, which the swarm nodes' engines use),
# systemd (systemd-analyze) and python3-venv for scripts/check-units.sh,
# openssh-server/-client and iproute2 (ss) for scripts/test-hosts.sh's sshd;
# bsdutils (script) for the terminal fleet exec -t is given.
venv=
python3 -c 'import ensurepip' >/dev/null 2>&1 || venv=:python3-venv
bash scripts/need.sh dockerd:docker.io docker:docker.io containerd:containerd runc:runc \
  /bin/busybox:busybox-static unshare:util-linux nsenter:util-linux flock:util-linux \
  findmnt:util-linux mountpoint:util-linux mount:mount ip:iproute2 pgrep:procps iptables:iptables \
  systemd-analyze:systemd python3:python3 /usr/sbin/sshd:openssh-server /usr/bin/ssh:openssh-client \
  ssh-keygen:openssh-client ss:iproute2 script:bsdutils $venv

# One run at a time on a test engine: a second would stop it under the first.
run_dir=${FLEET_TEST_ENGINE_DIR:-/run/fleet-test-engine}
exec 8>>"$run_dir.tests.lock"
flock -n 8 || { log "another scripts/test.sh uses the test engine $run_dir; give this run its own FLEET_TEST_ENGINE_DIR and FLEET_TEST_ENGINE_DATA"; exit 1; }

# The rig first: it leaves engine 1 (the test engine, started below before
# it) to test-engine.sh.
trap 'bash scripts/test-swarm.sh stop || true; bash scripts/test-hosts.sh stop || true; bash scripts/test-engine.sh stop; bash scripts/test-podman.sh stop' EXIT
trap 'exit 130' INT TERM
docker_host=$(bash scripts/test-engine.sh start | sed -n 's/^DOCKER_HOST=//p')
# The tests' own podman (its own storage; podman has no daemon), for the
# engine tests that run against podman too.
podman_cli=$(bash scripts/test-podman.sh start | sed -n 's/^FLEET_TEST_PODMAN=//p')
[ -n "$podman_cli" ] || { log "the test podman is not usable"; exit 1; }
[ -n "$docker_host" ] || { log "the test engine did not start"; exit 1; }
log "test engine: $docker_host"

cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
bash scripts/restart-scenario.sh
bash scripts/fault-scenario.sh
bash scripts/check-units.sh
# The multi-host rig, after the scenarios that stop and kill engine 1: 3
# engines (engine 3 is the hosts tests' own to kill, see tests/it/hosts.rs),
# each with the local image; its facts (FLEET_TEST_HOSTS_*, FLEET_TEST_HOSTk_*)
# go to the tests.
rig_start=$SECONDS
rig_facts=$(FLEET_TEST_HOSTS_ENGINES=3 bash scripts/test-hosts.sh start)
while IFS='=' read -r k v; do
  if [[ $k =~ ^FLEET_TEST_HOSTS?[0-9]*_[A-Z0-9_]+$ ]]; then export "$k=$v"; fi
done <<<"$rig_facts"
[ -n "${FLEET_TEST_HOST3_DOCKER_HOST:-}" ] || { log "the hosts rig did not start"; exit 1; }
log "hosts rig: 3 engines, sshd ports $FLEET_TEST_HOST1_SSH_PORT-$FLEET_TEST_HOST3_SSH_PORT (started in $((SECONDS - rig_start))s)"
# The swarm rig (scripts/test-swarm.sh: a three-node Docker Swarm in
# namespaces of its own, for tests/it/swarm_real.rs); its facts
# (FLEET_TEST_SWARM_*, FLEET_TEST_SWARM_NODEk_*) go to the tests.
rig_start=$SECONDS
swarm_facts=$(bash scripts/test-swarm.sh start)
while IFS='=' read -r k v; do
  if [[ $k =~ ^FLEET_TEST_SWARM_[A-Z0-9_]+$ ]]; then export "$k=$v"; fi
done <<<"$swarm_facts"
[ -n "${FLEET_TEST_SWARM_NODE3_DOCKER_HOST:-}" ] || { log "the swarm rig did not start"; exit 1; }
log "swarm rig: 3 nodes, manager $FLEET_TEST_SWARM_DOCKER_HOST (started in $((SECONDS - rig_start))s)"
export INSTA_UPDATE=no FLEET_ENGINE_TESTS=require FLEET_TEST_DOCKER_HOST="$docker_host" FLEET_TEST_PODMAN="$podman_cli"
if cargo nextest --version >/dev/null 2>&1; then
  # Hostile values of fleet's own variables, exported on purpose: the
  # tests must not depend on the caller's environment (the in-process runs
  # get an environment of their own; the engine tests' children too).
  FLEET_TIMEOUT=soon FLEET_CONFIG=/nonexistent/agents.json FLEET_DOCKER=/nonexistent/docker \
    FLEET_LOCK_WAIT=never FLEET_LOCK_DIR=/nonexistent \
    cargo nextest run --no-fail-fast
else
  log "cargo-nextest not found; using cargo test"
  FLEET_TIMEOUT=soon FLEET_CONFIG=/nonexistent/agents.json FLEET_DOCKER=/nonexistent/docker \
    FLEET_LOCK_WAIT=never FLEET_LOCK_DIR=/nonexistent \
    cargo test --no-fail-fast
fi
log "passed in $((SECONDS - start))s"
