import { beforeAll, describe, expect, it } from 'vitest';
import type { RouterEvent } from '../../src/logplex/router-event.js';
import { generateEvents } from '../actors/router-events.js';
import { ingest } from '../query/ingest-events.js';
import { dynoOracle, makeDynoLines } from '../support/dyno-lines.js';
import { exactQuantile, SHOP_TOKEN, startTestApi, withinHdr } from './api-fixture.js';
import { flushDynoLines } from './dyno-seed.js';

// One data set for the whole file: 8,000 events of two apps over 10 minutes, 20–30 min ago,
// flushed through the real aggregator and flush script into a prefix of its own.
const T0 = Math.floor(Date.now() / 600_000) * 600_000 - 1_200_000;
const T1 = T0 + 600_000;
const { events, routes } = generateEvents(8_000, T0, 600_000, 11);
const APP = 'shop.example.com';
const inRange = (e: RouterEvent) => e.timestampMs >= T0 && e.timestampMs < T1;
const range = `since=${new Date(T0).toISOString()}&until=${new Date(T1).toISOString()}`;
// Dyno lines of the same app from a minute before the range to a minute after it: web.2
// leaks past its quota (R14s), web.3 restarts, worker.1 logs an R10.
const PLATFORM_TOPIC = 'api-platform';
const DYNO_LINES = makeDynoLines(APP, {
  startMs: T0 - 60_000,
  minutes: 12,
  seed: 21,
  restartAtMs: T0 + 390_500,
  r10AtMs: T0 + 192_250,
});
// A worker app: dyno lines only, no router line ever (it must still be a known app).
const DYNO_ONLY_APP = 'jobs.example.com';
const DYNO_ONLY_LINES = makeDynoLines(DYNO_ONLY_APP, {
  startMs: T0,
  minutes: 10,
  seed: 31,
  dynos: [{ dyno: 'worker.1', quotaMb: 1024, baseMb: 300, leakMbPerMin: 1 }],
});

interface DynoAnswer {
  start_time: string;
  end_time: string;
  step: string;
  step_seconds: number;
  resolution_seconds: number;
  data: Record<string, Array<number | null>>;
  process_types: string[];
  events: Array<{
    time: string;
    time_ms: number;
    dyno: string;
    process_type: string;
    code: string;
    count: number;
  }>;
  dynos: Array<{ dyno: string } & Record<string, unknown>>;
}

interface RouteRow {
  route: string;
  requests: number;
  rpm: number;
  avg_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  status: Record<string, number>;
  error_rate: number;
  codes: Array<{ code: string; count: number }>;
}

describe('routemeter serve: the JSON API', () => {
  let fx: Awaited<ReturnType<typeof startTestApi>>;
  beforeAll(async () => {
    // One server for the describe: its cleanups run after the last test, newest first.
    const cleanups: Array<() => Promise<void>> = [];
    fx = await startTestApi(
      { API_RATE_LIMIT_PER_MINUTE: '10000', PLATFORM_TOPIC },
      {
        onCleanup: (fn) => cleanups.unshift(fn),
        seed: async (redis, prefix) => {
          await ingest(redis, prefix, events, 3);
          await flushDynoLines(redis, prefix, PLATFORM_TOPIC, [...DYNO_LINES, ...DYNO_ONLY_LINES]);
        },
      },
    );
    return async () => {
      for (const fn of cleanups) await fn();
    };
  });

  it('routes: counts and status classes equal the oracle, rpm over the covered span, quantiles within HDR', async () => {
    const res = await fx.get(`/api/v1/apps/${APP}/routes?${range}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      covered_seconds: number;
      resolution_seconds: number;
      routes: RouteRow[];
    };
    expect(body.resolution_seconds).toBe(10);
    expect(body.covered_seconds).toBe(600);
    const mine = events.map((e, i) => [e, routes[i]!] as const).filter(([e]) => e.app === APP && inRange(e));
    const expected = new Set(mine.map(([, r]) => r));
    expect(new Set(body.routes.map((r) => r.route))).toEqual(expected);
    for (const row of body.routes) {
      const evs = mine.filter(([, r]) => r === row.route).map(([e]) => e);
      expect(row.requests, row.route).toBe(evs.length);
      expect(row.rpm).toBeCloseTo(evs.length / 10, 9);
      for (const [cls, lo] of [
        ['2xx', 200],
        ['3xx', 300],
        ['4xx', 400],
        ['5xx', 500],
      ] as const)
        expect(row.status[cls], `${row.route} ${cls}`).toBe(
          evs.filter((e) => e.status >= lo && e.status < lo + 100).length,
        );
      expect(row.error_rate).toBeCloseTo(evs.filter((e) => e.status >= 500).length / evs.length, 12);
      expect(row.codes.find((c) => c.code === 'H12')?.count ?? 0).toBe(
        evs.filter((e) => e.code === 'H12').length,
      );
      expect(withinHdr(row.p99_ms, exactQuantile(evs, 99)), `${row.route} p99 ${row.p99_ms}`).toBe(true);
      expect(row.max_ms).toBe(Math.max(...evs.map((e) => e.serviceMs)));
    }
  });

  it('series: Heroku Metrics shape; steps fold windows by merging histograms, not averaging percentiles', async () => {
    const res = await fx.get(`/api/v1/apps/${APP}/series?${range}&step=1m`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      start_time: string;
      end_time: string;
      step: string;
      resolution_seconds: number;
      data: Record<string, Array<number | null>>;
    };
    expect(body.start_time).toBe(new Date(T0).toISOString());
    expect(body.end_time).toBe(new Date(T1).toISOString());
    expect(body.step).toBe('1m');
    expect(body.resolution_seconds).toBe(60);
    const mine = events.filter((e) => e.app === APP && inRange(e));
    for (let m = 0; m < 10; m++) {
      const minute = mine.filter((e) => Math.floor((e.timestampMs - T0) / 60_000) === m);
      expect(body.data['rpm.2xx']![m]).toBeCloseTo(minute.filter((e) => e.status === 200).length, 3);
      expect(body.data['rpm.5xx']![m]).toBeCloseTo(minute.filter((e) => e.status === 503).length, 3);
      expect(withinHdr(body.data.p99_ms![m]!, exactQuantile(minute, 99)), `minute ${m}`).toBe(true);
      expect(body.data['codes.H12']![m]).toBe(minute.filter((e) => e.code === 'H12').length);
    }
    // One 10-minute step: the p99 of all its requests, not the mean of ten per-minute p99s.
    const whole = (await (
      await fx.get(`/api/v1/apps/${APP}/series?${range}&step=10m&metrics=latency`)
    ).json()) as {
      data: Record<string, number[]>;
    };
    expect(Object.keys(whole.data).sort()).toEqual(['max_ms', 'p50_ms', 'p95_ms', 'p99_ms']);
    const exact = exactQuantile(mine, 99);
    expect(withinHdr(whole.data.p99_ms![0]!, exact)).toBe(true);
    // (averaging the ten per-minute p99s would land elsewhere on this data)
    const meanOfSteps = body.data.p99_ms!.reduce((a, b) => a! + b!, 0)! / 10;
    expect(withinHdr(meanOfSteps, exact)).toBe(false);

    // One route: its counts only.
    const route = 'GET /users/:id';
    const one = (await (
      await fx.get(`/api/v1/apps/${APP}/series?${range}&step=10m&route=${encodeURIComponent(route)}`)
    ).json()) as { route: string; data: Record<string, number[]> };
    expect(one.route).toBe(route);
    const routeEvents = events.filter((e, i) => e.app === APP && inRange(e) && routes[i] === route);
    const total = ['1xx', '2xx', '3xx', '4xx', '5xx'].reduce((a, c) => a + one.data[`rpm.${c}`]![0]! * 10, 0);
    expect(total).toBeCloseTo(routeEvents.length, 2);
  });

  it('a step with no stored window is null', async () => {
    const since = new Date(T1).toISOString();
    const until = new Date(T1 + 600_000).toISOString();
    const body = (await (
      await fx.get(`/api/v1/apps/${APP}/series?since=${since}&until=${until}&step=5m`)
    ).json()) as {
      data: Record<string, unknown[]>;
    };
    expect(body.data['rpm.2xx']).toEqual([null, null]);
  });

  it('dynos: memory and load per process type and step, events per window and dyno, the dynos now: the oracle’s', async () => {
    for (const [step, seconds, since, until] of [
      ['1m', 60, T0, T1],
      ['5m', 300, T0, T1],
      // 10-s steps are folded from the 10-s windows: events at that resolution
      ['10s', 10, T0 + 180_000, T0 + 420_000],
    ] as const) {
      const query = `since=${new Date(since).toISOString()}&until=${new Date(until).toISOString()}&step=${step}`;
      const res = await fx.get(`/api/v1/apps/${APP}/dynos?${query}`);
      expect(res.status, query).toBe(200);
      const body = (await res.json()) as DynoAnswer;
      const series = (await (await fx.get(`/api/v1/apps/${APP}/series?${query}`)).json()) as DynoAnswer;
      // the response-time chart's steps
      for (const k of ['start_time', 'end_time', 'step', 'step_seconds', 'resolution_seconds'] as const)
        expect(body[k], `${step} ${k}`).toEqual(series[k]);
      const oracle = dynoOracle(DYNO_LINES, {
        fromMs: since,
        toMs: until,
        stepSeconds: seconds,
        resolutionSeconds: body.resolution_seconds,
      });
      expect(body.start_time).toBe(new Date(oracle.startMs).toISOString());
      expect(body.process_types).toEqual(oracle.processTypes);
      expect(Object.keys(body.data).sort()).toEqual(Object.keys(oracle.data).sort());
      for (const [key, expected] of Object.entries(oracle.data)) {
        const got = body.data[key]!;
        expect(got, `${step} ${key}`).toHaveLength(oracle.steps);
        expected.forEach((v, i) => {
          if (v === null) expect(got[i], `${step} ${key}[${i}]`).toBeNull();
          // means are answered to 4 decimals
          else
            expect(Math.abs(got[i]! - v), `${step} ${key}[${i}] ${got[i]} vs ${v}`).toBeLessThanOrEqual(
              5.1e-5,
            );
        });
      }
      const order = (e: { time_ms: number; dyno: string; code: string }) =>
        `${e.time_ms}|${e.dyno}|${e.code}`;
      expect(
        body.events.map((e) => ({ ...e, time: undefined })).sort((a, b) => order(a).localeCompare(order(b))),
      ).toEqual(
        oracle.events
          .map((e) => ({ ...e, time: undefined }))
          .sort((a, b) => order(a).localeCompare(order(b))),
      );
      for (const e of body.events) expect(e.time).toBe(new Date(e.time_ms).toISOString());
      expect(body.events.map((e) => e.time_ms)).toEqual(
        body.events.map((e) => e.time_ms).sort((a, b) => a - b),
      );
      // the data can fail: R14s, the restart and the R10 are all in the 1-minute range
      if (step === '1m')
        expect(new Set(body.events.map((e) => e.code))).toEqual(new Set(['R14', 'R10', 'restart']));
      const byDyno = (a: { dyno: string }, b: { dyno: string }) => a.dyno.localeCompare(b.dyno);
      expect([...body.dynos].sort(byDyno)).toEqual(oracle.dynos.sort(byDyno));
    }
    // a range with no platform lines: every step null, no events; the dynos now are still there
    const later = `since=${new Date(T1 + 120_000).toISOString()}&until=${new Date(T1 + 420_000).toISOString()}&step=1m`;
    const empty = (await (await fx.get(`/api/v1/apps/${APP}/dynos?${later}`)).json()) as DynoAnswer;
    expect(empty.events).toEqual([]);
    for (const values of Object.values(empty.data)) expect(values.every((v) => v === null)).toBe(true);
    expect(empty.dynos.length).toBe(4);
    // the same visibility and parameter checks as /series
    expect((await fx.get(`/api/v1/apps/api.example.com/dynos?${range}`, { token: SHOP_TOKEN })).status).toBe(
      404,
    );
    expect((await fx.get(`/api/v1/apps/nope.example.com/dynos?${range}`)).status).toBe(404);
    const bad = await fx.get(`/api/v1/apps/${APP}/dynos?since=-1h&step=7s`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { parameter: string } }).error.parameter).toBe('step');
  });

  it('an app with only dyno data is known: its dynos, empty routes and series, not a 404', async () => {
    const query = `${range}&step=1m`;
    const res = await fx.get(`/api/v1/apps/${DYNO_ONLY_APP}/dynos?${query}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as DynoAnswer;
    const oracle = dynoOracle(DYNO_ONLY_LINES, {
      fromMs: T0,
      toMs: T1,
      stepSeconds: 60,
      resolutionSeconds: body.resolution_seconds,
    });
    expect(body.process_types).toEqual(['worker']);
    expect(body.data['memory_total_max_mb.worker']).toEqual(oracle.data['memory_total_max_mb.worker']);
    expect(body.dynos.map((d) => d.dyno)).toEqual(['worker.1']);
    const routes = await fx.get(`/api/v1/apps/${DYNO_ONLY_APP}/routes?${range}`);
    expect(routes.status).toBe(200);
    expect(((await routes.json()) as { routes: unknown[] }).routes).toEqual([]);
    const series = await fx.get(`/api/v1/apps/${DYNO_ONLY_APP}/series?${query}`);
    expect(series.status).toBe(200);
    const seriesBody = (await series.json()) as { data: Record<string, unknown[]> };
    expect(seriesBody.data['rpm.2xx']!.every((v) => v === null)).toBe(true);
    // a token limited to other apps still gets the same 404 as for an unknown app
    expect((await fx.get(`/api/v1/apps/${DYNO_ONLY_APP}/dynos?${query}`, { token: SHOP_TOKEN })).status).toBe(
      404,
    );
  });

  it('apps: every app with its requests in the range, dyno-only apps with none', async () => {
    const body = (await (await fx.get(`/api/v1/apps?${range}`)).json()) as {
      apps: Array<{ app: string; requests: number; last_seen: string }>;
    };
    const byApp = new Map(body.apps.map((a) => [a.app, a]));
    expect([...byApp.keys()].sort()).toEqual(['api.example.com', DYNO_ONLY_APP, 'shop.example.com']);
    // its last dyno window: the lines end at T1 (10-s windows)
    expect(Date.parse(byApp.get(DYNO_ONLY_APP)!.last_seen)).toBeGreaterThanOrEqual(T1 - 20_000);
    for (const [app, a] of byApp)
      expect(a.requests).toBe(events.filter((e) => e.app === app && inRange(e)).length);
  });

  it('access: credentials required, compared exactly; a token limited to apps gets 404 for the others', async () => {
    expect((await fx.get('/api/v1/apps', { token: null })).status).toBe(401);
    expect((await fx.get('/api/v1/apps', { token: 'test-token-0123456789abcdeX' })).status).toBe(401);
    const basic = `Basic ${Buffer.from('ops:secret-password').toString('base64')}`;
    expect((await fx.get('/api/v1/apps', { token: null, headers: { authorization: basic } })).status).toBe(
      200,
    );
    const wrong = `Basic ${Buffer.from('ops:secret-passwore').toString('base64')}`;
    const refused = await fx.get('/api/v1/apps', { token: null, headers: { authorization: wrong } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('Basic');

    const shopApps = (await (await fx.get(`/api/v1/apps?${range}`, { token: SHOP_TOKEN })).json()) as {
      apps: Array<{ app: string }>;
    };
    expect(shopApps.apps.map((a) => a.app)).toEqual([APP]);
    expect((await fx.get(`/api/v1/apps/${APP}/routes?${range}`, { token: SHOP_TOKEN })).status).toBe(200);
    const hidden = await fx.get(`/api/v1/apps/api.example.com/routes?${range}`, { token: SHOP_TOKEN });
    const unknown = await fx.get(`/api/v1/apps/nope.example.com/routes?${range}`);
    expect(hidden.status).toBe(404);
    expect(unknown.status).toBe(404);
    // indistinguishable: the same answer as an app that does not exist
    expect(((await hidden.json()) as { error: { code: string } }).error.code).toBe(
      ((await unknown.json()) as { error: { code: string } }).error.code,
    );
  });

  it.each([
    ['since=yesterday', 'since'],
    ['since=-40d', 'since'],
    [`since=${new Date(T1).toISOString()}&until=${new Date(T0).toISOString()}`, 'until'],
    ['since=-1h&step=7s', 'step'],
    ['since=-7d&step=10s', 'step'],
    ['since=-3d&until=-68h&step=30s', 'step'],
    ['metrics=latency,colour', 'metrics'],
  ])('400 naming the parameter: %s', async (query, parameter) => {
    const res = await fx.get(`/api/v1/apps/${APP}/series?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { parameter: string; message: string } };
    expect(body.error.parameter).toBe(parameter);
    expect(body.error.message).toMatch(new RegExp(`^${parameter}: `));
  });

  it('ETag and Cache-Control: a refresh with If-None-Match is a 304; bodies are gzipped', async () => {
    const first = await fx.get(`/api/v1/apps/${APP}/routes?${range}`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(first.headers.get('content-encoding')).toBe('gzip');
    const again = await fx.get(`/api/v1/apps/${APP}/routes?${range}`, {
      headers: { 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
    const other = await fx.get(
      `/api/v1/apps/${APP}/routes?since=${new Date(T0 + 60_000).toISOString()}&until=${new Date(T1).toISOString()}`,
      {
        headers: { 'if-none-match': etag! },
      },
    );
    expect(other.status).toBe(200);
  });

  it('no CORS headers unless configured; health and readiness', async () => {
    const res = await fx.get('/api/v1/apps', { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fx.get('/healthz', { token: null })).status).toBe(200);
    expect((await fx.get('/readyz', { token: null })).status).toBe(200);
  });
});

describe('routemeter serve: configuration', () => {
  it('CORS for the configured origins only; a rate limit per client', async () => {
    const fx = await startTestApi({
      API_CORS_ORIGINS: 'https://grafana.example',
      API_RATE_LIMIT_PER_MINUTE: '3',
    });
    const ok = await fx.get('/api/v1/apps', { headers: { origin: 'https://grafana.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://grafana.example');
    const other = await fx.get('/api/v1/apps', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fx.get('/api/v1/apps')).status).toBe(200);
    expect((await fx.get('/api/v1/apps')).status).toBe(429);
    // another client (the shop token) has its own budget
    expect((await fx.get('/api/v1/apps', { token: SHOP_TOKEN })).status).toBe(200);
    // the page and health are not rate limited
    expect((await fx.get('/healthz')).status).toBe(200);
    const metrics = await (await fx.get('/metrics')).text();
    expect(metrics).toMatch(/routemeter_api_rejected_total\{reason="rate_limited"\} [1-9]/);
  });

  it('PLATFORM_TOPIC empty: /dynos answers the steps with no data, events or dynos', async () => {
    const fx = await startTestApi(
      { PLATFORM_TOPIC: '' },
      { seed: (redis, prefix) => ingest(redis, prefix, events.slice(0, 200), 1) },
    );
    const res = await fx.get(`/api/v1/apps/${APP}/dynos?${range}&step=5m`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      app: APP,
      start_time: new Date(T0).toISOString(),
      end_time: new Date(T1).toISOString(),
      step: '5m',
      step_seconds: 300,
      resolution_seconds: 60,
      data: {},
      process_types: [],
      events: [],
      dynos: [],
    });
  });

  it('refuses to start without credentials unless API_ALLOW_OPEN=true', async () => {
    await expect(startTestApi({ API_TOKENS: '', API_USERS: '' })).rejects.toMatchObject({
      code: 'RM_ERR_CONFIG',
      details: { variable: 'API_TOKENS' },
    });
    const open = await startTestApi({ API_TOKENS: '', API_USERS: '', API_ALLOW_OPEN: 'true' });
    expect((await open.get('/api/v1/apps', { token: null })).status).toBe(200);
  });
});
