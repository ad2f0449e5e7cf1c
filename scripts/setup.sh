#!/usr/bin/env bash
# SoulBox machine setup: host packages, Docker daemon, base image, agent, runtime images.
#
# Idempotent: every step first checks whether its result already exists and is
# current, so a second run on a prepared machine takes a few seconds.
#
# Usage: scripts/setup.sh [--images python,node,go,java,base,code-interpreter] [--languages all|c,rust,...]
#                         [--runtimes runsc[,crun]]
#   --images    build only these runtime images (code-interpreter is built FROM soulbox/base:
#               base is added before it when missing from the list; likewise rust FROM gcc, typescript FROM node).
#               A name of your own builds images/<name>/Dockerfile as soulbox/<name>:latest, labelled
#               soulbox.template=<name>; register it with SoulBox:Templates:<name>:Language (README, "Adding a template")
#   --languages also build the images of these languages (all: every language image - gcc, rust, typescript,
#               scripting, pascal, ocaml, r, haskell); by default only the core images are built, so a first start stays quick.
#               A language's image is the one whose Dockerfile declares soulbox.version-command.<language>.
#   --runtimes  also install these OCI runtimes from Debian and register them with dockerd
#               (scripts/oci-runtimes.sh; daemon.json merged, dockerd reloaded, never restarted);
#               use with SoulBox:Docker:OciRuntime=runsc. Sandboxes run under runc otherwise
#               (README, "Container runtime": why not crun).
#
# Environment:
#   SOULBOX_SKIP_AGENT=1       skip publishing the agent (src/Agent)
#   SOULBOX_AGENT_BUILD=host   publish the agent on the host instead of inside
#                              soulbox/agent-build (debian:bookworm-slim); the binary
#                              then links against the host's glibc and may not run
#                              in the images if the host's glibc is newer
#   SOULBOX_NO_PULL=1          never try `docker pull` for the base image (go straight
#                              to debootstrap; use on air-gapped hosts to avoid any
#                              traffic to a registry)
#   SOULBOX_DEBIAN_MIRROR=URL  Debian mirror for debootstrap and inside the images
#                              (default: the mirror the host's apt uses)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

# Parents first: code-interpreter is built FROM soulbox/base.
ALL_IMAGES=(python node go java base code-interpreter)
# Images of further languages (C, C++, Fortran, Rust, TypeScript, Ruby, PHP, Lua, Perl, Scheme, Pascal, OCaml,
# R, Haskell), built only with
# --languages or --images: they take minutes and a few hundred MB each (README, "Languages").
# Every images/<name> that declares a soulbox.version-command.<language> label is a language image (gcc first: the
# parent of several; setup orders parents before children anyway).
mapfile -t LANGUAGE_IMAGES < <(grep -l '^LABEL soulbox\.template=' images/*/Dockerfile | xargs grep -l 'soulbox\.version-command\.' \
    | sed 's|images/\([^/]*\)/Dockerfile|\1|' | sort)
BASE_IMAGE="debian:bookworm-slim"
T0=${EPOCHREALTIME/,/.}

# "[setup]  12.3s message" - elapsed seconds since the script started.
log() {
    local now=${EPOCHREALTIME/,/.}
    printf '[setup] %6.1fs %s\n' "$(awk -v a="$T0" -v b="$now" 'BEGIN{print b-a}')" "$*"
}
die() { log "ERROR: $*"; exit 1; }

# Not root (unusual here, but cheap to support): use sudo for system changes.
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# ---------------------------------------------------------------- arguments
IMAGES=("${ALL_IMAGES[@]}")
LANGUAGES=""
RUNTIMES=""
while [ $# -gt 0 ]; do
    case "$1" in
        --images) [ $# -ge 2 ] || die "--images needs a value, e.g. --images python,node"
                  IFS=',' read -r -a IMAGES <<<"$2"; shift 2 ;;
        --images=*) IFS=',' read -r -a IMAGES <<<"${1#--images=}"; shift ;;
        --runtimes) [ $# -ge 2 ] || die "--runtimes needs a value, e.g. --runtimes runsc"
                    RUNTIMES="$2"; shift 2 ;;
        --runtimes=*) RUNTIMES="${1#--runtimes=}"; shift ;;
        --languages) [ $# -ge 2 ] || die "--languages needs a value, e.g. --languages all or --languages c,rust"
                     LANGUAGES="$2"; shift 2 ;;
        --languages=*) LANGUAGES="${1#--languages=}"; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
done
# The image that holds a language: the one of LANGUAGE_IMAGES whose Dockerfile declares its version command.
language_image() {
    local img
    for img in "${LANGUAGE_IMAGES[@]}"; do
        if grep -q "soulbox\.version-command\.$1=" "images/$img/Dockerfile"; then echo "$img"; return 0; fi
    done
    return 1
}
if [ -n "$LANGUAGES" ]; then
    # --languages adds to the core images, or to the --images list when one was given.
    if [ "$LANGUAGES" = "all" ]; then
        IMAGES+=("${LANGUAGE_IMAGES[@]}")
    else
        IFS=',' read -r -a wanted <<<"$LANGUAGES"
        for lang in "${wanted[@]}"; do
            img="$(language_image "$lang")" || die "no image for language '$lang' (languages with an image of their own:" \
                "$(grep -ho 'soulbox\.version-command\.[a-z0-9]*' $(printf 'images/%s/Dockerfile ' "${LANGUAGE_IMAGES[@]}") | sed 's/.*\.//' | sort -u | tr '\n' ' ')" \
                "- the core languages python, javascript, go, java, bash are in the default images)"
            [[ " ${IMAGES[*]} " == *" $img "* ]] || IMAGES+=("$img")
        done
    fi
fi
for img in "${IMAGES[@]}"; do
    [ -f "images/$img/Dockerfile" ] || die "unknown image '$img' (no images/$img/Dockerfile)"
done
# An image built FROM another soulbox/ image needs that one built first (and rebuilt when it changes).
soulbox_parent() { sed -n 's|^FROM soulbox/\([a-z0-9-]*\):.*|\1|p' "images/$1/Dockerfile" | head -n1; }
ordered=()
for img in "${IMAGES[@]}"; do
    parent="$(soulbox_parent "$img")"
    # Missing from the list, or listed after its child: the parent goes first.
    if [ -n "$parent" ] && [[ " ${ordered[*]} " != *" $parent "* ]]; then ordered+=("$parent"); fi
    [[ " ${ordered[*]} " == *" $img "* ]] || ordered+=("$img")
done
IMAGES=("${ordered[@]}")

# ---------------------------------------------------------------- mirror detection
# The Debian mirror the host's apt uses (deb822 *.sources or one-line *.list),
# for the given suite. Reused for debootstrap and inside the images so that a
# host behind a local mirror/proxy builds images the same way it installs packages.
host_mirror_for_suite() {
    local suite="$1" f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v want="$suite" 'BEGIN{RS="";FS="\n"} {
            uris=""; suites=""; types=""; enabled=1
            for (i = 1; i <= NF; i++) {
                line = $i
                if (line ~ /^URIs:/)    { sub(/^URIs:[ \t]*/, "", line);    uris = line }
                if (line ~ /^Suites:/)  { sub(/^Suites:[ \t]*/, "", line);  suites = " " line " " }
                if (line ~ /^Types:/)   { sub(/^Types:[ \t]*/, "", line);   types = " " line " " }
                if (line ~ /^Enabled:[ \t]*no/) enabled = 0
            }
            if (enabled && types ~ / deb / && suites ~ (" " want " ")) { split(uris, u, " "); print u[1]; exit }
        }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [opts] URI suite components...
        awk -v want="$suite" '$1 == "deb" {
            i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i+1) == want) { print $i; exit }
        }' "$f"
    done
}

MIRROR="${SOULBOX_DEBIAN_MIRROR:-$(host_mirror_for_suite bookworm | head -n1)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
MIRROR="${MIRROR%/}"
SECURITY_MIRROR="$(host_mirror_for_suite bookworm-security | head -n1)"
SECURITY_MIRROR="${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}"
SECURITY_MIRROR="${SECURITY_MIRROR%/}"

log "repo: $REPO_ROOT; images: ${IMAGES[*]}; Debian mirror: $MIRROR (security: $SECURITY_MIRROR)"

# ---------------------------------------------------------------- a. host packages
# command-or-file to check -> Debian package providing it.
# libc6-dev: the agent is linked statically, which needs libc.a.
missing=()
command -v dockerd      >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap  >/dev/null 2>&1 || missing+=(debootstrap)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v gcc          >/dev/null 2>&1 || missing+=(gcc)
command -v ip           >/dev/null 2>&1 || missing+=(iproute2)
if ! dpkg-query -W -f='${Status}' libc6-dev 2>/dev/null | grep -q 'install ok installed'; then
    missing+=(libc6-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
    log "a. installing host packages: ${missing[*]}"
    $SUDO apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
    log "a. host packages installed"
else
    log "a. host packages present (dockerd, debootstrap, redis-server, gcc, libc6-dev, iproute2)"
fi

# ---------------------------------------------------------------- b. docker daemon
# No systemd on these machines: start dockerd ourselves, detached from this
# shell (setsid nohup) so it outlives the script.
if docker info >/dev/null 2>&1; then
    log "b. docker daemon is running"
else
    # A dockerd killed at the end of an earlier session leaves its pid file,
    # and dockerd refuses to start while it exists. Remove it only if the pid
    # in it is not a live dockerd.
    # (A killed dockerd whose parent has not reaped it is a zombie: not alive.)
    dockerd_alive() {
        [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null || true)" = "dockerd" ] \
            && ! grep -qE '^State:[[:space:]]+Z' "/proc/$1/status" 2>/dev/null
    }
    oldpid=""
    if [ -f /var/run/docker.pid ]; then
        oldpid="$(cat /var/run/docker.pid 2>/dev/null || true)"
        if dockerd_alive "$oldpid"; then
            log "b. dockerd (pid $oldpid) is alive but 'docker info' fails; waiting for it"
        else
            log "b. removing stale /var/run/docker.pid (pid '$oldpid' is not a live dockerd)"
            $SUDO rm -f /var/run/docker.pid
        fi
    fi
    if ! dockerd_alive "$oldpid"; then
        log "b. starting dockerd (log: /var/log/soulbox-dockerd.log)"
        $SUDO setsid nohup dockerd >>/var/log/soulbox-dockerd.log 2>&1 </dev/null &
    fi
    ok=0
    for _ in $(seq 1 120); do
        if docker info >/dev/null 2>&1; then ok=1; break; fi
        sleep 0.5
    done
    if [ "$ok" -ne 1 ]; then
        log "b. dockerd did not become ready within 60 s; last log lines:"
        tail -n 40 /var/log/soulbox-dockerd.log >&2 || true
        die "docker daemon not available"
    fi
    log "b. docker daemon ready ($(docker info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null))"
fi

# Builder: BuildKit through buildx when that plugin exists and works; otherwise
# the classic builder, which streams step-by-step progress and needs nothing else.
if docker buildx version >/dev/null 2>&1 && docker buildx inspect >/dev/null 2>&1; then
    BUILD=(docker buildx build --load --progress=plain)
    BUILDER_NAME="buildx"
else
    BUILD=(env DOCKER_BUILDKIT=0 docker build)
    BUILDER_NAME="classic builder"
fi

# ---------------------------------------------------------------- c. base image
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "c. base image $BASE_IMAGE present"
else
    pulled=0
    if [ "${SOULBOX_NO_PULL:-0}" != "1" ]; then
        log "c. trying: docker pull $BASE_IMAGE (20 s limit)"
        if timeout 20 docker pull "$BASE_IMAGE"; then pulled=1; else log "c. pull failed"; fi
    fi
    if [ "$pulled" -ne 1 ]; then
        # Air-gapped host: build an equivalent base from Debian packages.
        log "c. building $BASE_IMAGE with debootstrap from $MIRROR (takes a minute or two)"
        rootfs="$(mktemp -d /var/tmp/soulbox-rootfs.XXXXXX)"
        trap '$SUDO rm -rf "$rootfs"' EXIT
        extra=()
        # apt needs CA certificates to talk to an https mirror.
        case "$MIRROR" in https:*) extra+=(--include=ca-certificates) ;; esac
        $SUDO debootstrap --variant=minbase "${extra[@]}" bookworm "$rootfs" "$MIRROR"
        log "c. debootstrap done; slimming and importing"
        # apt inside the image uses the host's mirror, so Dockerfile RUN apt-get works.
        $SUDO rm -f "$rootfs/etc/apt/sources.list.d/"*
        $SUDO tee "$rootfs/etc/apt/sources.list" >/dev/null <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
        # Like the official -slim image: no docs/man/locales installed by later
        # apt-get runs, and apt keeps no package cache.
        $SUDO tee "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
        $SUDO tee "$rootfs/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
        $SUDO rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
                     "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
                     "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/*
        # Docker supplies these at run time; do not bake the host's into the image.
        : | $SUDO tee "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname" >/dev/null
        $SUDO tar --numeric-owner -C "$rootfs" -c . \
            | docker import --change 'CMD ["bash"]' --change 'LABEL soulbox.base=debootstrap' - "$BASE_IMAGE"
        $SUDO rm -rf "$rootfs"
        trap - EXIT
        log "c. imported $BASE_IMAGE ($(docker image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
    fi
fi

# ---------------------------------------------------------------- d. agent
# The agent is bind-mounted into containers of every runtime image, so it must
# link against bookworm's glibc, not the host's: it is published inside
# soulbox/agent-build (images/agent-build: debian:bookworm-slim + gcc), with the
# host's .NET SDK, the repository and the NuGet cache mounted at their host
# paths (obj/project.assets.json holds absolute paths). Restore runs on the host
# (it needs NuGet); the build container has no network.
# It is published to artifacts/agent.new, checked in every runtime image, and
# renamed into place, so artifacts/agent is never half-written.
AGENT_BUILD_IMAGE="soulbox/agent-build:latest"
AGENT_BUILD="${SOULBOX_AGENT_BUILD:-container}"
case "$AGENT_BUILD" in
    container|host) ;;
    *) die "SOULBOX_AGENT_BUILD must be 'container' (default) or 'host', not '$AGENT_BUILD'" ;;
esac

# Hash of the image's build context (paths + contents), stored as label
# soulbox.dockerfile-hash; the image is rebuilt only when it differs.
# An image FROM a soulbox/ parent also hashes the parent's image id, so it is rebuilt when the parent is.
context_hash() {
    {
        (cd "images/$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
        local parent
        parent="$(sed -n 's|^FROM \(soulbox/[a-z0-9-]*:[a-z0-9.-]*\).*|\1|p' "images/$1/Dockerfile" | head -n1)"
        [ -z "$parent" ] || echo "parent $(docker image inspect -f '{{.Id}}' "$parent" 2>/dev/null || echo missing)"
    } | sha256sum | cut -c1-64
}

# Hash of everything that feeds the agent build (sources, build settings, how and
# where it is built); the publish is skipped when it is unchanged and the binary exists.
agent_source_hash() {
    {
        find src/Agent -type f -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 -r sha256sum
        for f in Directory.Build.props Directory.Packages.props global.json nuget.config NuGet.config; do
            [ -f "$f" ] && sha256sum "$f"
        done
        echo "build=$AGENT_BUILD"
        [ "$AGENT_BUILD" = "host" ] || echo "builder=$(context_hash agent-build)"
        true
    } | sha256sum | cut -c1-64
}

# Runtime images present locally (repo:tag), i.e. images carrying soulbox.template.
runtime_images() {
    docker image ls --filter label=soulbox.template --format '{{.Repository}}:{{.Tag}}' \
        | grep -v ':<none>$' | sort -u || true
}

# Runs `soulbox-agent --version` from directory $2 (mounted read-only at
# /opt/soulbox, as the silo does) in every runtime image present, in parallel;
# fails, naming each failing image and its output. $1: log prefix ("d. agent").
verify_agent() {
    local step="$1" dir="$2" tmp i rc=0
    local -a tags pids failed=()
    mapfile -t tags < <(runtime_images)
    if [ ${#tags[@]} -eq 0 ]; then
        log "$step: no runtime images yet to check it in (checked after step e)"
        return 0
    fi
    tmp="$(mktemp -d)"
    for i in "${!tags[@]}"; do
        docker run --rm --network none -v "$dir:/opt/soulbox:ro" --entrypoint /opt/soulbox/soulbox-agent \
            "${tags[$i]}" --version >"$tmp/$i" 2>&1 &
        pids[$i]=$!
    done
    for i in "${!tags[@]}"; do
        if ! wait "${pids[$i]}" || ! grep -q '^soulbox-agent ' "$tmp/$i"; then
            failed+=("${tags[$i]}")
            log "$step: FAILED in ${tags[$i]}: $(tr '\n' ' ' <"$tmp/$i" | cut -c1-400)"
            rc=1
        fi
    done
    rm -rf "$tmp"
    if [ "$rc" -ne 0 ]; then
        log "$step: $dir/soulbox-agent does not run in: ${failed[*]} (highest glibc symbol it needs:" \
            "$(objdump -T "$dir/soulbox-agent" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1))"
        return 1
    fi
    log "$step: runs in ${tags[*]}"
}

# Identifies what verify_agent checked: the binary and the runtime images (by id).
agent_verified_stamp() {
    { sha256sum <"$1/soulbox-agent"
      runtime_images | while read -r t; do echo "$t $(docker image inspect -f '{{.Id}}' "$t")"; done
    } | sha256sum | cut -c1-64
}

# Builds soulbox/agent-build when missing or its context changed (label
# soulbox.dockerfile-hash, like the runtime images; no soulbox.template label,
# so it is never listed as a template).
ensure_agent_build_image() {
    local want have old_id
    want="$(context_hash agent-build)"
    have="$(docker image inspect -f '{{index .Config.Labels "soulbox.dockerfile-hash"}}' "$AGENT_BUILD_IMAGE" 2>/dev/null || true)"
    if [ "$have" = "$want" ]; then
        log "d. agent: build image $AGENT_BUILD_IMAGE up to date"
        return 0
    fi
    log "d. agent: building $AGENT_BUILD_IMAGE (${have:+hash changed}${have:-missing}; builder: $BUILDER_NAME)"
    old_id="$(docker image inspect -f '{{.Id}}' "$AGENT_BUILD_IMAGE" 2>/dev/null || true)"
    "${BUILD[@]}" --label "soulbox.dockerfile-hash=$want" -t "$AGENT_BUILD_IMAGE" images/agent-build
    if [ -n "$old_id" ] && [ "$(docker image inspect -f '{{.Id}}' "$AGENT_BUILD_IMAGE")" != "$old_id" ]; then
        docker image rm "$old_id" >/dev/null 2>&1 || true
    fi
    log "d. agent: built $AGENT_BUILD_IMAGE"
}

# dotnet publish into $1 (absolute path) inside soulbox/agent-build.
publish_agent_in_container() {
    local out="$1" dotnet_bin sdk nuget
    dotnet_bin="$(command -v dotnet || true)"
    [ -n "$dotnet_bin" ] || die "dotnet is not installed on the host (its SDK is mounted into $AGENT_BUILD_IMAGE)"
    sdk="$(dirname "$(readlink -f "$dotnet_bin")")"
    nuget="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
    ensure_agent_build_image
    log "d. agent: dotnet restore src/Agent/SoulBox.Agent.csproj -r linux-x64 (on the host)"
    dotnet restore src/Agent/SoulBox.Agent.csproj -r linux-x64 \
        || die "dotnet restore of src/Agent failed (see above); kept the previous artifacts/agent"
    log "d. agent: dotnet publish in $AGENT_BUILD_IMAGE (--network none; SDK $sdk, NuGet cache $nuget)"
    # Same paths as on the host (project.assets.json, nuget.g.props hold absolute
    # paths); same uid/gid as this script, so outputs are owned as before; HOME
    # and DOTNET_CLI_HOME (set in the image) on a tmpfs. Own bin/obj pivot
    # (artifacts/build/{bin,obj}/SoulBox.Agent/release_linux-x64_bookworm), so an
    # up-to-date native binary linked by a host build is never reused as is.
    docker run --rm --network none \
        --user "$(id -u):$(id -g)" \
        --tmpfs /tmp:rw,exec,mode=1777,size=2g \
        -v "$sdk:$sdk:ro" \
        -v "$nuget:$nuget:ro" \
        -v "$REPO_ROOT:$REPO_ROOT" \
        -w "$REPO_ROOT" \
        -e NUGET_PACKAGES="$nuget" \
        "$AGENT_BUILD_IMAGE" \
        "$sdk/dotnet" publish src/Agent/SoulBox.Agent.csproj -c Release --no-restore \
            --disable-build-servers -p:ArtifactsPivots=release_linux-x64_bookworm -o "$out" \
        || die "dotnet publish of src/Agent in $AGENT_BUILD_IMAGE failed (see above); kept the previous artifacts/agent"
}

if [ "${SOULBOX_SKIP_AGENT:-0}" = "1" ]; then
    log "d. agent: skipped (SOULBOX_SKIP_AGENT=1)"
elif [ ! -f src/Agent/SoulBox.Agent.csproj ]; then
    log "d. agent: skipped - src/Agent/SoulBox.Agent.csproj does not exist yet"
else
    h="$(agent_source_hash)"
    if [ -x artifacts/agent/soulbox-agent ] && [ "$(cat artifacts/agent/.source-hash 2>/dev/null || true)" = "$h" ]; then
        log "d. agent: up to date (artifacts/agent/soulbox-agent, sources unchanged)"
    else
        new="$REPO_ROOT/artifacts/agent.new"
        rm -rf "$new"
        mkdir -p artifacts
        if [ "$AGENT_BUILD" = "host" ]; then
            log "d. agent: WARNING: SOULBOX_AGENT_BUILD=host - publishing on the host; the binary links" \
                "against the host's glibc ($(ldd --version 2>/dev/null | head -n1 | grep -oE '[0-9]+\.[0-9]+$' || echo '?'))"
            log "d. agent: dotnet publish src/Agent/SoulBox.Agent.csproj -c Release -o artifacts/agent.new (on the host)"
            dotnet publish src/Agent/SoulBox.Agent.csproj -c Release -o "$new" \
                || die "dotnet publish of src/Agent failed (see above); kept the previous artifacts/agent"
        else
            publish_agent_in_container "$new"
        fi
        [ -x "$new/soulbox-agent" ] || die "publish finished but artifacts/agent.new/soulbox-agent is missing (check AssemblyName)"
        log "d. agent: published; needs glibc >= $(objdump -T "$new/soulbox-agent" 2>/dev/null \
            | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1 | sed 's/GLIBC_//')"
        verify_agent "d. agent" "$new" || die "the new agent does not run in the runtime images; kept the previous" \
            "artifacts/agent, left the new one in artifacts/agent.new"
        echo "$h" > "$new/.source-hash"
        agent_verified_stamp "$new" > "$new/.verified"
        # Swap: running containers keep the directory they mounted (a bind mount
        # follows the directory, not the path), so the old one is deleted only
        # when no container still uses it; otherwise on the next publish.
        rm -rf artifacts/agent.old
        if [ -e artifacts/agent ]; then mv artifacts/agent artifacts/agent.old; fi
        mv "$new" artifacts/agent
        if [ -e artifacts/agent.old ]; then
            if [ -z "$(docker ps -q --filter "volume=$REPO_ROOT/artifacts/agent" 2>/dev/null)" ]; then
                rm -rf artifacts/agent.old
            else
                log "d. agent: kept artifacts/agent.old (running containers still mount it; removed on the next publish)"
            fi
        fi
        log "d. agent: published artifacts/agent/soulbox-agent"
    fi
fi

# ---------------------------------------------------------------- e. runtime images
# Command printing the language version, and the language label value.
version_cmd() {
    case "$1" in
        python|base|code-interpreter) echo 'python3 --version' ;;
        node)   echo 'node --version' ;;
        go)     echo 'go version' ;;
        java)   echo 'java --version' ;;
        # An image of your own: by the language its Dockerfile (or parent) labels soulbox.language.
        *)      case "$(docker image inspect -f '{{index .Config.Labels "soulbox.language"}}' "soulbox/$1:latest" 2>/dev/null)" in
                    python)     echo 'python3 --version' ;;
                    javascript) echo 'node --version' ;;
                    go)         echo 'go version' ;;
                    java)       echo 'java --version' ;;
                    *)          echo 'true' ;;
                esac ;;
    esac
}

# Version labels of an image that declares soulbox.version-command.<language> labels (the language images): runs
# each command in the built image and prints "--label soulbox.version.<language>=<version>" arguments, one a line.
language_version_labels() {
    local tag="$1" key cmd version
    docker image inspect -f '{{range $k, $v := .Config.Labels}}{{println $k}}{{end}}' "$tag" \
        | sed -n 's/^soulbox\.version-command\.//p' | while read -r key; do
        cmd="$(docker image inspect -f "{{index .Config.Labels \"soulbox.version-command.$key\"}}" "$tag")"
        version="$(docker run --rm --network none "$tag" sh -c "$cmd" 2>&1 | grep -oE '[0-9]+(\.[0-9]+)+' | head -n1 || true)"
        printf -- '--label\nsoulbox.version.%s=%s\n' "$key" "${version:-unknown}"
    done
}

# Whether $1 is one of SoulBox's own templates (core or language image) rather than an image of the operator's.
builtin_image() { [[ " ${ALL_IMAGES[*]} ${LANGUAGE_IMAGES[*]} " == *" $1 "* ]]; }

log "e. runtime images (builder: $BUILDER_NAME): ${IMAGES[*]}"
count=0
for name in "${IMAGES[@]}"; do
    count=$((count + 1))
    tag="soulbox/$name:latest"
    want="$(context_hash "$name")"
    have="$(docker image inspect -f '{{index .Config.Labels "soulbox.dockerfile-hash"}}' "$tag" 2>/dev/null || true)"
    if [ "$have" = "$want" ]; then
        log "e. $tag up to date ($(docker image inspect -f '{{index .Config.Labels "soulbox.version"}}' "$tag"))"
        continue
    fi
    log "e. [$count/${#IMAGES[@]}] building $tag ($([ -n "$have" ] && echo "hash changed" || echo missing))"
    old_id="$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
    # An image of your own is labelled with its own name: one built FROM soulbox/python would otherwise carry the
    # parent's soulbox.template=python (labels are inherited); its version goes in a label the same way.
    own=()
    builtin_image "$name" || own=(--label "soulbox.template=$name")
    "${BUILD[@]}" --label "soulbox.dockerfile-hash=$want" "${own[@]}" -t "$tag" "images/$name"
    first_id="$(docker image inspect -f '{{.Id}}' "$tag")"
    # Version comes from the built image itself; a second build (all layers
    # cached, only the final LABEL changes) records it as soulbox.version.
    # An image of several languages records each one's version (soulbox.version.<language>); its own version
    # is its default language's (soulbox.language).
    mapfile -t language_labels < <(language_version_labels "$tag")
    default_language="$(docker image inspect -f '{{index .Config.Labels "soulbox.language"}}' "$tag")"
    if [ ${#language_labels[@]} -gt 0 ]; then
        version="$(printf '%s\n' "${language_labels[@]}" | sed -n "s/^soulbox\.version\.$default_language=//p" | head -n1)"
    else
        version="$(docker run --rm --network none "$tag" sh -c "$(version_cmd "$name")" 2>&1 \
                   | grep -oE '[0-9]+(\.[0-9]+)+' | head -n1 || true)"
    fi
    version="${version:-unknown}"
    log "e. $tag: version $version${language_labels[*]:+; languages: $(printf '%s\n' "${language_labels[@]}" | sed -n 's/^soulbox\.version\.//p' | tr '\n' ' ')}; recording labels"
    builtin_image "$name" || own+=(--label "soulbox.version=$version")
    "${BUILD[@]}" -q --label "soulbox.dockerfile-hash=$want" "${own[@]}" "${language_labels[@]}" --build-arg "SOULBOX_VERSION=$version" -t "$tag" "images/$name" >/dev/null
    # Drop the intermediate image that carried soulbox.version=unknown.
    if [ "$(docker image inspect -f '{{.Id}}' "$tag")" != "$first_id" ]; then
        docker image rm "$first_id" >/dev/null 2>&1 || true
    fi
    # Drop the image this build replaced (fails harmlessly while containers use it).
    if [ -n "$old_id" ] && [ "$(docker image inspect -f '{{.Id}}' "$tag")" != "$old_id" ]; then
        docker image rm "$old_id" >/dev/null 2>&1 || true
    fi
    log "e. built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
    if ! builtin_image "$name"; then
        lang="$(docker image inspect -f '{{index .Config.Labels "soulbox.language"}}' "$tag")"
        log "e. $tag is a template of your own: register it on every worker with" \
            "SoulBox:Templates:$name:Language=${lang:-python} (appsettings.json, or SoulBox__Templates__${name}__Language=${lang:-python})"
    fi
done

# ---------------------------------------------------------------- f. agent x images
# The agent must run in every runtime image; checked again whenever the binary or
# any image changed since the last check (stamp: artifacts/agent/.verified).
if [ -x artifacts/agent/soulbox-agent ] && [ "${SOULBOX_SKIP_AGENT:-0}" != "1" ]; then
    stamp="$(agent_verified_stamp artifacts/agent)"
    if [ "$(cat artifacts/agent/.verified 2>/dev/null || true)" = "$stamp" ]; then
        log "f. agent runs in every runtime image (checked before; binary and images unchanged)"
    else
        log "f. checking the agent in every runtime image"
        verify_agent "f. agent" "$REPO_ROOT/artifacts/agent" \
            || die "artifacts/agent/soulbox-agent does not run in every runtime image (see above)"
        echo "$stamp" > artifacts/agent/.verified
    fi
fi

# ---------------------------------------------------------------- g. optional OCI runtimes
if [ -n "$RUNTIMES" ]; then
    log "g. OCI runtimes: $RUNTIMES"
    SOULBOX_RUNTIME_PROBE_IMAGE="$BASE_IMAGE" scripts/oci-runtimes.sh "$RUNTIMES"
fi

log "done"
