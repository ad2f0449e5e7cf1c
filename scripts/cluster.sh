#!/usr/bin/env bash
# SoulBox as a cluster on this Docker host (compose.yaml): Redis, two worker silos, a gateway silo, Prometheus.
#
# Usage: scripts/cluster.sh up|down|status|compose ARGS...
#   up       scripts/setup.sh (Docker, base and runtime images, agent), Debian's docker-compose if no Compose is
#            installed, an API key into .env when none is set, a self-contained publish of src/Silo
#            (artifacts/silo/app; skipped when its sources are unchanged), `docker-compose up -d --build`, then waits
#            until the gateway and both workers answer /ready. Prints the key on a line of its own:
#            SOULBOX_API_KEY=<key>
#   down     `docker-compose down`, then removes any sandbox container of this cluster left behind (by its
#            cluster label and its workers' node labels). `down --volumes` also deletes Redis's and Prometheus's data.
#   status   the services, each silo's /ready, this cluster's sandbox containers
#   compose  any docker-compose command with this cluster's settings (e.g. `compose logs -f worker-1`)
#
# Settings come from the environment, else from the env file, else compose.yaml's defaults (ports and the rest are
# listed at the top of compose.yaml). Environment:
#   SOULBOX_ENV_FILE       the env file to read and write [<repo>/.env]
#   COMPOSE_PROJECT_NAME   Compose project [soulbox]
#   SOULBOX_READY_TIMEOUT  seconds `up` waits for /ready [240]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

T0=${EPOCHREALTIME/,/.}
log() {
    local now=${EPOCHREALTIME/,/.}
    printf '[cluster] %6.1fs %s\n' "$(awk -v a="$T0" -v b="$now" 'BEGIN{print b-a}')" "$*"
}
die() { log "ERROR: $*"; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

ENV_FILE="${SOULBOX_ENV_FILE:-$REPO_ROOT/.env}"

# The value of setting $1: the environment first, then the env file (last assignment wins, as in Compose), else $2.
setting() {
    local name="$1" fallback="${2-}" line
    if [ -n "${!name+x}" ] && [ -n "${!name}" ]; then
        printf '%s' "${!name}"
        return
    fi
    if [ -f "$ENV_FILE" ]; then
        line="$(grep -E "^[[:space:]]*${name}=" "$ENV_FILE" | tail -n1 || true)"
        if [ -n "$line" ]; then
            line="${line#*=}"
            line="${line%\"}"; line="${line#\"}"
            printf '%s' "$line"
            return
        fi
    fi
    printf '%s' "$fallback"
}

# Sets $1=$2 in the env file (replacing an earlier assignment), creating it readable by its owner only.
write_setting() {
    local name="$1" value="$2" tmp
    if [ ! -f "$ENV_FILE" ]; then
        (umask 077 && : >"$ENV_FILE")
    fi
    tmp="$(mktemp "$ENV_FILE.XXXXXX")"
    grep -vE "^[[:space:]]*${name}=" "$ENV_FILE" >"$tmp" || true
    printf '%s=%s\n' "$name" "$value" >>"$tmp"
    chmod --reference="$ENV_FILE" "$tmp"
    mv "$tmp" "$ENV_FILE"
}

CLUSTER_ID="$(setting SOULBOX_CLUSTER_ID compose)"
PROJECT="$(setting COMPOSE_PROJECT_NAME soulbox)"
RUN_DIR="$(setting SOULBOX_RUN_DIR /run/soulbox)"
HTTP_PORT="$(setting SOULBOX_HTTP_PORT 8080)"
WORKER1_HTTP_PORT="$(setting SOULBOX_WORKER1_HTTP_PORT 8081)"
WORKER2_HTTP_PORT="$(setting SOULBOX_WORKER2_HTTP_PORT 8082)"
PROMETHEUS_PORT="$(setting SOULBOX_PROMETHEUS_PORT 9090)"
REDIS_PORT="$(setting SOULBOX_REDIS_PORT 6380)"
WORKERS=("$CLUSTER_ID-worker-1" "$CLUSTER_ID-worker-2")
# Labels DockerContainerRuntime puts on every sandbox container.
NODE_LABEL="soulbox.node"
CLUSTER_LABEL="soulbox.cluster"

export SOULBOX_ARTIFACTS_DIR="$REPO_ROOT/artifacts"

# ---------------------------------------------------------------- Compose
COMPOSE=()
find_compose() {
    if command -v docker-compose >/dev/null 2>&1; then
        COMPOSE=(docker-compose)
    elif docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    else
        return 1
    fi
}

ensure_compose() {
    find_compose && return 0
    log "installing Debian's docker-compose (apt-get install docker-compose)"
    $SUDO apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y docker-compose \
        || die "could not install docker-compose with apt-get; install docker-compose (1.29) or the docker compose plugin"
    find_compose || die "docker-compose was installed but does not run"
}

compose() {
    local -a args=(-p "$PROJECT" -f "$REPO_ROOT/compose.yaml")
    if [ -f "$ENV_FILE" ]; then args+=(--env-file "$ENV_FILE"); fi
    "${COMPOSE[@]}" "${args[@]}" "$@"
}

# Compose interpolates the whole file for every command, so down/status need the required variables even though
# they do not use them.
placeholder_key() {
    if [ -z "$(setting SOULBOX_API_KEY)" ]; then export SOULBOX_API_KEY="not-needed-for-$1"; fi
}

# ---------------------------------------------------------------- silo publish
# Hash of everything the silo's publish reads; the publish is skipped when it is unchanged.
silo_source_hash() {
    {
        find src -type f -not -path '*/bin/*' -not -path '*/obj/*' -not -path 'src/Bench/*' -print0 \
            | sort -z | xargs -0 sha256sum
        for f in Directory.Build.props Directory.Packages.props global.json nuget.config NuGet.config; do
            if [ -f "$f" ]; then sha256sum "$f"; fi
        done
        dotnet --version
    } | sha256sum | cut -c1-64
}

publish_silo() {
    local out="$REPO_ROOT/artifacts/silo" h
    h="$(silo_source_hash)"
    if [ -x "$out/app/SoulBox.Silo" ] && [ "$(cat "$out/.source-hash" 2>/dev/null || true)" = "$h" ]; then
        log "silo: publish up to date (artifacts/silo/app, sources unchanged)"
        return
    fi
    log "silo: dotnet publish src/Silo (self-contained, linux-x64) -> artifacts/silo/app"
    rm -rf "$out/app.new"
    # Its own ArtifactsPath: a RID-specific restore and build must not rewrite the obj/ of the developer's build.
    dotnet publish src/Silo/SoulBox.Silo.csproj -c Release -r linux-x64 --self-contained -nologo -clp:ErrorsOnly \
        -p:ArtifactsPath="$REPO_ROOT/artifacts/silo-build" -o "$out/app.new" \
        || die "dotnet publish of src/Silo failed (see above)"
    [ -x "$out/app.new/SoulBox.Silo" ] || die "publish finished but artifacts/silo/app.new/SoulBox.Silo is missing"
    rm -rf "$out/app"
    mv "$out/app.new" "$out/app"
    echo "$h" >"$out/.source-hash"
    log "silo: published ($(du -sm "$out/app" | cut -f1) MB)"
}

# ---------------------------------------------------------------- sandbox containers
# Ids of this cluster's sandbox containers: its cluster label, or the node label of one of its workers.
cluster_containers() {
    {
        docker ps -aq --filter "label=$CLUSTER_LABEL=$CLUSTER_ID"
        local node
        for node in "${WORKERS[@]}"; do docker ps -aq --filter "label=$NODE_LABEL=$node"; done
    } | sort -u
}

sweep_containers() {
    local -a ids
    mapfile -t ids < <(cluster_containers)
    if [ ${#ids[@]} -eq 0 ]; then
        log "no sandbox container of cluster '$CLUSTER_ID' left"
        return
    fi
    local id name lease
    local -A names=()
    for id in "${ids[@]}"; do
        name="$(docker inspect -f '{{.Name}}' "$id" 2>/dev/null || true)"
        name="${name#/}"
        docker rm -f "$id" >/dev/null 2>&1 || true
        [ -n "$name" ] && names["$name"]=1
        # The worker would have removed its run directory (the last 12 characters of the name) with the container.
        if [ ${#name} -ge 12 ] && [ -d "$RUN_DIR/${name: -12}" ]; then
            $SUDO rm -rf "${RUN_DIR:?}/${name: -12}"
        fi
    done
    # And released its uid lease (a file per uid whose first line is the container's name); a worker would also
    # reclaim it later, once it is old and its container gone.
    for lease in "$RUN_DIR"/uids/*; do
        [ -f "$lease" ] || continue
        name="$(head -n1 "$lease" 2>/dev/null || true)"
        if [ -n "$name" ] && [ -n "${names[$name]+x}" ]; then $SUDO rm -f "$lease"; fi
    done
    log "removed ${#ids[@]} sandbox container(s) of cluster '$CLUSTER_ID' left behind"
}

# ---------------------------------------------------------------- readiness
# "<name> <url>" of every silo's /ready.
ready_urls() {
    printf '%s %s\n' "gateway" "http://127.0.0.1:$HTTP_PORT/ready" \
        "worker-1" "http://127.0.0.1:$WORKER1_HTTP_PORT/ready" \
        "worker-2" "http://127.0.0.1:$WORKER2_HTTP_PORT/ready"
}

wait_ready() {
    local timeout="$1" deadline name url pending
    deadline=$((SECONDS + timeout))
    while :; do
        pending=""
        while read -r name url; do
            curl -fsS -m 2 "$url" >/dev/null 2>&1 || pending+=" $name"
        done < <(ready_urls)
        if [ -z "$pending" ]; then return 0; fi
        if [ $SECONDS -ge $deadline ]; then
            log "not ready after ${timeout}s:$pending"
            return 1
        fi
        sleep 1
    done
}

# ---------------------------------------------------------------- commands
cmd_up() {
    log "1/5 setup (scripts/setup.sh)"
    scripts/setup.sh
    ensure_compose
    log "2/5 compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo '?')); project $PROJECT; env file $ENV_FILE"

    local key
    key="$(setting SOULBOX_API_KEY)"
    if [ -z "$key" ]; then
        # 32 URL-safe characters from 24 random bytes.
        key="sbk_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        write_setting SOULBOX_API_KEY "$key"
        log "created an API key in $ENV_FILE"
    fi
    # The gateway refuses shorter keys at start-up (SoulBox:Auth:Keys); say so here rather than after a long wait.
    [ ${#key} -ge 16 ] || die "SOULBOX_API_KEY is shorter than 16 characters; set a longer one, or remove it from $ENV_FILE to get a new one"
    export SOULBOX_API_KEY="$key"
    # So that docker-compose run by hand (ps, logs, down) finds the same project and paths.
    if ! grep -qxF "SOULBOX_ARTIFACTS_DIR=$SOULBOX_ARTIFACTS_DIR" "$ENV_FILE"; then
        write_setting SOULBOX_ARTIFACTS_DIR "$SOULBOX_ARTIFACTS_DIR"
    fi
    if ! grep -qxF "COMPOSE_PROJECT_NAME=$PROJECT" "$ENV_FILE"; then
        write_setting COMPOSE_PROJECT_NAME "$PROJECT"
    fi
    [ -x "$SOULBOX_ARTIFACTS_DIR/agent/soulbox-agent" ] || die "$SOULBOX_ARTIFACTS_DIR/agent/soulbox-agent is missing (scripts/setup.sh publishes it)"

    log "3/5 silo publish"
    publish_silo

    log "4/5 docker-compose up -d --build"
    mkdir -p "$RUN_DIR"
    compose up -d --build --remove-orphans
    # A rebuilt image leaves the one it replaced untagged: drop untagged images of ours (label soulbox.role; images in
    # use by a container are kept).
    docker image prune -f --filter label=soulbox.role >/dev/null 2>&1 || true

    local timeout
    timeout="$(setting SOULBOX_READY_TIMEOUT 240)"
    log "5/5 waiting for /ready of the gateway and both workers (up to ${timeout}s)"
    if ! wait_ready "$timeout"; then
        compose ps || true
        compose logs --tail 40 worker-1 worker-2 gateway || true
        die "the cluster did not become ready; it is still running (scripts/cluster.sh down stops it)"
    fi
    log "ready: gateway http://127.0.0.1:$HTTP_PORT (API key below), workers ${WORKERS[*]}," \
        "Prometheus http://127.0.0.1:$PROMETHEUS_PORT, Redis 127.0.0.1:$REDIS_PORT"
    printf 'SOULBOX_API_KEY=%s\n' "$key"
}

cmd_down() {
    local -a extra=()
    case "${1-}" in
        "") ;;
        --volumes|-v) extra+=(--volumes) ;;
        *) die "unknown argument to down: $1 (only --volumes)" ;;
    esac
    placeholder_key down
    if find_compose; then
        log "docker-compose down${extra[*]:+ ${extra[*]}} (project $PROJECT; workers drain first, up to 45 s)"
        compose down --remove-orphans "${extra[@]}"
    else
        log "no docker-compose installed: nothing of Compose to stop"
    fi
    sweep_containers
}

cmd_status() {
    placeholder_key status
    find_compose || die "no docker-compose installed (scripts/cluster.sh up installs it)"
    compose ps
    local name url
    while read -r name url; do
        printf '%-9s %s  %s\n' "$name" "$url" "$(curl -sS -m 2 "$url" 2>&1 | head -c 300 || true)"
    done < <(ready_urls)
    printf 'sandbox containers of cluster %s: %s\n' "$CLUSTER_ID" "$(cluster_containers | grep -c . || true)"
}

case "${1-}" in
    up) shift; [ $# -eq 0 ] || die "up takes no arguments"; cmd_up ;;
    down) shift; cmd_down "$@" ;;
    status) shift; cmd_status ;;
    compose) shift; find_compose || die "no docker-compose installed (scripts/cluster.sh up installs it)"; compose "$@" ;;
    -h|--help) sed -n '2,19p' "$0" ;;
    "") sed -n '2,19p' "$0" >&2; exit 2 ;;
    *) die "unknown command '$1' (up, down, status, compose)" ;;
esac
