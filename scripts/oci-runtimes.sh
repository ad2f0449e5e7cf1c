#!/usr/bin/env bash
# Installs extra OCI runtimes from Debian's packages and registers them with the Docker daemon, so
# containers can run under them with SoulBox:Docker:OciRuntime=<name>. Optional: scripts/setup.sh calls
# this only with --runtimes.
#
# Usage: scripts/oci-runtimes.sh runsc[,crun]
#   runsc  gVisor (Debian package runsc): a user-space kernel between the sandbox and the host kernel.
#          Registered with --host-uds=all so the agent's Unix socket in the bind-mounted run directory
#          can cross the gVisor boundary (the silo connects to it from the host), and --network=none:
#          SoulBox sandboxes have no network, and this 2022-12 build refuses Docker's "none" network
#          otherwise ("cannot run with network enabled in root network namespace").
#   crun   crun (Debian package crun): a faster runc-compatible runtime in C.
#
# One step merges every runtime into /etc/docker/daemon.json (keeping whatever else is there) and reloads
# the daemon with SIGHUP (runtimes are reloadable; running containers are not touched). Idempotent.
set -euo pipefail

log() { printf '[runtimes] %s\n' "$*"; }
die() { log "ERROR: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 runsc[,crun]"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

IFS=',' read -r -a WANTED <<<"$1"
declare -A PACKAGE=([runsc]=runsc [crun]=crun)
declare -A ARGS=([runsc]='["--host-uds=all", "--network=none"]' [crun]='[]')
missing=()
for name in "${WANTED[@]}"; do
    [ -n "${PACKAGE[$name]:-}" ] || die "unknown runtime '$name' (known: ${!PACKAGE[*]})"
    command -v "$name" >/dev/null 2>&1 || missing+=("${PACKAGE[$name]}")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian's packages"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Merge {"runtimes": {name: {"path": ..., "runtimeArgs": [...]}}} into daemon.json.
entries=""
for name in "${WANTED[@]}"; do
    entries+="$name $(command -v "$name") ${ARGS[$name]}"$'\n'
done
$SUDO mkdir -p /etc/docker
changed="$(ENTRIES="$entries" $SUDO python3 - <<'PY'
import json, os
path = "/etc/docker/daemon.json"
config = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as f:
        config = json.load(f)
runtimes = config.setdefault("runtimes", {})
before = json.dumps(runtimes, sort_keys=True)
for line in os.environ["ENTRIES"].strip().splitlines():
    name, binary, args = line.split(" ", 2)
    runtimes[name] = {"path": binary, "runtimeArgs": json.loads(args)}
if json.dumps(runtimes, sort_keys=True) != before:
    with open(path + ".tmp", "w") as f:
        json.dump(config, f, indent=2)
    os.replace(path + ".tmp", path)
    print("changed")
PY
)"

if [ "$changed" = "changed" ]; then
    pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "dockerd" ] \
        || die "daemon.json updated, but no running dockerd to reload (start it with scripts/setup.sh)"
    log "reloading dockerd (pid $pid) with SIGHUP"
    $SUDO kill -HUP "$pid"
    for _ in $(seq 1 50); do
        docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"${WANTED[-1]}\"" && break
        sleep 0.1
    done
fi

for name in "${WANTED[@]}"; do
    docker info --format '{{json .Runtimes}}' | grep -q "\"$name\"" || die "dockerd does not list runtime $name"
    log "$name registered ($("$name" --version 2>/dev/null | head -n 1 || echo "version unknown"))"
done
