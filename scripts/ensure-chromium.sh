#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the gateway's browser test (tests/SoulBox.Silo.Tests),
# when it is missing. Idempotent and quiet when it is already there. Owned by the gateway issue.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-chromium: chromium is missing and this is not root; install Debian's 'chromium' package." >&2
  exit 1
fi
echo "ensure-chromium: installing Debian's chromium (headless browser test)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
