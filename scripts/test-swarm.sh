#!/usr/bin/env bash
# The Docker Swarm rig for the swarm tests (issue 19): a real three-node
# swarm on this one machine, all the tests' own. The host's dockerd, the
# other rigs' engines (scripts/test-engine.sh, scripts/test-hosts.sh) and
# the host's network are never touched.
#
#   bash scripts/test-swarm.sh start           # idempotent; prints the facts as KEY=value lines
#   bash scripts/test-swarm.sh env             # prints them again (starts nothing); exit 1 when not started
#   bash scripts/test-swarm.sh kill-node K     # SIGKILL node K's dockerd, containerd, shims and
#                                              # container processes, as a power cut does
#   bash scripts/test-swarm.sh restart-node K  # start node K's engine again (same data root); it
#                                              # rejoins by itself; returns once the manager sees it Ready
#   bash scripts/test-swarm.sh stop            # services removed, every node leaves (workers first),
#                                              # engines stopped; no process, namespace, link or mount is left
#   bash scripts/test-swarm.sh purge           # stop, then delete the rig dir and the data roots
#
# Layout. The rig dir FLEET_TEST_SWARM_DIR (default /run/fleet-test-swarm)
# holds state, env (the facts), docker-config/ (the DOCKER_CONFIG of this
# script's own docker calls), ns/ (the kept namespaces) and, per node k,
# node<k>/ (docker.sock, dockerd.pid, dockerd.log, daemon.json, etc-docker/,
# exec/: the exec root, where dockerd's containerd keeps its socket, pid
# file and state). Data roots: FLEET_TEST_SWARM_DATA (default
# /var/lib/fleet-test-swarm)/node<k>; kept by `stop` (the images stay
# loaded), deleted by `purge`. Two rigs with different dirs run side by side.
#
# Why it is built this way (see /work/shared/notes/swarm.md):
# - Swarm needs one engine per node, each with its own IP and its own ports
#   2377/7946/4789; so each node's dockerd runs in namespaces of its own:
#   network (one veth, eth0, 10.214.0.1<k>/24), UTS (its hostname,
#   fleet-swarm-<k>: what `docker node ls` shows and what
#   `--constraint node.hostname==…` matches) and mount (a private
#   /etc/docker, because Docker 20.10 reads its engine ID from
#   /etc/docker/key.json and has no flag for it; tmpfs over /run/containerd
#   and /run/docker, because a system containerd socket there would be used
#   silently; and none of the other engines' mounts, so a node pins none of
#   their containers). Every mount an engine makes stays in its node's mount
#   namespace.
# - The three veths meet on a Linux bridge in a network namespace of its
#   own: nothing of the rig is on the host's network, so its subnet cannot
#   collide with anything there, nor with another rig's (each rig has its own
#   bridge namespace). The nodes have no route out: there is no registry, and
#   nothing here needs one.
# - Namespaces are entered with `nsenter --net=<file>`, never `ip netns exec`
#   (which remounts /sys: dockerd then fails with "Devices cgroup isn't
#   mounted"), and are kept as bind mounts of their nsfs files under ns/ (a
#   private mount, as a mount namespace can only be kept on one), not under
#   /run/netns, so `ip netns list` never shows them. They live from `start`
#   to `stop`: after `kill-node`, `restart-node` finds the same network, the
#   same address and the same /run/containerd, as a rebooted machine finds
#   its own.
# - scripts/test-engine.sh is not reused: it makes a network namespace of
#   its own with no link out and names the host after its dir; a node needs
#   a given namespace (its veth in place before swarm init) and a given name.
# - Inside its namespace an engine keeps docker0 (10.215.0.1/24) and iptables
#   (which touch that namespace only), so tasks run on `--network host`, on
#   the default bridge and on overlay networks (allocated from
#   10.217.0.0/16). This kernel has no IPVS, so a service's virtual IP and
#   the ingress routing mesh (`-p P:T`) do not answer; `tasks.<service>`,
#   `--endpoint-mode dnsrr` and `--publish mode=host` do (scripts/test-swarm.md).
#   These ranges, 10.214.0.0/24 for the nodes and 10.216.0.0/16 for the
#   engines' local networks, exist inside the rig's namespaces only; the
#   other rigs use 10.231.0.0/24 and 10.232.0.0/16 inside theirs.
# - Images: no registry, so the image (fleet-demo:busybox, made from the
#   host's busybox-static by scripts/busybox-image.sh) is made once on node 1
#   and copied to every node with `docker save | docker load`: the same
#   image ID everywhere. Services must be created with `--no-resolve-image`
#   (otherwise the manager asks a registry for the tag). fleet's lock image
#   (fleet-lock:1) is not loaded: fleet imports it on demand.
# - Each engine's cgroup parent is <basename of the rig dir>-node<k>
#   (fleet-test-swarm-node<k>, cgroupfs driver): its container processes are
#   found there, and its shims by their containerd address, so `kill-node`
#   and `stop` leave none behind.
#
# Printed facts (`start`, `env`), for k = 1..3 (node 1 the manager, 2 and 3
# workers):
#   FLEET_TEST_SWARM_DIR, FLEET_TEST_SWARM_DATA (what kill-node and
#   restart-node need besides the dir), FLEET_TEST_SWARM_NODES=3,
#   FLEET_TEST_SWARM_DOCKER_HOST (the manager's socket, = NODE1's),
#   FLEET_TEST_SWARM_IMAGE (fleet-demo:busybox, on every node),
#   FLEET_TEST_SWARM_NODEk_DOCKER_HOST (unix://…, reachable from the host),
#   FLEET_TEST_SWARM_NODEk_NAME (its hostname), FLEET_TEST_SWARM_NODEk_ADDR (its IP),
#   FLEET_TEST_SWARM_NODEk_ID (its swarm node ID), FLEET_TEST_SWARM_NODEk_ROLE.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG=${FLEET_TEST_SWARM_DIR:-/run/fleet-test-swarm}
DATA=${FLEET_TEST_SWARM_DATA:-/var/lib/fleet-test-swarm}
NODES=3
NS="$RIG/ns"
STATE="$RIG/state"
IMAGE=fleet-demo:busybox
NET=10.214.0            # the nodes' /24 on the rig's bridge: node k is $NET.1k
BIP=10.215.0.1/24       # each engine's docker0, inside its own namespace
LOCAL_POOL=10.216.0.0/16
SWARM_POOL=10.217.0.0/16
SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Nothing of the caller's docker settings applies here: every call names its node.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
export DOCKER_CONFIG="$RIG/docker-config"
log() { printf '[test-swarm] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

for p in "$RIG" "$DATA"; do
  [[ $p =~ ^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$ ]] || die "$p: expected an absolute path of [A-Za-z0-9._/-]"
  case "$p" in
    /var/lib/docker | /var/lib/docker/* | /run/docker | /run/docker/* | /var/run/* | \
      /run/containerd | /run/containerd/* | /var/lib/containerd | /var/lib/containerd/* | /run/netns | /run/netns/*)
      die "$p belongs to the host's engine or to ip netns; pick another FLEET_TEST_SWARM_DIR / FLEET_TEST_SWARM_DATA" ;;
  esac
done
case "$DATA/" in "$RIG"/*) die "FLEET_TEST_SWARM_DATA must not be inside FLEET_TEST_SWARM_DIR" ;; esac
case "$RIG/" in "$DATA"/*) die "FLEET_TEST_SWARM_DIR must not be inside FLEET_TEST_SWARM_DATA" ;; esac
# Cgroup parents, one per rig and node: never the host engine's (`docker`).
CG_BASE=$(basename "$RIG" | cut -c1-40)
[[ $CG_BASE == fleet-test* ]] || CG_BASE="fleet-test-$CG_BASE"

node_dir() { echo "$RIG/node$1"; }
node_data() { echo "$DATA/node$1"; }
node_sock() { echo "$RIG/node$1/docker.sock"; }
node_exec() { echo "$RIG/node$1/exec"; }
node_addr() { echo "$NET.$((10 + $1))"; }
node_name() { echo "fleet-swarm-$1"; }
node_cg() { echo "$CG_BASE-node$1"; }
node_ctd_sock() { echo "$(node_exec "$1")/containerd/containerd.sock"; }
# docker on node k: a bounded call, so a hung engine never hangs the rig.
on() {
  local k=$1; shift
  timeout 60 docker -H "unix://$(node_sock "$k")" "$@"
}
check_node() { [[ ${1:-} =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "expected a node number 1..$NODES, got '${1:-}'"; }

# Processes. PID 1 here reaps late: a zombie counts as gone.
alive() { # pid [comm]
  local state
  state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ] || return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}
wait_gone() { # pid tenths-of-a-second
  local i
  for ((i = 0; i < ${2:-100}; i++)); do alive "$1" || return 0; sleep 0.1; done
  return 1
}
pid_from() { # pid file, comm: the live process it names
  local pid
  pid=$(tr -dc 0-9 2>/dev/null < "$1") && [ -n "$pid" ] && alive "$pid" "$2" && echo "$pid"
}
dockerd_pid() { pid_from "$(node_dir "$1")/dockerd.pid" dockerd; }
containerd_pid() { pid_from "$(node_exec "$1")/containerd/containerd.pid" containerd; }
answers() { timeout 5 docker -H "unix://$(node_sock "$1")" version >/dev/null 2>&1; }

# Everything of node k that runs: dockerd, its containerd, the shims that
# name that containerd's address, and the processes in the node's cgroups.
node_pids() {
  local k=$1 p addr cg
  dockerd_pid "$k" || true
  containerd_pid "$k" || true
  addr=$(node_ctd_sock "$k")
  for p in $(pgrep -f -- "-address $addr" || true); do
    tr '\0' '\n' < "/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "$addr" && alive "$p" && echo "$p"
  done
  cg=$(node_cg "$k")
  for p in $(grep -lE "^[0-9]+:[^:]*:/$cg/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
    alive "$p" && echo "$p"
  done
  return 0
}

lock() {
  mkdir -p "$(dirname "$RIG")"
  exec 6>>"$RIG.lock"
  flock -w 300 6 || die "another test-swarm.sh holds $RIG.lock"
}
# Closes every file descriptor above stderr in the (sub)shell that runs it:
# a lock inherited by a backgrounded dockerd stays held while it runs.
close_fds() {
  local f fd
  for f in /proc/"$BASHPID"/fd/*; do
    fd=${f##*/}
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
  done
}

load_state() {
  STARTED="" IDS=""
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && . "$STATE"
  return 0
}
save_state() {
  printf 'STARTED=%s\nIDS="%s"\n' "$STARTED" "$IDS" > "$STATE.new"
  mv "$STATE.new" "$STATE"
}

# ---- namespaces and the network -------------------------------------------

node_ns_ready() { mountpoint -q "$NS/node$1-mnt" && mountpoint -q "$NS/node$1-net" && mountpoint -q "$NS/node$1-uts"; }
rig_ns_ready() {
  local k
  mountpoint -q "$NS/bridge-net" || return 1
  for k in $(seq 1 "$NODES"); do node_ns_ready "$k" || return 1; done
}

make_namespaces() {
  local k
  mkdir -p "$NS" /etc/docker /run/containerd /run/docker
  # A mount namespace can only be kept (bind-mounted) on a private mount;
  # private also keeps the nsfs mounts below from spreading to other
  # namespaces' copies of this dir.
  mountpoint -q "$NS" || { mount --bind "$NS" "$NS" && mount --make-private "$NS"; }
  log "making the bridge namespace (bridge br0 for $NET.0/24)"
  touch "$NS/bridge-net"
  unshare --net="$NS/bridge-net" sh -c 'ip link set lo up && ip link add br0 type bridge && ip link set br0 up'
  for k in $(seq 1 "$NODES"); do
    mkdir -p "$(node_dir "$k")/etc-docker"
    touch "$NS/node$k-mnt" "$NS/node$k-net" "$NS/node$k-uts"
    unshare --mount="$NS/node$k-mnt" --net="$NS/node$k-net" --uts="$NS/node$k-uts" --propagation private \
      sh -c '
        set -e
        # The copies of other mounts that would pin what is not ours: other
        # engines namespaces (nsfs), container root filesystems (overlay)
        # and shm, the host engine paths.
        findmnt -rn -o TARGET,FSTYPE | awk '\''$2 == "nsfs" || $2 == "overlay" || $1 ~ "/mounts/shm$" ||
            $1 ~ "^(/var/lib/docker|/run/docker|/run/containerd|/run/netns|/var/lib/containerd)(/|$)" { print $1 }'\'' |
          sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        mount -t tmpfs -o mode=0711 tmpfs /run/containerd
        mount -t tmpfs -o mode=0700 tmpfs /run/docker
        mount --bind "$1" /etc/docker
        hostname "$2"
        ip link set lo up
      ' sh "$(node_dir "$k")/etc-docker" "$(node_name "$k")"
    # The veth is made inside the node, its peer put straight into the bridge
    # namespace: no end of it ever shows on the host.
    nsenter --net="$NS/node$k-net" ip link add eth0 type veth peer name node$k netns "$NS/bridge-net"
    nsenter --net="$NS/node$k-net" sh -c "ip addr add $(node_addr "$k")/24 dev eth0 && ip link set eth0 up"
    nsenter --net="$NS/bridge-net" sh -c "ip link set node$k master br0 && ip link set node$k up"
  done
}

drop_namespaces() {
  local f
  for f in "$NS"/node*-mnt "$NS"/node*-net "$NS"/node*-uts "$NS/bridge-net"; do
    if mountpoint -q "$f" 2>/dev/null; then umount "$f"; fi
  done
  if mountpoint -q "$NS" 2>/dev/null; then umount "$NS"; fi
  rm -rf "$NS"
}

# ---- engines --------------------------------------------------------------

start_engine() {
  local k=$1 dir exec_root pid i t0
  dir=$(node_dir "$k") exec_root=$(node_exec "$k")
  node_ns_ready "$k" || die "node $k's namespaces are gone; run: bash $0 stop && bash $0 start"
  mkdir -p "$dir" "$(node_data "$k")"
  # What a killed engine leaves: its pid file (a new dockerd refuses to
  # start while it names a live process, which may be any process that
  # reused the PID), its socket, and containerd's pid file (dockerd trusts a
  # live process under that PID to be its containerd, and kills it when it
  # does not answer).
  rm -f "$dir/dockerd.pid" "$(node_sock "$k")"
  containerd_pid "$k" >/dev/null || rm -f "$exec_root/containerd/containerd.pid"
  cat > "$dir/daemon.json" <<JSON
{
  "labels": ["fleet-test-swarm=$RIG", "fleet-test-swarm.node=$k"],
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "bip": "$BIP",
  "default-address-pools": [{ "base": "$LOCAL_POOL", "size": 24 }]
}
JSON
  log "starting node $k's engine ($(node_name "$k"), $(node_addr "$k"), socket $(node_sock "$k"), log $dir/dockerd.log)"
  t0=$(now)
  # nsenter execs dockerd in the node's namespaces (the background pid is
  # dockerd's); it inherits no descriptor but stdio and a fixed environment.
  (
    close_fds
    exec setsid env -i PATH="$SYS_PATH" \
      nsenter --mount="$NS/node$k-mnt" --net="$NS/node$k-net" --uts="$NS/node$k-uts" -- \
      dockerd --host "unix://$(node_sock "$k")" --data-root "$(node_data "$k")" --exec-root "$exec_root" \
      --pidfile "$dir/dockerd.pid" --config-file "$dir/daemon.json" --cgroup-parent "$(node_cg "$k")" \
      >>"$dir/dockerd.log" 2>&1 </dev/null
  ) &
  pid=$!
  for ((i = 0; i < 600; i++)); do
    answers "$k" && break
    alive "$pid" || break
    sleep 0.1
  done
  if ! answers "$k"; then
    log "node $k's engine did not answer; last lines of $dir/dockerd.log:"
    tail -20 "$dir/dockerd.log" >&2 || true
    exit 1
  fi
  log "node $k's engine answers ($(since "$t0")s)"
}

# SIGKILL all of node k at once, as a power cut: nothing gets to clean up.
kill_all() {
  local k=$1 pids p
  pids=$(node_pids "$k" | sort -un | tr '\n' ' ')
  [ -n "${pids// /}" ] || return 0
  kill -KILL $pids 2>/dev/null || true
  for p in $pids; do wait_gone "$p" 100 || log "process $p of node $k did not go"; done
}

# Every node's dockerd gets SIGTERM at once (each takes ~1.5 s to shut down),
# then whatever is left of a node (containerd, shims, containers) SIGKILL.
stop_engines() {
  local k pid pids=()
  for k in $(seq 1 "$NODES"); do
    pid=$(dockerd_pid "$k") || continue
    log "stopping node $k's engine (dockerd $pid) with SIGTERM"
    kill -TERM "$pid"
    pids+=("$pid")
  done
  # dockerd gives containers that ignore SIGTERM 10 s, then kills them.
  for pid in "${pids[@]}"; do
    wait_gone "$pid" 900 || log "dockerd $pid did not stop within 90s; killing it"
  done
  local left
  for k in $(seq 1 "$NODES"); do
    left=$(node_pids "$k" | sort -un | tr '\n' ' ')
    if [ -n "${left// /}" ]; then
      log "killing what is left of node $k: $left"
      kill_all "$k"
    fi
    rm -f "$(node_dir "$k")/dockerd.pid" "$(node_sock "$k")"
  done
}

remove_cgroups() {
  local k d
  for k in $(seq 1 "$NODES"); do
    for d in /sys/fs/cgroup/*/"$(node_cg "$k")" /sys/fs/cgroup/"$(node_cg "$k")"; do
      [ -d "$d" ] || continue
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  done
}

# ---- the swarm ------------------------------------------------------------

swarm_field() { on "$1" info --format "{{.Swarm.$2}}" 2>/dev/null; }
manager_nodes() { on 1 node ls --format '{{.ID}} {{.Hostname}} {{.Status}}' 2>/dev/null; }

# Makes the swarm, or keeps what is right of it: node 1 the manager of a
# swarm, every other node a member of that swarm. A node left in another
# swarm (e.g. killed while `stop` ran, so it never left) leaves it.
form_swarm() {
  local k st id i token members
  st=$(swarm_field 1 LocalNodeState)
  if [ "$st" = active ] && [ "$(swarm_field 1 ControlAvailable)" = true ]; then
    :
  else
    [ "$st" = inactive ] || { log "node 1 is '$st' in an old swarm; leaving it"; on 1 swarm leave --force >/dev/null; }
    log "swarm init on node 1 ($(node_addr 1))"
    on 1 swarm init --advertise-addr "$(node_addr 1)" --listen-addr "$(node_addr 1):2377" \
      --default-addr-pool "$SWARM_POOL" >/dev/null
  fi
  token=$(on 1 swarm join-token -q worker)
  for k in $(seq 2 "$NODES"); do
    id=$(swarm_field "$k" NodeID)
    members=$(manager_nodes | cut -d' ' -f1)
    if [ -n "$id" ] && grep -qxF "$id" <<<"$members"; then
      # Ours: a restarted node reconnects by itself (pending, then active).
      for ((i = 0; i < 300; i++)); do [ "$(swarm_field "$k" LocalNodeState)" = active ] && break; sleep 0.1; done
      [ "$(swarm_field "$k" LocalNodeState)" = active ] && continue
      log "node $k ($id) does not reconnect; making it join again"
    fi
    st=$(swarm_field "$k" LocalNodeState)
    [ "$st" = inactive ] || { log "node $k is '$st' in another swarm; leaving it"; on "$k" swarm leave --force >/dev/null; }
    log "node $k joins as a worker ($(node_addr "$k"))"
    on "$k" swarm join --token "$token" --advertise-addr "$(node_addr "$k")" \
      --listen-addr "$(node_addr "$k"):2377" "$(node_addr 1):2377" >/dev/null
  done
  # Entries of nodes that are no longer any of ours (a node that joined
  # again got a new ID; the old one stays Down for ever).
  IDS=""
  for k in $(seq 1 "$NODES"); do IDS+="${IDS:+ }$(swarm_field "$k" NodeID)"; done
  while read -r id _; do
    [ -n "$id" ] || continue
    grep -qw -- "$id" <<<"$IDS" || { log "removing the stale node entry $id"; on 1 node rm --force "$id" >/dev/null; }
  done < <(manager_nodes)
}

# Until node k (or every node, without k) is connected to the manager (its
# own state `active`: a restarted node is `pending` until its agent has a
# session) and the manager sees it Ready. Both: a node killed a moment ago
# is still Ready for the manager, which notices only when heartbeats stop.
wait_ready() {
  local want=${1:-} i k id ok t0
  t0=$(now)
  for ((i = 0; i < 1200; i++)); do
    ok=1
    for k in ${want:-$(seq 1 "$NODES")}; do
      id=$(swarm_field "$k" NodeID) || id=
      [ -n "$id" ] && [ "$(swarm_field "$k" LocalNodeState)" = active ] &&
        [ "$(on 1 node inspect "$id" --format '{{.Status.State}}' 2>/dev/null)" = ready ] || { ok=; break; }
    done
    [ -z "$ok" ] || { log "Ready: node(s) $(echo ${want:-$(seq 1 "$NODES")}) ($(since "$t0")s)"; return 0; }
    sleep 0.1
  done
  manager_nodes >&2 || true
  die "node(s) ${want:-all} not Ready after 120s; see $RIG/node*/dockerd.log"
}

# fleet-demo:busybox on every node, the same image (made on node 1, copied).
ensure_images() {
  local k want have
  if ! on 1 image inspect "$IMAGE" >/dev/null 2>&1; then
    log "building $IMAGE on node 1 from /bin/busybox"
    DOCKER_HOST="unix://$(node_sock 1)" bash "$HERE/busybox-image.sh" docker "$IMAGE"
  fi
  want=$(on 1 image inspect "$IMAGE" --format '{{.Id}}')
  for k in $(seq 2 "$NODES"); do
    have=$(on "$k" image inspect "$IMAGE" --format '{{.Id}}' 2>/dev/null) || have=
    [ "$have" != "$want" ] || continue
    log "loading $IMAGE into node $k (docker save | docker load)"
    on 1 save "$IMAGE" | on "$k" load >/dev/null
    # The image the tag named before, now untagged: removed unless in use.
    [ -z "$have" ] || on "$k" image rm "$have" >/dev/null 2>&1 || true
  done
}

print_env() {
  local k
  cat <<EOF
FLEET_TEST_SWARM_DIR=$RIG
FLEET_TEST_SWARM_DATA=$DATA
FLEET_TEST_SWARM_NODES=$NODES
FLEET_TEST_SWARM_DOCKER_HOST=unix://$(node_sock 1)
FLEET_TEST_SWARM_IMAGE=$IMAGE
EOF
  for k in $(seq 1 "$NODES"); do
    cat <<EOF
FLEET_TEST_SWARM_NODE${k}_DOCKER_HOST=unix://$(node_sock "$k")
FLEET_TEST_SWARM_NODE${k}_NAME=$(node_name "$k")
FLEET_TEST_SWARM_NODE${k}_ADDR=$(node_addr "$k")
FLEET_TEST_SWARM_NODE${k}_ID=$(echo "$IDS" | cut -d' ' -f"$k")
FLEET_TEST_SWARM_NODE${k}_ROLE=$([ "$k" = 1 ] && echo manager || echo worker)
EOF
  done
}

# ---- subcommands ----------------------------------------------------------

start() {
  bash "$HERE/need.sh" dockerd:docker.io docker:docker.io containerd:containerd runc:runc \
    iptables:iptables /bin/busybox:busybox-static unshare:util-linux nsenter:util-linux \
    flock:util-linux findmnt:util-linux mountpoint:util-linux mount:mount ip:iproute2 pgrep:procps
  local t0 k name
  t0=$(now)
  mkdir -p "$RIG" "$DATA" "$DOCKER_CONFIG"
  chmod 0700 "$RIG"
  lock
  load_state
  if [ -n "$STARTED" ] && rig_ns_ready; then
    log "reusing the rig in $RIG"
  else
    # Whatever an interrupted start or a reboot left: gone first.
    [ -z "$STARTED" ] || log "the rig in $RIG lost its namespaces; starting it again"
    teardown
    make_namespaces
  fi
  STARTED=1
  # Recorded before the engines start, so a failed start is still undone by `stop`.
  save_state
  for k in $(seq 1 "$NODES"); do
    answers "$k" && continue
    if dockerd_pid "$k" >/dev/null; then
      log "node $k's dockerd runs but does not answer; killing it"
    fi
    kill_all "$k"
    start_engine "$k"
  done
  for k in $(seq 1 "$NODES"); do
    name=$(on "$k" info --format '{{.Name}}')
    [ "$name" = "$(node_name "$k")" ] || die "node $k's engine calls itself '$name', not $(node_name "$k"): its UTS namespace is wrong; run: bash $0 stop && bash $0 start"
  done
  form_swarm
  wait_ready
  ensure_images
  save_state
  print_env > "$RIG/env.new"
  mv "$RIG/env.new" "$RIG/env"
  cat "$RIG/env"
  log "the swarm is up ($(since "$t0")s): $(manager_nodes | awk '{ print $2 "=" $3 }' | tr '\n' ' ')"
}

# Stops and removes everything of the rig that runs or is mounted; the rig
# dir's logs and the data roots stay.
teardown() {
  local k id
  if answers 1 && [ "$(swarm_field 1 ControlAvailable)" = true ]; then
    for id in $(on 1 service ls -q 2>/dev/null); do
      on 1 service rm "$id" >/dev/null 2>&1 || log "could not remove service $id"
    done
  fi
  # The tasks' containers, killed now: `service rm` only asks the agents to
  # stop them, and `swarm leave` waits for that (10 s for a task that
  # ignores SIGTERM, as `sleep` does as PID 1).
  for k in $(seq 1 "$NODES"); do
    answers "$k" || continue
    for id in $(on "$k" ps -aq --filter label=com.docker.swarm.task.id 2>/dev/null); do
      on "$k" rm -f "$id" >/dev/null 2>&1 || true
    done
  done
  # Workers first: a manager that left first would leave them waiting for it.
  for k in $(seq "$NODES" -1 1); do
    answers "$k" || continue
    [ "$(swarm_field "$k" LocalNodeState)" != inactive ] || continue
    log "node $k leaves the swarm"
    on "$k" swarm leave --force >/dev/null 2>&1 || log "node $k: swarm leave failed"
  done
  stop_engines
  # What `swarm leave` deletes, for a node that could not leave (killed, or
  # hung): its engine would otherwise come back in the old swarm and hold
  # its API for 20 s ("swarm component could not be started before timeout
  # was reached") before it can leave and join the new one.
  for k in $(seq 1 "$NODES"); do rm -rf "$(node_data "$k")/swarm"; done
  drop_namespaces
  remove_cgroups
}

stop() {
  [ -d "$RIG" ] || return 0
  lock
  load_state
  local t0
  t0=$(now)
  teardown
  rm -f "$STATE" "$RIG/env"
  log "stopped ($(since "$t0")s)"
}

# Node K of a started rig, under the rig's lock (kill-node, restart-node).
started_rig_for_node() {
  check_node "$1"
  lock
  load_state
  [ -n "$STARTED" ] && rig_ns_ready || die "the rig in $RIG is not started; run: bash $0 start"
}

kill_node() {
  local k=$1 pids
  started_rig_for_node "$k"
  pids=$(node_pids "$k" | sort -un | tr '\n' ' ')
  [ -n "${pids// /}" ] || die "nothing of node $k runs (killed already?); bring it back with: bash $0 restart-node $k"
  log "killing node $k with SIGKILL: dockerd $(dockerd_pid "$k" || echo none), containerd $(containerd_pid "$k" || echo none), all: $pids"
  kill_all "$k"
}

restart_node() {
  local k=$1 t0
  started_rig_for_node "$k"
  t0=$(now)
  if answers "$k"; then
    log "node $k's engine runs already"
  else
    # Whatever a kill left running (a dockerd that hangs, say) goes first.
    kill_all "$k"
    start_engine "$k"
  fi
  if [ "$k" = 1 ]; then wait_ready; else wait_ready "$k"; fi
  log "node $k is back ($(since "$t0")s)"
}

case "${1:-}" in
  start) start ;;
  env)
    load_state
    [ -n "$STARTED" ] && [ -f "$RIG/env" ] && rig_ns_ready || die "the rig in $RIG is not started; run: bash $0 start"
    cat "$RIG/env"
    ;;
  stop) stop ;;
  kill-node) kill_node "${2:-}" ;;
  restart-node) restart_node "${2:-}" ;;
  purge)
    stop
    rm -rf "$RIG" "$RIG.lock" "$DATA"
    ;;
  *) echo "usage: $0 start|env|kill-node K|restart-node K|stop|purge" >&2; exit 2 ;;
esac
