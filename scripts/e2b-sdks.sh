#!/usr/bin/env bash
# Installs the official E2B JavaScript SDKs that the end-to-end tests (tests/SoulBox.E2b.Tests) and the bench's
# `e2b` transport drive, from npm, once:
#   artifacts/e2b-sdks/current  e2b 2.51.0 + @e2b/code-interpreter 2.8.0 (POST /v2/sandboxes)
#   artifacts/e2b-sdks/legacy   e2b 2.49.1 + @e2b/code-interpreter 2.8.0 (POST /sandboxes, /sandboxes/{id}/connect)
# The versions are pinned by scripts/e2b-sdks/<name>/package-lock.json (npm ci: exact versions, integrity checked).
# A set whose lock file has not changed since its last install is left alone (a stamp holds the lock's hash), so
# a second run takes no time and makes no request to the registry.
#
# Needs node >= 20.18.1 (the e2b package's "engines"; undici 7 needs it) and npm on PATH.
# Usage: scripts/e2b-sdks.sh [current|legacy ...]   (default: both)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

log() { printf '[e2b-sdks] %s\n' "$*"; }
die() { log "ERROR: $*"; exit 1; }

command -v node >/dev/null || die "node is not on PATH: the E2B SDKs run on Node.js >= 20.18.1 (install nodejs, e.g. from Debian or NodeSource)"
command -v npm >/dev/null || die "npm is not on PATH (it comes with nodejs from NodeSource; Debian packages it as npm)"
node -e '
  const [major, minor, patch] = process.versions.node.split(".").map(Number);
  const ok = major > 20 || (major === 20 && (minor > 18 || (minor === 18 && patch >= 1)));
  if (!ok) { console.error("node " + process.versions.node + " is too old: e2b needs >= 20.18.1"); process.exit(1); }
' || die "node $(node --version) cannot run the E2B SDKs (needs >= 20.18.1)"

sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(current legacy)
for name in "${sets[@]}"; do
    source_dir="scripts/e2b-sdks/$name"
    [ -f "$source_dir/package-lock.json" ] || die "unknown SDK set '$name' (no $source_dir/package-lock.json)"
    target="artifacts/e2b-sdks/$name"
    want="$(cat "$source_dir/package.json" "$source_dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [ -f "$target/.installed" ] && [ "$(cat "$target/.installed")" = "$want" ] && [ -d "$target/node_modules/e2b" ]; then
        log "$name: up to date in $target ($(node -p "require('./$target/node_modules/e2b/package.json').version" 2>/dev/null))"
        continue
    fi
    log "$name: installing $(node -p "Object.entries(require('./$source_dir/package.json').dependencies).map(([n, v]) => n + '@' + v).join(' ')") from npm into $target"
    rm -rf "$target"
    mkdir -p "$target"
    cp "$source_dir/package.json" "$source_dir/package-lock.json" "$target/"
    # --ignore-scripts: nothing of the packages runs at install time; the SDKs need no build step.
    if ! (cd "$target" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error); then
        die "npm ci failed for $name in $target (is the npm registry reachable? npm config get registry: $(npm config get registry))"
    fi
    echo "$want" > "$target/.installed"
    log "$name: installed e2b $(node -p "require('./$target/node_modules/e2b/package.json').version"), @e2b/code-interpreter $(node -p "require('./$target/node_modules/@e2b/code-interpreter/package.json').version")"
done
