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
import { deleteTopic, uniqueName } from '../support/kafka.js';
import { makeRouterLines, type OracleLine } from '../support/router-lines.js';
import { startTestApi, TOKEN } from './api-fixture.js';
import { launchBrowser, SCREENSHOTS } from './browser.js';

/**
 * The dashboard as a person sees it, end to end and once for the whole file (one slow
 * scenario): known router lines are posted through the real drain, consumed by the real
 * runtime into Redis, served by `serve`, and the page is opened in headless Chromium.
 * The table must show the API's numbers, which must be the oracle's; the charts must have
 * drawn pixels in their series' colours (a uPlot series without a stroke has a DOM but no
 * pixels); a range preset must change the request. Screenshots go to .stack/screenshots/.
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
    api = await startTestApi({}, { prefix: config.redis.prefix, onCleanup: (fn) => cleanups.unshift(fn) });
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
    await page.click(`#routes tbody tr[data-route="${route}"]`);
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
  });
});
