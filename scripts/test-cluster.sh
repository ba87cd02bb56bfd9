#!/usr/bin/env bash
# `npm run test:cluster`: the cluster pass. Re-runs the integration tests that write and read
# the Redis store (the sink, the query module, the runtime's exactness test and its SIGKILL /
# worker-crash / two-process tests) against the local Redis Cluster (3 primaries + 3 replicas,
# `scripts/stack.sh cluster-up`), with REDIS_URL=redis+cluster://…. Needs the stack up (Kafka).
# The failover test (test/sinks/redis/redis-cluster-failover.int.test.ts) is not repeated here:
# it always runs on a private cluster of its own, in the normal integration pass.
# Extra arguments go to vitest. Report: .stack/vitest-cluster-results.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FILES=(
  test/sinks/redis/claim-partition.int.test.ts
  test/sinks/redis/flush-partition.int.test.ts
  test/sinks/redis/flush-platform-partition.int.test.ts
  test/query/query-routes.int.test.ts
  test/query/query-dynos.int.test.ts
  test/query/top.int.test.ts
  test/runtime/supervisor.int.test.ts
  test/runtime/crash-recovery.int.test.ts
)

bash scripts/stack.sh cluster-up >/dev/null
# shellcheck disable=SC1091
source .stack/env
[[ -n "${REDIS_CLUSTER_URL:-}" ]] || { echo "test-cluster: no REDIS_CLUSTER_URL in .stack/env" >&2; exit 1; }
echo "[test-cluster] REDIS_URL=$REDIS_CLUSTER_URL"
set +e
REDIS_URL="$REDIS_CLUSTER_URL" npx vitest run --project integration "${FILES[@]}" "$@"
rc=$?
set -e
# vitest.config.ts writes its JSON report to .stack/vitest-results.json: keep this pass's apart
cp .stack/vitest-results.json .stack/vitest-cluster-results.json 2>/dev/null || true
exit "$rc"
