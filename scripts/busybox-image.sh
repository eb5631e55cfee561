#!/usr/bin/env bash
# Makes the local `fleet-demo:busybox` image (or the tag given) from the
# host's busybox-static, with no registry: a root filesystem of busybox and
# the applets the tests and the demo use, imported by the CLI given.
#   bash scripts/busybox-image.sh CLI [TAG]     e.g. docker, or the tests' podman wrapper
# The CLI reaches whichever engine its environment names (DOCKER_HOST…).
set -euo pipefail
cli=${1:?usage: busybox-image.sh CLI [TAG]}
tag=${2:-fleet-demo:busybox}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin"
cp /bin/busybox "$root/bin/busybox"
for applet in sh sleep true false cat echo env; do ln -s busybox "$root/bin/$applet"; done
tar -C "$root" -c . | "$cli" import --change 'ENV PATH=/bin' - "$tag" >/dev/null
