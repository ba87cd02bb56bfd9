import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { deleteTopic, uniqueName } from '../support/kafka.js';
import { compareOnce, startLogplexPoster } from '../support/logplex-poster.js';
import { freePort } from '../support/private-kafka.js';
import { AUTH, readTopic } from './drain-fixture.js';

/**
 * Fault scenario (issue 8 item 6, drain part): SIGTERM to `routemeter drain` (the built CLI, a
 * child process) while a logplex-like client posts over 6 connections.
 *
 * Invariant: every line answered 2xx is in Kafka exactly once; the drain exits 0 within the
 * shutdown budget; requests that arrive while it closes get 503 (logplex retries elsewhere) or
 * a refused connection, never a 2xx for lines that were not produced.
 */
const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drain: SIGTERM under load', () => {
  it('finishes what it acknowledged, refuses the rest, exits 0', async () => {
    const routerTopic = uniqueName('drain-sigterm');
    const redisPrefix = `${uniqueName('rmtest')}:`;
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN, 'drain'], {
      env: {
        ...process.env,
        PORT: String(port),
        ROUTER_TOPIC: routerTopic,
        PLATFORM_TOPIC: '',
        TOPIC_PARTITIONS: '3',
        REDIS_PREFIX: redisPrefix,
        DRAIN_USERS: 'logplex:s3cret',
        SHUTDOWN_TIMEOUT_MS: '10000',
        DRAIN_LINGER_MS: '20',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    onTestFinished(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await deleteTopic(routerTopic);
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });
    const base = `http://127.0.0.1:${port}`;
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const ok = await fetch(`${base}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(300);
    }

    const poster = startLogplexPoster({
      url: `${base}/logs`,
      authorization: AUTH,
      connections: 6,
      pauseMs: 0,
      retryDelayMs: 100,
      seed: 15,
    });
    await sleep(3000);
    const acksBefore = poster.stats.acknowledged.length;
    const termAt = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    const exitMs = performance.now() - termAt;
    // the drain is gone: whatever was not acknowledged stays so (the poster gives up at once)
    const stats = await poster.stop({ giveUpAfterMs: 0 });
    const got = (await readTopic(routerTopic, stats.acknowledged.length, 60_000)).map((r) =>
      r.value.toString(),
    );
    const cmp = compareOnce(stats.acknowledged, got);
    const figures = {
      acknowledgedBeforeTerm: acksBefore,
      acknowledgedLines: stats.acknowledged.length,
      unacknowledgedLines: stats.unacknowledged.length,
      statuses: stats.statuses,
      exitCode: code,
      exitMs: Math.round(exitMs),
      inKafka: got.length,
      ...cmp,
    };
    console.log(`[drain-sigterm] ${JSON.stringify(figures)}`);
    expect(acksBefore).toBeGreaterThan(0);
    expect(code).toBe(0);
    expect(cmp.lost).toBe(0);
    expect(cmp.doubled).toBe(0);
  });
});
