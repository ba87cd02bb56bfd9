#!/usr/bin/env bash
# Installs Debian's Redis (redis-server, redis-cli) if it is missing. Idempotent: a no-op
# when both are on PATH. Called by scripts/stack.sh (single Redis), scripts/redis-cluster.sh
# (the local Redis Cluster) and .ci/run, because CI and new machines start from a clean clone.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  exit 0
fi
log="${TMPDIR:-/tmp}/routemeter-apt-redis.log"
echo "[install-redis] installing Debian's redis-server and redis-tools (log: $log)" >&2
if [[ "$(id -u)" != 0 ]]; then
  echo "[install-redis] ERROR: not root; run: sudo apt-get install -y redis-server redis-tools" >&2
  exit 1
fi
# one apt at a time on a shared machine
exec 7>/tmp/routemeter-apt.lock
flock -w 600 7
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 || { tail -n 20 "$log" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >>"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    exit 1
  }
fi
redis-server --version >&2
