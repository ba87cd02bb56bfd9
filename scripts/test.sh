#!/usr/bin/env bash
# `npm test`: everything the tests need, then unit + integration tests against the real
# Kafka and Redis. Works on a fresh clone: installs dependencies if missing, builds (worker
# threads load the compiled JavaScript), and brings the local stack up if it is not (a
# no-op when it runs). Extra arguments go to vitest (e.g. `npm test -- test/runtime`).
# ROUTEMETER_BUILT=1 skips the build: .ci/run sets it after building once itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
if [[ "${ROUTEMETER_BUILT:-}" == 1 ]]; then
  echo "build: skipped (ROUTEMETER_BUILT=1, built by the caller)"
else
  npm run build
fi
bash scripts/install-test-tools.sh
bash scripts/install-prometheus.sh
# headless Chromium for the dashboard's browser tests (test/api/dashboard-page.int.test.ts)
bash scripts/install-browser.sh >/dev/null
bash scripts/stack.sh up
# shellcheck disable=SC1091
source .stack/env
exec npx vitest run "$@"
