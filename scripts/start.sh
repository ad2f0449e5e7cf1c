#!/usr/bin/env bash
# The first command: starts a single-node SoulBox on this machine.
#   1. scripts/setup.sh  (installs/starts Docker, builds the base and runtime images and the agent
#                         on first run, with progress; a few seconds when all is there)
#   2. the silo (worker + HTTP gateway in one process, localhost clustering, in-memory state),
#      which runs a hello world in every template once it is up, then keeps serving.
#
# Usage: scripts/start.sh [silo settings, e.g. --SoulBox:Demo=false --Urls=http://127.0.0.1:9090]
# Stop with Ctrl+C (the node removes its containers on the way out).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

printf '==== [start] 1/2 setup\n'
scripts/setup.sh

printf '\n==== [start] 2/2 SoulBox node (Ctrl+C to stop)\n'
exec dotnet run --project src/Silo/SoulBox.Silo.csproj -c Release -- --SoulBox:Demo=true "$@"
