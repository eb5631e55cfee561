#!/usr/bin/env bash
# Regenerates the files derived from the code: the JSON Schema of
# agents.json, the shell completions and the man page. A test
# (tests/it/cli.rs) fails when a checked-in copy differs from what the code
# produces; run this after changing the CLI or the config types.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin=target/debug/fleet
mkdir -p schema completions man
"$bin" schema > schema/agents.schema.json
for shell in bash zsh fish elvish powershell; do
  "$bin" completions "$shell" > "completions/fleet.$shell"
done
"$bin" man > man/fleet.1
echo "regenerated schema/, completions/, man/"
