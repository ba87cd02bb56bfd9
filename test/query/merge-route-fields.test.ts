import { describe, expect, it } from 'vitest';
import type { WindowDelta } from '../../src/actors/flush-batch.js';
import { mergeRouteFields, type WindowHash } from '../../src/query/merge-route-fields.js';
import { packCodes, packHistogram, packStats } from '../../src/sinks/redis/packed-values.js';
import { windowDelta } from '../support/window-delta.js';

function delta(fields: Partial<WindowDelta>): WindowDelta {
  return windowDelta({ route: 'GET /users/:id', ...fields });
}

/** a window hash as the flush writes it (one delta per route) */
function hash(...deltas: WindowDelta[]): WindowHash {
  const h: Record<string, Uint8Array> = {};
  for (const d of deltas) {
    h[`${d.route}|s`] = packStats(d);
    const codes = packCodes(d.codes);
    if (codes !== '') h[`${d.route}|e`] = codes;
    const hs = packHistogram(d.serviceHistogram);
    if (hs !== '') h[`${d.route}|hs`] = hs;
    const hc = packHistogram(d.connectHistogram);
    if (hc !== '') h[`${d.route}|hc`] = hc;
  }
  return h;
}

describe('mergeRouteFields', () => {
  it('sums counts exactly across windows, keeps the exact average and max', () => {
    const w1 = hash(
      delta({
        count: 3,
        serviceSumMs: 30,
        serviceCount: 3,
        serviceMaxMs: 20,
        statusClasses: [0, 3, 0, 0, 0, 0],
        serviceHistogram: [5, 2, 20, 1],
        connectSumMs: 1,
        connectCount: 3,
        connectHistogram: [0, 2, 1, 1],
        bytes: 300,
      }),
    );
    const w2 = hash(
      delta({
        count: 2,
        serviceSumMs: 1001,
        serviceCount: 1,
        serviceMaxMs: 1001,
        statusClasses: [0, 0, 0, 0, 2, 0],
        codes: { '503': 2, H12: 1, H13: 1 },
        serviceHistogram: [1000, 1],
      }),
      delta({ route: 'POST /login', count: 1, statusClasses: [0, 0, 0, 1, 0, 0], codes: { '401': 1 } }),
    );
    const stats = mergeRouteFields([w1, w2], { app: 'a', spanMs: 120_000 });
    expect(stats.map((s) => s.route)).toEqual(['GET /users/:id', 'POST /login']);
    const [users, login] = stats;
    expect(users).toMatchObject({
      app: 'a',
      method: 'GET',
      path: '/users/:id',
      count: 5,
      rpm: 2.5,
      avgMs: 1031 / 4,
      maxMs: 1001,
      p50Ms: 5,
      bytes: 300,
      connectAvgMs: 1 / 3,
      statusClasses: { '1xx': 0, '2xx': 3, '3xx': 0, '4xx': 0, '5xx': 2, other: 0 },
      errorRate: 0.4,
      errorStatuses: [{ code: '503', count: 2 }],
      routerCodes: [
        { code: 'H12', count: 1 },
        { code: 'H13', count: 1 },
      ],
    });
    // 1000 is in the bucket [1000, 1007]: HDR reports its top, clamped to the exact max
    expect(users!.p99Ms).toBe(1001);
    expect(login).toMatchObject({
      count: 1,
      avgMs: null,
      p50Ms: null,
      maxMs: null,
      errorStatuses: [{ code: '401', count: 1 }],
    });
  });

  it('ignores fields it does not know (a newer writer) and empty hashes', () => {
    const h = {
      ...hash(delta({ count: 1, statusClasses: [0, 1, 0, 0, 0, 0] })),
      'GET /users/:id|zz': new Uint8Array([1]),
    };
    expect(mergeRouteFields([h, {}], { app: 'a', spanMs: 60_000 })[0]!.count).toBe(1);
  });
});

describe('mergeRouteFieldsTask (piscina entry)', () => {
  it('gives the same result after the hashes went through structured clone', async () => {
    const { default: task } = await import('../../src/query/merge-route-fields-task.js');
    const h = hash(
      delta({ count: 2, serviceSumMs: 10, serviceCount: 2, serviceMaxMs: 6, serviceHistogram: [4, 1, 6, 1] }),
    );
    const cloned = structuredClone([h]);
    expect(Buffer.isBuffer(Object.values(cloned[0]!)[0])).toBe(false); // plain Uint8Arrays now
    expect(task({ hashes: cloned, options: { app: 'a', spanMs: 60_000 } })).toEqual(
      mergeRouteFields([h], { app: 'a', spanMs: 60_000 }),
    );
  });

  it('applies the route cap to the merged partitions: the least busy routes fold into OTHER /:overflow', () => {
    // a hot app spread over two partitions: each capped its routes (2) on its own
    const route = (name: string, count: number, serviceMs: number) =>
      delta({
        route: name,
        count,
        serviceSumMs: count * serviceMs,
        serviceCount: count,
        serviceMaxMs: serviceMs,
        statusClasses: [0, count - 1, 0, 0, 1, 0],
        codes: { '503': 1 },
        serviceHistogram: [serviceMs, count],
      });
    const p0 = hash(route('GET /a', 9, 5), route('GET /b', 4, 50), route('OTHER /:overflow', 2, 7));
    const p1 = hash(route('GET /a', 1, 5), route('GET /c', 6, 80), route('GET /d', 3, 900));
    const uncapped = mergeRouteFields([p0, p1], { app: 'a', spanMs: 60_000 });
    const capped = mergeRouteFields([p0, p1], { app: 'a', spanMs: 60_000, routeCap: 2 });
    expect(capped.map((s) => [s.route, s.count])).toEqual([
      ['GET /a', 10],
      ['OTHER /:overflow', 9], // 2 + GET /b 4 + GET /d 3
      ['GET /c', 6],
    ]);
    const total = (xs: typeof capped, f: (s: (typeof capped)[number]) => number) =>
      xs.reduce((n, s) => n + f(s), 0);
    expect(total(capped, (s) => s.count)).toBe(total(uncapped, (s) => s.count));
    expect(total(capped, (s) => s.statusClasses['5xx'])).toBe(total(uncapped, (s) => s.statusClasses['5xx']));
    const overflow = capped.find((s) => s.route === 'OTHER /:overflow')!;
    expect(overflow.maxMs).toBe(900);
    expect(overflow.avgMs).toBeCloseTo((2 * 7 + 4 * 50 + 3 * 900) / 9, 6);
    expect(overflow.errorStatuses).toEqual([{ code: '503', count: 3 }]);
    expect(overflow.p99Ms).toBeGreaterThanOrEqual(890);
    // at or under the cap, and for one route or the whole app, nothing is folded
    expect(mergeRouteFields([p0, p1], { app: 'a', spanMs: 60_000, routeCap: 4 })).toEqual(uncapped);
    expect(
      mergeRouteFields([p0, p1], { app: 'a', spanMs: 60_000, routeCap: 1, route: 'GET /d' }).map(
        (s) => s.count,
      ),
    ).toEqual([3]);
  });
});
