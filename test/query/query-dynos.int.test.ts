import { describe, expect, it, onTestFinished } from 'vitest';
import type { PlatformFlushBatch } from '../../src/actors/dyno-flush-batch.js';
import { PlatformAggregator } from '../../src/actors/platform-aggregator.js';
import { createDynoFleet } from '../../src/gen/dyno-fleet.js';
import { createPlatformEvent, type PlatformEvent, PlatformKind } from '../../src/logplex/platform-event.js';
import { parsePlatformEvent } from '../../src/logplex/platform-line.js';
import { formatLoadSample, formatMemorySample } from '../../src/logplex/platform-line-format.js';
import { formatSyslogLine } from '../../src/logplex/syslog-frame-format.js';
import {
  DYNO_STALE_MS,
  type DynoQuery,
  type DynoSeriesResult,
  type DynoStep,
  queryDynos,
} from '../../src/query/query-dynos.js';
import { StepCache } from '../../src/query/step-cache.js';
import { claimPartition } from '../../src/sinks/redis/claim-partition.js';
import { flushPlatformPartition } from '../../src/sinks/redis/flush-platform-partition.js';
import type { RedisClient } from '../../src/sinks/redis/redis-client.js';
import { dynoWindowIndexKey, dynoWindowKey, partitionTag } from '../../src/sinks/redis/redis-keys.js';
import { retentionFromConfig } from '../../src/sinks/redis/retention.js';
import { seededRandom } from '../actors/router-events.js';
import { testRedis } from '../sinks/redis/test-redis.js';
import { expectCode } from '../support/expect-code.js';

const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000; // an hour boundary, 2 hours ago
const MINUTES = 45;
const TOPIC = 'platform-logs';
const APP = 'shop.example.com';
const retention = retentionFromConfig({
  windowSeconds: 10,
  rollupSeconds: 60,
  windowRetentionSeconds: 86_400,
  rollupRetentionSeconds: 7 * 86_400,
});

interface Line {
  app: string;
  ev: PlatformEvent;
}

/**
 * 45 minutes of a realistic fleet (src/gen/dyno-fleet.ts: memory leaking past the quota,
 * R14s, restarts) for two apps, plus a worker dyno and logplex L10s for the shop, each
 * line parsed the way the runtime parses a record.
 */
function fleetLines(): Line[] {
  const fleet = createDynoFleet({
    seed: 11,
    apps: [
      { host: APP, dynos: 4 },
      { host: 'api.example.com', dynos: 2 },
    ],
    startMs: T0,
    restartChance: 0.3,
  });
  const raw = fleet.due(T0 + MINUTES * 60_000).map((l) => ({ app: l.app, line: l.line }));
  const extra = (t: number, procid: string, message: string) =>
    raw.push({
      app: APP,
      line: formatSyslogLine({ pri: 45, timestampMs: t, app: 'heroku', procid, message }),
    });
  for (let t = T0 + 7_000; t < T0 + MINUTES * 60_000; t += 20_000) {
    const total = 600 + ((t - T0) / 60_000) * 3;
    extra(
      t,
      'worker.1',
      formatMemorySample({
        source: 'worker.1',
        dynoId: 'heroku.4242.w',
        totalMb: total,
        rssMb: total - 1,
        cacheMb: 5,
        swapMb: 1,
        pgpgin: 1,
        pgpgout: 1,
        quotaMb: 1024,
      }),
    );
    extra(
      t + 1,
      'worker.1',
      formatLoadSample({
        source: 'worker.1',
        dynoId: 'heroku.4242.w',
        load1m: 0.5,
        load5m: 0.4,
        load15m: 0.3,
      }),
    );
  }
  // Heroku's L10 line (PROCID logplex): a process type with events and no samples
  for (const m of [3, 17, 17, 33])
    extra(
      T0 + m * 60_000 + 500,
      'logplex',
      'Error L10 (output buffer overflow): 523 messages dropped since 2026-12-01T00:00:00+00:00.',
    );
  return raw
    .map(({ app, line }) => {
      const buf = Buffer.from(line);
      const ev = createPlatformEvent();
      expect(parsePlatformEvent(buf, 0, buf.length, ev), line).toBe(true);
      return { app, ev, t: ev.timestampMs };
    })
    .sort((a, b) => a.t - b.t)
    .map(({ app, ev }) => ({ app, ev }));
}

/**
 * Runs the lines through one aggregator per partition and flushes them in random pieces:
 * each line goes to partition 0 or 1 at random, so the same windows are stored twice and
 * the query has to add them up. A copy goes to another topic, which the query must ignore.
 */
async function store(redis: RedisClient, prefix: string, lines: Line[]): Promise<void> {
  const rnd = seededRandom(99);
  const parts = await Promise.all(
    [0, 1].map(async (partition) => ({
      partition,
      epoch: (await claimPartition(redis, prefix, TOPIC, partition)).epoch,
      agg: new PlatformAggregator({
        windowSeconds: 10,
        rollupSeconds: 60,
        allowedLatenessSeconds: 120,
        dynoCapPerApp: 100,
      }),
      from: 0,
      next: 0,
    })),
  );
  const flush = async (p: (typeof parts)[number]) => {
    const batch: PlatformFlushBatch = {
      ...p.agg.drain(),
      topic: TOPIC,
      partition: p.partition,
      epoch: p.epoch,
      fromOffset: String(p.from),
      nextOffset: String(p.next),
    };
    expect((await flushPlatformPartition(redis, prefix, batch, { retention })).status).toBe('applied');
    p.from = p.next;
  };
  for (const { app, ev } of lines) {
    const p = parts[rnd() < 0.5 ? 0 : 1]!;
    p.agg.record(app, ev);
    p.next++;
    if (rnd() < 0.01) await flush(p);
  }
  for (const p of parts) await flush(p);
  // the same app on another topic's partition: not the platform topic asked for
  const other = new PlatformAggregator({
    windowSeconds: 10,
    rollupSeconds: 60,
    allowedLatenessSeconds: 120,
    dynoCapPerApp: 100,
  });
  for (const { app, ev } of lines.slice(0, 500)) other.record(app, ev);
  const { epoch } = await claimPartition(redis, prefix, 'other-topic', 0);
  await flushPlatformPartition(
    redis,
    prefix,
    { ...other.drain(), topic: 'other-topic', partition: 0, epoch, fromOffset: '0', nextOffset: '500' },
    { retention },
  );
}

/** What queryDynos must answer, from the parsed lines alone (per-record rules of docs/dyno-metrics.md). */
function oracle(lines: Line[], q: DynoQuery) {
  const stepMs = q.stepSeconds * 1000;
  const startMs = Math.floor(q.fromMs / stepMs) * stepMs;
  const steps = Math.max(1, Math.ceil((q.toMs - startMs) / stepMs));
  const resMs = q.resolutionSeconds * 1000;
  type Acc = {
    mem: number[];
    rss: number[];
    swap: number[];
    quota: number[];
    load: number[];
    dynos: Set<string>;
  };
  const acc = new Map<string, Acc[]>();
  const events = new Map<
    string,
    { time_ms: number; dyno: string; process_type: string; code: string; count: number }
  >();
  const latest = new Map<string, PlatformEvent>();
  const latestLoad = new Map<string, number>();
  for (const { app, ev } of lines) {
    if (app !== APP) continue;
    const hasMemory = ev.kind === PlatformKind.Metrics && ev.memorySeen;
    const hasLoad = ev.kind === PlatformKind.Metrics && ev.loadSeen;
    if (hasMemory) latest.set(ev.dyno, ev);
    if (hasLoad) latestLoad.set(ev.dyno, ev.load1m);
    const windowStart = Math.floor(ev.timestampMs / resMs) * resMs;
    if (windowStart < startMs || windowStart >= q.toMs) continue;
    const step = Math.floor((windowStart - startMs) / stepMs);
    const code =
      ev.kind === PlatformKind.Error
        ? ev.code
        : ev.kind === PlatformKind.StateChange && ev.stateTo === 'starting'
          ? 'restart'
          : ev.kind === PlatformKind.StateChange && ev.stateTo === 'crashed'
            ? 'crash'
            : null;
    if (code !== null) {
      const key = `${windowStart}|${ev.dyno}|${code}`;
      const e = events.get(key) ?? {
        time_ms: windowStart,
        dyno: ev.dyno,
        process_type: ev.processType,
        code,
        count: 0,
      };
      e.count++;
      events.set(key, e);
    }
    if (!hasMemory && !hasLoad) continue;
    if (!acc.has(ev.processType))
      acc.set(
        ev.processType,
        Array.from({ length: steps }, () => ({
          mem: [],
          rss: [],
          swap: [],
          quota: [],
          load: [],
          dynos: new Set(),
        })),
      );
    const a = acc.get(ev.processType)![step]!;
    a.dynos.add(ev.dyno);
    if (hasMemory) {
      a.mem.push(ev.memoryTotalMb);
      a.rss.push(ev.memoryRssMb);
      a.swap.push(ev.memorySwapMb);
      a.quota.push(ev.memoryQuotaMb);
    }
    if (hasLoad) a.load.push(ev.load1m);
  }
  const mean = (v: number[]) => (v.length === 0 ? null : v.reduce((x, y) => x + y, 0) / v.length);
  const max = (v: number[]) => (v.length === 0 ? null : Math.max(...v));
  const data: Record<string, Array<number | null>> = {};
  for (const [pt, a] of acc) {
    data[`memory_total_mean_mb.${pt}`] = a.map((s) => mean(s.mem));
    data[`memory_total_max_mb.${pt}`] = a.map((s) => max(s.mem));
    data[`memory_rss_max_mb.${pt}`] = a.map((s) => max(s.rss));
    data[`memory_swap_max_mb.${pt}`] = a.map((s) => max(s.swap));
    data[`memory_quota_mb.${pt}`] = a.map((s) => max(s.quota));
    data[`load_1m_mean.${pt}`] = a.map((s) => mean(s.load));
    data[`load_1m_max.${pt}`] = a.map((s) => max(s.load));
    data[`dynos.${pt}`] = a.map((s) => (s.dynos.size === 0 ? null : s.dynos.size));
  }
  return {
    startMs,
    steps,
    data,
    processTypes: [...acc.keys()],
    events: [...events.values()],
    // a dyno silent for DYNO_STALE_MS while the app's others sample is gone
    dynos: [...latest.values()]
      .filter(
        (ev) => ev.timestampMs >= Math.max(...[...latest.values()].map((l) => l.timestampMs)) - DYNO_STALE_MS,
      )
      .map((ev) => ({
        dyno: ev.dyno,
        process_type: ev.processType,
        last_sample_at: new Date(ev.timestampMs).toISOString(),
        memory_total_mb: ev.memoryTotalMb,
        memory_rss_mb: ev.memoryRssMb,
        memory_swap_mb: ev.memorySwapMb,
        memory_quota_mb: ev.memoryQuotaMb,
        load_1m: latestLoad.get(ev.dyno) ?? null,
      })),
  };
}

function expectMatches(got: DynoSeriesResult, want: ReturnType<typeof oracle>, q: DynoQuery): void {
  expect(got.start_time).toBe(new Date(want.startMs).toISOString());
  expect(got.end_time).toBe(new Date(want.startMs + want.steps * q.stepSeconds * 1000).toISOString());
  expect(got.resolution_seconds).toBe(q.resolutionSeconds);
  expect(got.process_types).toEqual(['web', 'worker']);
  expect(new Set(got.process_types)).toEqual(new Set(want.processTypes));
  expect(Object.keys(got.data).sort()).toEqual(Object.keys(want.data).sort());
  for (const [name, series] of Object.entries(want.data)) {
    expect(got.data[name]!.length, name).toBe(want.steps);
    series.forEach((v, s) => {
      const g = got.data[name]![s]!;
      if (v === null) expect(g, `${name}[${s}]`).toBeNull();
      else if (name.includes('_mean'))
        expect(g, `${name}[${s}]`).toBeCloseTo(v, 3); // rounded to 4 decimals
      else expect(g, `${name}[${s}]`).toBe(v);
    });
  }
  const byKey = (e: { time_ms: number; dyno: string; code: string }) => `${e.time_ms}|${e.dyno}|${e.code}`;
  expect(got.events.map((e) => e.time_ms)).toEqual(
    [...got.events.map((e) => e.time_ms)].sort((a, b) => a - b),
  );
  for (const e of got.events) expect(e.time).toBe(new Date(e.time_ms).toISOString());
  expect(Object.fromEntries(got.events.map((e) => [byKey(e), { ...e, time: undefined }]))).toEqual(
    Object.fromEntries(want.events.map((e) => [byKey(e), { ...e, time: undefined }])),
  );
  expect(got.dynos.map((d) => d.dyno)).toEqual(['web.1', 'web.2', 'web.3', 'web.4', 'worker.1']);
  expect(got.dynos).toEqual([...want.dynos].sort((a, b) => (a.dyno < b.dyno ? -1 : 1)));
}

describe('queryDynos', () => {
  const lines = fleetLines();

  it('answers what an oracle computes from the lines, at both resolutions, over two partitions', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    await store(redis, prefix, lines);
    const shop = lines.filter((l) => l.app === APP);
    // the data has what the charts are for: R14s, restarts, a process type with events only
    expect(
      shop.filter((l) => l.ev.kind === PlatformKind.Error && l.ev.code === 'R14').length,
    ).toBeGreaterThan(0);
    expect(
      shop.filter((l) => l.ev.kind === PlatformKind.StateChange && l.ev.stateTo === 'starting').length,
    ).toBeGreaterThan(0);
    for (const [resolutionSeconds, stepSeconds, fromMin, toMin] of [
      [10, 60, 7.2, 31], // start mid-step; 24 one-minute steps
      [10, 10, 0, 5],
      [60, 300, 0, MINUTES],
    ] as const) {
      const q: DynoQuery = {
        app: APP,
        platformTopic: TOPIC,
        fromMs: T0 + fromMin * 60_000,
        toMs: T0 + toMin * 60_000,
        stepSeconds,
        resolutionSeconds,
      };
      const got = await queryDynos(redis, prefix, q);
      const want = oracle(lines, q);
      if (toMin === MINUTES) {
        expect(got.events.some((e) => e.code === 'R14')).toBe(true);
        expect(got.events.some((e) => e.dyno === 'logplex' && e.code === 'L10')).toBe(true);
      }
      expectMatches(got, want, q);
    }
  });

  it('answers no data for an app or topic without platform data, and refuses impossible queries', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    await store(redis, prefix, lines.slice(0, 400));
    const q: DynoQuery = {
      app: 'nobody.example.com',
      platformTopic: TOPIC,
      fromMs: T0,
      toMs: T0 + 600_000,
      stepSeconds: 60,
      resolutionSeconds: 10,
    };
    const none = await queryDynos(redis, prefix, q);
    expect(none).toMatchObject({ data: {}, process_types: [], events: [], dynos: [], step: '1m' });
    expect((await queryDynos(redis, prefix, { ...q, app: APP, platformTopic: 'router-logs' })).dynos).toEqual(
      [],
    );
    expect((await queryDynos(redis, prefix, { ...q, app: APP })).dynos.length).toBeGreaterThan(0);
    await expectCode(queryDynos(redis, prefix, { ...q, stepSeconds: 15 }), 'RM_ERR_INVALID_QUERY');
    await expectCode(queryDynos(redis, prefix, { ...q, toMs: q.fromMs }), 'RM_ERR_INVALID_QUERY');
    // 0 = chosen from the range, as queryRoutes does: 10 minutes, recent → the short windows
    expect(
      (await queryDynos(redis, prefix, { ...q, resolutionSeconds: 0, nowMs: T0 + 3_600_000 }))
        .resolution_seconds,
    ).toBe(10);
  });

  it('keeps final steps folded between calls (step cache): only the steps that can still change are read', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    await store(redis, prefix, lines);
    const q: DynoQuery = {
      app: APP,
      platformTopic: TOPIC,
      fromMs: T0 + 7.2 * 60_000,
      toMs: T0 + 31 * 60_000,
      stepSeconds: 60,
      resolutionSeconds: 10,
    };
    const horizon = T0 + 20 * 60_000 + 30_000; // mid-step: the step of minute 20 is not final
    const cache = new StepCache<DynoStep>();
    const first = await queryDynos(redis, prefix, { ...q, stepCache: cache, finalBeforeMs: horizon });
    expectMatches(first, oracle(lines, q), q);
    expect(cache.size).toBe(13); // the steps of minutes 7 to 19
    // Remove the stored windows of minutes 7 to 20: the cached steps are still answered, the
    // step of minute 20 (not final) is read again and is now empty.
    const gone = (T0 + 21 * 60_000) / 1000;
    for (const tag of [0, 1].map((p) => partitionTag(TOPIC, p))) {
      const index = dynoWindowIndexKey(prefix, tag, 10, APP);
      for (const start of await redis.zrangebyscore(index, 0, `(${gone}`))
        await redis.del(dynoWindowKey(prefix, tag, 10, APP, Number(start)));
    }
    const second = await queryDynos(redis, prefix, { ...q, stepCache: cache, finalBeforeMs: horizon });
    const uncached = await queryDynos(redis, prefix, q);
    const web = 'memory_total_max_mb.web';
    expect(uncached.data[web]!.slice(0, 14).every((v) => v === null)).toBe(true);
    expect(second.data[web]!.slice(0, 13)).toEqual(first.data[web]!.slice(0, 13));
    expect(first.data[web]![13]).not.toBeNull();
    expect(second.data[web]![13]).toBeNull();
    expect(second.data[web]!.slice(14)).toEqual(first.data[web]!.slice(14));
    expect(second.events).toEqual(
      first.events.filter((e) => e.time_ms < T0 + 20 * 60_000 || e.time_ms >= gone * 1000),
    );
  });
});
