#!/usr/bin/env bash
# Installs the headless Chromium the browser tests drive (test/api/*.browser.int.test.ts via
# puppeteer-core, which downloads no browser). Idempotent: a no-op when the binary is there.
# Called by scripts/test.sh and .ci/run; prints the binary's path on its last line.
#
#   bash scripts/install-browser.sh     # Debian/Ubuntu: apt-get install chromium-headless-shell
#   CHROME_PATH=/path/to/chrome ...     # use another Chromium (skips the install)
set -euo pipefail

find_browser() {
  local c
  for c in "${CHROME_PATH:-}" /usr/lib/chromium/chromium-headless-shell /usr/bin/chromium-headless-shell \
    /usr/bin/chromium /usr/bin/chromium-browser; do
    [[ -n "$c" && -x "$c" ]] && { echo "$c"; return 0; }
  done
  return 1
}

if path="$(find_browser)"; then
  echo "$path"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no Chromium found and no apt-get; install chromium-headless-shell or set CHROME_PATH" >&2
  exit 1
fi
sudo=()
((EUID == 0)) || sudo=(sudo)
echo "install-browser: apt-get install chromium-headless-shell" >&2
export DEBIAN_FRONTEND=noninteractive
# A stale package list can name a version the mirror no longer has: update first.
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium-headless-shell fonts-dejavu-core >&2
path="$(find_browser)" || { echo "install-browser: chromium-headless-shell installed but not found" >&2; exit 1; }
echo "$path"
