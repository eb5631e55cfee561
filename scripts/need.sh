#!/usr/bin/env bash
# Installs (apt-get) the Debian packages whose command is missing, without
# starting any service: installing docker.io must not start the host's
# engine, so a policy-rc.d answering 101 is in place for the install.
#   bash scripts/need.sh COMMAND:PACKAGE …
# COMMAND is a name on PATH or an absolute path; an empty one (`:PACKAGE`)
# means the caller found it missing.
set -euo pipefail
need=()
for pair in "$@"; do
  cmd=${pair%%:*} pkg=${pair#*:}
  case "$cmd" in
    "") ;;
    /*) [ -x "$cmd" ] && continue ;;
    *) command -v "$cmd" >/dev/null 2>&1 && continue ;;
  esac
  need+=("$pkg")
done
[ ${#need[@]} -gt 0 ] || exit 0
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
echo "[need] installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d ours=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 0755 "$policy"
  ours=1
fi
code=0
{ apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } </dev/null || code=$?
[ -z "$ours" ] || rm -f "$policy"
[ "$code" -eq 0 ] || { echo "[need] apt-get install ${need[*]} failed" >&2; exit 1; }
