import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
// src/cli/top.ts is the `top` command's implementation; its tests live here, next to the
// query module it presents (the lead owns test/cli).
import { renderTopTable, runTop } from '../../src/cli/top.js';
import type { RouteStats } from '../../src/query/route-stats.js';
import { event, generateEvents } from '../actors/router-events.js';
import { flushDynoLines } from '../api/dyno-seed.js';
import { testRedis } from '../sinks/redis/test-redis.js';
import { DEFAULT_DYNOS, makeDynoLines } from '../support/dyno-lines.js';
import { ingest } from './ingest-events.js';

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { out, text: () => text };
}

describe('runTop', () => {
  it('--once prints a table of the app’s routes', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const now = Date.now();
    const { events } = generateEvents(2_000, now - 240_000, 200_000, 9);
    await ingest(redis, prefix, events, 2);
    const { out, text } = capture();
    await runTop({
      redis,
      prefix,
      app: 'shop.example.com',
      sinceSeconds: 300,
      once: true,
      out,
      now: () => now,
    });
    const printed = text();
    expect(printed).toContain('routemeter top · shop.example.com\nlast 300s (data covers');
    expect(printed).toContain('at 10s resolution');
    // every line fits an 80-column terminal
    for (const line of printed.split('\n')) expect(line.length, line).toBeLessThan(80);
    expect(printed).toMatch(/^route +req +rpm +p50 +p95 +p99 +2xx +3xx +4xx +5xx +err%$/m);
    expect(printed).toContain('latencies in ms');
    expect(printed).toContain('5xx');
    for (const route of [
      'GET /users/:id',
      'GET /users/:id/orders/:hex',
      'POST /api/search',
      'GET /sessions/:uuid',
    ]) {
      // at 80 columns a long route is cut in the middle: its start and end stay
      expect(printed).toContain(route.slice(0, 10));
      expect(printed).toContain(route.slice(-4));
    }
    expect(printed).not.toContain('\x1b[2J'); // no screen clearing in --once mode
  });

  it('rpm is over the time the data covers; the status columns add up to req', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const now = Math.floor(Date.now() / 10_000) * 10_000;
    // 22 requests in the first 12 s of a 5-minute range: two 10-s windows → 22 / (20 s) = 66 rpm
    const start = now - 300_000;
    const events = Array.from({ length: 22 }, (_, i) =>
      event({
        app: 'new.example.com',
        path: '/x',
        timestampMs: start + i * 500,
        status: [200, 200, 302, 404, 503][i % 5]!,
      }),
    );
    await ingest(redis, prefix, events, 1);
    const { out, text } = capture();
    await runTop({
      redis,
      prefix,
      app: 'new.example.com',
      sinceSeconds: 300,
      once: true,
      out,
      now: () => now,
    });
    const row = text()
      .split('\n')
      .find((l) => l.startsWith('GET /x'))!;
    const [req, rpm, , , , c2, c3, c4, c5, err] = row.slice('GET /x'.length).trim().split(/ +/);
    expect(Number(req)).toBe(22);
    expect(Number(rpm)).toBeCloseTo(66, 1);
    expect(Number(c2) + Number(c3) + Number(c4) + Number(c5)).toBe(22);
    expect(Number(c3)).toBe(events.filter((e) => e.status === 302).length);
    expect(Number(err)).toBeCloseTo((100 * events.filter((e) => e.status === 503).length) / 22, 1);
  });

  it('an unknown app: says so and lists the known ones', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    await ingest(redis, prefix, [event({ app: 'known.example.com', timestampMs: Date.now() - 60_000 })], 1);
    await expect(runTop({ redis, prefix, app: 'typo.example.com', once: true })).rejects.toMatchObject({
      code: 'RM_ERR_UNKNOWN_APP',
      message: expect.stringContaining('known apps: known.example.com'),
    });
  });

  it('refreshes until aborted, clearing the screen between frames', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    // the app is known, but nothing in the last 5 minutes
    await ingest(redis, prefix, [event({ app: 'none.example.com', timestampMs: Date.now() - 3_600_000 })], 1);
    const { out, text } = capture();
    const abort = new AbortController();
    const running = runTop({
      redis,
      prefix,
      app: 'none.example.com',
      intervalMs: 100,
      out,
      signal: abort.signal,
    });
    await new Promise((r) => setTimeout(r, 350));
    abort.abort();
    await running;
    expect(text().split('\x1b[2J').length - 1).toBeGreaterThanOrEqual(2);
    expect(text()).toContain('(no requests in this range)');
  });

  it('sorts and limits rows', () => {
    const row = (route: string, count: number, p99Ms: number) =>
      ({
        app: 'a',
        route,
        method: 'GET',
        path: route.slice(4),
        count,
        rpm: count,
        avgMs: 1,
        p50Ms: 1,
        p95Ms: 1,
        p99Ms,
        maxMs: p99Ms,
        connectAvgMs: 0,
        connectP95Ms: 0,
        bytes: 0,
        statusClasses: { '1xx': 0, '2xx': count, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 },
        errorRate: 0,
        errorStatuses: [],
        routerCodes: [],
      }) satisfies RouteStats;
    const table = renderTopTable([row('GET /a', 10, 5), row('GET /b', 5, 900), row('GET /c', 1, 50)], {
      sort: 'p99',
      limit: 2,
    });
    expect(table.indexOf('GET /b')).toBeLessThan(table.indexOf('GET /c'));
    expect(table).not.toContain('GET /a');
    // a wide terminal also gets avg, max and codes; a long route is cut in the middle
    const long = `GET /${'very-long-segment/'.repeat(8)}end`;
    const wide = renderTopTable([row(long, 3, 10)], { columns: 140 });
    expect(wide.split('\n')[0]).toMatch(/avg .* max .* codes/);
    const narrow = renderTopTable([row(long, 3, 10)], { columns: 80 });
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThan(80);
    expect(narrow).toMatch(/GET \/very.*….*end/);
  });
});

describe('runTop: the app’s dynos under the table', () => {
  it('shows each process type’s latest memory and load, and the range’s platform events, as the lines say', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const now = Date.now();
    const { events } = generateEvents(500, now - 240_000, 200_000, 4);
    await ingest(redis, prefix, events, 1);
    const app = 'shop.example.com';
    const topic = 'top-platform';
    // web.2 starts near its quota and leaks past it (R14s); web.3 restarts.
    const dynos = DEFAULT_DYNOS.map((d) => (d.dyno === 'web.2' ? { ...d, baseMb: 500 } : d));
    const lines = makeDynoLines(app, {
      startMs: now - 290_000,
      minutes: 4.8,
      seed: 7,
      dynos,
      restartAtMs: now - 100_000,
    });
    await flushDynoLines(redis, prefix, topic, lines);
    const { out, text } = capture();
    await runTop({
      redis,
      prefix,
      app,
      sinceSeconds: 300,
      once: true,
      out,
      now: () => now,
      platformTopic: topic,
    });
    const printed = text();

    // The oracle, from the lines alone: each dyno's latest memory and load sample.
    const latest = new Map<string, { memory?: number; quota?: number; load?: number; type: string }>();
    for (const l of lines) {
      const d = latest.get(l.dyno) ?? { type: l.processType };
      if (l.memory) {
        d.memory = l.memory.totalMb;
        d.quota = l.memory.quotaMb;
      }
      if (l.load1m !== undefined) d.load = l.load1m;
      latest.set(l.dyno, d);
    }
    for (const type of ['web', 'worker']) {
      const ds = [...latest.values()].filter((d) => d.type === type);
      const mem = ds.map((d) => d.memory!);
      const low = Math.round(Math.min(...mem));
      const high = Math.round(Math.max(...mem));
      const over = ds.filter((d) => d.memory! > d.quota!).length;
      const loads = ds.map((d) => d.load!);
      const mean = (loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(2);
      let expected = `dynos  ${type} ×${ds.length}  memory ${low === high ? high : `${low}–${high}`}/${ds[0]!.quota} MB`;
      if (over > 0) expected += ` (${over} over quota)`;
      expected += `  load 1m ${mean} (max ${Math.max(...loads).toFixed(2)})\n`;
      expect(printed).toContain(expected);
    }
    const r14 = lines.filter((l) => l.event === 'R14');
    expect(r14.length).toBeGreaterThan(0);
    expect(printed).toMatch(new RegExp(`^events .*R14 ×${r14.length} web\\.2`, 'm'));
    expect(printed).toContain('restart ×1 web.3');
  });

  it('says how to turn dyno metrics on when the app has none', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    const now = Date.now();
    const { events } = generateEvents(200, now - 240_000, 200_000, 5);
    await ingest(redis, prefix, events, 1);
    const { out, text } = capture();
    await runTop({
      redis,
      prefix,
      app: 'shop.example.com',
      sinceSeconds: 300,
      once: true,
      out,
      now: () => now,
      platformTopic: 'top-platform-empty',
    });
    expect(text()).toContain('dynos  no dyno metrics yet (heroku labs:enable log-runtime-metrics)');
  });
});
