#!/usr/bin/env bash
# Installs extra OCI runtimes from Debian's packages and registers them with the Docker daemon, so
# containers can run under them with SoulBox:Docker:OciRuntime=<name>. Optional: scripts/setup.sh calls
# this only with --runtimes.
#
# Usage: scripts/oci-runtimes.sh runsc[,crun]
#   crun   crun (Debian package crun): a runc-compatible runtime in C that spends about a third of runc's CPU
#          on a container start. Not SoulBox's default: on a cgroup v1 host it mounts a tmpfs every user may
#          write at /sys/fs/cgroup (README, "Container runtime"). Best effort: when it cannot be installed or
#          cannot run a container here, it is left unregistered (removed if an earlier run registered it)
#          with a warning.
#          crun refuses to run on a hybrid cgroup host (v1 controllers, plus cgroup2 at
#          /sys/fs/cgroup/unified) while any controller is attached to the v2 hierarchy; such a controller
#          that no v1 hierarchy has and that no v2 cgroup uses (e.g. hugetlb here) is mounted as a v1
#          hierarchy of its own, which is where runc already expects it.
#   runsc  gVisor (Debian package runsc): a user-space kernel between the sandbox and the host kernel; use
#          with SoulBox:Docker:OciRuntime=runsc. Registered with --host-uds=all so the agent's Unix socket in
#          the bind-mounted run directory can cross the gVisor boundary (the silo connects to it from the
#          host), and --network=none: SoulBox sandboxes have no network, and this 2022-12 build refuses
#          Docker's "none" network otherwise ("cannot run with network enabled in root network namespace").
#          Required: any failure stops the script.
#
# One step merges the runtimes into /etc/docker/daemon.json (created if missing; every other key kept) and
# reloads the daemon with SIGHUP (runtimes are reloadable; running containers are not touched; the daemon
# is never restarted). Idempotent: a second run changes nothing and does not reload.
#
# Environment:
#   SOULBOX_RUNTIME_PROBE_IMAGE  image the crun check runs `true` in (default debian:bookworm-slim, which
#                                scripts/setup.sh provides); when absent, the check is skipped
set -euo pipefail

log() { printf '[runtimes] %s\n' "$*"; }
die() { log "ERROR: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 runsc[,crun]"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
DAEMON_JSON=/etc/docker/daemon.json
PROBE_IMAGE="${SOULBOX_RUNTIME_PROBE_IMAGE:-debian:bookworm-slim}"

IFS=',' read -r -a REQUESTED <<<"$1"
declare -A PACKAGE=([runsc]=runsc [crun]=crun)
declare -A ARGS=([runsc]='["--host-uds=all", "--network=none"]' [crun]='[]')
# Best effort: a speed-up at most, never needed for isolation.
declare -A BEST_EFFORT=([crun]=1)
for name in "${REQUESTED[@]}"; do
    [ -n "${PACKAGE[$name]:-}" ] || die "unknown runtime '$name' (known: ${!PACKAGE[*]})"
done

# ---------------------------------------------------------------- install
missing=()
for name in "${REQUESTED[@]}"; do
    command -v "$name" >/dev/null 2>&1 || missing+=("${PACKAGE[$name]}")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian's packages"
    { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
        || log "apt-get could not install ${missing[*]}"
fi

WANTED=()   # runtimes to register
DROPPED=()  # best-effort runtimes that cannot work here: unregistered if an earlier run registered them
drop() {
    local name="$1" why="$2"
    [ -n "${BEST_EFFORT[$name]:-}" ] || die "$name: $why"
    log "WARNING: $name not registered: $why"
    DROPPED+=("$name")
}

# ---------------------------------------------------------------- crun on a hybrid cgroup host
# Hybrid: cgroup v1 hierarchies under /sys/fs/cgroup and a cgroup2 mount at /sys/fs/cgroup/unified. crun
# (every version) refuses to start a container while /sys/fs/cgroup/unified/cgroup.controllers is not empty.
# A controller there that no v2 cgroup has enabled can move to a v1 hierarchy of its own (the kernel allows
# it only then); after that crun manages every controller through v1, as runc does.
prepare_hybrid_cgroups() {
    local unified=/sys/fs/cgroup/unified controller
    [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null || true)" != "cgroup2fs" ] || return 0   # pure v2
    [ "$(stat -f -c %T "$unified" 2>/dev/null || true)" = "cgroup2fs" ] || return 0       # pure v1
    for controller in $(cat "$unified/cgroup.controllers"); do
        if grep -qw "$controller" "$unified/cgroup.subtree_control"; then
            log "the cgroup v2 hierarchy uses the $controller controller; it cannot move to a v1 hierarchy"
            return 1
        fi
        log "hybrid cgroups: mounting the $controller controller as a v1 hierarchy at /sys/fs/cgroup/$controller (crun needs none on v2)"
        $SUDO mkdir -p "/sys/fs/cgroup/$controller" \
            && $SUDO mount -t cgroup -o "$controller" cgroup "/sys/fs/cgroup/$controller" \
            || { log "could not mount the $controller controller at /sys/fs/cgroup/$controller"; return 1; }
    done
    [ -z "$(cat "$unified/cgroup.controllers")" ]
}

for name in "${REQUESTED[@]}"; do
    if ! command -v "$name" >/dev/null 2>&1; then
        drop "$name" "not installed (apt-get install ${PACKAGE[$name]} failed)"
    elif [ "$name" = crun ] && ! prepare_hybrid_cgroups; then
        drop crun "this host's hybrid cgroups keep a controller on the v2 hierarchy, which crun does not support"
    else
        WANTED+=("$name")
    fi
done

# ---------------------------------------------------------------- daemon.json
# Sets {"runtimes": {name: {"path": ..., "runtimeArgs": [...]}}} for the wanted runtimes and removes the dropped
# ones; prints "changed" when the file changed. Everything else in the file is kept as it is.
update_daemon_json() {
    local entries="" name
    for name in "${WANTED[@]}"; do
        entries+="set $name $(command -v "$name") ${ARGS[$name]}"$'\n'
    done
    for name in "$@"; do
        entries+="remove $name"$'\n'
    done
    $SUDO mkdir -p "$(dirname "$DAEMON_JSON")"
    ENTRIES="$entries" DAEMON_JSON="$DAEMON_JSON" $SUDO python3 - <<'PY'
import json, os
path = os.environ["DAEMON_JSON"]
config = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as f:
        config = json.load(f)
before = json.dumps(config, sort_keys=True)
had_runtimes = "runtimes" in config
runtimes = config.get("runtimes", {})
for line in os.environ["ENTRIES"].strip().splitlines():
    action, rest = line.split(" ", 1)
    if action == "set":
        name, binary, args = rest.split(" ", 2)
        runtimes[name] = {"path": binary, "runtimeArgs": json.loads(args)}
    else:
        runtimes.pop(rest, None)
if runtimes or had_runtimes:
    config["runtimes"] = runtimes
if json.dumps(config, sort_keys=True) != before:
    with open(path + ".tmp", "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("changed")
PY
}

listed() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"$1\""; }

# Reloads dockerd's configuration (SIGHUP; never a restart: that would stop every running container) and
# waits until its runtimes are as wanted.
reload_dockerd() {
    local pid name ok
    pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "dockerd" ] \
        || die "$DAEMON_JSON updated, but no running dockerd to reload (start it with scripts/setup.sh)"
    log "reloading dockerd (pid $pid) with SIGHUP"
    $SUDO kill -HUP "$pid"
    for _ in $(seq 1 100); do
        ok=1
        for name in "${WANTED[@]}"; do listed "$name" || ok=0; done
        for name in "$@"; do ! listed "$name" || ok=0; done
        [ "$ok" -eq 1 ] && return 0
        sleep 0.1
    done
    die "dockerd did not take the new runtimes within 10 s (see its log; $DAEMON_JSON: $(tr -d '\n ' <"$DAEMON_JSON"))"
}

if [ "$(update_daemon_json "${DROPPED[@]}")" = "changed" ]; then
    reload_dockerd "${DROPPED[@]}"
fi

# ---------------------------------------------------------------- check
# A registered crun must really start a container here, with the isolation settings sandboxes use (a hybrid
# cgroup host can refuse it at that point); if it cannot, it is unregistered again.
if [[ " ${WANTED[*]} " == *" crun "* ]]; then
    if ! docker image inspect "$PROBE_IMAGE" >/dev/null 2>&1; then
        log "no image $PROBE_IMAGE to check crun with; not checked"
    elif ! probe="$(docker run --rm --runtime crun --network none --read-only --cap-drop ALL \
            --security-opt no-new-privileges --memory 64m --memory-swap 64m --pids-limit 32 \
            "$PROBE_IMAGE" true 2>&1)"; then
        kept=()
        for name in "${WANTED[@]}"; do [ "$name" = crun ] || kept+=("$name"); done
        WANTED=("${kept[@]}")
        drop crun "it could not start a container here: $(head -n 1 <<<"$probe")"
        if [ "$(update_daemon_json crun)" = "changed" ]; then
            reload_dockerd crun
        fi
    fi
fi

for name in "${WANTED[@]}"; do
    listed "$name" || die "dockerd does not list runtime $name"
    log "$name registered ($("$name" --version 2>/dev/null | head -n 1 || echo "version unknown"))"
done
