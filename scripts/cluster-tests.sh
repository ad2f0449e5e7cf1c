#!/usr/bin/env bash
# The cluster suite (tests/SoulBox.Cluster.Tests: separate silo processes, real Redis, Docker faults, compose)
# run N times in a row, stopping at the first failure. scripts/test.sh (and so .ci/run) runs it once; this
# loop is the "five times on a clean clone" check a cluster change must pass, kept outside CI's budget.
#
# Usage: scripts/cluster-tests.sh [runs, default 5] [extra dotnet test args, e.g. --filter FullyQualifiedName~Faults]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

runs=5
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    runs=$1
    shift
fi

step() { printf '\n==== [cluster-tests] %s\n' "$*"; }

step "setup (scripts/setup.sh)"
scripts/setup.sh

REDIS_PORT=6399
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --logfile /tmp/soulbox-test-redis.log
    for _ in $(seq 1 50); do
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
fi
export SOULBOX_TEST_REDIS="127.0.0.1:$REDIS_PORT"

step "build (Release)"
dotnet build SoulBox.sln -c Release -nologo -clp:ErrorsOnly

for run in $(seq 1 "$runs"); do
    step "run $run of $runs"
    started=$SECONDS
    dotnet test tests/SoulBox.Cluster.Tests/SoulBox.Cluster.Tests.csproj -c Release --no-build \
        --logger "console;verbosity=normal" "$@"
    step "run $run passed in $((SECONDS - started)) s"
done
step "all $runs runs passed"
