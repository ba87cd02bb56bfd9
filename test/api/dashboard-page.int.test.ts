import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDrain } from '../../src/ingest/drain-server.js';
import { formatLogplexBody } from '../../src/logplex/syslog-frame-format.js';
import { runRuntime } from '../../src/runtime/run-runtime.js';
import { AUTH } from '../ingest/drain-fixture.js';
import { deleteKeys, runtimeConfig, testLogger, testRedis, waitFlushed } from '../runtime/runtime-harness.js';
import { type DynoOracle, dynoOracle, makeDynoLines } from '../support/dyno-lines.js';
import { deleteTopic, uniqueName } from '../support/kafka.js';
import { makeRouterLines, type OracleLine } from '../support/router-lines.js';
import { startTestApi, TOKEN } from './api-fixture.js';
import { launchBrowser, SCREENSHOTS } from './browser.js';
import { flushDynoLines } from './dyno-seed.js';

/**
 * The dashboard as a person sees it, end to end and once for the whole file (one slow
 * scenario): known router lines are posted through the real drain, consumed by the real
 * runtime into Redis, served by `serve`, and the page is opened in headless Chromium.
 * The table must show the API's numbers, which must be the oracle's; the charts must have
 * drawn pixels in their series' colours (a uPlot series without a stroke has a DOM but no
 * pixels); a range preset must change the request. Dyno lines of the same app are flushed
 * into the same Redis (flushPlatformPartition; the runtime's platform consumer is tested
 * on its own): the memory and load legends must show the API's values, which must be the
 * oracle's, and the restart must be a marker on every chart at its time. Screenshots go
 * to .stack/screenshots/.
 */
type Row = Record<string, string>;

// The callbacks passed to page.evaluate run in the page, not in Node: these are the page's
// globals, declared here (module scope) instead of adding the DOM library to every test.
// biome-ignore lint/suspicious/noExplicitAny: the browser's globals, typed loosely on purpose
declare const document: any;
// biome-ignore lint/suspicious/noExplicitAny: as above
declare const getComputedStyle: (el: any) => any;
interface ApiRoute {
  route: string;
  requests: number;
  rpm: number;
  p99_ms: number | null;
  status: Record<string, number>;
  error_rate: number;
}

const NOW = Date.now();
// 45 minutes of traffic for two apps, ending 5 minutes ago: inside the 1 h preset
const LINES = makeRouterLines(3000, { apps: 2, seed: 5, startMs: NOW - 45 * 60_000, stepMs: 800 });
const APP = 'app-0.herokuapp.com';
// 40 minutes of dyno samples of APP: web.2 passes its quota near the end (R14s), web.3
// restarts 30 minutes ago, well before any R14, so its marker stands alone
const DYNO_TOPIC = 'dashboard-platform';
const RESTART_MS = NOW - 30 * 60_000 + 2_500;
const DYNO_LINES = makeDynoLines(APP, {
  startMs: NOW - 45 * 60_000,
  minutes: 40,
  seed: 9,
  restartAtMs: RESTART_MS,
  dynos: [
    { dyno: 'web.1', quotaMb: 512, baseMb: 200, leakMbPerMin: 1 },
    { dyno: 'web.2', quotaMb: 512, baseMb: 380, leakMbPerMin: 3.5 },
    { dyno: 'web.3', quotaMb: 512, baseMb: 260, leakMbPerMin: 0.5 },
  ],
});

async function post(url: string, lines: OracleLine[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 200) {
    const chunk = lines.slice(i, i + 200);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/logplex-1',
        'logplex-msg-count': String(chunk.length),
        'logplex-frame-id': randomBytes(16).toString('hex'),
        authorization: AUTH,
      },
      body: formatLogplexBody(chunk.map((l) => l.line)),
    });
    if (res.status !== 204) throw new Error(`drain answered ${res.status}`);
  }
}

/** Pixels of the chart's canvas within a small distance of the CSS colour (antialiasing aside). */
async function pixelsOf(page: Page, chart: string, cssColor: string): Promise<number> {
  return page.evaluate(
    (selector, color) => {
      const probe = document.createElement('span');
      probe.style.color = color;
      document.body.append(probe);
      const [r, g, b] = getComputedStyle(probe).color.match(/\d+/g)!.map(Number) as [number, number, number];
      probe.remove();
      const canvas = document.querySelector(`${selector} canvas`);
      if (!canvas) return -1;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4)
        if (
          Math.abs(data[i]! - r) < 24 &&
          Math.abs(data[i + 1]! - g) < 24 &&
          Math.abs(data[i + 2]! - b) < 24 &&
          data[i + 3]! > 200
        )
          n++;
      return n;
    },
    chart,
    cssColor,
  );
}

const cssVar = (page: Page, name: string) =>
  page.evaluate((n) => getComputedStyle(document.documentElement).getPropertyValue(n).trim(), name);

/** The legend of a chart: series label → the value shown at the cursor. */
async function legend(page: Page, chart: string): Promise<Record<string, string>> {
  return page.$$eval(`${chart} .u-legend .u-series`, (rows) =>
    Object.fromEntries(
      rows.map((r) => [
        r.querySelector('.u-label')?.textContent ?? '',
        r.querySelector('.u-value')?.textContent ?? '',
      ]),
    ),
  );
}

interface Answer {
  start_time: string;
  end_time: string;
  step_seconds: number;
  data: Record<string, Array<number | null>>;
  events: Array<{ time_ms: number; dyno: string; code: string }>;
  dynos: Array<{ dyno: string; memory_total_mb: number; load_1m: number | null }>;
}

/**
 * The dyno part of the page against the answers it got (`answers`: the last /series and
 * /dynos bodies) and the oracle: hover a step on the response-time chart, read the synced
 * memory and load legends; the restart marker on every chart at its time; the dyno table.
 */
async function checkDynos(page: Page, answers: Map<string, Answer>): Promise<void> {
  const series = answers.get('series')!;
  const dynos = answers.get('dynos')!;
  const stepMs = dynos.step_seconds * 1000;
  const oracle: DynoOracle = dynoOracle(DYNO_LINES, {
    fromMs: Date.parse(dynos.start_time),
    toMs: Date.parse(dynos.end_time),
    stepSeconds: dynos.step_seconds,
    resolutionSeconds: dynos.step_seconds,
  });
  // the time axis of every chart: the /series answer's first to last step
  const axisMin = Date.parse(series.start_time);
  const axisMax = Date.parse(series.end_time) - series.step_seconds * 1000;
  const at = (ms: number, box: { x: number; width: number }) =>
    box.x + ((ms - axisMin) / (axisMax - axisMin)) * box.width;

  // a step 12 minutes before the samples end, where web has data
  const t = Math.floor((NOW - 17 * 60_000) / stepMs) * stepMs;
  const i = (t - Date.parse(dynos.start_time)) / stepMs;
  const mean = dynos.data['memory_total_mean_mb.web']![i]!;
  expect(Math.abs(mean - oracle.data['memory_total_mean_mb.web']![i]!)).toBeLessThanOrEqual(5.1e-5);
  const over = (await (await page.$('#app-charts [data-chart="latency"] .u-over'))!.boundingBox())!;
  // uPlot reads the pointer once per frame: the second move makes the first one count
  await page.mouse.move(at(t, over), over.y + over.height / 2);
  await page.mouse.move(at(t, over), over.y + over.height / 2 + 1);
  await page.waitForFunction(
    (v) =>
      [...document.querySelectorAll('#dyno-charts [data-chart="memory"] .u-legend .u-value')].some(
        (e: { textContent: string }) => e.textContent === v,
      ),
    { timeout: 5000 },
    mean.toFixed(1),
  );
  const memory = await legend(page, '#dyno-charts [data-chart="memory"]');
  const load = await legend(page, '#dyno-charts [data-chart="load"]');
  const latency = await legend(page, '#app-charts [data-chart="latency"]');
  expect(memory.Time).toBe(latency.Time); // one cursor for every chart
  for (const [label, key] of [
    ['web mean', 'memory_total_mean_mb.web'],
    ['web max', 'memory_total_max_mb.web'],
    ['web quota', 'memory_quota_mb.web'],
  ] as const) {
    expect(memory[label], label).toBe(dynos.data[key]![i]!.toFixed(1));
    expect(Math.abs(dynos.data[key]![i]! - oracle.data[key]![i]!)).toBeLessThanOrEqual(5.1e-5);
  }
  for (const [label, key] of [
    ['web mean', 'load_1m_mean.web'],
    ['web max', 'load_1m_max.web'],
  ] as const) {
    expect(load[label], label).toBe(dynos.data[key]![i]!.toFixed(2));
    expect(Math.abs(dynos.data[key]![i]! - oracle.data[key]![i]!)).toBeLessThanOrEqual(5.1e-5);
  }

  // the restart: one marker on each of the six charts, at its window's time, naming web.3
  const restart = oracle.events.find((e) => e.code === 'restart')!;
  expect(restart.time_ms).toBe(Math.floor(RESTART_MS / stepMs) * stepMs);
  expect(dynos.events.filter((e) => e.code === 'restart')).toEqual([
    expect.objectContaining({ time_ms: restart.time_ms, dyno: 'web.3' }),
  ]);
  const markers = await page.$$eval('[data-chart] .event-marker[data-codes="restart"]', (els) =>
    els.map((el) => ({
      chart: el.closest('[data-chart]').dataset.chart,
      timeMs: Number(el.dataset.timeMs),
      dynos: el.dataset.dynos,
      title: el.title,
      left: Number.parseFloat(el.style.left),
      width: el.closest('.u-over').clientWidth,
    })),
  );
  expect(markers.map((m) => m.chart).sort()).toEqual(
    ['codes', 'errors', 'latency', 'load', 'memory', 'rate'].sort(),
  );
  for (const m of markers) {
    expect(m.timeMs).toBe(restart.time_ms);
    expect(m.dynos).toBe('web.3');
    expect(m.title).toMatch(/restart .*web\.3/);
    expect(Math.abs(m.left - at(restart.time_ms, { x: 0, width: m.width })), m.chart).toBeLessThan(1.5);
  }
  // R14s of web.2 are marked too, and listed
  const r14 = await page.$$eval('#dyno-charts [data-chart="memory"] .event-marker', (els) =>
    els.filter((el) => el.dataset.codes.split(',').includes('R14')).map((el) => el.dataset.dynos),
  );
  expect(r14.length).toBeGreaterThan(0);
  expect(r14.every((d) => d.split(',').includes('web.2'))).toBe(true);
  expect(await page.$$eval('#dyno-events li[data-code="R14"]', (els) => els.length)).toBeGreaterThan(0);

  // the dynos now: the latest sample of each, as the oracle has it
  const table = await page.$$eval('#dynos tbody tr', (trs) =>
    trs.map((tr) =>
      Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col, td.textContent])),
    ),
  );
  expect(table.map((r) => r.dyno)).toEqual(['web.1', 'web.2', 'web.3']);
  for (const row of table) {
    const o = oracle.dynos.find((d) => d.dyno === row.dyno)!;
    expect(row.memory_total_mb).toBe(o.memory_total_mb.toFixed(1));
    expect(row.load_1m).toBe(o.load_1m === null ? '–' : o.load_1m.toFixed(2));
  }
  expect(await page.$eval('#dyno-note', (e: { hidden: boolean }) => e.hidden)).toBe(true);
}

async function tableRows(page: Page): Promise<Row[]> {
  return page.$$eval('#routes tbody tr[data-route]', (trs) =>
    trs.map((tr) =>
      Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col!, td.textContent!])),
    ),
  );
}

describe('dashboard page in headless Chromium', () => {
  let browser: Browser;
  let base: string;
  let api: Awaited<ReturnType<typeof startTestApi>>;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    // one config for the drain and the runtime: their own topic, group and key prefix
    const topic = uniqueName('dashboard');
    const config = runtimeConfig(topic, {
      DRAIN_USERS: 'logplex:s3cret',
      PLATFORM_TOPIC: '',
      TOPIC_PARTITIONS: '3',
    });
    const redis = testRedis(config);
    cleanups.unshift(async () => {
      await deleteKeys(redis, config.redis.prefix);
      redis.disconnect();
      await deleteTopic(topic);
    });
    const drain = await startDrain(config, testLogger, new Registry(), { port: 0, host: '127.0.0.1' });
    cleanups.unshift(() => drain.close());
    const runtime = await runRuntime(config, testLogger, { metricsPort: 0 });
    cleanups.unshift(async () => void (await runtime.stop()));
    await post(`http://127.0.0.1:${drain.port}${config.drain.path}`, LINES);
    await waitFlushed(redis, config);
    await flushDynoLines(redis, config.redis.prefix, DYNO_TOPIC, DYNO_LINES);
    api = await startTestApi(
      { PLATFORM_TOPIC: DYNO_TOPIC },
      { prefix: config.redis.prefix, onCleanup: (fn) => cleanups.unshift(fn) },
    );
    base = `http://127.0.0.1:${api.api.port}`;
    browser = await launchBrowser();
    cleanups.unshift(() => browser.close());
    // the page's own errors in the test log, to explain a failed wait
    browser.on('targetcreated', async (target) => {
      const page = await target.page();
      page?.on('pageerror', (e) => console.error(`page error: ${String(e)}`));
      page?.on('console', (m) => m.type() === 'error' && console.error(`page console: ${m.text()}`));
    });
  });
  afterAll(async () => {
    for (const fn of cleanups) await fn().catch(() => {});
  });

  it('shows the API’s numbers, which are the oracle’s; charts drew; a range preset changes the request', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 1000 });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    // the latest /series (whole app) and /dynos bodies the page drew
    const answers = new Map<string, Answer>();
    page.on('response', async (r) => {
      const url = new URL(r.url());
      const kind = url.pathname.endsWith('/dynos')
        ? 'dynos'
        : url.pathname.endsWith('/series')
          ? 'series'
          : null;
      if (kind === null || url.searchParams.has('route') || r.status() !== 200) return;
      answers.set(kind, (await r.json().catch(() => null)) ?? answers.get(kind));
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const started = Date.now();
    await page.goto(`${base}/#token=${TOKEN}&app=${APP}&range=1h`);
    await page.waitForSelector('#routes tbody tr[data-route]');
    // the first chart, or the page's own error message (shown in its status line)
    await page.waitForFunction(
      () =>
        performance.getEntriesByName('routemeter:first-chart').length > 0 ||
        document.querySelector('#status').textContent.startsWith('error'),
    );
    expect(await page.$eval('#status', (e: { textContent: string }) => e.textContent)).not.toMatch(/^error/);
    const firstChartMs = await page.evaluate(
      () => performance.getEntriesByName('routemeter:first-chart')[0]!.startTime,
    );
    writeFileSync(
      join(SCREENSHOTS, 'timing.json'),
      JSON.stringify({ firstChartMs, loadToRowsMs: Date.now() - started }),
    );
    console.log(`dashboard: time to first chart ${firstChartMs.toFixed(0)} ms after navigation start`);
    // the token left the address bar
    expect(page.url()).not.toContain(TOKEN);

    // table = API = oracle
    const apiBody = (await (await api.get(`/api/v1/apps/${APP}/routes?since=-1h`)).json()) as {
      routes: ApiRoute[];
    };
    const rows = await tableRows(page);
    const mine = LINES.filter((l) => l.app === APP);
    expect(rows.map((r) => r.route).sort()).toEqual([...new Set(mine.map((l) => l.route))].sort());
    for (const row of rows) {
      const fromApi = apiBody.routes.find((r) => r.route === row.route)!;
      const oracle = mine.filter((l) => l.route === row.route);
      expect(Number(row.requests), row.route).toBe(fromApi.requests);
      expect(fromApi.requests).toBe(oracle.length);
      for (const [cls, lo] of [
        ['2xx', 200],
        ['4xx', 400],
        ['5xx', 500],
      ] as const) {
        expect(Number(row[cls]), `${row.route} ${cls}`).toBe(fromApi.status[cls]);
        expect(fromApi.status[cls]).toBe(oracle.filter((l) => l.status >= lo && l.status < lo + 100).length);
      }
      expect(row.rpm).toBe(fromApi.rpm.toFixed(1));
      expect(row.error_rate).toBe((fromApi.error_rate * 100).toFixed(2));
      expect(fromApi.error_rate).toBeCloseTo(
        oracle.filter((l) => l.status >= 500).length / oracle.length,
        12,
      );
      const p99 = fromApi.p99_ms;
      expect(row.p99_ms).toBe(p99 === null ? '–' : p99 >= 100 ? p99.toFixed(0) : p99.toFixed(1));
    }
    // units in the headers
    const headers = await page.$$eval('#routes thead th', (ths) => ths.map((th) => th.textContent));
    expect(headers).toEqual(expect.arrayContaining(['p99 (ms)', 'rpm (req/min)', 'err (% 5xx)']));

    // sorting by a header reorders the rows
    await page.click('#routes thead th[data-col="p99_ms"]');
    const sorted = (await tableRows(page)).map((r) => (r.p99_ms === '–' ? -1 : Number(r.p99_ms)));
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));

    // the dyno charts, events and table; auto-refresh paused so the answers stay the drawn ones
    await page.click('#auto-refresh');
    await page.waitForSelector('#dyno-charts [data-chart="load"] canvas');
    await page.waitForNetworkIdle({ idleTime: 300, timeout: 15_000 });
    await checkDynos(page, answers);
    expect(
      await pixelsOf(page, '#dyno-charts [data-chart="memory"]', await cssVar(page, '--mem-mean')),
    ).toBeGreaterThan(50);
    await page.click('#auto-refresh');

    // the charts drew visible pixels in their series' colours
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-light.png'), fullPage: true });
    expect(
      await pixelsOf(page, '#app-charts [data-chart="rate"]', await cssVar(page, '--c2xx')),
    ).toBeGreaterThan(50);
    expect(
      await pixelsOf(page, '#app-charts [data-chart="latency"]', await cssVar(page, '--p99')),
    ).toBeGreaterThan(50);
    expect(
      await pixelsOf(page, '#app-charts [data-chart="latency"]', await cssVar(page, '--p50')),
    ).toBeGreaterThan(50);
    expect(
      await pixelsOf(page, '#app-charts [data-chart="errors"]', await cssVar(page, '--err')),
    ).toBeGreaterThan(20);
    const firstCode = (await cssVar(page, '--codes')).split(',')[0]!.trim();
    expect(await pixelsOf(page, '#app-charts [data-chart="codes"]', firstCode)).toBeGreaterThan(20);
    // a colour no series uses finds nothing: the check can fail
    expect(await pixelsOf(page, '#app-charts [data-chart="latency"]', '#ff00ff')).toBe(0);

    // a range preset changes the request
    expect(requests.some((u) => u.includes('/series') && u.includes('since=-1h'))).toBe(true);
    const sixHours = page.waitForRequest((r) => r.url().includes('/series') && r.url().includes('since=-6h'));
    const sixHoursRoutes = page.waitForRequest(
      (r) => r.url().includes('/routes') && r.url().includes('since=-6h'),
    );
    await page.click('#ranges button[data-range="6h"]');
    await Promise.all([sixHours, sixHoursRoutes]);
    expect(await page.$eval('#ranges button[data-range="6h"]', (b) => b.getAttribute('aria-pressed'))).toBe(
      'true',
    );

    // a chosen route gets its own charts
    const route = rows[0]!.route!;
    // The 6h answers re-render the table: click a row of the settled table, as a person
    // would; an auto-refresh landing between finding and clicking the row is retried.
    await page.waitForNetworkIdle({ idleTime: 300, timeout: 15_000 });
    for (let attempt = 1; ; attempt++) {
      try {
        await page.click(`#routes tbody tr[data-route="${route}"]`);
        break;
      } catch (err) {
        if (attempt >= 3 || !/detached/i.test((err as Error).message)) throw err;
      }
    }
    await page.waitForSelector('#route-section:not([hidden]) [data-chart="latency"] canvas');
    await page.waitForFunction(() => document.querySelector('#route-title')?.textContent?.includes('6h'));
    expect(
      await pixelsOf(page, '#route-charts [data-chart="rate"]', await cssVar(page, '--c2xx')),
    ).toBeGreaterThan(50);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-route.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('reads in dark mode and on a wall screen', async () => {
    const page = await browser.newPage();
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await page.setViewport({ width: 2560, height: 1440 });
    await page.goto(`${base}/#token=${TOKEN}&app=${APP}&range=1h`);
    await page.waitForSelector('#app-charts [data-chart="codes"] canvas');
    await page.waitForSelector('#routes tbody tr[data-route]');
    const [bg, fontPx] = await page.evaluate(() => [
      getComputedStyle(document.body).backgroundColor,
      Number.parseFloat(getComputedStyle(document.documentElement).fontSize),
    ]);
    expect(bg).toBe('rgb(13, 17, 23)');
    expect(fontPx).toBeGreaterThan(20); // larger type from across the room
    expect(
      await pixelsOf(page, '#app-charts [data-chart="latency"]', await cssVar(page, '--p99')),
    ).toBeGreaterThan(50);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-dark-wall.png') });
  });

  it('without a token the page asks for one', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('#login:not([hidden])');
    await page.type('#token', TOKEN);
    await page.click('#login button');
    await page.waitForSelector('#routes tbody tr[data-route]');
    // an app without dyno data: a note on how to turn runtime metrics on, no empty charts
    await page.select('#app-picker', 'app-1.herokuapp.com');
    await page.waitForFunction(() =>
      document
        .querySelector('#dyno-note:not([hidden])')
        ?.textContent.includes('heroku labs:enable log-runtime-metrics'),
    );
    expect(
      await page.$eval('#dyno-charts', (e: { hidden: boolean; children: unknown[] }) => [
        e.hidden,
        e.children.length,
      ]),
    ).toEqual([true, 0]);
    expect(await page.$$eval('.event-marker', (els) => els.length)).toBe(0);
  });
});
