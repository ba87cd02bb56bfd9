import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { runRuntime } from '../../../src/runtime/run-runtime.js';
import { readOffsets } from '../../../src/sinks/redis/read-offsets.js';
import { createRedis } from '../../../src/sinks/redis/redis-client.js';
import { offsetKey } from '../../../src/sinks/redis/redis-keys.js';
import {
  deleteKeys,
  expectExact,
  highWatermarks,
  metricSum,
  readStoredTotals,
  runtimeConfig,
  seed,
  storedProgress,
  testLogger,
  waitFlushed,
} from '../../runtime/runtime-harness.js';
import { useTopic, waitFor } from '../../support/kafka.js';
import { nodePid, type PrivateCluster, startPrivateCluster } from '../../support/redis-cluster.js';
import { makeRouterLines } from '../../support/router-lines.js';

interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  masterId: string;
  slots: Array<[number, number]>;
}

/** `CLUSTER NODES`: "<id> <ip:port@bus> <flags> <master id|-> <ping> <pong> <epoch> <link> <slot-range>…" */
async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const text = String(await r.call('CLUSTER', 'NODES'));
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id, addr, flags, masterId, , , , , ...ranges] = line.trim().split(' ');
        return {
          id: id!,
          port: Number(addr!.split('@')[0]!.split(':')[1]),
          master: flags!.split(',').includes('master') && !flags!.includes('fail'),
          masterId: masterId!,
          slots: ranges
            .filter((s) => !s.startsWith('['))
            .map((s) => s.split('-').map(Number))
            .map(([a, b]) => [a!, b ?? a!] as [number, number]),
        };
      });
  } finally {
    r.disconnect();
  }
}

async function role(port: number): Promise<string> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    return String(((await r.call('ROLE')) as unknown[])[0]);
  } finally {
    r.disconnect();
  }
}

describe('Redis Cluster failover (a private 3 + 3 cluster, real Kafka)', () => {
  let cluster: PrivateCluster;
  beforeAll(async () => {
    cluster = await startPrivateCluster(7400);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('keeps totals exact when a primary is killed mid-run: the runtime pauses, the replica is promoted, flushing resumes', async () => {
    const topic = await useTopic('rc-failover', 4);
    const lines = makeRouterLines(300_000, { seed: 17, apps: 8, stepMs: 1 });
    await seed(topic, lines);
    const config = runtimeConfig(topic, {
      REDIS_URL: cluster.url,
      FLUSH_INTERVAL_MS: '100',
      MAX_PENDING_RECORDS: '20000',
    });
    const redis = createRedis(config);
    const runtime = await runRuntime(config, testLogger, { metricsPort: 0 });
    onTestFinished(async () => {
      await runtime.stop();
      await deleteKeys(redis, config.redis.prefix);
      redis.disconnect();
    });
    const mark = Math.floor(0.2 * lines.length);
    await waitFor(async () => (await storedProgress(redis, config)) >= mark, {
      timeoutMs: 120_000,
      intervalMs: 25,
      message: `stored progress past ${mark}`,
    });

    // the partition furthest behind loses the primary of its slot
    const highs = await highWatermarks(topic);
    const behind = (await readOffsets(redis, config.redis.prefix, topic))
      .map((o) => ({
        partition: o.partition,
        left: Number(highs.get(o.partition)) - Number(o.nextOffset ?? 0),
      }))
      .sort((a, b) => b.left - a.left)[0]!;
    expect(behind.left).toBeGreaterThan(0);
    const highOfBehind = highs.get(behind.partition)!;
    const slot = calculateSlot(offsetKey(config.redis.prefix, topic, behind.partition));
    const nodes = await clusterNodes(cluster.ports[0]!);
    const primary = nodes.find((n) => n.master && n.slots.some(([a, b]) => slot >= a && slot <= b))!;
    const replica = nodes.find((n) => n.masterId === primary.id)!;
    expect(replica).toBeDefined();
    const progressAtKill = await storedProgress(redis, config);
    process.kill(nodePid(cluster, primary.port), 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => (await role(replica.port)) === 'master', {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: `replica :${replica.port} promoted`,
    });
    const promotedMs = Date.now() - killedAt;

    await waitFlushed(redis, config, 180_000);
    // The slot is now served by the promoted replica, and the partition that was behind
    // got to its end: its remaining flushes were applied there, after the kill. Meanwhile
    // its flushes either failed and were retried with the same batch (counted below) or
    // waited in the client until the slot map changed; both keep the batch, neither
    // double-counts (the totals check).
    const after = await clusterNodes(replica.port);
    expect(after.find((n) => n.port === replica.port)?.slots.some(([a, b]) => slot >= a && slot <= b)).toBe(
      true,
    );
    const stored = await readOffsets(redis, config.redis.prefix, topic);
    expect(stored.find((o) => o.partition === behind.partition)?.nextOffset).toBe(highOfBehind);
    const failures = metricSum(await runtime.registry.metrics(), 'routemeter_flush_failures_total');
    expect(await runtime.stop()).toBe(true);

    expectExact(lines, await readStoredTotals(redis, config.redis.prefix, config.runtime.rollupSeconds));
    console.log(
      `failover: primary :${primary.port} (slot ${slot}, partition ${behind.partition}) SIGKILLed at ` +
        `${((100 * progressAtKill) / lines.length).toFixed(0)}% stored; replica :${replica.port} promoted ` +
        `after ${promotedMs} ms; ${failures} failed flushes retried; ${lines.length} records, totals exact`,
    );
  });
});
