#!/usr/bin/env bash
# What the console's end-to-end test needs: Debian's Chromium (/usr/bin/chromium), unless it is
# there, and playwright-core, pinned by the lock file, into crates/checkout-runner/console/e2e.
# The test runs this itself on first use; .ci/run runs it beside the builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v chromium >/dev/null 2>&1; then
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi
e2e="$root/crates/checkout-runner/console/e2e"
exec 9>"$e2e/.install.lock"
flock 9
if [ ! -d "$e2e/node_modules/playwright-core" ] || [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$e2e" --no-audit --no-fund --loglevel=error
fi
chromium --version
