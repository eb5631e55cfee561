#!/usr/bin/env bash
# Hosts benchmark (issue 12, "Targets"), on the multi-host test rig
# (scripts/test-hosts.sh: three test engines, an sshd on 127.0.0.1 with one
# port per engine, sshd's default MaxStartups 10:30:100 / MaxSessions 10).
#
# Sections 1-3 run plain docker: the floors section 4 (fleet itself, with
# `hosts` in agents.json) is judged against. A fleet without `hosts`
# support makes section 4 print "skipped" and say why.
#
#   1. one `docker ps` (median of REPS): local socket; over ssh with a new
#      connection per call; over a shared connection (ControlMaster, warm);
#      through an `ssh -N -L` forward of the engine socket; and a bare
#      `ssh HOST true` (the handshake alone).
#   2. PAR (30) `docker ps` at once on one host over ssh, ROUNDS times, per
#      transport: failed calls, SSH handshakes sshd saw, connections sshd
#      dropped "past MaxStartups", sessions refused ("no more sessions",
#      MaxSessions), and the docker CLI's error messages.
#   3. the no-op floor of N containers (plain `docker create`, not fleet's):
#      `docker ps -a --filter` + one `docker inspect` of all + one
#      `docker image inspect`, as bench/run.sh defines it; N on one host,
#      and N spread over 3 hosts (the hosts in parallel), locally, over ssh
#      with new connections, over ssh with one shared connection per host
#      opened inside the measurement (= one handshake per host), and warm.
#   4. fleet: `fleet sync` no-op of N agents (a) locally, no
#      `hosts` (as today), DOCKER_HOST = engine 1's socket, (b) one host
#      over ssh, (c) spread over 3 hosts over ssh (`hosts` in agents.json,
#      type field `hosts`), PATH = the rig's plain ssh wrapper (connection
#      sharing is fleet's job); median of REPS_FLEET, docker processes of a
#      no-op (`fleet -v`), ssh processes it started (the rig's ssh wrapper
#      log) and SSH handshakes per host (sshd's log), and the
#      targets: ssh 1 host <= local no-op + one handshake + the local no-op's
#      docker calls at the shared-connection cost, i.e.
#        T_local + t_handshake + procs_local * (t_shared - t_local_call);
#      3 hosts <= 1.3 * 1 host.
#
# Usage: bash bench/hosts.sh [N]          (N default 50)
#   REPS (10), REPS_FLEET (5), PAR (30), ROUNDS (3); KEEP_RIG=1 leaves the rig
#   running. The rig's dirs default to the bench's own (engine 1
#   /run/fleet-test-bench1, rig /run/fleet-test-bench, engines
#   /run/fleet-test-bench2 and 3); FLEET_TEST_ENGINE_DIR/DATA and
#   FLEET_TEST_HOSTS_DIR/DATA choose others. A rig already running is used
#   and left running; one the bench starts is stopped at the end.
#   FLEET=path/to/fleet skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
REPS=${REPS:-10} REPS_FLEET=${REPS_FLEET:-5} PAR=${PAR:-30} ROUNDS=${ROUNDS:-3}
export FLEET_TEST_ENGINE_DIR=${FLEET_TEST_ENGINE_DIR:-/run/fleet-test-bench1}
export FLEET_TEST_ENGINE_DATA=${FLEET_TEST_ENGINE_DATA:-/var/lib/fleet-test-bench1}
export FLEET_TEST_HOSTS_DIR=${FLEET_TEST_HOSTS_DIR:-/run/fleet-test-bench}
export FLEET_TEST_HOSTS_ENGINES=3
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION FLEET_DOCKER FLEET_CONFIG
IMAGE=fleet-demo:busybox
LBL=fleet-bench-hosts
log() { printf '[bench-hosts] %s\n' "$*" >&2; }
command -v bc >/dev/null 2>&1 || bash scripts/need.sh bc:bc

work=$(mktemp -d)
rig_was_up=
bash scripts/test-hosts.sh env >/dev/null 2>&1 && rig_was_up=1
bash scripts/test-hosts.sh start > "$work/env"
while IFS='=' read -r k v; do printf -v "$k" '%s' "$v"; done < "$work/env"
[ "$FLEET_TEST_HOSTS_ENGINES" -ge 3 ] || { log "the rig in $FLEET_TEST_HOSTS_DIR runs $FLEET_TEST_HOSTS_ENGINES engines; 3 needed"; exit 1; }
export DOCKER_CONFIG=$FLEET_TEST_HOSTS_DOCKER_CONFIG
RIG=$FLEET_TEST_HOSTS_DIR
H=(1 2 3)
sock() { local v="FLEET_TEST_HOST$1_DOCKER_HOST"; echo "${!v}"; }
sshurl() { local v="FLEET_TEST_HOST$1_SSH"; echo "${!v}"; }
port() { local v="FLEET_TEST_HOST$1_SSH_PORT"; echo "${!v}"; }
enginesock() { local s; s=$(sock "$1"); echo "${s#unix://}"; }

fwd_pids=()
cleanup() {
  set +e
  for k in "${H[@]}"; do
    ids=$(docker -H "$(sock "$k")" ps -aq --filter "label=$LBL" 2>/dev/null)
    [ -z "$ids" ] || docker -H "$(sock "$k")" rm -f $ids >/dev/null 2>&1
    for p in bench-hosts-local bench-hosts-ssh1 bench-hosts-ssh3; do
      ids=$(docker -H "$(sock "$k")" ps -aq --filter "label=fleet.project=$p" 2>/dev/null)
      [ -z "$ids" ] || docker -H "$(sock "$k")" rm -f $ids >/dev/null 2>&1
    done
  done
  [ ${#fwd_pids[@]} -eq 0 ] || kill "${fwd_pids[@]}" 2>/dev/null
  close_masters
  [ -n "$rig_was_up" ] || [ -n "${KEEP_RIG:-}" ] || bash scripts/test-hosts.sh stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'; }
calc() { echo "$*" | bc -l | awk '{ printf "%.1f\n", $1 }'; }

# The docker CLI on host k through a transport: local | new | shared | fwd.
dk() {
  local mode=$1 k=$2; shift 2
  case "$mode" in
    local) docker -H "$(sock "$k")" "$@" ;;
    new) PATH="$FLEET_TEST_HOSTS_PATH:$PATH" DOCKER_HOST=$(sshurl "$k") docker "$@" ;;
    shared | shared-cold | shared-warm) PATH="$FLEET_TEST_HOSTS_PATH_SHARED:$PATH" DOCKER_HOST=$(sshurl "$k") docker "$@" ;;
    fwd) docker -H "unix://$work/fwd$k.sock" "$@" ;;
  esac
}
close_masters() {
  local s
  for s in "$RIG"/cm/*; do
    [ -S "$s" ] || continue
    /usr/bin/ssh -F "$RIG/ssh_config_shared" -o ControlPath="$s" -O exit rig >/dev/null 2>&1 || true
  done
}
open_master() { dk shared "$1" ps >/dev/null; }
open_forward() { # one `ssh -N -L` per host: the engine socket as a local socket
  local k=$1
  rm -f "$work/fwd$k.sock"
  "$FLEET_TEST_HOSTS_PATH/ssh" -N -o ExitOnForwardFailure=yes -o StreamLocalBindUnlink=yes \
    -L "$work/fwd$k.sock:$(enginesock "$k")" -p "$(port "$k")" 127.0.0.1 </dev/null &
  fwd_pids+=($!)
  for _ in $(seq 1 50); do [ -S "$work/fwd$k.sock" ] && return 0; sleep 0.1; done
  log "the forward to host $k did not come up"; exit 1
}
sshd_lines() { wc -l < "$FLEET_TEST_HOSTS_SSHD_LOG"; }
# Handshakes sshd saw on host k's port since log line $2.
handshakes() { tail -n +"$(($2 + 1))" "$FLEET_TEST_HOSTS_SSHD_LOG" | grep -cE "^.*Connection from 127\.0\.0\.1 port [0-9]+ on 127\.0\.0\.1 port $(port "$1") " || true; }
sshd_count() { tail -n +"$(($1 + 1))" "$FLEET_TEST_HOSTS_SSHD_LOG" | grep -c -- "$2" || true; }

# One timed call (ms); the bench fails if the call does.
timed() {
  local s=$EPOCHREALTIME
  "$@" >/dev/null 2>"$work/err" || { log "failed: $*"; cat "$work/err" >&2; exit 1; }
  ms_since "$s"
}

printf '# fleet hosts benchmark, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
printf 'machine: %s cores, %s, load average %s; engines %s (3 test engines), docker CLI %s, %s\n' \
  "$(nproc)" "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$(dk local 1 version --format '{{.Server.Version}}')" "$(dk local 1 version --format '{{.Client.Version}}')" \
  "$(/usr/bin/ssh -V 2>&1 | cut -d, -f1)"
printf 'sshd on 127.0.0.1, defaults MaxStartups 10:30:100, MaxSessions 10; client kex curve25519-sha256 first\n\n'

# --- 1. one call -------------------------------------------------------------
log "1. one docker ps, median of $REPS"
for k in "${H[@]}"; do open_forward "$k"; done
open_master 1
declare -A one
for mode in local new shared fwd; do
  xs=(); for _ in $(seq "$REPS"); do xs+=("$(timed dk "$mode" 1 ps)"); done
  one[$mode]=$(printf '%s\n' "${xs[@]}" | median)
done
xs=(); for _ in $(seq "$REPS"); do xs+=("$(timed "$FLEET_TEST_HOSTS_PATH/ssh" -p "$(port 1)" 127.0.0.1 true)"); done
one[ssh]=$(printf '%s\n' "${xs[@]}" | median)
one[handshake]=$(calc "${one[new]} - ${one[shared]}")
printf '## 1. one `docker ps` (ms, median of %s)\n\n| transport | ms |\n|---|---|\n' "$REPS"
printf '| local socket | %s |\n' "${one[local]}"
printf '| ssh, new connection per call | %s |\n' "${one[new]}"
printf '| ssh, shared connection (ControlMaster, warm) | %s |\n' "${one[shared]}"
printf '| ssh -N -L forward of the engine socket (warm) | %s |\n' "${one[fwd]}"
printf '| bare `ssh host true` (a handshake + a session) | %s |\n' "${one[ssh]}"
printf '| what a handshake adds to a call (new - shared) | %s |\n\n' "${one[handshake]}"

# --- 2. parallel calls -----------------------------------------------------
log "2. $PAR docker ps at once on host 1, $ROUNDS rounds per transport"
printf '## 2. %s `docker ps` at once on one host over ssh, %s rounds\n\n' "$PAR" "$ROUNDS"
printf '| transport | failed calls | SSH handshakes | dropped past MaxStartups | sessions refused (MaxSessions) |\n|---|---|---|---|---|\n'
: > "$work/messages"
for mode in new shared-cold shared-warm fwd; do
  failed=0 hs=0 drops=0 refused=0
  for _ in $(seq "$ROUNDS"); do
    case "$mode" in shared-cold) close_masters ;; shared-warm) open_master 1 ;; esac
    mark=$(sshd_lines)
    d="$work/par"; rm -rf "$d"; mkdir -p "$d"
    pids=()
    for i in $(seq "$PAR"); do
      ( dk "$mode" 1 ps >/dev/null 2>"$d/err.$i"; echo $? > "$d/rc.$i" ) &
      pids+=($!)
    done
    wait "${pids[@]}" # not a bare wait: the forwards run in the background too
    failed=$((failed + $(cat "$d"/rc.* | grep -cvx 0 || true)))
    sleep 0.2
    hs=$((hs + $(handshakes 1 "$mark")))
    drops=$((drops + $(sshd_count "$mark" 'past MaxStartups')))
    refused=$((refused + $(sshd_count "$mark" 'no more sessions')))
    cat "$d"/err.* | grep -v '^$' | sed -E "s/^/$mode: /; s/port [0-9]+/port N/g" | cut -c1-400 >> "$work/messages" || true
  done
  printf '| %s | %s of %s | %s | %s | %s |\n' "$mode" "$failed" "$((PAR * ROUNDS))" "$hs" "$drops" "$refused"
done
printf '\nThe docker CLI'"'"'s messages (count, transport: text):\n\n```\n'
if [ -s "$work/messages" ]; then sort "$work/messages" | uniq -c; else echo "(none)"; fi
printf '```\n\n'

# --- 3. no-op floors ---------------------------------------------------------
log "3. creating $N containers on host 1 and $N spread over 3 hosts (plain docker)"
create_set() { # set k count
  local set=$1 k=$2 n=$3 ids=() i
  for i in $(seq "$n"); do
    ids+=("$(dk local "$k" create --label "$LBL=$set" --name "bench-hosts-$set-$k-$i" "$IMAGE" sleep infinity)")
  done
  [ "$n" -eq 0 ] || dk local "$k" start "${ids[@]}" >/dev/null
}
spread() { echo $(( ($N - $1 + 3) / 3 )); } # instances on host k when N are spread
pids=()
create_set one 1 "$N" & pids+=($!)
for k in "${H[@]}"; do create_set spread "$k" "$(spread "$k")" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || { log "creating the floor containers failed"; exit 1; }; done
for k in "${H[@]}"; do
  want=$(spread "$k"); [ "$k" != 1 ] || want=$((want + N))
  got=$(dk local "$k" ps -q --filter "label=$LBL" | wc -l)
  [ "$got" -eq "$want" ] || { log "host $k: $got of $want floor containers run"; exit 1; }
done
floor_host() { # mode set k: the three calls of a no-op
  local ids
  ids=$(dk "$1" "$3" ps -a -q --no-trunc --filter "label=$LBL=$2")
  dk "$1" "$3" inspect $ids >/dev/null
  dk "$1" "$3" image inspect "$IMAGE" >/dev/null
}
floor() { # mode set hosts…
  local mode=$1 set=$2 k; shift 2
  [ "$mode" != shared-cold ] || close_masters
  [ "$mode" != shared-warm ] || for k in "$@"; do open_master "$k"; done
  local s=$EPOCHREALTIME pids=() p
  for k in "$@"; do floor_host "$mode" "$set" "$k" 2>>"$work/floor-err" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || { log "a floor call failed ($mode):"; cat "$work/floor-err" >&2; exit 1; }; done
  ms_since "$s"
}
declare -A fl
for mode in local new shared-cold shared-warm; do
  a=(); b=()
  for _ in $(seq "$REPS"); do
    a+=("$(floor "$mode" one 1)")
    b+=("$(floor "$mode" spread 1 2 3)")
  done
  fl[$mode,1]=$(printf '%s\n' "${a[@]}" | median)
  fl[$mode,3]=$(printf '%s\n' "${b[@]}" | median)
done
printf '## 3. no-op floor of %s containers: ps + inspect of all + image inspect (ms, median of %s)\n\n' "$N" "$REPS"
printf '| containers | local | ssh, new connection per call | ssh, one shared connection per host (opened: 1 handshake/host) | ssh, shared, warm |\n|---|---|---|---|---|\n'
printf '| %s on 1 host | %s | %s | %s | %s |\n' "$N" "${fl[local,1]}" "${fl[new,1]}" "${fl[shared-cold,1]}" "${fl[shared-warm,1]}"
printf '| %s over 3 hosts (in parallel) | %s | %s | %s | %s |\n' "$N" "${fl[local,3]}" "${fl[new,3]}" "${fl[shared-cold,3]}" "${fl[shared-warm,3]}"
r() { calc "$1 / $2" | awk '{printf "%.2f", $1}'; }
printf '| 3 hosts / 1 host | %s | %s | %s | %s |\n\n' "$(r "${fl[local,3]}" "${fl[local,1]}")" "$(r "${fl[new,3]}" "${fl[new,1]}")" \
  "$(r "${fl[shared-cold,3]}" "${fl[shared-cold,1]}")" "$(r "${fl[shared-warm,3]}" "${fl[shared-warm,1]}")"
for k in "${H[@]}"; do
  ids=$(dk local "$k" ps -aq --filter "label=$LBL"); [ -z "$ids" ] || dk local "$k" rm -f $ids >/dev/null
done
close_masters

# --- 4. fleet ----------------------------------------------------------------
printf '## 4. fleet sync no-op of %s agents (s, median of %s)\n\n' "$N" "$REPS_FLEET"
if [ -z "${FLEET:-}" ]; then
  log "4. building fleet (release)"
  cargo build --release --quiet
  FLEET="$PWD/target/release/fleet"
fi
export FLEET_LOCK_DIR="$work/locks"
mkdir -p "$FLEET_LOCK_DIR"
# One type per scenario, named after it: the three share engine 1, where a
# container name is one project's only.
type_json() { # type-name [hosts-list-json]
  printf '"%s": { "image": "%s", "command": ["sleep", "infinity"], "instances": %s, "restart": "no"%s }' \
    "$1" "$IMAGE" "$N" "${2:+, \"hosts\": $2}"
}
printf '{ "project": "bench-hosts-local", "types": { %s } }\n' "$(type_json local)" > "$work/local.json"
printf '{ "project": "bench-hosts-ssh1", "hosts": { "h1": { "docker_host": "%s" } }, "types": { %s } }\n' \
  "$(sshurl 1)" "$(type_json ssh1 '["h1"]')" > "$work/ssh1.json"
printf '{ "project": "bench-hosts-ssh3", "hosts": { "h1": { "docker_host": "%s" }, "h2": { "docker_host": "%s" }, "h3": { "docker_host": "%s" } }, "types": { %s } }\n' \
  "$(sshurl 1)" "$(sshurl 2)" "$(sshurl 3)" "$(type_json ssh3 '["h1", "h2", "h3"]')" > "$work/ssh3.json"
# fleet runs with the rig's plain ssh wrapper first on PATH: sharing a
# connection per host is fleet's own job.
fleet_run() { # scenario fleet-args…
  local sc=$1; shift
  if [ "$sc" = local ]; then
    DOCKER_HOST=$(sock 1) "$FLEET" -c "$work/$sc.json" "$@"
  else
    PATH="$FLEET_TEST_HOSTS_PATH:$PATH" "$FLEET" -c "$work/$sc.json" "$@"
  fi
}
if ! fleet_run ssh1 plan >/dev/null 2>"$work/err"; then
  if grep -qiE 'hosts|unknown field' "$work/err"; then
    printf 'skipped: this fleet (%s) has no `hosts` support yet (issue 12); it said:\n\n```\n%s\n```\n' \
      "$FLEET" "$(head -5 "$work/err")"
    printf '\nTargets to meet, from the floors above: ssh 1 host <= T_local + %s ms + procs_local * (%s - %s) ms; 3 hosts <= 1.3 * 1 host.\n' \
      "${one[handshake]}" "${one[shared]}" "${one[local]}"
    exit 0
  fi
  log "fleet plan failed:"; cat "$work/err" >&2; exit 1
fi
running() { # scenario: running agents of its project over the hosts it uses
  local p="bench-hosts-$1" k n=0
  for k in "${H[@]}"; do n=$((n + $(dk local "$k" ps -q --filter "label=fleet.project=$p" --filter status=running | wc -l))); done
  echo "$n"
}
declare -A t procs hsk
for sc in local ssh1 ssh3; do
  log "4. $sc: cold sync of $N"
  fleet_run "$sc" sync >/dev/null 2>"$work/err" || { log "$sc: sync failed"; cat "$work/err" >&2; exit 1; }
  [ "$(running "$sc")" -ge "$N" ] || { log "$sc: $(running "$sc") of $N agents run after sync"; exit 1; }
done
for sc in local ssh1 ssh3; do t[$sc]=""; done
for _ in $(seq "$REPS_FLEET"); do
  for sc in local ssh1 ssh3; do # interleaved: drift in the machine's state hits all three
    s=$EPOCHREALTIME
    fleet_run "$sc" sync >/dev/null 2>"$work/err" || { log "$sc: no-op sync failed"; cat "$work/err" >&2; exit 1; }
    t[$sc]+="$(awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }') "
  done
done
ssh_calls() { if [ -f "$FLEET_TEST_HOSTS_SSH_LOG" ]; then wc -l < "$FLEET_TEST_HOSTS_SSH_LOG"; else echo 0; fi; }
declare -A sshp
for sc in local ssh1 ssh3; do
  mark=$(sshd_lines) smark=$(ssh_calls)
  procs[$sc]=$(fleet_run "$sc" -v sync 2>&1 >/dev/null | grep -c '^+ ' || true)
  sleep 0.2
  sshp[$sc]=$(($(ssh_calls) - smark))
  hsk[$sc]=""
  [ "$sc" = local ] || for k in "${H[@]}"; do
    [ "$sc" = ssh3 ] || [ "$k" = 1 ] || continue
    hsk[$sc]+="${hsk[$sc]:+ }h$k=$(handshakes "$k" "$mark")"
  done
done
med() { printf '%s\n' ${t[$1]} | median; }
tl=$(med local) t1=$(med ssh1) t3=$(med ssh3)
target1=$(echo "$tl + (${one[handshake]} + ${procs[local]} * (${one[shared]} - ${one[local]})) / 1000" | bc -l)
target3=$(echo "1.3 * $t1" | bc -l)
printf '| scenario | no-op s | docker procs | ssh procs | SSH handshakes per host | target s | met |\n|---|---|---|---|---|---|---|\n'
ok() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo yes; else echo NO; fi; }
printf '| %s agents, local socket (no hosts) | %.3f | %s | %s | - | - | - |\n' "$N" "$tl" "${procs[local]}" "${sshp[local]}"
printf '| %s agents, 1 host over ssh | %.3f | %s | %s | %s | %.3f | %s |\n' "$N" "$t1" "${procs[ssh1]}" "${sshp[ssh1]}" "${hsk[ssh1]}" "$target1" "$(ok "$t1" "$target1")"
printf '| %s agents over 3 hosts over ssh | %.3f | %s | %s | %s | %.3f (1.3 x 1 host) | %s |\n' "$N" "$t3" "${procs[ssh3]}" "${sshp[ssh3]}" "${hsk[ssh3]}" "$target3" "$(ok "$t3" "$target3")"
printf '\ndocker procs: the `+ docker …` lines of one `fleet -v sync` no-op; ssh procs: the ssh processes it started (the rig'"'"'s wrapper log: masters and per-call clients alike); handshakes: what sshd logged.\n'
