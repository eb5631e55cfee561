#!/usr/bin/env bash
# The restart story, end to end on a real engine (the tests' own, from
# scripts/test-engine.sh; the host's dockerd is never touched): a fleet runs,
# the Docker engine itself is stopped and started again (as a host reboot
# would), some agents come back `Exited`, and one `fleet sync` (what
# claude-hooks.service runs) brings every agent back running with the same
# container IDs.
#
# Restarts the test engine, so it runs alone (scripts/test.sh calls it
# before the test suite). Usage: bash scripts/restart-scenario.sh
scenario=restart-scenario project=restart-scenario
source "$(dirname "$0")/scenario-lib.sh"
trap 'cleanup; rm -rf "$work"' EXIT
cleanup

# Two kinds of agent: `rs-manual` has restart "no" (the engine never brings
# it back: the production bug's case), `rs-auto` has unless-stopped.
cat > "$cfg" <<JSON
{
  "project": "$project",
  "defaults": { "image": "fleet-demo:busybox", "command": ["sleep", "infinity"] },
  "types": {
    "rs-manual": { "instances": 3, "restart": "no" },
    "rs-auto": { "instances": 2, "restart": "unless-stopped" }
  }
}
JSON

"$FLEET" -c "$cfg" sync
ids_before=$(docker ps -a --no-trunc --filter "label=fleet.project=$project" --format '{{.Names}} {{.ID}}' | sort)

restart_engine() {
  log "stopping the test engine with SIGTERM, as a shutdown does"
  engine_ctl stop
  log "starting it again"
  engine_ctl start >/dev/null
}
restart_engine

log "after the engine restart:"
docker ps -a --filter "label=fleet.project=$project" --format '  {{.Names}}\t{{.Status}}' | sort
exited=$(docker ps -a --filter "label=fleet.project=$project" --filter status=exited --format '{{.Names}}' | sort | tr '\n' ' ')
[ -n "$exited" ] || fail "expected some agents Exited after the engine restart, found none"
log "exited: $exited"

log "fleet plan:"
set +e
"$FLEET" -c "$cfg" plan --detailed-exitcode
plan_code=$?
set -e
[ "$plan_code" -eq 2 ] || fail "plan --detailed-exitcode should exit 2 (changes pending), got $plan_code"

log "fleet sync (what claude-hooks.service runs):"
out=$("$FLEET" -c "$cfg" sync)
echo "$out"
for name in $exited; do
  grep -q "^\[agents-sync\] started: .*\b$name\b" <<<"$out" || fail "$name was not reported started"
done
if grep -qE '^\[agents-sync\] (created|recreated|removed):' <<<"$out"; then fail "sync should only start containers here"; fi

not_running=$(docker ps -a --filter "label=fleet.project=$project" --format '{{.Names}} {{.State}}' | grep -v ' running$' || true)
[ -z "$not_running" ] || fail "not running after sync: $not_running"
ids_after=$(docker ps -a --no-trunc --filter "label=fleet.project=$project" --format '{{.Names}} {{.ID}}' | sort)
[ "$ids_before" = "$ids_after" ] || fail "container IDs changed: before=$ids_before after=$ids_after"

second=$("$FLEET" -c "$cfg" sync)
[ "$second" = "[agents-sync] unchanged: rs-auto-default, rs-auto-2, rs-manual-default, rs-manual-2, rs-manual-3" ] \
  || fail "a second sync should change nothing, got: $second"
log "every agent is running with its container ID unchanged; a second sync changes nothing"
