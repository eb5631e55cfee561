#!/usr/bin/env bash
# Checks the operator files:
# - the systemd units (claude-hooks.service at the top of the repository,
#   the optional fleet-drift.{service,timer} in units/) pass
#   `systemd-analyze verify` (with ExecStart pointed at the freshly built
#   binary, since verify insists the program exists), and none of them
#   stops containers;
# - the justfile parses (`just --summary`; just comes from PyPI's rust-just
#   wheel into a cached venv when it is not installed), and its `install`
#   recipe copies exactly those units, from where they are;
# - every example and good fixture config validates against the JSON Schema
#   `fleet schema` prints (Python's jsonschema, same venv), while a sample of
#   the bad corpus does not.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="$PWD/target/release/fleet"

units=(claude-hooks.service units/*.service units/*.timer)
services=(claude-hooks.service units/*.service)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for u in "${units[@]}"; do
  sed "s#/usr/local/bin/fleet#$bin#g" "$u" > "$tmp/$(basename "$u")"
done
if command -v systemd-analyze >/dev/null 2>&1; then
  (cd "$tmp" && systemd-analyze verify ./*.service ./*.timer)
  echo "[check-units] systemd-analyze verify: ok"
else
  echo "[check-units] systemd-analyze not found; install systemd to verify the units" >&2
  exit 1
fi
# The rule the service was born from: nothing stops the fleet on stop.
if grep -nE '^\s*(ExecStop|ExecStopPost)\s*=' "${services[@]}"; then
  echo "[check-units] a unit has ExecStop/ExecStopPost: agent containers must outlive the service" >&2
  exit 1
fi

venv="${XDG_CACHE_HOME:-$HOME/.cache}/fleet-tools/venv"
if [ ! -x "$venv/bin/just" ] || ! "$venv/bin/python" -c 'import jsonschema' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet rust-just jsonschema
fi
just=$(command -v just || echo "$venv/bin/just")
"$just" --summary >/dev/null
echo "[check-units] justfile parses: $("$just" --summary)"
# `just install` copies exactly the units checked above, from where they are.
installed=$("$just" --show install | sed -n 's#^ *install -m 0644 \(.*\) /etc/systemd/system/$#\1#p' | tr ' ' '\n' | sort)
if [ "$installed" != "$(printf '%s\n' "${units[@]}" | sort)" ]; then
  echo "[check-units] \`just install\` copies [$(echo $installed)], not the units [${units[*]}]" >&2
  exit 1
fi
echo "[check-units] just install copies: $(echo $installed)"

"$bin" schema > "$tmp/schema.json"
cmp -s "$tmp/schema.json" schema/agents.schema.json || { echo "[check-units] schema/agents.schema.json is stale: run scripts/gen-docs.sh" >&2; exit 1; }
"$venv/bin/python" - "$tmp/schema.json" <<'PY'
import json, sys, glob
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
good = ["config/agents.json"] + sorted(glob.glob("fixtures/configs/good/*.json"))
for path in good:
    errors = list(v.iter_errors(json.load(open(path))))
    if errors:
        sys.exit(f"[check-units] {path} does not validate against the schema: {errors[0].message}")
bad = ["instances-too-many", "restart-bad", "unknown-field-type", "label-reserved", "mount-relative",
       "name-uppercase", "env-key-bad", "run-args-name", "cpus-zero", "memory-bad", "workdir-relative",
       "hosts-scheme", "hosts-bad-name", "hosts-unknown-field", "swarm-unknown-field",
       "constraint-no-operator", "constraint-bad-value"]
for name in bad:
    path = f"fixtures/configs/bad/{name}.json"
    if not list(v.iter_errors(json.load(open(path)))):
        sys.exit(f"[check-units] the schema accepts {path}, which fleet rejects")
print(f"[check-units] schema: {len(good)} good configs validate, {len(bad)} bad ones are rejected")
PY
