import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { buildLogplexBatch } from '../../src/gen/logplex-batch.js';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { formatRouterLine } from '../../src/logplex/router-line-format.js';
import { formatSyslogLine } from '../../src/logplex/syslog-frame-format.js';
import { DivergenceReport } from '../../src/replay/divergence-report.js';
import { createReplayMetrics } from '../../src/replay/replay-metrics.js';
import { buildReplayPlan, type ReplayCliOptions } from '../../src/replay/replay-options.js';
import { createReplaySender } from '../../src/replay/replay-sender.js';
import { type ReplayDeps, runReplay } from '../../src/replay/run-replay.js';
import { startMetricsServer } from '../../src/sinks/prometheus/metrics-server.js';
import { AUTH, post, type TestDrain, useDrain } from '../ingest/drain-fixture.js';
import { uniqueName } from '../support/kafka.js';
import { makeSelfSignedCert, startStagingServer } from './staging-server.js';

/**
 * `routemeter replay` end to end: router lines posted to the real drain land in the
 * real Kafka; the replay reads them back in a group of its own and sends them to real
 * HTTP and HTTPS staging servers on 127.0.0.1. Each scenario runs once.
 */
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

interface Req {
  method: string;
  path: string;
  /** event time */
  ts: number;
  host?: string;
  status?: number;
  serviceMs?: number;
}

function routerLine(r: Req, i: number): string {
  const message = formatRouterLine({
    at: (r.status ?? 200) >= 500 ? 'error' : 'info',
    method: r.method,
    path: r.path,
    host: r.host ?? 'shop.example.com',
    request_id: `req-${i}`,
    fwd: '10.0.0.1',
    dyno: 'web.1',
    connect: '0ms',
    service: `${r.serviceMs ?? 20}ms`,
    status: r.status ?? 200,
    bytes: 100,
    protocol: 'https',
  });
  return formatSyslogLine({ timestampMs: r.ts, app: 'heroku', procid: 'router', message });
}

/** Posts the requests' router lines through the drain (2xx = in Kafka). */
async function record(drain: TestDrain, reqs: Req[], firstId = 0): Promise<void> {
  const batch = buildLogplexBatch(
    reqs.map((r, i) => routerLine(r, firstId + i)),
    'd.replay-test',
  );
  const res = await post(drain.url, batch.body, { ...batch.headers, authorization: AUTH });
  expect(res.status).toBe(204);
}

async function staging(
  behave: Parameters<typeof startStagingServer>[0],
  tls?: Parameters<typeof startStagingServer>[1],
) {
  const s = await startStagingServer(behave, tls);
  onTestFinished(() => s.close());
  return s;
}

/** Runs a replay of the drain's topic with CLI-style options; defaults: no caps, speed max. */
async function replay(
  drain: TestDrain,
  opts: ReplayCliOptions,
  extra: Partial<ReplayDeps> & { ca?: string; env?: Record<string, string> } = {},
) {
  const config = loadConfig({
    KAFKA_URL: process.env.KAFKA_URL,
    ROUTER_TOPIC: drain.routerTopic,
    ...extra.env,
  });
  const plan = buildReplayPlan(
    { speed: 'max', rps: 'max', group: uniqueName('replay-test'), ...opts },
    config,
    Date.now(),
  );
  plan.deleteGroup = true;
  const sender = createReplaySender({
    timeoutMs: Number(opts.timeoutMs ?? 5000),
    connections: plan.concurrency,
    ca: extra.ca,
  });
  try {
    return await runReplay(plan, {
      kafka: createKafka(config, 'routemeter-replay-test'),
      sender,
      logger,
      ...extra,
    });
  } finally {
    await sender.close();
  }
}

const arrivalKey = (a: { method: string; path: string }) => `${a.method} ${a.path}`;

describe('routemeter replay', () => {
  it('sends exactly the selected requests, in order per app, safely, over HTTP and HTTPS', async () => {
    const drain = await useDrain();
    const cert = makeSelfSignedCert();
    const ok = () => ({ status: 200, delayMs: 0 });
    const behave = (path: string) =>
      path.startsWith('/old') ? { status: 302, delayMs: 0, headers: { location: '/moved' } } : ok();
    const shop = await staging(behave);
    const api = await staging(behave, cert);
    const t0 = Date.now() - 5000;
    const reqs: Req[] = [];
    const paths = [
      '/',
      '/users/1?token=s3cret&q=a',
      '/admin/users',
      '/old/page',
      '/search?q=x&utm_source=mail',
      '/items/7',
    ];
    const methods = ['GET', 'HEAD', 'POST', 'GET', 'DELETE', 'PUT', 'GET'];
    for (let i = 0; i < 42; i++) {
      reqs.push({
        method: methods[i % methods.length] as string,
        path: paths[i % paths.length] as string,
        host: i % 3 === 0 ? 'api.example.com' : 'shop.example.com',
        status: i % 11 === 0 ? 500 : 200,
        ts: t0 + i * 10,
      });
    }
    await record(drain, reqs);
    const base: ReplayCliOptions = {
      target: shop.url,
      hostMap: [`api.example.com=${api.url}`],
      from: new Date(t0 - 1000).toISOString(),
      to: new Date(t0 + 1000).toISOString(),
      pathDeny: ['^/admin'],
      status: ['2xx'],
      dropParams: 'utm_source',
      concurrency: '1',
    };

    // --dry-run: printed, nothing sent
    let printed = '';
    const dry = await replay(
      drain,
      { ...base, dryRun: true },
      {
        out: {
          write: (s: string) => {
            printed += s;
            return true;
          },
        } as never,
      },
    );
    expect(shop.arrivals.length + api.arrivals.length).toBe(0);

    const summary = await replay(drain, base, {
      ca: cert.cert,
      env: { REPLAY_TARGET_BEARER_TOKEN: 'stg-token' },
    });

    // the oracle: GET/HEAD, not /admin, original 2xx; token redacted, utm_source dropped
    const expected = { shop: [] as string[], api: [] as string[] };
    for (const r of reqs) {
      if (!['GET', 'HEAD'].includes(r.method) || r.path.startsWith('/admin') || (r.status ?? 200) !== 200)
        continue;
      const path = r.path.replace('token=s3cret', 'token=REDACTED').replace('&utm_source=mail', '');
      (r.host === 'api.example.com' ? expected.api : expected.shop).push(`${r.method} ${path}`);
    }
    expect(expected.shop.length).toBeGreaterThan(5);
    expect(expected.api.length).toBeGreaterThan(3);
    expect(shop.arrivals.map(arrivalKey)).toEqual(expected.shop);
    expect(api.arrivals.map(arrivalKey)).toEqual(expected.api);
    expect(printed.trim().split('\n')).toHaveLength(expected.shop.length + expected.api.length);
    expect(dry.records.sent).toBe(summary.records.sent);
    for (const a of [...shop.arrivals, ...api.arrivals]) {
      expect(a.headers['x-routemeter-replay']).toMatch(/^req-\d+$/);
      expect(a.headers.authorization).toBe('Bearer stg-token');
      expect(a.path).not.toContain('s3cret');
    }
    // redirects are answers, not followed
    expect([...shop.arrivals, ...api.arrivals].some((a) => a.path === '/moved')).toBe(false);
    expect(summary.routes.find((r) => r.route === 'GET /old/page')?.replayed.classes['3xx']).toBeGreaterThan(
      0,
    );
    expect(summary.records.skipped).toMatchObject({
      method: expect.any(Number),
      path: expect.any(Number),
      status: expect.any(Number),
    });
    expect(summary.stopReason).toBe('end_of_range');
  });

  it('paces by event time at --speed 1 and --speed 5', async () => {
    const drain = await useDrain();
    const server = await staging(() => ({ status: 200, delayMs: 0 }));
    const gaps = [0, 300, 450, 1000, 1150, 1700, 2200, 2250, 2800];
    const t0 = Date.now() - 5000;
    await record(
      drain,
      gaps.map((g) => ({ method: 'GET', path: `/p/${g}`, ts: t0 + g })),
    );
    const range = {
      target: server.url,
      from: new Date(t0 - 100).toISOString(),
      to: new Date(t0 + 3000).toISOString(),
    };
    // Tolerance: each arrival within 150 ms (speed 1) / 80 ms (speed 5) of its asked offset from
    // the first, on a loaded 2-core CI where the server and the replay share one event loop.
    for (const [speed, tolerance] of [
      [1, 150],
      [5, 80],
    ] as const) {
      server.arrivals.length = 0;
      const summary = await replay(drain, { ...range, speed: String(speed), concurrency: '4' });
      expect(server.arrivals.map((a) => a.path)).toEqual(gaps.map((g) => `/p/${g}`));
      const first = server.arrivals[0]?.atMs as number;
      const errors = server.arrivals.map((a, i) => a.atMs - first - (gaps[i] as number) / speed);
      for (const e of errors) expect(Math.abs(e)).toBeLessThan(tolerance);
      expect(summary.pacing.achievedSpeed).toBeGreaterThan(speed * 0.85);
      expect(summary.pacing.achievedSpeed).toBeLessThan(speed * 1.15);
      console.log(
        `pacing --speed ${speed}: max |arrival error| ${Math.max(...errors.map(Math.abs)).toFixed(1)} ms, ` +
          `achieved ×${summary.pacing.achievedSpeed?.toFixed(3)}, lateness p99 ${summary.pacing.latenessP99Ms.toFixed(1)} ms`,
      );
    }
  });

  it('holds the concurrency and rate caps against a slow target, and stops on a failing one', async () => {
    const drain = await useDrain();
    const t0 = Date.now() - 5000;
    await record(
      drain,
      Array.from({ length: 60 }, (_, i) => ({ method: 'GET', path: `/slow/${i}`, ts: t0 + i })),
    );
    const range = { from: new Date(t0 - 100).toISOString(), to: new Date(t0 + 1000).toISOString() };

    const slow = await staging(() => ({ status: 200, delayMs: 250 }));
    await replay(drain, { ...range, target: slow.url, concurrency: '3', count: '15' });
    expect(slow.arrivals).toHaveLength(15);
    expect(slow.maxInFlight).toBe(3);

    const fast = await staging(() => ({ status: 200, delayMs: 0 }));
    await replay(drain, { ...range, target: fast.url, rps: '10', concurrency: '50', count: '25' });
    expect(fast.arrivals).toHaveLength(25);
    const at = fast.arrivals.map((a) => a.atMs);
    // token bucket of 10/s, burst 1: at most 10 starts in any 1 s (+1 for the window's edge and jitter)
    for (let i = 0; i < at.length; i++)
      expect(
        at.filter((t) => t >= (at[i] as number) && t < (at[i] as number) + 1000).length,
      ).toBeLessThanOrEqual(11);

    const failing = await staging(() => ({ status: 503, delayMs: 0 }));
    const stopped = await replay(drain, {
      ...range,
      target: failing.url,
      concurrency: '2',
      stopErrorRatio: '0.5',
      stopWindowSeconds: '10',
      stopMinRequests: '10',
    });
    expect(stopped.stopReason).toBe('target_failing');
    expect(stopped.stopDetail?.requests).toBeGreaterThanOrEqual(10);
    expect(failing.arrivals.length).toBeGreaterThanOrEqual(10);
    expect(failing.arrivals.length).toBeLessThanOrEqual(12); // 10 outcomes + at most 2 in flight

    // a target that does not answer: per-request timeouts count as failures too
    const hanging = await staging(() => ({ status: 200, delayMs: 5000 }));
    const timedOut = await replay(drain, {
      ...range,
      target: hanging.url,
      concurrency: '5',
      timeoutMs: '200',
      stopErrorRatio: '0.5',
      stopMinRequests: '5',
    });
    expect(timedOut.stopReason).toBe('target_failing');
    expect(hanging.arrivals.length).toBeLessThanOrEqual(10);
    expect(timedOut.routes[0]?.replayed.classes.timeout).toBeGreaterThanOrEqual(5);
  });

  it('reports the right verdicts, as a table, JSON and on /metrics', async () => {
    const drain = await useDrain();
    const server = await staging((path) => {
      if (path.startsWith('/slow')) return { status: 200, delayMs: 400 };
      if (path.startsWith('/fail') || path.startsWith('/rare')) return { status: 500, delayMs: 0 };
      return { status: 200, delayMs: 40 };
    });
    const t0 = Date.now() - 5000;
    const reqs: Req[] = [];
    for (let i = 0; i < 40; i++) {
      for (const route of ['same', 'slow', 'fail']) {
        reqs.push({ method: 'GET', path: `/${route}/${i}`, ts: t0 + i * 3, serviceMs: 50 + (i % 7) });
      }
    }
    for (let i = 0; i < 3; i++)
      reqs.push({ method: 'GET', path: `/rare/${i}`, ts: t0 + 200 + i, serviceMs: 10 });
    await record(drain, reqs);
    const report = new DivergenceReport({
      alpha: 0.01,
      minErrorDelta: 0.02,
      slowerRatio: 1.5,
      slowerMinMs: 50,
    });
    const registry = new Registry();
    const metrics = createReplayMetrics(registry, report, 50);
    const server9 = await startMetricsServer(registry, 0, undefined, undefined, '127.0.0.1');
    onTestFinished(() => server9.close());
    const summary = await replay(
      drain,
      {
        target: server.url,
        from: new Date(t0 - 100).toISOString(),
        to: new Date(t0 + 1000).toISOString(),
        concurrency: '8',
      },
      { report, metrics },
    );
    const verdicts = Object.fromEntries(summary.routes.map((r) => [r.route, r.verdict]));
    expect(verdicts).toEqual({
      'GET /same/:id': 'same',
      'GET /slow/:id': 'slower',
      'GET /fail/:id': 'more errors',
      'GET /rare/:id': 'same', // 3 of 3 failed, but 3 requests never regress
    });
    const slow = summary.routes.find((r) => r.route === 'GET /slow/:id');
    expect(slow?.replayed.p50Ms).toBeGreaterThanOrEqual(400);
    expect(slow?.original.p50Ms).toBeLessThan(60);
    const text = await (await fetch(`http://127.0.0.1:${server9.port}/metrics`)).text();
    expect(text).toContain(
      'routemeter_replay_route_verdict{app="shop.example.com",route="GET /slow/:id",verdict="slower"} 1',
    );
    expect(text).toMatch(/routemeter_replay_responses_total\{class="5xx"\} 43/);
    expect(text).toMatch(/routemeter_replay_records_total\{result="sent"\} 123/);
    const json = JSON.parse(JSON.stringify(summary));
    expect(json.routes).toHaveLength(4);
  });

  it('a time range sends exactly the records of the range', async () => {
    const drain = await useDrain();
    const server = await staging(() => ({ status: 200, delayMs: 0 }));
    // three batches produced 1.2 s apart, each with event times at its production time
    const batches: Req[][] = [];
    const starts: number[] = [];
    for (const name of ['a', 'b', 'c']) {
      const t = Date.now();
      starts.push(t);
      const batch = Array.from({ length: 15 }, (_, i) => ({
        method: 'GET',
        path: `/${name}/${i}`,
        ts: t + i * 10,
      }));
      batches.push(batch);
      await record(drain, batch, batches.length * 100);
      await new Promise((r) => setTimeout(r, 1200));
    }
    const range = {
      target: server.url,
      from: new Date(starts[1] as number).toISOString(),
      to: new Date((starts[1] as number) + 600).toISOString(),
    };
    const want = (batches[1] as Req[]).map((r) => `GET ${r.path}`);
    const wide = await replay(drain, range); // default slack: Kafka offsets widened by 30 s, then event time decides
    expect(server.arrivals.map(arrivalKey)).toEqual(want);
    expect(wide.records.read).toBe(45);
    server.arrivals.length = 0;
    const narrow = await replay(drain, { ...range, rangeSlackSeconds: '0' }); // offsets alone select batch b
    expect(server.arrivals.map(arrivalKey)).toEqual(want);
    expect(narrow.records.read).toBe(15);
  });

  it('the command stops on SIGTERM and prints the report so far', async () => {
    const drain = await useDrain();
    const server = await staging(() => ({ status: 200, delayMs: 0 }));
    const dir = mkdtempSync(join(tmpdir(), 'rm-replay-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const main = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
    const child: ChildProcess = spawn(
      process.execPath,
      [
        main,
        'replay',
        '--target',
        server.url,
        '--speed',
        'max',
        '--json',
        join(dir, 'report.json'),
        '--metrics-port',
        '0',
      ],
      {
        env: { ...process.env, ROUTER_TOPIC: drain.routerTopic, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const deadline = Date.now() + 30_000;
    while (!err.includes('replay source positioned') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    // live tail: lines recorded after the source positioned itself are replayed
    await record(drain, [{ method: 'GET', path: '/live/1', ts: Date.now() }]);
    const seen = Date.now() + 20_000;
    while (server.arrivals.length === 0 && Date.now() < seen) await new Promise((r) => setTimeout(r, 100));
    expect(server.arrivals.map(arrivalKey)).toEqual(['GET /live/1']);
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - sent).toBeLessThan(30_000);
    expect(out).toContain('stopped by: signal');
    expect(out).toContain('GET /live/:id');
    expect(out).not.toContain('"level"'); // logs go to stderr: stdout is the report
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(json.stopReason).toBe('signal');
    expect(json.records.sent).toBe(1);
  });
});
