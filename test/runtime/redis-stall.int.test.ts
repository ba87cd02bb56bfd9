import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { exited, CLI_MAIN as MAIN } from '../support/child-process.js';
import { useTopic, waitFor } from '../support/kafka.js';
import { freePort } from '../support/private-kafka.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { makeRouterLines } from '../support/router-lines.js';
import {
  childEnv,
  expectExact,
  metricSum,
  readStoredTotals,
  runtimeConfig,
  seed,
  storedProgress,
  testRedis,
  waitFlushed,
} from './runtime-harness.js';

/**
 * Fault scenario (issue 8): the store stalls for 30 s under load.
 *
 * A `routemeter run` process consumes a topic that keeps receiving traffic, with a
 * redis-server of the test's own that is paused with SIGSTOP for 30 s (connections open,
 * nothing answers: the worst kind of outage, as a Redis stuck in a fork or a network
 * partition). What must hold:
 *   - during the stall: /readyz 503, the lag metric grows by what is produced, nothing is
 *     stored, the process's memory stays bounded (the pending bounds pause fetching);
 *   - after it: the process recovers by itself, and Redis holds exactly what Kafka holds.
 * The figures are printed (one line) for the closing notes and docs/operations.md.
 */
const STALL_MS = 30_000;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

describe('fault: Redis stalled for 30 s under load (real Kafka, private Redis, routemeter run)', () => {
  it('pauses, says so in /readyz and the lag, stays bounded in memory, and ends exact', async () => {
    const store = await usePrivateRedis();
    const topic = await useTopic('rt-stall', 4);
    const lines = makeRouterLines(90_000, { seed: 77, apps: 6, stepMs: 1 });
    const before = lines.slice(0, 20_000);
    const during = lines.slice(20_000, 70_000);
    const after = lines.slice(70_000);
    await seed(topic, before);

    const metricsPort = await freePort();
    const config = runtimeConfig(topic, { REDIS_URL: store.url, FLUSH_INTERVAL_MS: '200' });
    const redis = testRedis(config);
    const child = spawn(process.execPath, [MAIN, 'run'], {
      env: childEnv(config, {
        REDIS_URL: store.url,
        METRICS_PORT: String(metricsPort),
        LAG_PROBE_INTERVAL_MS: '500',
      }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    onTestFinished(async () => {
      store.resume();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      redis.disconnect();
    });
    const url = (path: string) => `http://127.0.0.1:${metricsPort}${path}`;
    const readyStatus = async () => (await fetch(url('/readyz'))).status;
    const lag = async () =>
      metricSum(await (await fetch(url('/metrics'))).text(), 'routemeter_consumer_lag_records');

    await waitFor(async () => (await readyStatus()) === 200, { timeoutMs: 90_000, message: 'ready' });
    await waitFlushed(redis, config, 120_000);
    let peakRss = rssBytes(child.pid as number);

    // The stall: traffic keeps arriving (in 10 chunks over the 30 s) while Redis answers nothing.
    const stalledAt = Date.now();
    store.pause();
    const storedAtStall = before.length;
    let notReadySeen = 0;
    let maxLag = 0;
    const chunk = Math.ceil(during.length / 10);
    for (let i = 0; i < 10; i++) {
      await seed(topic, during.slice(i * chunk, (i + 1) * chunk));
      const until = stalledAt + ((i + 1) * STALL_MS) / 10;
      while (Date.now() < until) {
        if ((await readyStatus()) === 503) notReadySeen++;
        maxLag = Math.max(maxLag, await lag());
        peakRss = Math.max(peakRss, rssBytes(child.pid as number));
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const lagAtEnd = await lag();
    const readyAtEnd = await readyStatus();
    store.resume();
    const resumedAt = Date.now();

    // The process stayed up and said it was not ready; the lag counted what arrived.
    expect(child.exitCode).toBeNull();
    expect(readyAtEnd).toBe(503);
    expect(notReadySeen).toBeGreaterThan(0);
    expect(lagAtEnd).toBeGreaterThanOrEqual(during.length);

    await seed(topic, after);
    await waitFlushed(redis, config, 180_000);
    const recoveredMs = Date.now() - resumedAt;
    await waitFor(async () => (await readyStatus()) === 200, { timeoutMs: 30_000, message: 'ready again' });
    await waitFor(async () => (await lag()) === 0, { timeoutMs: 30_000, message: 'lag back to 0' });
    peakRss = Math.max(peakRss, rssBytes(child.pid as number));

    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(await storedProgress(redis, config)).toBe(lines.length);
    expectExact(lines, await readStoredTotals(redis, config.redis.prefix, config.runtime.rollupSeconds));
    // The default bounds are sized for a 512 MB container (docs/operations.md).
    expect(peakRss).toBeLessThan(512 * 1024 * 1024);
    console.log(
      `[redis-stall] stall ${STALL_MS / 1000} s with ${during.length} records arriving: /readyz 503 in ` +
        `${notReadySeen} probes, lag max ${maxLag} (end of stall ${lagAtEnd}); recovered and flushed ` +
        `${(recoveredMs / 1000).toFixed(1)} s after resume; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB; ` +
        `stored at stall ${storedAtStall}, lost 0, doubled 0 (exact against the oracle)`,
    );
  });
});
