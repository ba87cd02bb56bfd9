#!/usr/bin/env bash
# The main job on the local stack: Kafka + Redis, the drain, the stream runtime, the query
# API and dashboard (`serve`), generated logplex traffic, and `routemeter top` on live
# numbers for the busiest app, ending with the dashboard's URL. Ctrl-C stops everything it
# started (the generator first, so the drain is never stopped under load).
#
#   npm run demo                      (npm ci when node_modules is stale, build, then the demo)
#   DEMO_SECONDS=120 DEMO_RATE=5000 bash scripts/demo.sh
#
# Logs: .stack/logs/demo-{drain,run,serve,gen}.log. Prometheus: http://127.0.0.1:9464/metrics
# (runtime) and http://127.0.0.1:5000/metrics (drain). Dashboard: http://127.0.0.1:8080/
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEMO_SECONDS="${DEMO_SECONDS:-600}"
DEMO_RATE="${DEMO_RATE:-2000}"
export PORT="${PORT:-5000}"
export METRICS_PORT="${METRICS_PORT:-9464}"
export DRAIN_USERS="${DRAIN_USERS:-demo:demo}"
export LOG_LEVEL="${LOG_LEVEL:-info}"
API_PORT="${API_PORT:-8080}"
# A token for this demo only (the API refuses to serve open); it goes in the URL fragment.
API_TOKEN="${API_TOKEN:-demo-$(node -e 'process.stdout.write(require("crypto").randomBytes(12).toString("hex"))')}"
CLI=(node dist/src/cli/main.js)

# npm ci only when package-lock.json changed since node_modules was installed.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build
bash scripts/stack.sh up
# shellcheck disable=SC1091
source .stack/env
mkdir -p .stack/logs

ready() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }

pids=()
cleanup() {
  trap - EXIT INT TERM
  # Newest first: the generator stops before the drain it posts to, the drain before the runtime.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  echo "demo stopped (the stack keeps running: npm run stack down)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${CLI[@]}" drain >.stack/logs/demo-drain.log 2>&1 &
pids+=($!)
"${CLI[@]}" run >.stack/logs/demo-run.log 2>&1 &
pids+=($!)
PORT="$API_PORT" API_TOKENS="$API_TOKEN" "${CLI[@]}" serve >.stack/logs/demo-serve.log 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do
  ready "http://127.0.0.1:$PORT/readyz" && ready "http://127.0.0.1:$METRICS_PORT/readyz" &&
    ready "http://127.0.0.1:$API_PORT/readyz" && break
  sleep 1
done
ready "http://127.0.0.1:$PORT/readyz" || { echo "drain not ready; see .stack/logs/demo-drain.log"; exit 1; }
ready "http://127.0.0.1:$API_PORT/readyz" || { echo "serve not ready; see .stack/logs/demo-serve.log"; exit 1; }

user="${DRAIN_USERS%%,*}"
# One drain token per app, as Heroku adds one drain per app: the drain learns each token's app
# from its router lines and stamps it on the token's dyno lines (docs/dyno-metrics.md).
"${CLI[@]}" gen --url "http://${user}@127.0.0.1:$PORT/logs" --rate "$DEMO_RATE" --duration "$DEMO_SECONDS" --no-progress --token-per-app \
  >.stack/logs/demo-gen.log 2>&1 &
pids+=($!)

# The busiest app over the last minute, from the API (apps --names orders by recency, and
# with 60 generated apps every one is "most recent").
busiest() {
  node -e '
    fetch(process.argv[1], { headers: { authorization: `Bearer ${process.argv[2]}` } })
      .then((r) => r.json())
      .then((b) => {
        const top = b.apps.sort((x, y) => y.requests - x.requests)[0];
        if (top) process.stdout.write(top.app);
      })
      .catch(() => {});' "http://127.0.0.1:$API_PORT/api/v1/apps?since=-1m" "$API_TOKEN"
}
app=""
for _ in $(seq 1 30); do
  sleep 2
  app="$(busiest)"
  [[ -n "$app" ]] && break
done
[[ -n "$app" ]] || { echo "no data reached Redis; see .stack/logs/demo-run.log"; exit 1; }

dashboard="http://127.0.0.1:$API_PORT/#token=$API_TOKEN&app=$app&range=1h"
echo "drain http://127.0.0.1:$PORT/logs · metrics :$PORT/metrics and :$METRICS_PORT/metrics · top for $app (busiest)"
if [[ -t 1 ]]; then
  echo "dashboard (live, refreshes every 10 s): $dashboard"
  sleep 3
  "${CLI[@]}" top --app "$app" --since 120 --interval 2000 --note "dashboard (live): $dashboard" || true
else
  # No terminal (CI, a pipe): print a few frames instead of a live screen.
  for _ in 1 2 3; do
    sleep 5
    "${CLI[@]}" top --app "$app" --since 120 --once
  done
fi
echo
echo "dashboard with live numbers: $dashboard"
if [[ ! -t 1 ]]; then
  echo "(traffic continues for ${DEMO_SECONDS}s; Ctrl-C stops the demo)"
  wait "${pids[-1]}" || true
fi
