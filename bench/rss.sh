#!/usr/bin/env bash
# fleet's own peak RSS (VmHWM, printed by fleet under FLEET_BENCH_RSS) for a
# no-op `fleet sync` of N running containers, on the engine DOCKER_HOST
# names: nothing else is asked of it, so it can be the tests' own engine
# (bench/run.sh works on the default engine and needs docker-compose).
#
# Usage: DOCKER_HOST=unix:///run/fleet-test-m/docker.sock bash bench/rss.sh [N ...] [-- FLEET_BINARY ...]
#   N defaults to 200 1000; the binaries default to a release build of this
#   checkout. With several binaries (e.g. before and after a change), each
#   measures the same containers, taking turns inside every repetition.
#   REPS (default 5): no-op syncs per binary and N; the median is printed.
# FAKE=1 (no DOCKER_HOST needed): no engine at all; fleet runs a fake
# docker (`--docker`, a script in the work dir) that prints, for `ps`,
# `inspect` and `image inspect`, N containers made from the Docker 20.10
# capture fixtures/inspect/running.json (~7 kB each, as the real engine's),
# matching the config. Measures the same parse; not the engine's timing.
# The containers are `fleet-demo:busybox` running `sleep infinity`
# (scripts/test-engine.sh builds the image), project `bench-rss`, on a
# network `bench-rss` of its own (a /20: the test engine's bridge is a /24,
# too small for 1000), created by the first binary's sync; containers and
# network are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
FAKE=${FAKE:-}
[ -n "$FAKE" ] || [ -n "${DOCKER_HOST:-}" ] || {
  echo "bench/rss.sh: set DOCKER_HOST (bash scripts/test-engine.sh start prints the tests' engine's)" >&2
  exit 2
}
sizes=() fleets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; fleets=("$@"); break ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(200 1000)
if [ ${#fleets[@]} -eq 0 ]; then
  cargo build --release --quiet
  fleets=("$PWD/target/release/fleet")
fi
REPS=${REPS:-5}
IMAGE=fleet-demo:busybox
PROJECT=bench-rss
work=$(mktemp -d)
export FLEET_LOCK_DIR="$work"
# The fake engine: every command reads the files `fake_engine` writes.
if [ -n "$FAKE" ]; then
  cat >"$work/docker" <<'FAKE_DOCKER'
#!/usr/bin/env bash
dir=$(dirname "$0")
case "$1 $2" in
  "ps "*) cat "$dir/ps.txt" 2>/dev/null || true ;;
  "inspect "*) cat "$dir/inspect.json" ;;
  "image inspect") cat "$dir/image.txt" ;;
  "events "*) ;;
  *) echo "fake docker: $*" >&2; exit 1 ;;
esac
FAKE_DOCKER
  chmod +x "$work/docker"
  export FLEET_DOCKER="$work/docker"
  docker() { :; }
fi
# N containers matching config $2 (its hash from a `-v` plan of it), made
# from the Docker 20.10 capture, each under its own ID, name and labels.
fake_engine() {
  local n=$1 cfg=$2
  rm -f "$work/ps.txt"
  printf 'sha256:141cf9325e795abbb30a93f42390f168d3d100dacb11e9afdfc916340171021a\t["PATH=/bin"]\n' >"$work/image.txt"
  : >"$work/inspect.json"
  local hash
  hash=$("${fleets[0]}" -c "$cfg" -v sync 2>&1 | grep -o 'fleet.config-hash=[^ ]*' | head -1 | cut -d= -f2-) || true
  [ -n "$hash" ] || { echo "bench/rss.sh: could not read the config's hash" >&2; exit 1; }
  python3 - "$n" "$cfg" "$hash" "$work" <<'GEN'
import hashlib, json, sys
n, cfg, hash_, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
types = json.load(open(cfg))["types"]
tmpl = json.load(open("fixtures/inspect/running.json"))[0]
old_id = tmpl["Id"]
text = json.dumps(tmpl, indent=4)
docs, ps = [], []
for t in sorted(types, key=lambda t: int(t[1:])):
    for i in range(1, types[t]["instances"] + 1):
        name = f"{t}-default" if i == 1 else f"{t}-{i}"
        cid = hashlib.sha256(name.encode()).hexdigest()
        c = json.loads(text.replace(old_id, cid))
        c["Name"] = "/" + name
        c["Config"]["Image"] = "fleet-demo:busybox"
        c["Config"]["Labels"] = {"fleet.config-hash": hash_, "fleet.instance": str(i),
                                 "fleet.project": "bench-rss", "fleet.type": t}
        c["Config"]["Env"] = None
        docs.append(json.dumps(c, indent=4))
        joined = ",".join(f"{k}={v}" for k, v in c["Config"]["Labels"].items())
        ps.append(f"{cid}\t{name}\t{json.dumps(joined)}\n")
assert len(docs) == n, (len(docs), n)
open(f"{work}/inspect.json", "w").write("[\n" + ",\n".join(docs) + "\n]\n")
open(f"{work}/ps.txt", "w").write("".join(ps))
GEN
}
remove_all() {
  local ids
  ids=$(docker ps -aq --filter "label=fleet.project=$PROJECT")
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
}
# The engine may still be releasing the endpoints of containers just removed.
remove_network() {
  for _ in 1 2 3 4 5; do
    docker network rm "$PROJECT" >/dev/null 2>&1 && return
    docker network inspect "$PROJECT" >/dev/null 2>&1 || return 0
    sleep 1
  done
  # Docker 20.10 can keep counting endpoints of removed containers.
  echo "bench/rss.sh: network $PROJECT left in place (the engine says it has active endpoints); the next run reuses it" >&2
}
if [ -n "$FAKE" ]; then
  trap 'rm -rf "$work"' EXIT
else
  trap 'remove_all; remove_network; rm -rf "$work"' EXIT
  docker network inspect "$PROJECT" >/dev/null 2>&1 ||
    docker network create --subnet 10.233.0.0/20 "$PROJECT" >/dev/null
fi
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

if [ -n "$FAKE" ]; then
  printf 'fake engine (FAKE=1: fixtures/inspect/running.json, %s bytes a container), %s cores; %s no-op syncs per figure (median)\n\n' \
    "$(python3 -c 'import json,sys; print(len(json.dumps(json.load(open(sys.argv[1]))[0], indent=4)))' fixtures/inspect/running.json)" "$(nproc)" "$REPS"
else
  printf 'engine %s, docker CLI %s, %s cores; %s no-op syncs per figure (median)\n\n' \
    "$(docker version --format '{{.Server.Version}}')" "$(docker version --format '{{.Client.Version}}')" "$(nproc)" "$REPS"
fi
printf '| N | fleet | peak RSS (kB) | min–max |\n|---|---|---|---|\n'
for N in "${sizes[@]}"; do
  cfg="$work/agents-$N.json"
  # One type holds at most 100 instances: split N over types b0, b1, …
  types="" left=$N i=0
  while [ "$left" -gt 0 ]; do
    n=$(( left > 100 ? 100 : left ))
    types+="${types:+, }\"b$i\": { \"image\": \"$IMAGE\", \"command\": [\"sleep\", \"infinity\"], \"instances\": $n, \"network\": \"$PROJECT\" }"
    left=$(( left - n )); i=$(( i + 1 ))
  done
  printf '{ "project": "%s", "types": { %s } }\n' "$PROJECT" "$types" > "$cfg"
  if [ -n "$FAKE" ]; then
    fake_engine "$N" "$cfg"
  else
    remove_all
    "${fleets[0]}" -c "$cfg" --quiet sync >/dev/null 2>"$work/err" || {
      echo "bench/rss.sh: creating $N containers failed:" >&2; tail -5 "$work/err" >&2; exit 1
    }
    running=$(docker ps -q --filter "label=fleet.project=$PROJECT" --filter status=running | wc -l)
    [ "$running" -eq "$N" ] || { echo "bench/rss.sh: expected $N running, found $running" >&2; exit 1; }
  fi
  got=()
  for _ in $(seq "$REPS"); do
    for k in "${!fleets[@]}"; do
      f=${fleets[$k]}
      out=$(FLEET_BENCH_RSS=1 "$f" -c "$cfg" sync 2>&1 >"$work/out")
      grep -q "^\[agents-sync\] unchanged:" "$work/out" && ! grep -qv "^\[agents-sync\] unchanged:" "$work/out" || {
        echo "bench/rss.sh: $f: not a no-op:" >&2; cat "$work/out" >&2; exit 1
      }
      got[$k]+="$(awk '/^fleet-peak-rss:/ {print $2}' <<<"$out") "
    done
  done
  for k in "${!fleets[@]}"; do
    vals=$(tr ' ' '\n' <<<"${got[$k]}" | grep .)
    printf '| %s | %s | %s | %s–%s |\n' "$N" "${fleets[$k]}" "$(median <<<"$vals")" \
      "$(sort -n <<<"$vals" | head -1)" "$(sort -n <<<"$vals" | tail -1)"
  done
done
