#!/usr/bin/env bash
# Checks the operator files: the systemd units pass `systemd-analyze verify`
# (with ExecStart pointed at the freshly built binary, since verify insists
# the program exists), none of them stops containers, and the justfile
# parses (`just --summary`; just comes from PyPI's rust-just wheel into a
# cached venv when it is not installed).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="$PWD/target/release/fleet"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for u in units/*.service units/*.timer; do
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
if grep -nE '^\s*(ExecStop|ExecStopPost)\s*=' units/*.service; then
  echo "[check-units] a unit has ExecStop/ExecStopPost: agent containers must outlive the service" >&2
  exit 1
fi

just=$(command -v just || true)
if [ -z "$just" ]; then
  venv="${XDG_CACHE_HOME:-$HOME/.cache}/fleet-tools/venv"
  if [ ! -x "$venv/bin/just" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet rust-just
  fi
  just="$venv/bin/just"
fi
"$just" --summary >/dev/null
echo "[check-units] justfile parses: $("$just" --summary)"
