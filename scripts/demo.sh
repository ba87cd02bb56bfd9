#!/usr/bin/env bash
# The main job on the local stack: Kafka + Redis, the drain, the stream runtime, generated
# logplex traffic, and `routemeter top` on live numbers. Ctrl-C stops everything it started.
#
#   npm run demo                      (npm ci, build, then this script)
#   DEMO_SECONDS=120 DEMO_RATE=5000 bash scripts/demo.sh
#
# Logs: .stack/logs/demo-{drain,run,gen}.log. Prometheus: http://127.0.0.1:9464/metrics
# (runtime) and http://127.0.0.1:5000/metrics (drain).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEMO_SECONDS="${DEMO_SECONDS:-600}"
DEMO_RATE="${DEMO_RATE:-2000}"
export PORT="${PORT:-5000}"
export METRICS_PORT="${METRICS_PORT:-9464}"
export DRAIN_USERS="${DRAIN_USERS:-demo:demo}"
export LOG_LEVEL="${LOG_LEVEL:-info}"
CLI=(node dist/src/cli/main.js)

[[ -f dist/src/cli/main.js ]] || npm run build
bash scripts/stack.sh up
# shellcheck disable=SC1091
source .stack/env
mkdir -p .stack/logs

ready() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  echo "demo stopped (the stack keeps running: npm run stack down)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${CLI[@]}" drain >.stack/logs/demo-drain.log 2>&1 &
pids+=($!)
"${CLI[@]}" run >.stack/logs/demo-run.log 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do
  ready "http://127.0.0.1:$PORT/readyz" && ready "http://127.0.0.1:$METRICS_PORT/readyz" && break
  sleep 1
done
ready "http://127.0.0.1:$PORT/readyz" || { echo "drain not ready; see .stack/logs/demo-drain.log"; exit 1; }

user="${DRAIN_USERS%%,*}"
"${CLI[@]}" gen --url "http://${user}@127.0.0.1:$PORT/logs" --rate "$DEMO_RATE" --duration "$DEMO_SECONDS" --no-progress \
  >.stack/logs/demo-gen.log 2>&1 &
pids+=($!)

app=""
for _ in $(seq 1 30); do
  sleep 1
  app="$("${CLI[@]}" apps --names --limit 1 2>/dev/null || true)"
  [[ -n "$app" ]] && break
done
[[ -n "$app" ]] || { echo "no data reached Redis; see .stack/logs/demo-run.log"; exit 1; }

echo "drain http://127.0.0.1:$PORT/logs · metrics :$PORT/metrics and :$METRICS_PORT/metrics · top for $app"
if [[ -t 1 ]]; then
  "${CLI[@]}" top --app "$app" --since 120 --interval 2000
else
  # No terminal (CI, a pipe): print a few frames instead of a live screen.
  for _ in 1 2 3; do
    sleep 5
    "${CLI[@]}" top --app "$app" --since 120 --once
  done
fi
