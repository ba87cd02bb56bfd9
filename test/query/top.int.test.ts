import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
// src/cli/top.ts is the `top` command's implementation; its tests live here, next to the
// query module it presents (the lead owns test/cli).
import { renderTopTable, runTop } from '../../src/cli/top.js';
import type { RouteStats } from '../../src/query/route-stats.js';
import { generateEvents } from '../actors/router-events.js';
import { testRedis } from '../sinks/redis/test-redis.js';
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
    expect(printed).toContain('routemeter top — shop.example.com — last 300s at 10s resolution');
    for (const route of [
      'GET /users/:id',
      'GET /users/:id/orders/:hex',
      'POST /api/search',
      'GET /sessions/:uuid',
    ]) {
      expect(printed).toContain(route);
    }
    expect(printed).toMatch(/H12×\d+/);
    expect(printed).not.toContain('\x1b[2J'); // no screen clearing in --once mode
  });

  it('refreshes until aborted, clearing the screen between frames', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
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
  });
});
