# Operator recipes for fleet. `just` lists them.
# The binary: $FLEET, else a release build in this checkout, else `fleet` on PATH.
fleet := env_var_or_default("FLEET", if path_exists(justfile_directory() / "target/release/fleet") == "true" { justfile_directory() / "target/release/fleet" } else { "fleet" })
config := env_var_or_default("FLEET_CONFIG", justfile_directory() / "config/agents.json")

# List the recipes
default:
    @just --list

# Converge the agents with the config: create, start, recreate, remove
agents-sync *args:
    {{fleet}} -c {{config}} sync {{args}}

# Show what agents-sync would do; changes nothing (--detailed-exitcode: 2 = pending)
plan *args:
    {{fleet}} -c {{config}} plan {{args}}

# Desired against actual, one row a container
status *args:
    {{fleet}} -c {{config}} status {{args}}

# Start every stopped container of the project (pool members included)
containers-up *args:
    {{fleet}} -c {{config}} up {{args}}

# Stop every running container of the project (busy ones are left unless --force)
containers-down *args:
    {{fleet}} -c {{config}} down {{args}}

# Run a command in a ready, idle member of a type (or in the agent so named); its exit status is the command's. e.g. just agent-exec coder busybox uname -a
[positional-arguments]
agent-exec target *cmd:
    t="$1"; shift; {{fleet}} -c {{config}} exec "$t" -- "$@"

# Validate the config without touching docker
check:
    {{fleet}} -c {{config}} check

# Build the release binary
build:
    cargo build --release

# Install the binary and the systemd units (as root): claude-hooks.service, and the optional drift and metrics timers from units/
install: build
    install -m 0755 target/release/fleet /usr/local/bin/fleet
    install -m 0644 claude-hooks.service units/fleet-drift.service units/fleet-drift.timer units/fleet-metrics.service units/fleet-metrics.timer /etc/systemd/system/
    systemctl daemon-reload
    @echo "now: systemctl enable --now claude-hooks.service (and optionally fleet-drift.timer, fleet-metrics.timer)"

# The tests, real engine included
test:
    bash scripts/test.sh
