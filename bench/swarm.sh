#!/usr/bin/env bash
# Swarm benchmark (issue 19, "Targets"), on the swarm rig
# (scripts/test-swarm.sh: three Docker 20.10 engines in namespaces of their
# own, node 1 the manager). Side by side in one run, TYPES x PER agents
# (3 x 10 = 30), image fleet-demo:busybox, `network: host`, a command whose
# PID 1 exits on SIGTERM, one env value per type:
#
#   fleet   agents.json with `"swarm": {"manager": "m1"}`, hosts m1/w1/w2 =
#           the rig's node 1..3 sockets; one service of one replica an agent
#   stack   `docker stack deploy --resolve-image never -c compose.yml STACK`
#           of the equivalent compose file (same names, image, command, env,
#           hostname; `networks: [hostnet]`, hostnet = the external `host`
#           network, as a stack file takes no `network_mode: host`)
#
# and measures (wall seconds, medians):
#   1. cold create, COLD_REPS times, taking turns: `fleet sync` (returns when
#      submitted), `fleet sync --wait`, `stack deploy`; "until every task
#      runs" = a poller started with the command (`service ls` on the
#      manager every POLL s) sees all services at 1/1.
#   2. no-op, REPS times, taking turns (both projects deployed): `fleet sync`,
#      `stack deploy`, and the floor: the manager reads fleet's look makes,
#      run one after another by the shell (`service ls` + batched
#      `service inspect` + `service ps` + `node ls` + `image inspect`).
#      Docker processes of a fleet no-op: the `+ docker` lines of
#      `fleet -v sync`, none of them a mutation (checked).
#   3. an env change of one type (PER agents), UPD_REPS times, taking turns:
#      `fleet sync` with the default max_unavailable (1: one agent of the
#      type down at a time, each of Swarm's updates waited for), the same
#      with `max_unavailable: "100%"` (all of the type at once), and `stack
#      deploy` of the changed compose file; "until every task runs the new
#      spec" = a poller started with the command sees, for each of the
#      type's services, a Running task that was not there before.
#
# Prints a Markdown table (call | median s | ratio to its peer | docker
# procs), the targets and the machine's facts; writes it to OUT too.
#
# Usage: bash bench/swarm.sh        (about 10 min on 2 cores: the default
#   roll of 10 agents alone takes ~95 s a round)
#   TYPES (3), PER (10), REPS (11), COLD_REPS (3), UPD_REPS (3), POLL (0.1),
#   OUT (/tmp/bench-swarm.md), STACK (benchswarm); FLEET=path/to/fleet skips
#   the release build (`cargo build --release`, CARGO_TARGET_DIR honoured).
#   The rig's dirs default to the bench's own (FLEET_TEST_SWARM_DIR
#   /run/fleet-bench-swarm, FLEET_TEST_SWARM_DATA /var/lib/fleet-bench-swarm).
#   A rig already running is used and left running; one the bench starts
#   is stopped at the end (KEEP_RIG=1 leaves it running).
set -euo pipefail
cd "$(dirname "$0")/.."
TYPES=${TYPES:-3} PER=${PER:-10} REPS=${REPS:-11} COLD_REPS=${COLD_REPS:-3} UPD_REPS=${UPD_REPS:-3}
POLL=${POLL:-0.1} OUT=${OUT:-/tmp/bench-swarm.md} STACK=${STACK:-benchswarm}
export FLEET_TEST_SWARM_DIR=${FLEET_TEST_SWARM_DIR:-/run/fleet-bench-swarm}
export FLEET_TEST_SWARM_DATA=${FLEET_TEST_SWARM_DATA:-/var/lib/fleet-bench-swarm}
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION FLEET_DOCKER FLEET_CONFIG
PROJECT=bench-swarm
IMAGE=fleet-demo:busybox
TYPE_NAMES=(alpha beta gamma delta epsilon zeta eta theta iota kappa)
[ "$TYPES" -ge 1 ] && [ "$TYPES" -le ${#TYPE_NAMES[@]} ] || { echo "TYPES: 1..${#TYPE_NAMES[@]}" >&2; exit 2; }
TYPE_NAMES=("${TYPE_NAMES[@]:0:$TYPES}")
CHANGED=${TYPE_NAMES[0]} # the type whose env changes in section 3
N=$((TYPES * PER))
log() { printf '[bench-swarm] %s\n' "$*" >&2; }
command -v bc >/dev/null 2>&1 || bash scripts/need.sh bc:bc

work=$(mktemp -d)
export DOCKER_CONFIG=$work/docker-config FLEET_LOCK_DIR=$work/locks
mkdir -p "$DOCKER_CONFIG" "$FLEET_LOCK_DIR"
rig_was_up=
bash scripts/test-swarm.sh env >/dev/null 2>&1 && rig_was_up=1
log "starting the swarm rig in $FLEET_TEST_SWARM_DIR"
bash scripts/test-swarm.sh start > "$work/env"
while IFS='=' read -r k v; do printf -v "$k" '%s' "$v"; done < "$work/env"
M=$FLEET_TEST_SWARM_DOCKER_HOST
dm() { docker -H "$M" "$@"; }                            # the manager
dn() { local k=$1; shift; local v="FLEET_TEST_SWARM_NODE${k}_DOCKER_HOST"; docker -H "${!v}" "$@"; }

# Every service and task container of both projects gone (and fleet's lock).
clean() {
  local ids k i
  ids=$(dm service ls -q --filter "label=fleet.project=$PROJECT" 2>/dev/null || true)
  [ -z "$ids" ] || dm service rm $ids >/dev/null 2>&1 || true
  dm stack rm "$STACK" >/dev/null 2>&1 || true
  ids=$(dm config ls -q --filter "label=fleet.lock=$PROJECT" 2>/dev/null || true)
  [ -z "$ids" ] || dm config rm $ids >/dev/null 2>&1 || true
  for ((i = 0; i < 600; i++)); do
    local left=0
    [ -z "$(dm service ls -q --filter "label=fleet.project=$PROJECT")" ] || left=1
    [ -z "$(dm service ls -q --filter "label=com.docker.stack.namespace=$STACK")" ] || left=1
    for k in 1 2 3; do
      [ -z "$(dn "$k" ps -aq --filter "label=fleet.project=$PROJECT")" ] || left=1
      [ -z "$(dn "$k" ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] || left=1
    done
    [ "$left" = 1 ] || return 0
    sleep 0.2
  done
  log "services or task containers of the bench still there after 120 s"
  return 1
}
cleanup() {
  set +e
  [ -z "${poller:-}" ] || kill "$poller" 2>/dev/null
  clean
  [ -n "$rig_was_up" ] || [ -n "${KEEP_RIG:-}" ] || bash scripts/test-swarm.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${FLEET:-}" ]; then
  log "building fleet (release)"
  cargo build --release --quiet
  FLEET="${CARGO_TARGET_DIR:-$PWD/target}/release/fleet"
fi

# --- configs -----------------------------------------------------------------
names_of() { # type: its agents' names, as fleet names them
  local i
  for ((i = 1; i <= PER; i++)); do if [ "$i" = 1 ]; then echo "$1-default"; else echo "$1-$i"; fi; done
}
CMD_JSON='["sh", "-c", "trap '"'"'exit 0'"'"' TERM; while :; do sleep 1; done"]'
declare -A val
for t in "${TYPE_NAMES[@]}"; do val[$t]="$t-v0"; done
# agents.json, and with an argument the changed type's max_unavailable.
write_fleet() { # file [max_unavailable]
  local t sep="" types=""
  for t in "${TYPE_NAMES[@]}"; do
    types+="$sep\"$t\": { \"instances\": $PER, \"env\": { \"BENCH_VAL\": \"${val[$t]}\" }"
    [ -z "${2:-}" ] || [ "$t" != "$CHANGED" ] || types+=", \"max_unavailable\": \"$2\""
    types+=" }"
    sep=", "
  done
  cat > "$1" <<JSON
{
  "project": "$PROJECT",
  "hosts": {
    "m1": { "docker_host": "$FLEET_TEST_SWARM_NODE1_DOCKER_HOST" },
    "w1": { "docker_host": "$FLEET_TEST_SWARM_NODE2_DOCKER_HOST" },
    "w2": { "docker_host": "$FLEET_TEST_SWARM_NODE3_DOCKER_HOST" }
  },
  "swarm": { "manager": "m1" },
  "defaults": { "image": "$IMAGE", "network": "host", "command": $CMD_JSON },
  "types": { $types }
}
JSON
}
write_compose() {
  local t n
  {
    echo "services:"
    for t in "${TYPE_NAMES[@]}"; do
      for n in $(names_of "$t"); do
        cat <<YML
  $n:
    image: $IMAGE
    command: $CMD_JSON
    hostname: $n
    environment:
      BENCH_VAL: "${val[$t]}"
    networks: [hostnet]
    deploy:
      replicas: 1
YML
      done
    done
    printf 'networks:\n  hostnet:\n    external: true\n    name: host\n'
  } > "$work/compose.yml"
}
write_all() { write_fleet "$work/agents.json"; write_fleet "$work/agents-all.json" 100%; write_compose; }
write_all
fleet() { "$FLEET" -c "$work/agents.json" "$@"; }
stack_deploy() { dm stack deploy --detach=true --resolve-image never -c "$work/compose.yml" "$STACK"; }

# The names fleet plans are the compose file's.
fleet plan > "$work/plan" 2>&1 || { log "fleet plan failed:"; cat "$work/plan" >&2; exit 1; }
want=$(for t in "${TYPE_NAMES[@]}"; do names_of "$t"; done | sort)
got=$(awk '$1 == "create" { print $2 }' "$work/plan" | sort)
[ "$want" = "$got" ] || { log "fleet plans other names than the compose file's:"; cat "$work/plan" >&2; exit 1; }

# --- measuring -----------------------------------------------------------------
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
since() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.3f\n", b - a }'; }
declare -A T    # key -> space-separated seconds
declare -A PROCS
add() { T[$1]+="$2 "; }
med() { printf '%s\n' ${T[$1]:-} | grep -E '^[0-9.]+$' | median; } # timeouts left out (listed with the runs)
failures="$work/failures"; : > "$failures"
# A fleet call that failed: the exact command and its output, for the report.
fleet_failed() { # rc stderr-file command…
  local rc=$1 err=$2; shift 2
  log "fleet failed (exit $rc): $*"
  { printf -- '- `%s` exited %s:\n\n```\n' "$*" "$rc"; tail -40 "$err"; printf '```\n\n'; } >> "$failures"
}

# Pollers: print the time all is there, or "timeout" after 300 s.
all_running() { # label: all N services of that label at 1/1
  local n
  n=$(dm service ls --filter "label=$1" --format '{{.Replicas}}' 2>/dev/null | grep -c '^1/1' || true)
  [ "$n" -ge "$N" ]
}
poll_running() { # label
  local t0=$EPOCHREALTIME
  until all_running "$1"; do
    [ "$(since "$t0" | cut -d. -f1)" -lt 300 ] || { echo timeout; return; }
    sleep "$POLL"
  done
  echo "$EPOCHREALTIME"
}
running_tasks() { # service… : "ID state" of the tasks Swarm wants running
  dm service ps --filter desired-state=running --format '{{.ID}} {{.CurrentState}}' "$@" 2>/dev/null
}
poll_replaced() { # old-task-file service… : every service has a new Running task
  local old=$1 t0=$EPOCHREALTIME n; shift
  while :; do
    n=$(running_tasks "$@" | awk 'NR == FNR { old[$1] = 1; next } !($1 in old) && $2 == "Running"' "$old" - | wc -l)
    [ "$n" -lt "$#" ] || break
    [ "$(since "$t0" | cut -d. -f1)" -lt 300 ] || { echo timeout; return; }
    sleep "$POLL"
  done
  echo "$EPOCHREALTIME"
}
poller=""
start_poller() { "$@" > "$work/poll" & poller=$!; }
end_poller() { # key t0: adds the seconds from t0 until the poller saw it (or "timeout")
  wait "$poller" || true # in this shell, not in a $(…): the poller is its child
  poller=""
  local e; e=$(cat "$work/poll")
  if [[ $e =~ ^[0-9]+\.[0-9]+$ ]]; then add "$1" "$(since "$2" "$e")"; else add "$1" timeout; fi
}
count_docker() { grep -c '^+ docker ' "$1" || true; }

# --- 1. cold create ----------------------------------------------------------------
log "1. cold create of $N agents, $COLD_REPS rounds (fleet sync, fleet sync --wait, stack deploy)"
clean
for r in $(seq "$COLD_REPS"); do
  # fleet sync: returns when submitted
  t0=$EPOCHREALTIME
  start_poller poll_running "fleet.project=$PROJECT"
  rc=0; fleet -v sync > /dev/null 2> "$work/err" || rc=$?
  add cold_fleet_ret "$(since "$t0")"
  [ "$rc" = 0 ] || fleet_failed "$rc" "$work/err" fleet -c agents.json -v sync
  end_poller cold_fleet_run "$t0"
  PROCS[cold_fleet]=$(count_docker "$work/err")
  clean
  # fleet sync --wait: returns when every task runs
  t0=$EPOCHREALTIME
  start_poller poll_running "fleet.project=$PROJECT"
  rc=0; fleet -v sync --wait > /dev/null 2> "$work/err" || rc=$?
  add cold_fleet_wait "$(since "$t0")"
  [ "$rc" = 0 ] || fleet_failed "$rc" "$work/err" fleet -c agents.json -v sync --wait
  end_poller cold_fleet_wait_run "$t0"
  PROCS[cold_fleet_wait]=$(count_docker "$work/err")
  clean
  # stack deploy
  t0=$EPOCHREALTIME
  start_poller poll_running "com.docker.stack.namespace=$STACK"
  stack_deploy > /dev/null 2> "$work/err" || { log "stack deploy failed:"; cat "$work/err" >&2; exit 1; }
  add cold_stack_ret "$(since "$t0")"
  end_poller cold_stack_run "$t0"
  clean
  log "   round $r: fleet $(echo ${T[cold_fleet_run]} | awk '{print $NF}') s, fleet --wait $(echo ${T[cold_fleet_wait]} | awk '{print $NF}') s, stack $(echo ${T[cold_stack_run]} | awk '{print $NF}') s"
done

# --- 2. no-op --------------------------------------------------------------------------
log "2. no-op, $REPS rounds (fleet sync, stack deploy, the floor of the manager reads)"
rc=0; fleet sync --wait > /dev/null 2> "$work/err" || rc=$?
[ "$rc" = 0 ] || fleet_failed "$rc" "$work/err" fleet -c agents.json sync --wait
stack_deploy > /dev/null 2>&1
[ "$(poll_running "com.docker.stack.namespace=$STACK")" != timeout ] || { log "the stack's tasks do not all run"; exit 1; }
[ "$(poll_running "fleet.project=$PROJECT")" != timeout ] || { log "fleet's tasks do not all run"; exit 1; }
floor() {
  local ids
  ids=$(dm service ls --quiet --filter "label=fleet.project=$PROJECT")
  dm service inspect $ids > /dev/null
  dm service ps --no-trunc --format '{{json .}}' $ids > /dev/null
  dm node ls --format '{{json .}}' > /dev/null
  dm image inspect --format '{{.Id}}' "$IMAGE" > /dev/null
}
fleet sync > /dev/null 2>&1 || true # warm
for _ in $(seq "$REPS"); do
  t0=$EPOCHREALTIME; rc=0; fleet sync > /dev/null 2> "$work/err" || rc=$?; add noop_fleet "$(since "$t0")"
  [ "$rc" = 0 ] || fleet_failed "$rc" "$work/err" fleet -c agents.json sync
  t0=$EPOCHREALTIME; stack_deploy > /dev/null 2>&1; add noop_stack "$(since "$t0")"
  t0=$EPOCHREALTIME; floor; add noop_floor "$(since "$t0")"
done
fleet -v sync > /dev/null 2> "$work/noop-v" || true
PROCS[noop_fleet]=$(count_docker "$work/noop-v")
# A mutation: anything but the reads of a look (service ls/inspect/ps,
# node ls, image inspect, info, ps, inspect).
mutations=$(grep '^+ docker ' "$work/noop-v" | sed -E 's/^\+ docker (--host [^ ]+ )?//' |
  grep -vcE '^(service (ls|inspect|ps)|node ls|image inspect|info|ps|inspect|config (ls|inspect)) ' || true)
noop_calls=$(grep '^+ docker ' "$work/noop-v" | sed -E 's/^\+ docker (--host [^ ]+ )?//' | awk '{print $1 " " $2}' |
  sort | uniq -c | awk '{printf "%s%s %s x%s", sep, $2, $3, $1; sep=", "}')
# Where a no-op's time goes: the time of each docker call fleet makes,
# run alone by the shell (for the notes).
ids=$(dm service ls --quiet --filter "label=fleet.project=$PROJECT")
declare -A one
for c in ls inspect ps node image; do one[$c]=""; done
for _ in $(seq "$REPS"); do
  t0=$EPOCHREALTIME; dm service ls --quiet --filter "label=fleet.project=$PROJECT" > /dev/null; one[ls]+="$(since "$t0") "
  t0=$EPOCHREALTIME; dm service inspect $ids > /dev/null; one[inspect]+="$(since "$t0") "
  t0=$EPOCHREALTIME; dm service ps --no-trunc --format '{{json .}}' $ids > /dev/null; one[ps]+="$(since "$t0") "
  t0=$EPOCHREALTIME; dm node ls --format '{{json .}}' > /dev/null; one[node]+="$(since "$t0") "
  t0=$EPOCHREALTIME; dm image inspect --format '{{.Id}}' "$IMAGE" > /dev/null; one[image]+="$(since "$t0") "
done
for c in ls inspect ps node image; do one[$c]=$(printf '%s\n' ${one[$c]} | median); done

# --- 3. an env change of one type --------------------------------------------------------
log "3. env change of type $CHANGED ($PER agents), $UPD_REPS rounds (fleet, fleet max_unavailable 100%, stack deploy)"
mapfile -t fnames < <(names_of "$CHANGED")
snames=("${fnames[@]/#/${STACK}_}")
v=0
change() { v=$((v + 1)); val[$CHANGED]="$CHANGED-v$v"; write_all; }
for r in $(seq "$UPD_REPS"); do
  for who in fleet fleet_all stack; do
    change
    case $who in
      stack) names=("${snames[@]}") ;;
      *) names=("${fnames[@]}") ;;
    esac
    running_tasks "${names[@]}" | awk '{print $1}' > "$work/old"
    t0=$EPOCHREALTIME
    start_poller poll_replaced "$work/old" "${names[@]}"
    case $who in
      fleet | fleet_all)
        cfg=agents.json; [ "$who" = fleet ] || cfg=agents-all.json
        rc=0; "$FLEET" -c "$work/$cfg" -v sync > /dev/null 2> "$work/err" || rc=$?
        add "upd_${who}_ret" "$(since "$t0")"
        [ "$rc" = 0 ] || fleet_failed "$rc" "$work/err" fleet -c "$cfg" -v sync
        PROCS[upd_$who]=$(count_docker "$work/err")
        ;;
      stack)
        stack_deploy > /dev/null 2> "$work/err" || { log "stack deploy failed:"; cat "$work/err" >&2; exit 1; }
        add upd_stack_ret "$(since "$t0")"
        ;;
    esac
    end_poller "upd_${who}_run" "$t0"
  done
  log "   round $r: fleet $(echo ${T[upd_fleet_run]} | awk '{print $NF}') s (sync $(echo ${T[upd_fleet_ret]} | awk '{print $NF}') s), fleet 100% $(echo ${T[upd_fleet_all_run]} | awk '{print $NF}') s, stack $(echo ${T[upd_stack_run]} | awk '{print $NF}') s"
done
clean

# --- the report ---------------------------------------------------------------------------
r2() { # a / b, 2 decimals, or - when either is not a number
  if [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then
    echo "$1 / $2" | bc -l | awk '{ printf "%.2f", $1 }'
  else echo -; fi
}
f3() { if [[ $1 =~ ^[0-9.]+$ ]]; then printf '%.3f' "$1"; else printf '%s' "$1"; fi; }
ok() { if [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo yes; else echo NO; fi; }
others=$(($(pgrep -xc dockerd || true) - 3))
report() {
  printf '# fleet swarm benchmark, %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'machine: %s cores, %s, load average before the report %s; swarm rig %s (3 nodes, engine %s), docker CLI %s; %s other dockerd running beside the rig%s\n\n' \
    "$(nproc)" "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$FLEET_TEST_SWARM_DIR" "$(dm version --format '{{.Server.Version}}')" "$(dm version --format '{{.Client.Version}}')" \
    "$others" "$( [ "$others" -le 0 ] || echo ' (other rigs: figures taken with other work on the machine)')"
  printf 'command: `TYPES=%s PER=%s REPS=%s COLD_REPS=%s UPD_REPS=%s POLL=%s bash bench/swarm.sh`; `%s` (%s, release, tree %s)\n\n' \
    "$TYPES" "$PER" "$REPS" "$COLD_REPS" "$UPD_REPS" "$POLL" "$("$FLEET" --version 2>/dev/null | head -1)" "$FLEET" \
    "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src 2>/dev/null || echo ', src/ modified')"
  printf '%s agents (%s types x %s), %s, `network: host`; "until every task runs": a poller started with the command (`docker service ls` / `service ps` on the manager every %s s plus the call) saw it. The changed type: `%s` (%s agents); fleet'"'"'s default max_unavailable is 1.\n\n' \
    "$N" "$TYPES" "$PER" "$IMAGE" "$POLL" "$CHANGED" "$PER"
  local cs us ns nf nfl tn tc tu
  cs=$(med cold_stack_run) us=$(med upd_stack_run) ns=$(med noop_stack) nf=$(med noop_floor) nfl=$(med noop_fleet)
  printf '| call | median s | ratio to its peer | docker procs |\n|---|---|---|---|\n'
  printf '| cold create, `stack deploy` returns | %s | - | 1 |\n' "$(f3 "$(med cold_stack_ret)")"
  printf '| cold create, `stack deploy`, until every task runs | %s | (peer) | 1 |\n' "$(f3 "$cs")"
  printf '| cold create, `fleet sync` returns (submitted) | %s | %s (to stack deploy returns) | %s |\n' \
    "$(f3 "$(med cold_fleet_ret)")" "$(r2 "$(med cold_fleet_ret)" "$(med cold_stack_ret)")" "${PROCS[cold_fleet]:--}"
  printf '| cold create, `fleet sync`, until every task runs | %s | %s | %s |\n' \
    "$(f3 "$(med cold_fleet_run)")" "$(r2 "$(med cold_fleet_run)" "$cs")" "${PROCS[cold_fleet]:--}"
  printf '| cold create, `fleet sync --wait` returns | %s | %s | %s |\n' \
    "$(f3 "$(med cold_fleet_wait)")" "$(r2 "$(med cold_fleet_wait)" "$cs")" "${PROCS[cold_fleet_wait]:--}"
  printf '| cold create, `fleet sync --wait`, until every task runs (poller) | %s | %s | - |\n' \
    "$(f3 "$(med cold_fleet_wait_run)")" "$(r2 "$(med cold_fleet_wait_run)" "$cs")"
  printf '| no-op, `stack deploy` | %s | (peer) | 1 |\n' "$(f3 "$ns")"
  printf '| no-op, the floor: manager reads by the shell, one after another | %s | (peer) | 5 |\n' "$(f3 "$nf")"
  printf '| no-op, `fleet sync` | %s | %s to stack deploy, %s to the floor | %s |\n' \
    "$(f3 "$nfl")" "$(r2 "$nfl" "$ns")" "$(r2 "$nfl" "$nf")" "${PROCS[noop_fleet]:--}"
  printf '| env change of %s agents, `stack deploy` returns | %s | - | 1 |\n' "$PER" "$(f3 "$(med upd_stack_ret)")"
  printf '| env change of %s agents, `stack deploy`, until every task runs the new spec | %s | (peer) | 1 |\n' "$PER" "$(f3 "$us")"
  printf '| env change, `fleet sync` (max_unavailable 1) returns | %s | %s | %s |\n' \
    "$(f3 "$(med upd_fleet_ret)")" "$(r2 "$(med upd_fleet_ret)" "$us")" "${PROCS[upd_fleet]:--}"
  printf '| env change, `fleet sync` (max_unavailable 1), until every task runs the new spec | %s | %s | - |\n' \
    "$(f3 "$(med upd_fleet_run)")" "$(r2 "$(med upd_fleet_run)" "$us")"
  printf '| env change, `fleet sync` (max_unavailable 100%%) returns | %s | %s | %s |\n' \
    "$(f3 "$(med upd_fleet_all_ret)")" "$(r2 "$(med upd_fleet_all_ret)" "$us")" "${PROCS[upd_fleet_all]:--}"
  printf '| env change, `fleet sync` (max_unavailable 100%%), until every task runs the new spec | %s | %s | - |\n\n' \
    "$(f3 "$(med upd_fleet_all_run)")" "$(r2 "$(med upd_fleet_all_run)" "$us")"
  printf 'Medians of %s (no-op) / %s (cold create) / %s (env change). docker procs: the `+ docker` lines of `fleet -v` (the lock'"'"'s config create/rm included; a no-op takes no lock). Runs (s):\n\n' "$REPS" "$COLD_REPS" "$UPD_REPS"
  local k
  for k in cold_stack_run cold_fleet_ret cold_fleet_run cold_fleet_wait noop_stack noop_floor noop_fleet upd_stack_run upd_fleet_ret upd_fleet_run upd_fleet_all_ret upd_fleet_all_run; do
    printf -- '- %s: %s\n' "$k" "${T[$k]:-}"
  done
  printf '\nThe floor'"'"'s calls alone (median s): service ls %s, service inspect (%s, batched) %s, service ps %s, node ls %s, image inspect %s.\n' \
    "${one[ls]}" "$N" "${one[inspect]}" "${one[ps]}" "${one[node]}" "${one[image]}"
  printf 'A fleet no-op'"'"'s docker calls: %s; mutations among them: %s.\n\n' "$noop_calls" "$mutations"
  tn=$(echo "1.2 * $nf" | bc -l)
  printf '## Targets\n\n| target | limit s | fleet s | met |\n|---|---|---|---|\n'
  printf '| no-op <= 1.2 x the floor | %s | %s | %s |\n' "$(f3 "$tn")" "$(f3 "$nfl")" "$(ok "$nfl" "$tn")"
  printf '| no-op <= stack deploy'"'"'s no-op | %s | %s | %s |\n' "$(f3 "$ns")" "$(f3 "$nfl")" "$(ok "$nfl" "$ns")"
  tc=$(echo "1.2 * $cs" | bc -l) tu=$(echo "1.2 * $us" | bc -l)
  printf '| cold create until every task runs <= 1.2 x stack deploy | %s | %s | %s |\n' "$(f3 "$tc")" "$(f3 "$(med cold_fleet_run)")" "$(ok "$(med cold_fleet_run)" "$tc")"
  printf '| env change until every task runs <= 1.2 x stack deploy (max_unavailable 1, the default) | %s | %s | %s |\n' "$(f3 "$tu")" "$(f3 "$(med upd_fleet_run)")" "$(ok "$(med upd_fleet_run)" "$tu")"
  printf '| env change until every task runs <= 1.2 x stack deploy (max_unavailable 100%%) | %s | %s | %s |\n' "$(f3 "$tu")" "$(f3 "$(med upd_fleet_all_run)")" "$(ok "$(med upd_fleet_all_run)" "$tu")"
  if [ -s "$failures" ]; then
    printf '\n## fleet failures\n\n'
    cat "$failures"
  fi
}
report | tee "$OUT"
