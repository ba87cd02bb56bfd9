import { describe, expect, it, onTestFinished } from 'vitest';
import { appDrainToken } from '../../src/gen/app-drain-tokens.js';
import type { DynoLine } from '../../src/gen/dyno-fleet.js';
import { buildLogplexBatch } from '../../src/gen/logplex-batch.js';
import { queryDynos } from '../../src/query/query-dynos.js';
import { runRuntime } from '../../src/runtime/run-runtime.js';
import { AUTH, useDrain } from '../ingest/drain-fixture.js';
import { dynoDiffs, dynoOracle, makeDynoLines, readStoredDynoTotals } from '../support/dyno-fleet-oracle.js';
import { deleteTopic, testKafka, uniqueName, useGroup, waitFor, withAdmin } from '../support/kafka.js';
import { startLogplexPoster } from '../support/logplex-poster.js';
import {
  deleteKeys,
  testLogger as logger,
  metricSum,
  runtimeConfig,
  testRedis,
  waitFlushed,
} from './runtime-harness.js';

/** One router line of `host`, in Heroku's format: what the drain learns a token's app from. */
function routerLine(host: string, timestampMs: number): string {
  const ts = new Date(timestampMs).toISOString().replace('Z', '000+00:00');
  return `<158>1 ${ts} host heroku router - at=info method=GET path=/health host=${host} request_id=2f2d1c1a-9b0e-4a55-8f3e-6c1d2e3f4a5b fwd="10.1.2.3" dyno=web.1 connect=1ms service=4ms status=200 bytes=120 protocol=https`;
}

describe('dyno metrics end to end (real drain, Kafka and Redis)', () => {
  it('attributes the platform lines of several apps (one drain token each) and stores exactly the oracle', async () => {
    const drain = await useDrain({ TOPIC_PARTITIONS: '3' });
    // two apps the drain learns from their router lines, one named only in the runtime's
    // DRAIN_TOKEN_APPS, one nobody names (its lines go to app "-", counted as unknown_app)
    const learned = ['learn-a.herokuapp.com', 'learn-b.herokuapp.com'];
    const configured = 'pinned.herokuapp.com';
    const unknown = 'anon.herokuapp.com';
    const hosts = [...learned, configured, unknown];
    const startMs = Date.UTC(2026, 0, 1, 0, 0, 0);
    const lines = makeDynoLines({
      seed: 17,
      apps: hosts.map((host, i) => ({ host, dynos: 2 + i })),
      startMs,
      durationMs: 40 * 60_000,
    });
    const appOf = (l: DynoLine) => (l.app === unknown ? '-' : l.app);
    const oracle = dynoOracle(lines, appOf);
    expect(oracle.recorded).toBeGreaterThan(1000);
    expect([...oracle.totals.values()].some((t) => (t.events.R14 ?? 0) > 0)).toBe(true);

    // Batches of 25 lines per app, each under its app's drain token, as Heroku's one drain per app.
    const byApp = new Map<string, string[]>();
    for (const l of lines) byApp.set(l.app, [...(byApp.get(l.app) ?? []), l.line]);
    const queue: Array<{ lines: string[]; drainToken: string }> = [];
    for (const [host, appLines] of byApp) {
      for (let i = 0; i < appLines.length; i += 25)
        queue.push({ lines: appLines.slice(i, i + 25), drainToken: appDrainToken(host) });
    }
    // The learned apps' first request carries a router line too; posted (and acknowledged)
    // before the rest, so every later request of the token finds the app known.
    for (const host of learned) {
      const batch = buildLogplexBatch([routerLine(host, startMs)], appDrainToken(host));
      const res = await fetch(drain.url, {
        method: 'POST',
        body: batch.body,
        headers: { ...batch.headers, authorization: AUTH },
      });
      expect(res.status).toBe(204);
    }
    let next = 0;
    const poster = startLogplexPoster({
      url: drain.url,
      authorization: AUTH,
      connections: 4,
      pauseMs: 0,
      batches: () => (next < queue.length ? queue[next++]! : null),
    });
    const posted = await poster.finished();
    expect(posted.unacknowledged).toEqual([]);
    expect(posted.acknowledged).toHaveLength(lines.length);

    const summaryTopic = uniqueName('dyno-summary');
    onTestFinished(() => deleteTopic(summaryTopic));
    const config = runtimeConfig(drain.routerTopic, {
      PLATFORM_TOPIC: drain.platformTopic,
      DYNO_SUMMARY_TOPIC: summaryTopic,
      DRAIN_TOKEN_APPS: `${appDrainToken(configured)}=${configured}`,
      FLUSH_INTERVAL_MS: '100',
    });
    const redis = testRedis(config);
    const runtime = await runRuntime(config, logger, { metricsPort: 0 });
    onTestFinished(async () => {
      await runtime.stop();
      await deleteKeys(redis, config.redis.prefix);
      redis.disconnect();
    });
    await waitFlushed(redis, config, 120_000, drain.platformTopic);
    expect(runtime.supervisor.ownedPlatformPartitions).toEqual([0, 1, 2]);

    for (const res of [config.runtime.windowSeconds, config.runtime.rollupSeconds]) {
      const stored = await readStoredDynoTotals(redis, config.redis.prefix, drain.platformTopic, res);
      expect(dynoDiffs(stored, oracle.totals).slice(0, 10), `resolution ${res}`).toEqual([]);
    }

    // The read side (queryDynos) sees the same events per app, and each dyno's latest sample.
    for (const app of [...learned, configured, '-']) {
      const q = await queryDynos(redis, config.redis.prefix, {
        app,
        platformTopic: drain.platformTopic,
        fromMs: startMs - 3600_000,
        toMs: startMs + 2 * 3600_000,
        stepSeconds: 3600,
        resolutionSeconds: config.runtime.rollupSeconds,
      });
      const events: Record<string, number> = {};
      for (const e of q.events)
        events[`${e.dyno} ${e.code}`] = (events[`${e.dyno} ${e.code}`] ?? 0) + e.count;
      const want: Record<string, number> = {};
      for (const [key, t] of oracle.totals) {
        if (!key.startsWith(`${app} `)) continue;
        for (const [code, n] of Object.entries(t.events)) want[`${key.slice(app.length + 1)} ${code}`] = n;
      }
      expect(events, app).toEqual(want);
      expect(q.dynos.length, app).toBeGreaterThan(0);
    }

    // The one lag probe (one admin client) measures the platform topic too: every platform
    // partition has a lag from ListOffsets, 0 once everything is stored.
    const platformLag = (text: string) =>
      [...text.matchAll(/^routemeter_consumer_lag_records\{([^}]*)\} ([0-9.e+-]+)$/gm)]
        .filter((m) => m[1]!.includes(`topic="${drain.platformTopic}"`))
        .map((m) => Number(m[2]));
    await waitFor(
      async () => {
        const lags = platformLag(await runtime.registry.metrics());
        return lags.length === 3 && lags.every((v) => v === 0);
      },
      { timeoutMs: 30_000, message: 'platform lag of 0 on every platform partition' },
    );

    const unknownLines = lines.filter((l) => l.app === unknown).length;
    const learnedLines = lines.filter((l) => learned.includes(l.app)).length;
    const text = await runtime.registry.metrics();
    const platform = (result: string) =>
      metricSum(text, 'routemeter_platform_records_total', `result="${result}"`);
    expect(platform('aggregated')).toBe(oracle.recorded);
    expect(platform('ignored')).toBe(oracle.ignored);
    expect(platform('unknown_app')).toBe(unknownLines);
    expect(platform('unparsed')).toBe(0);
    expect(platform('late') + platform('rejected') + platform('overflowed')).toBe(0);
    let r14 = 0;
    for (const t of oracle.totals.values()) r14 += t.events.R14 ?? 0;
    expect(metricSum(text, 'routemeter_dyno_events_total', 'code="R14"')).toBe(r14);
    for (const app of [...learned, configured, '-']) {
      expect(
        metricSum(text, 'routemeter_dyno_memory_bytes', `app="${app}",process_type="web",kind="total"`),
        app,
      ).toBeGreaterThan(0);
      expect(metricSum(text, 'routemeter_dyno_memory_quota_bytes', `app="${app}"`), app).toBeGreaterThan(0);
    }
    // the drain stamped the learned apps' lines; the others went without a header
    expect(await drain.metric('routemeter_drain_platform_app_lines_total', { source: 'learned' })).toBe(
      learnedLines,
    );
    expect(await drain.metric('routemeter_drain_platform_app_lines_total', { source: 'unknown' })).toBe(
      lines.length - learnedLines,
    );

    // The compacted summary topic ends with each dyno's latest memory sample (by event time).
    const wantLast = new Map<string, { atMs: number; totalMb: number }>();
    for (const l of lines) {
      const total = /sample#memory_total=([0-9.]+)MB/.exec(l.line);
      const key = `${appOf(l)}/${l.dyno}`;
      if (total && l.timestampMs >= (wantLast.get(key)?.atMs ?? -1))
        wantLast.set(key, { atMs: l.timestampMs, totalMb: Number(total[1]) });
    }
    const gotLast = new Map<string, { atMs: number; totalMb: number }>();
    const reader = testKafka().consumer({ groupId: useGroup('dyno-summary-reader') });
    await reader.connect();
    onTestFinished(() => reader.disconnect());
    await waitFor(async () => (await withAdmin((a) => a.listTopics())).includes(summaryTopic), {
      timeoutMs: 30_000,
      message: 'summary topic created',
    });
    await reader.subscribe({ topic: summaryTopic, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const v = JSON.parse(String(message.value)) as { atMs: number; totalMb: number };
        gotLast.set(String(message.key), { atMs: v.atMs, totalMb: v.totalMb });
      },
    });
    await waitFor(async () => JSON.stringify([...gotLast].sort()) === JSON.stringify([...wantLast].sort()), {
      timeoutMs: 30_000,
      message: 'the summary topic holds every dyno latest sample',
    });
    expect(gotLast.size).toBe(oracle.totals.size);
    console.log(
      `[dyno e2e] ${lines.length} platform lines of ${hosts.length} apps through the drain: ` +
        `${oracle.recorded} aggregated, ${oracle.ignored} ignored, ${unknownLines} unknown_app; both resolutions exact`,
    );
  });
});
