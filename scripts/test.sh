#!/usr/bin/env bash
# The one command that runs the whole SoulBox test suite:
#   1. scripts/setup.sh   (host packages, Docker daemon, base + runtime images, agent)
#   2. a throwaway Redis on 127.0.0.1:6399 for the Redis-clustering tests
#   3. dotnet test on the solution (extra arguments are passed to dotnet test)
# Exits non-zero if setup fails or any test fails.
#
# Usage: scripts/test.sh [extra dotnet test args, e.g. --filter Category=Unit]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

step() { printf '\n==== [test] %s\n' "$*"; }

step "1/3 setup (scripts/setup.sh)"
scripts/setup.sh

# Tests use a real Redis, never a shared one: a dedicated port, loopback only,
# no persistence (nothing written to disk, nothing left between runs).
REDIS_PORT=6399
step "2/3 Redis on 127.0.0.1:$REDIS_PORT"
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

# .NET 10's `dotnet new sln` writes .slnx; accept either.
SOLUTION=SoulBox.sln
[ -f "$SOLUTION" ] || { [ -f SoulBox.slnx ] && SOLUTION=SoulBox.slnx; }

step "3/3 dotnet test $SOLUTION -c Release $*"
# set -e: a failing test run makes this script (and CI) fail.
dotnet test "$SOLUTION" -c Release --logger "console;verbosity=normal" "$@"
step "all tests passed"
