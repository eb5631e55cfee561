#!/usr/bin/env bash
# Fault injection on a real engine (the tests' own, from
# scripts/test-engine.sh; the host's dockerd is never touched): dockerd and
# its containerd are killed (SIGKILL) in the middle of a sync of many
# containers, once during a cold create and once during a recreate of the
# whole fleet; then right after each step of a recreate's swap (create,
# stop, start, rm, rename). Once the engine is back, the next `fleet sync`
# must converge: every agent running with the config's spec, no duplicate
# and no leftover `*.fleet-next`, and a second sync changes nothing.
#
# Kills and restarts the test engine, so it runs alone (scripts/test.sh
# calls it before the test suite). Usage: bash scripts/fault-scenario.sh
scenario=fault-scenario project=fault-scenario
source "$(dirname "$0")/scenario-lib.sh"
N=30
export FLEET_TIMEOUT=30
trap 'cleanup; docker rm -f fault-scenario-marker >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cleanup

write_config() {
  cat > "$cfg" <<JSON
{ "project": "$project",
  "types": { "fs": { "image": "fleet-demo:busybox", "command": ["sleep", "infinity"],
                     "instances": $N, "env": { "GENERATION": "$1" } } } }
JSON
}

# Runs a recreate with a docker CLI that kills the engine right after the
# first `docker <verb>` of the run returned, then starts the engine again.
kill_engine_after() {
  local verb=$1 wrapper="$work/docker-kills-engine-after-$1"
  cat > "$wrapper" <<SH
#!/bin/sh
docker "\$@"; rc=\$?
if [ "\$1" = $verb ] && mkdir "$work/killed-after-$verb" 2>/dev/null; then
  bash "$PWD/scripts/test-engine.sh" kill >/dev/null 2>&1
fi
exit \$rc
SH
  chmod +x "$wrapper"
  set +e
  "$FLEET" -c "$cfg" --jobs 1 --docker "$wrapper" sync >"$work/swap.out" 2>"$work/swap.err"
  local code=$?
  set -e
  [ -d "$work/killed-after-$verb" ] || fail "the swap never ran docker $verb: $(cat "$work/swap.err")"
  log "engine killed right after docker $verb; the sync exited $code"
  engine_ctl start >/dev/null
  log "engine back; containers: $(docker ps -a --filter "label=fleet.project=$project" --format '{{.Names}}:{{.State}}' | sort | tr '\n' ' ')"
}

# Starts a sync in the background, kills the engine once the sync has created
# a few containers (counted after a marker container made just before),
# waits for the sync to give up, starts the engine again.
kill_engine_during_sync() {
  local what=$1
  docker rm -f fault-scenario-marker >/dev/null 2>&1 || true
  docker create --name fault-scenario-marker fleet-demo:busybox true >/dev/null
  "$FLEET" -c "$cfg" sync >"$work/interrupted.out" 2>"$work/interrupted.err" &
  local sync_pid=$!
  for _ in $(seq 1 400); do
    n=$(docker ps -aq --filter since=fault-scenario-marker --filter "label=fleet.project=$project" 2>/dev/null | wc -l)
    [ "$n" -ge 3 ] && break
    sleep 0.05
  done
  log "$what: $n containers made so far; killing the engine with SIGKILL"
  engine_ctl kill
  set +e; wait "$sync_pid"; local code=$?; set -e
  log "the interrupted sync exited $code; its last words: $(tail -1 "$work/interrupted.err")"
  [ "$code" -ne 0 ] || log "(it finished before the engine died; the checks below still hold)"
  # Start it again as systemd or a reboot would: on the state the crash
  # left (the shims of the containers that outlived it included).
  engine_ctl start >/dev/null
  docker rm -f fault-scenario-marker >/dev/null 2>&1 || true
  log "engine back; containers by state: $(docker ps -a --filter "label=fleet.project=$project" --format '{{.State}}' | sort | uniq -c | tr -s ' \n' ' ')"
  log "leftover replacements: $(docker ps -a --filter "label=fleet.project=$project" --format '{{.Names}}' | grep -c '\.fleet-next$' || true)"
}

check_converged() {
  local gen=$1
  out=$("$FLEET" -c "$cfg" sync) || { echo "$out"; fail "the repairing sync failed"; }
  echo "$out" | sed 's/^/  /'
  local total running leftovers wrong
  total=$(docker ps -aq --filter "label=fleet.project=$project" | wc -l)
  running=$(docker ps -q --filter "label=fleet.project=$project" --filter status=running | wc -l)
  leftovers=$(docker ps -a --filter "label=fleet.project=$project" --format '{{.Names}}' | grep -c '\.fleet-next$' || true)
  wrong=$(docker ps -aq --filter "label=fleet.project=$project" | xargs -r docker inspect --format '{{json .Config.Env}}' | grep -vc "GENERATION=$gen" || true)
  [ "$total" -eq "$N" ] || fail "expected $N containers, found $total"
  [ "$running" -eq "$N" ] || fail "expected $N running, found $running"
  [ "$leftovers" -eq 0 ] || fail "$leftovers leftover replacements"
  [ "$wrong" -eq 0 ] || fail "$wrong containers without GENERATION=$gen"
  second=$("$FLEET" -c "$cfg" sync)
  if grep -qE '^\[agents-sync\] (created|started|recreated|removed|failed)' <<<"$second"; then
    fail "a second sync still changed something: $second"
  fi
  log "converged: $N running with GENERATION=$gen, no leftovers; a second sync changes nothing"
}

log "phase 1: cold create of $N, engine killed part-way"
write_config 1
kill_engine_during_sync "cold create"
check_converged 1

log "phase 2: recreate of all $N (env changed), engine killed part-way"
write_config 2
kill_engine_during_sync "recreate"
check_converged 2

log "phase 3: the engine killed right after each step of a swap"
N=2
round=0
for verb in create stop start rm rename; do
  round=$((round + 1))
  write_config "swap-$round"
  "$FLEET" -c "$cfg" sync >/dev/null || fail "the sync before the swap failed"
  write_config "swap-$round-next"
  kill_engine_after "$verb"
  check_converged "swap-$round-next"
done
