import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type DynoWindowDelta,
  emptyDynoDelta,
  type PlatformFlushBatch,
} from '../../../src/actors/dyno-flush-batch.js';
import { advanceDynoState, type DynoState, emptyDynoState } from '../../../src/actors/dyno-state.js';
import { PlatformAggregator } from '../../../src/actors/platform-aggregator.js';
import { claimPartition } from '../../../src/sinks/redis/claim-partition.js';
import { flushPlatformPartition } from '../../../src/sinks/redis/flush-platform-partition.js';
import { decodeMsgpack } from '../../../src/sinks/redis/msgpack.js';
import {
  processTypeOf,
  unpackDynoDelta,
  unpackDynoState,
} from '../../../src/sinks/redis/packed-dyno-values.js';
import { DYNO_STATE_HORIZON_MS, DYNO_STATE_MAX } from '../../../src/sinks/redis/platform-flush-script.js';
import type { RedisClient } from '../../../src/sinks/redis/redis-client.js';
import {
  dynoStateKey,
  dynoWindowIndexKey,
  dynoWindowKey,
  offsetKey,
  partitionTag,
  platformAppsKey,
} from '../../../src/sinks/redis/redis-keys.js';
import { RedisPartitionStore } from '../../../src/sinks/redis/redis-partition-store.js';
import { retentionFromConfig } from '../../../src/sinks/redis/retention.js';
import {
  dynoError,
  dynoWindowKeyOf,
  expectSameDynoWindows,
  load,
  memory,
  type PlatformInput,
  randomPlatformStream,
} from '../../actors/platform-events.js';
import { seededRandom } from '../../actors/router-events.js';
import { expectCode } from '../../support/expect-code.js';
import { testRedis } from './test-redis.js';

const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000; // an hour boundary, an hour ago
const NOW = T0 + 3_600_000;
const LATENESS_S = 120;
const TOPIC = 'platform';
const retention = retentionFromConfig({
  windowSeconds: 10,
  rollupSeconds: 60,
  windowRetentionSeconds: 3600,
  rollupRetentionSeconds: 7200,
});
const opts = { retention };

function newAggregator(): PlatformAggregator {
  return new PlatformAggregator({
    windowSeconds: 10,
    rollupSeconds: 60,
    allowedLatenessSeconds: LATENESS_S,
    dynoCapPerApp: 4,
    clock: () => NOW,
  });
}

/** Records `input` with consecutive offsets, draining into a batch after each record with chance `p` (and at the end). */
function batches(input: PlatformInput[], epoch: number, seed: number, p: number, partition = 0) {
  const agg = newAggregator();
  const rnd = seededRandom(seed);
  const out: PlatformFlushBatch[] = [];
  let from = 0;
  input.forEach(({ app, ev }, i) => {
    agg.record(app, ev);
    if (rnd() < p || i === input.length - 1) {
      out.push({
        ...agg.drain(),
        topic: TOPIC,
        partition,
        epoch,
        fromOffset: String(from),
        nextOffset: String(i + 1),
      });
      from = i + 1;
    }
  });
  return out;
}

const keyOf = dynoWindowKeyOf;

/** Everything a platform partition stored, read back key by key from its apps index. */
async function readBack(redis: RedisClient, prefix: string, partition = 0) {
  const tag = partitionTag(TOPIC, partition);
  const windows = new Map<string, DynoWindowDelta>();
  const states = new Map<string, DynoState>();
  const apps = await redis.zrange(platformAppsKey(prefix, tag), 0, -1);
  for (const app of apps) {
    for (const res of [10, 60]) {
      for (const start of (await redis.zrange(dynoWindowIndexKey(prefix, tag, res, app), 0, -1)).map(
        Number,
      )) {
        const hash = await redis.hgetallBuffer(dynoWindowKey(prefix, tag, res, app, start));
        const fields = new Map<string, Record<string, Buffer>>();
        for (const [field, value] of Object.entries(hash)) {
          const bar = field.lastIndexOf('|');
          const dyno = field.slice(0, bar);
          fields.set(dyno, { ...fields.get(dyno), [field.slice(bar + 1)]: value });
        }
        for (const [dyno, f] of fields) {
          const d = unpackDynoDelta(emptyDynoDelta(res, start, app, processTypeOf(dyno), dyno), f);
          windows.set(keyOf(d), d);
        }
      }
    }
    for (const [dyno, value] of Object.entries(await redis.hgetallBuffer(dynoStateKey(prefix, tag, app))))
      states.set(`${app}|${dyno}`, unpackDynoState(value));
  }
  return { apps, windows, states };
}

/** The oracle: one aggregator that records everything and drains once. */
function oneDrain(input: PlatformInput[]) {
  const agg = newAggregator();
  for (const { app, ev } of input) agg.record(app, ev);
  const drained = agg.drain();
  const windows = new Map(drained.deltas.map((d) => [keyOf(d), d]));
  const states = new Map<string, DynoState>();
  for (const d of drained.deltas) {
    if (d.memorySamples === 0 && d.loadSamples === 0) continue;
    const k = `${d.app}|${d.dyno}`;
    states.set(k, advanceDynoState(states.get(k) ?? emptyDynoState(), d));
  }
  return { windows, states, watermarkMs: drained.watermarkMs };
}

function batchOf(epoch: number, from: number, next: number, deltas: DynoWindowDelta[]): PlatformFlushBatch {
  return {
    topic: TOPIC,
    partition: 0,
    epoch,
    fromOffset: String(from),
    nextOffset: String(next),
    deltas,
    records: deltas.length,
    overflowed: 0,
    ignored: 0,
    late: 0,
    rejected: 0,
    watermarkMs: T0 + next * 1000,
  };
}

/** A small batch by hand: two dynos of one app, memory, load and an R14 in one 10-s window. */
function handBatch(epoch: number, from: number, next: number, t = T0): PlatformFlushBatch {
  const agg = newAggregator();
  agg.record('a.example.com', memory('web.1', t + 1000, 300, { memoryQuotaMb: 512, memorySwapMb: 2 }));
  agg.record('a.example.com', memory('web.1', t + 4000, 600, { memoryQuotaMb: 512, memorySwapMb: 90 }));
  agg.record('a.example.com', dynoError('web.1', t + 4000, 'R14'));
  agg.record('a.example.com', load('web.2', t + 2000, 1.25));
  return {
    ...agg.drain(),
    topic: TOPIC,
    partition: 0,
    epoch,
    fromOffset: String(from),
    nextOffset: String(next),
  };
}

describe('flushPlatformPartition', () => {
  it('applies a batch: dyno fields, indexes, current state, TTLs and the offset', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, TOPIC, 0);
    const batch = handBatch(epoch, 0, 4);
    expect(await flushPlatformPartition(redis, prefix, batch, opts)).toEqual({
      status: 'applied',
      deltas: 4, // web.1 and web.2, 10 s and 60 s
      windows: 2,
    });
    const tag = partitionTag(TOPIC, 0);
    const key = dynoWindowKey(prefix, tag, 10, 'a.example.com', T0 / 1000);
    const hash = await redis.hgetallBuffer(key);
    expect(Object.keys(hash).sort()).toEqual(['web.1|e', 'web.1|m', 'web.2|l']);
    expect(decodeMsgpack(hash['web.1|m']!)).toEqual([
      2,
      900,
      600,
      600,
      880,
      590,
      590,
      90,
      90,
      512,
      T0 + 4000,
    ]);
    expect(decodeMsgpack(hash['web.2|l']!)).toEqual([1, 1.25, 1.25, 1.25, T0 + 2000]);
    expect(decodeMsgpack(hash['web.1|e']!)).toEqual({ R14: 1 });
    expect(await redis.zrange(platformAppsKey(prefix, tag), 0, -1, 'WITHSCORES')).toEqual([
      'a.example.com',
      String(T0 / 1000),
    ]);
    const state = await redis.hgetallBuffer(dynoStateKey(prefix, tag, 'a.example.com'));
    expect(unpackDynoState(state['web.1']!)).toEqual({
      memoryLastMs: T0 + 4000,
      memoryTotalMb: 600,
      memoryRssMb: 590,
      memorySwapMb: 90,
      memoryQuotaMb: 512,
      loadLastMs: -1,
      load1m: 0,
    });
    expect(unpackDynoState(state['web.2']!)).toMatchObject({
      memoryLastMs: -1,
      loadLastMs: T0 + 2000,
      load1m: 1.25,
    });
    const ttl = (k: string) => redis.ttl(k);
    expect(await ttl(key)).toBeGreaterThan(3590);
    expect(await ttl(key)).toBeLessThanOrEqual(3600);
    expect(await ttl(dynoWindowKey(prefix, tag, 60, 'a.example.com', T0 / 1000))).toBeGreaterThan(7190);
    expect(await ttl(dynoWindowIndexKey(prefix, tag, 10, 'a.example.com'))).toBeGreaterThan(3590);
    expect(await ttl(platformAppsKey(prefix, tag))).toBeGreaterThan(7190);
    expect(await ttl(dynoStateKey(prefix, tag, 'a.example.com'))).toBeGreaterThan(7190);
    const off = await redis.hgetall(offsetKey(prefix, TOPIC, 0));
    expect(off).toMatchObject({ epoch: String(epoch), next: '4', wm: String(T0 + 4000) });
    expect(await redis.ttl(offsetKey(prefix, TOPIC, 0))).toBe(-1);
  });

  it('treats a re-sent batch as already applied and counts nothing twice', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, TOPIC, 0);
    const first = handBatch(epoch, 0, 4);
    const second = handBatch(epoch, 4, 8, T0 + 5000);
    await flushPlatformPartition(redis, prefix, first, opts);
    await flushPlatformPartition(redis, prefix, second, opts);
    const key = dynoWindowKey(prefix, partitionTag(TOPIC, 0), 60, 'a.example.com', T0 / 1000);
    const before = await redis.hgetallBuffer(key);
    expect((decodeMsgpack(before['web.1|m']!) as number[]).slice(0, 3)).toEqual([4, 1800, 600]);
    expect((await flushPlatformPartition(redis, prefix, second, opts)).status).toBe('already-applied');
    expect(await redis.hgetallBuffer(key)).toEqual(before);
    // the older one is a real conflict: it does not end where the store is
    await expectCode(flushPlatformPartition(redis, prefix, first, opts), 'RM_ERR_FLUSH_OFFSET_MISMATCH');
  });

  it('fences an older epoch and a partition never claimed, writing nothing', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    await expectCode(flushPlatformPartition(redis, prefix, handBatch(1, 0, 4), opts), 'RM_ERR_FLUSH_FENCED');
    const old = await claimPartition(redis, prefix, TOPIC, 0);
    await claimPartition(redis, prefix, TOPIC, 0); // a newer owner
    await expectCode(
      flushPlatformPartition(redis, prefix, handBatch(old.epoch, 0, 4), opts),
      'RM_ERR_FLUSH_FENCED',
    );
    const tag = partitionTag(TOPIC, 0);
    expect(await redis.exists(dynoWindowKey(prefix, tag, 10, 'a.example.com', T0 / 1000))).toBe(0);
    expect(await redis.exists(platformAppsKey(prefix, tag), dynoStateKey(prefix, tag, 'a.example.com'))).toBe(
      0,
    );
    expect(await redis.hget(offsetKey(prefix, TOPIC, 0), 'next')).toBeNull();
  });

  it('rejects a batch that does not start at the stored offset, and one whose epoch the store lost', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, TOPIC, 0);
    await flushPlatformPartition(redis, prefix, handBatch(epoch, 0, 4), opts);
    await expectCode(
      flushPlatformPartition(redis, prefix, handBatch(epoch, 8, 12), opts),
      'RM_ERR_FLUSH_OFFSET_MISMATCH',
    );
    // a stored epoch LOWER than the batch's: a failover lost the claim → re-claim, not fenced
    await expectCode(
      flushPlatformPartition(redis, prefix, handBatch(epoch + 1, 4, 8), opts),
      'RM_ERR_FLUSH_OFFSET_MISMATCH',
    );
    expect(await redis.hget(offsetKey(prefix, TOPIC, 0), 'next')).toBe('4');
    await expectCode(flushPlatformPartition(redis, prefix, handBatch(0, 4, 8), opts), 'RM_ERR_INVALID_BATCH');
  });

  it('keeps the newest sample in the current state and the window, whatever order the flushes come in', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, TOPIC, 0);
    const newer = emptyDynoDelta(10, T0 / 1000, 'a', 'web', 'web.1');
    Object.assign(newer, {
      memorySamples: 1,
      memoryTotalSumMb: 400,
      memoryTotalMaxMb: 400,
      memoryTotalLastMb: 400,
      memoryRssSumMb: 390,
      memoryRssMaxMb: 390,
      memoryRssLastMb: 390,
      memoryQuotaMb: 1024,
      memoryLastMs: T0 + 9000,
    });
    // an older sample (a late record) with no quota, flushed afterwards
    const older = { ...newer, memoryTotalSumMb: 500, memoryTotalMaxMb: 500, memoryTotalLastMb: 500 };
    Object.assign(older, { memoryQuotaMb: 0, memoryLastMs: T0 + 1000, events: { R14: 1 } });
    await flushPlatformPartition(redis, prefix, batchOf(epoch, 0, 1, [newer]), opts);
    await flushPlatformPartition(redis, prefix, batchOf(epoch, 1, 2, [older]), opts);
    // a tie: the later flush wins, as the later record does within a window; quota 0 keeps the stored one
    const tie = { ...newer, memoryTotalSumMb: 450, memoryTotalMaxMb: 450, memoryTotalLastMb: 450 };
    Object.assign(tie, { memoryQuotaMb: 0, events: {} });
    await flushPlatformPartition(redis, prefix, batchOf(epoch, 2, 3, [tie]), opts);
    const { windows, states } = await readBack(redis, prefix);
    expect(windows.get(keyOf(newer))).toMatchObject({
      memorySamples: 3,
      memoryTotalSumMb: 1350,
      memoryTotalMaxMb: 500,
      memoryTotalLastMb: 450,
      memoryQuotaMb: 1024,
      memoryLastMs: T0 + 9000,
      events: { R14: 1 },
    });
    expect(states.get('a|web.1')).toMatchObject({
      memoryTotalMb: 450,
      memoryQuotaMb: 1024,
      memoryLastMs: T0 + 9000,
    });
  });

  it('forgets dynos an hour older than the app newest once the current state passes its size cap', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const { epoch } = await claimPartition(redis, prefix, TOPIC, 0);
    const sampled = (dyno: string, t: number) => ({
      ...emptyDynoDelta(10, Math.floor(t / 10_000) * 10, 'a', processTypeOf(dyno), dyno),
      memorySamples: 1,
      memoryTotalSumMb: 100,
      memoryTotalMaxMb: 100,
      memoryTotalLastMb: 100,
      memoryLastMs: t,
    });
    // one-off dynos, each a new name, over 70 minutes
    const oneOffs = Array.from({ length: DYNO_STATE_MAX }, (_, n) => sampled(`run.${n}`, T0 + n * 16_000));
    await flushPlatformPartition(redis, prefix, batchOf(epoch, 0, 1, oneOffs), opts);
    const key = dynoStateKey(prefix, partitionTag(TOPIC, 0), 'a');
    expect(await redis.hlen(key)).toBe(DYNO_STATE_MAX); // at the cap: nothing forgotten yet
    await flushPlatformPartition(
      redis,
      prefix,
      batchOf(epoch, 1, 2, [sampled('web.1', T0 + 80 * 60_000)]),
      opts,
    );
    const newest = T0 + 80 * 60_000;
    const kept = oneOffs.filter((d) => d.memoryLastMs >= newest - DYNO_STATE_HORIZON_MS).map((d) => d.dyno);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(DYNO_STATE_MAX);
    expect((await redis.hkeys(key)).sort()).toEqual([...kept, 'web.1'].sort());
  });

  it.each([1, 2, 3])(
    'seed %i: random drains flushed in pieces (and re-sent) read back as one drain of everything',
    async (seed) => {
      const { redis, prefix, cleanup } = testRedis();
      onTestFinished(cleanup);
      const input = randomPlatformStream(seed, 3000, {
        startMs: T0,
        nowMs: NOW,
        latenessSeconds: LATENESS_S,
      });
      const { epoch } = await claimPartition(redis, prefix, TOPIC, 0);
      const rnd = seededRandom(seed * 31);
      const all = batches(input, epoch, seed * 7919, 0.02);
      expect(all.length).toBeGreaterThan(20);
      for (const b of all) {
        expect((await flushPlatformPartition(redis, prefix, b, opts)).status).toBe('applied');
        // a lost reply: the runtime retries the same batch
        if (rnd() < 0.2)
          expect((await flushPlatformPartition(redis, prefix, b, opts)).status).toBe('already-applied');
      }
      const want = oneDrain(input);
      const got = await readBack(redis, prefix);
      expect(got.apps.sort()).toEqual(['-', 'a.example.com', 'b.example.com']);
      expectSameDynoWindows(got.windows, want.windows);
      expect(Object.fromEntries(got.states)).toEqual(Object.fromEntries(want.states));
      const off = await redis.hgetall(offsetKey(prefix, TOPIC, 0));
      expect(off.next).toBe(String(input.length));
      expect(Number(off.wm)).toBe(want.watermarkMs);
    },
  );
});

describe('RedisPartitionStore.flushPlatform', () => {
  it('flushes a platform partition claimed like a router partition', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const store = new RedisPartitionStore(redis, prefix, retention, 10_000);
    const { epoch } = await store.claim(TOPIC, 0);
    expect((await store.flushPlatform(handBatch(epoch, 0, 4))).status).toBe('applied');
    expect((await store.flushPlatform(handBatch(epoch, 0, 4))).status).toBe('already-applied');
    expect((await store.offsets(TOPIC)).map((o) => [o.partition, o.nextOffset])).toEqual([[0, '4']]);
  });
});
