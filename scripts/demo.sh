#!/usr/bin/env bash
# Runs `fleet sync` on the bundled example fleet (config/agents.json), making
# what it needs locally: the Docker engine if none answers, and the
# fleet-demo:busybox image from the host's busybox (no registry needed).
# Then kills two agents (Exited 137, the bug fleet was born from) and syncs
# again to show them started, and dispatches work with `fleet exec`: into a
# stopped agent (started first, never a hang) and into any idle member.
# Remove the demo with:
#   target/release/fleet down -t 0 && docker rm -f $(docker ps -aq --filter label=fleet.project=fleet-demo)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/engine.sh
cargo build --release --quiet
fleet=target/release/fleet
echo "\$ fleet sync"
"$fleet" sync
echo
echo "\$ docker kill coder-2 reviewer-default   # as a crash or an engine restart leaves them: Exited (137)"
docker kill coder-2 reviewer-default >/dev/null
echo "\$ fleet plan"
"$fleet" plan
echo
echo "\$ fleet sync"
"$fleet" sync
echo
echo "\$ fleet status"
"$fleet" status
echo
echo "\$ docker kill coder-3; fleet exec coder-3 -- sh -c 'echo \"work done in \$(hostname)\"'   # a stopped agent is started first"
docker kill coder-3 >/dev/null
"$fleet" exec coder-3 -- sh -c 'echo "work done in $(hostname)"'
echo "\$ fleet exec coder -- sh -c 'exit 7'; echo \$?   # any ready, idle coder; the command's exit status"
set +e
"$fleet" exec coder -- sh -c 'exit 7'
echo "$?"
set -e
