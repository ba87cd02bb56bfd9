import { afterEach, describe, expect, it } from 'vitest';
import { runRuntime, type RunningRuntime } from '../../src/runtime/run-runtime.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { useTopic } from '../support/kafka.js';
import { makeRouterLines } from '../support/router-lines.js';
import { deleteKeys, runtimeConfig, seed, testRedis, waitFlushed } from './runtime-harness.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', 'test');

describe('Supervisor (real Kafka and Redis)', () => {
  let runtime: RunningRuntime | null = null;
  afterEach(async () => {
    await runtime?.stop();
    runtime = null;
  });

  it('consumes every partition on worker threads and flushes up to the high watermark', async () => {
    const topic = await useTopic('rt-smoke', 4);
    const lines = makeRouterLines(20_000, { seed: 7 });
    await seed(topic, lines);
    const config = runtimeConfig(topic);
    const redis = testRedis(config);
    try {
      runtime = await runRuntime(config, logger, { metricsPort: 0 });
      await waitFlushed(redis, config);
      const metrics = await runtime.registry.metrics();
      const consumed = [...metrics.matchAll(/^routemeter_consumed_records_total\{[^}]*\} (\d+)/gm)].reduce(
        (a, m) => a + Number(m[1]),
        0,
      );
      expect(consumed).toBe(lines.length);
      expect(runtime.supervisor.ownedPartitions).toEqual([0, 1, 2, 3]);
    } finally {
      await deleteKeys(redis, config.redis.prefix);
      redis.disconnect();
    }
  });
});
