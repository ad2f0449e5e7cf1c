#!/usr/bin/env bash
# The one command that runs the whole SoulBox test suite:
#   1. scripts/setup.sh --languages all  (host packages, Docker daemon, base + runtime images including every
#      language image, so the per-language tests cover them; agent)
#   2. scripts/e2b-sdks.sh (E2B's JavaScript SDKs from npm, pinned, once, into artifacts/e2b-sdks: the
#      end-to-end tests in tests/SoulBox.E2b.Tests drive them under node)
#   3. a throwaway Redis on 127.0.0.1:6399 for the Redis-clustering tests
#   4. a Release build of the solution, the NuGet packages (SoulBox.Abstractions, SoulBox.Client) packed into
#      artifacts/packages (a test builds an app outside the repository from them), then dotnet test on each test
#      project in turn (extra arguments are passed to every dotnet test)
# Exits non-zero if setup fails or any test fails.
#
# Usage: scripts/test.sh [extra dotnet test args, e.g. --filter Category=Unit]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

step() { printf '\n==== [test] %s\n' "$*"; }

step "1/4 setup (scripts/setup.sh --languages all)"
scripts/setup.sh --languages all

step "2/4 E2B SDKs (scripts/e2b-sdks.sh)"
# Not fatal here: without node >= 20.18.1 or the npm registry only tests/SoulBox.E2b.Tests can fail (its fixture
# runs the script again and fails with the script's message), the other suites still run.
scripts/e2b-sdks.sh || echo "[test] the E2B SDKs are not installed (above): tests/SoulBox.E2b.Tests will fail"

# Tests use a real Redis, never a shared one: a dedicated port, loopback only,
# no persistence (nothing written to disk, nothing left between runs).
REDIS_PORT=6399
step "3/4 Redis on 127.0.0.1:$REDIS_PORT"
if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "Redis already answers on 127.0.0.1:$REDIS_PORT"
else
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --logfile /tmp/soulbox-test-redis.log
    for _ in $(seq 1 50); do
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null \
        || { echo "Redis did not start; log:"; tail -n 20 /tmp/soulbox-test-redis.log; exit 1; }
    echo "started redis-server on 127.0.0.1:$REDIS_PORT"
fi
export SOULBOX_TEST_REDIS="127.0.0.1:$REDIS_PORT"

SOLUTION=SoulBox.sln

step "4/4 build $SOLUTION (Release), then each test project in turn"
dotnet build "$SOLUTION" -c Release -nologo -clp:ErrorsOnly
# The packages an app outside this repository uses; SoulBox.Client.Tests builds and runs such an app from them.
rm -rf artifacts/packages
for project in src/Abstractions/SoulBox.Abstractions.csproj src/Client/SoulBox.Client.csproj; do
    dotnet pack "$project" -c Release --no-build -nologo -clp:ErrorsOnly
done
ls artifacts/packages
# One test project at a time: the integration suites each start silos and containers on the
# same Docker engine, and on a 2-core machine running them side by side only makes all slower.
# Each project's console output is also kept in artifacts/test-logs, so the summary at the end can name the
# failed tests with their messages: a CI log is often read only from its tail.
failed=()
logs=artifacts/test-logs
rm -rf "$logs" && mkdir -p "$logs"
for project in tests/*/*.csproj; do
    step "dotnet test $project"
    log="$logs/$(basename "$project" .csproj).log"
    if ! dotnet test "$project" -c Release --no-build --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"; then
        failed+=("$project")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    for project in "${failed[@]}"; do
        step "failed in $project"
        # A failed test prints "  Failed <name> [time]", then its message and stack trace.
        grep -E -A 14 '^\s+Failed [A-Za-z]' "$logs/$(basename "$project" .csproj).log" | cut -c1-400 || true
    done
    step "FAILED: ${failed[*]}"
    exit 1
fi
step "all tests passed"
