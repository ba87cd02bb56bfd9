import { Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { FlushBatch, WindowDelta } from '../../../src/actors/flush-batch.js';
import { createLatencyHistogram } from '../../../src/actors/latency-histogram.js';
import { PartitionAggregator } from '../../../src/actors/partition-aggregator.js';
import { isRoutemeterError } from '../../../src/errors/routemeter-error.js';
import type { RouterEvent } from '../../../src/logplex/router-event.js';
import { advanceOffset } from '../../../src/sinks/redis/advance-offset.js';
import { claimPartition } from '../../../src/sinks/redis/claim-partition.js';
import { encodeFlush, flushPartition } from '../../../src/sinks/redis/flush-partition.js';
import {
  histogramToText,
  unpackCodes,
  unpackHistogramInto,
  unpackStats,
} from '../../../src/sinks/redis/packed-values.js';
import type { RedisClient } from '../../../src/sinks/redis/redis-client.js';
import {
  offsetKey,
  partitionAppsKey,
  partitionTag,
  windowIndexKey,
  windowKey,
} from '../../../src/sinks/redis/redis-keys.js';
import { RedisPartitionStore } from '../../../src/sinks/redis/redis-partition-store.js';
import { retentionFromConfig } from '../../../src/sinks/redis/retention.js';
import { generateEvents } from '../../actors/router-events.js';
import { expectCode } from '../../support/expect-code.js';
import { onCluster, testRedis } from './test-redis.js';

const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000; // an hour boundary, an hour ago
const retention = retentionFromConfig({
  windowSeconds: 10,
  rollupSeconds: 60,
  windowRetentionSeconds: 3600,
  rollupRetentionSeconds: 7200,
});
const opts = { retention };
/** partition 0 of topic "router": the hash tag every key of its flushes carries */
const P0 = partitionTag('router', 0);

function newAggregator(): PartitionAggregator {
  return new PartitionAggregator({
    windowSeconds: 10,
    rollupSeconds: 60,
    allowedLatenessSeconds: 3600,
    routeCapPerApp: 500,
  });
}

/** Runs events through an aggregator, one batch per `every` records, with consecutive offsets. */
function batches(
  events: RouterEvent[],
  every: number,
  partition: number,
  epoch: number,
  agg = newAggregator(),
): FlushBatch[] {
  const out: FlushBatch[] = [];
  let from = 0;
  for (let i = 0; i < events.length; i += every) {
    for (const ev of events.slice(i, i + every)) agg.record(ev);
    const next = Math.min(events.length, i + every);
    out.push({
      ...agg.drain(),
      topic: 'router',
      partition,
      epoch,
      fromOffset: String(from),
      nextOffset: String(next),
    });
    from = next;
  }
  return out;
}

interface RouteTotals {
  stats: number[];
  codes: Record<string, number>;
}

/** What the window hashes must hold: the deltas summed per key and route. */
function expectedTotals(prefix: string, deltas: WindowDelta[]): Map<string, Record<string, RouteTotals>> {
  const out = new Map<string, Record<string, RouteTotals>>();
  for (const d of deltas) {
    const key = windowKey(prefix, P0, d.resolutionSeconds, d.app, d.windowStart);
    const routes = out.get(key) ?? {};
    routes[d.route] ??= { stats: new Array(13).fill(0), codes: {} };
    const t = routes[d.route]!;
    const v = [
      d.count,
      d.serviceSumMs,
      d.serviceCount,
      d.serviceMaxMs,
      d.connectSumMs,
      d.connectCount,
      d.bytes,
      ...d.statusClasses,
    ];
    v.forEach((x, i) => {
      t.stats[i] = i === 3 ? Math.max(t.stats[i]!, x) : t.stats[i]! + x;
    });
    for (const [code, n] of Object.entries(d.codes)) t.codes[code] = (t.codes[code] ?? 0) + n;
    out.set(key, routes);
  }
  return out;
}

async function storedTotals(redis: RedisClient, key: string): Promise<Record<string, RouteTotals>> {
  const raw = await redis.hgetallBuffer(key);
  const out: Record<string, RouteTotals> = {};
  for (const [field, value] of Object.entries(raw)) {
    const bar = field.lastIndexOf('|');
    const route = field.slice(0, bar);
    out[route] ??= { stats: new Array(13).fill(0), codes: {} };
    const t = out[route]!;
    const suffix = field.slice(bar + 1);
    if (suffix === 's') t.stats = unpackStats(value);
    if (suffix === 'e') t.codes = unpackCodes(value);
  }
  return out;
}

describe('flushPartition', () => {
  const { events } = generateEvents(6_000, T0, 3 * 60_000, 11);

  it('stores exact totals after several flushes', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, 'router', 0);
    const all = batches(events, 700, 0, epoch);
    for (const b of all) expect((await flushPartition(redis, prefix, b, opts)).status).toBe('applied');
    const expected = expectedTotals(
      prefix,
      all.flatMap((b) => b.deltas),
    );
    expect(expected.size).toBeGreaterThan(20);
    for (const [key, routes] of expected) expect(await storedTotals(redis, key), key).toEqual(routes);
    const offsets = await redis.hgetall(offsetKey(prefix, 'router', 0));
    expect(offsets.next).toBe(String(events.length));
    expect(Number(offsets.wm)).toBe(Math.max(...events.map((e) => e.timestampMs)));
  });

  it('rejects a flush from a fenced (older) epoch and writes nothing', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const old = await claimPartition(redis, prefix, 'router', 0);
    await claimPartition(redis, prefix, 'router', 0); // a newer owner
    const [batch] = batches(events.slice(0, 100), 100, 0, old.epoch);
    await expectCode(flushPartition(redis, prefix, batch!, opts), 'RM_ERR_FLUSH_FENCED');
    expect(
      await redis.exists(windowKey(prefix, P0, 10, batch!.deltas[0]!.app, batch!.deltas[0]!.windowStart)),
    ).toBe(0);
    expect(await redis.hget(offsetKey(prefix, 'router', 0), 'next')).toBeNull();
  });

  it('rejects a flush on a partition that was never claimed', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const [batch] = batches(events.slice(0, 10), 10, 0, 1);
    await expectCode(flushPartition(redis, prefix, batch!, opts), 'RM_ERR_FLUSH_FENCED');
  });

  it('rejects a flush that does not start at the stored next offset', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, 'router', 0);
    const [first, , third] = batches(events.slice(0, 300), 100, 0, epoch);
    await flushPartition(redis, prefix, first!, opts);
    await expectCode(flushPartition(redis, prefix, third!, opts), 'RM_ERR_FLUSH_OFFSET_MISMATCH');
    expect(await redis.hget(offsetKey(prefix, 'router', 0), 'next')).toBe('100');
  });

  it('treats a re-sent identical flush as already applied, without counting it twice', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, 'router', 0);
    const [first, second] = batches(events.slice(0, 400), 200, 0, epoch);
    await flushPartition(redis, prefix, first!, opts);
    await flushPartition(redis, prefix, second!, opts);
    const key = windowKey(
      prefix,
      P0,
      60,
      first!.deltas[0]!.app,
      first!.deltas.find((d) => d.resolutionSeconds === 60)!.windowStart,
    );
    const before = await redis.hgetall(key);
    expect((await flushPartition(redis, prefix, second!, opts)).status).toBe('already-applied');
    expect(await redis.hgetall(key)).toEqual(before);
    // the older one is a real conflict: it does not end where the store is
    await expectCode(flushPartition(redis, prefix, first!, opts), 'RM_ERR_FLUSH_OFFSET_MISMATCH');
  });

  // drops the socket of a single-Redis client (the cluster pass has the failover test instead)
  it.skipIf(onCluster())(
    'stays exactly-once when the connection drops while a flush is in flight (ioredis re-sends it)',
    async () => {
      const { redis, prefix, cleanup } = testRedis();
      if (redis instanceof Cluster) throw new Error('needs a single Redis');
      onTestFinished(cleanup);
      const { epoch } = await claimPartition(redis, prefix, 'router', 0);
      const all = batches(events.slice(0, 2000), 500, 0, epoch);
      for (const b of all) {
        const pending = flushPartition(redis, prefix, b, opts);
        redis.stream.destroy(); // drop the socket; the command may or may not have run
        const result = await pending.catch(async (err: unknown) => {
          // if ioredis gave up on it instead of re-sending, the caller retries the same batch
          if (isRoutemeterError(err, 'RM_ERR_REDIS_UNAVAILABLE'))
            return flushPartition(redis, prefix, b, opts);
          throw err;
        });
        expect(['applied', 'already-applied']).toContain(result.status);
      }
      const expected = expectedTotals(
        prefix,
        all.flatMap((b) => b.deltas),
      );
      for (const [key, routes] of expected) expect(await storedTotals(redis, key), key).toEqual(routes);
    },
  );

  it('merges histograms across partitions and flushes; quantiles stay within HDR precision', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const half = events.length / 2;
    for (const [partition, slice] of [
      [0, events.slice(0, half)],
      [1, events.slice(half)],
    ] as const) {
      const { epoch } = await claimPartition(redis, prefix, 'router', partition);
      for (const b of batches(slice, 400, partition, epoch)) await flushPartition(redis, prefix, b, opts);
    }
    // one hour-long view: every 60 s window of one route, merged at read time
    const app = events[0]!.app;
    const route = 'GET /users/:id';
    const exact = events
      .filter((e) => e.app === app && e.method === 'GET' && /^\/users\/\d+$/.test(e.path) && e.serviceMs >= 0)
      .map((e) => e.serviceMs)
      .sort((a, b) => a - b);
    const h = createLatencyHistogram();
    for (const tag of [P0, partitionTag('router', 1)]) {
      const starts = await redis.zrange(windowIndexKey(prefix, tag, 60, app), 0, -1);
      for (const start of starts) {
        const stored = await redis.hgetBuffer(windowKey(prefix, tag, 60, app, Number(start)), `${route}|hs`);
        if (stored) unpackHistogramInto(stored, h);
      }
    }
    expect(h.totalCount).toBe(exact.length);
    for (const p of [50, 95, 99]) {
      const want = exact[Math.max(1, Math.ceil((p / 100) * exact.length)) - 1]!;
      const got = h.getValueAtPercentile(p);
      expect(got).toBeGreaterThanOrEqual(want);
      expect(got).toBeLessThanOrEqual(want * (1 + 1 / 128) + 1);
    }
  });

  it('sets TTLs per resolution on windows and indexes, and indexes apps', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, 'router', 0);
    const [batch] = batches(events.slice(0, 200), 200, 0, epoch);
    await flushPartition(redis, prefix, batch!, opts);
    const short = batch!.deltas.find((d) => d.resolutionSeconds === 10)!;
    const long = batch!.deltas.find((d) => d.resolutionSeconds === 60)!;
    const ttl = (key: string) => redis.ttl(key);
    expect(await ttl(windowKey(prefix, P0, 10, short.app, short.windowStart))).toBeGreaterThan(3590);
    expect(await ttl(windowKey(prefix, P0, 10, short.app, short.windowStart))).toBeLessThanOrEqual(3600);
    expect(await ttl(windowKey(prefix, P0, 60, long.app, long.windowStart))).toBeGreaterThan(7190);
    expect(await ttl(windowIndexKey(prefix, P0, 10, short.app))).toBeGreaterThan(3590);
    expect(await ttl(partitionAppsKey(prefix, P0))).toBeGreaterThan(7190);
    const apps = await redis.zrange(partitionAppsKey(prefix, P0), 0, -1, 'WITHSCORES');
    expect(apps).toContain(short.app);
    expect(await redis.ttl(offsetKey(prefix, 'router', 0))).toBe(-1); // offsets never expire
  });

  it('applies a large batch in one script (measures the cost per delta)', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, 'router', 0);
    const deltas: WindowDelta[] = [];
    for (let r = 0; r < 5_000; r++) {
      for (const res of [10, 60]) {
        deltas.push({
          resolutionSeconds: res,
          windowStart: T0 / 1000,
          app: `app${r % 10}.example.com`,
          route: `GET /r${r}`,
          count: 20,
          serviceSumMs: 2000,
          serviceCount: 20,
          serviceMaxMs: 400,
          connectSumMs: 3,
          connectCount: 20,
          bytes: 20_000,
          statusClasses: [0, 19, 0, 0, 1, 0],
          codes: { '503': 1, H12: 1 },
          serviceHistogram: [5, 3, 40, 10, 41, 2, 90, 4, 400, 1],
          connectHistogram: [0, 17, 1, 3],
        });
      }
    }
    const batch: FlushBatch = {
      topic: 'router',
      partition: 0,
      epoch,
      fromOffset: '0',
      nextOffset: '100000',
      deltas,
      overflowed: 0,
      late: 0,
    };
    const started = performance.now();
    await flushPartition(redis, prefix, batch, opts);
    const firstMs = performance.now() - started;
    // a second flush onto the same windows also merges every histogram
    const again = { ...batch, fromOffset: '100000', nextOffset: '200000' };
    const t2 = performance.now();
    await flushPartition(redis, prefix, again, opts);
    const mergeMs = performance.now() - t2;
    const { args } = encodeFlush(prefix, batch, retention);
    console.log(
      `flush of ${deltas.length} deltas (${args.length} ARGV): ${firstMs.toFixed(0)} ms new, ` +
        `${mergeMs.toFixed(0)} ms merging = ${((mergeMs * 1000) / deltas.length).toFixed(1)} µs/delta`,
    );
    const key = windowKey(prefix, P0, 60, 'app3.example.com', T0 / 1000);
    expect(unpackStats((await redis.hgetBuffer(key, 'GET /r3|s'))!)).toEqual([
      40, 4000, 40, 400, 6, 40, 40000, 0, 38, 0, 0, 2, 0,
    ]);
    expect(unpackCodes((await redis.hgetBuffer(key, 'GET /r3|e'))!)).toEqual({ '503': 2, H12: 2 });
    expect(histogramToText((await redis.hgetBuffer(key, 'GET /r3|hs'))!)).toBe('5:6,40:20,41:4,90:8,400:2');
    expect(histogramToText((await redis.hgetBuffer(key, 'GET /r3|hc'))!)).toBe('0:34,1:6');
  });
});

describe('merging in Lua', () => {
  it('keeps non-integer sums and large counters exact', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, 'router', 0);
    const d: WindowDelta = {
      resolutionSeconds: 10,
      windowStart: T0 / 1000,
      app: 'a',
      route: 'GET /',
      count: 2 ** 40,
      serviceSumMs: 0.25,
      serviceCount: 1,
      serviceMaxMs: 0.25,
      connectSumMs: 0,
      connectCount: 0,
      bytes: 2 ** 52,
      statusClasses: [0, 1, 0, 0, 0, 0],
      codes: { H12: 2 ** 33 },
      serviceHistogram: [],
      connectHistogram: [],
    };
    for (let i = 0; i < 3; i++) {
      const b = { ...batch0(epoch, i), deltas: [d] };
      await flushPartition(redis, prefix, b, opts);
    }
    const key = windowKey(prefix, P0, 10, 'a', T0 / 1000);
    const stats = unpackStats((await redis.hgetBuffer(key, 'GET /|s'))!);
    expect(stats.slice(0, 7)).toEqual([3 * 2 ** 40, 0.75, 3, 0.25, 0, 0, 3 * 2 ** 52]);
    expect(unpackCodes((await redis.hgetBuffer(key, 'GET /|e'))!)).toEqual({ H12: 3 * 2 ** 33 });
  });
});

function batch0(epoch: number, i: number): FlushBatch {
  return {
    topic: 'router',
    partition: 0,
    epoch,
    fromOffset: String(i * 10),
    nextOffset: String(i * 10 + 10),
    deltas: [],
    overflowed: 0,
    late: 0,
  };
}

describe('RedisPartitionStore', () => {
  it('exposes claim, flush, advance and offsets for the runtime', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const store = new RedisPartitionStore(redis, prefix, retention);
    const { epoch } = await store.claim('router', 5);
    expect((await store.flush({ ...batch0(epoch, 0), partition: 5 })).status).toBe('applied');
    await store.advance('router', 5, epoch, '10', '500');
    expect((await store.offsets('router')).map((o) => [o.partition, o.nextOffset])).toEqual([[5, '500']]);
    await expectCode(store.advance('router', 5, epoch, '10', '900'), 'RM_ERR_FLUSH_OFFSET_MISMATCH');
  });
});

describe('advanceOffset', () => {
  it('moves the stored offset forward only, under the current epoch', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, 'router', 0);
    await flushPartition(
      redis,
      prefix,
      {
        topic: 'router',
        partition: 0,
        epoch,
        fromOffset: '0',
        nextOffset: '50',
        deltas: [],
        overflowed: 0,
        late: 0,
      },
      opts,
    );
    const req = { topic: 'router', partition: 0, epoch };
    expect(await advanceOffset(redis, prefix, { ...req, toOffset: '1000', expectedOffset: '50' })).toEqual({
      advanced: true,
      nextOffset: '1000',
    });
    expect(await advanceOffset(redis, prefix, { ...req, toOffset: '999' })).toEqual({
      advanced: false,
      nextOffset: '1000',
    });
    // offsets are compared as numbers, not text: "10000" > "9999"
    expect((await advanceOffset(redis, prefix, { ...req, toOffset: '10000' })).advanced).toBe(true);
    await expectCode(
      advanceOffset(redis, prefix, { ...req, toOffset: '20000', expectedOffset: '50' }),
      'RM_ERR_FLUSH_OFFSET_MISMATCH',
    );
    await expectCode(
      advanceOffset(redis, prefix, { ...req, epoch: epoch - 1, toOffset: '30000' }),
      'RM_ERR_FLUSH_FENCED',
    );
    expect(await redis.hget(offsetKey(prefix, 'router', 0), 'next')).toBe('10000');
  });
});
