import { describe, expect, it } from 'vitest';
import type { RouteSample } from '../../src/runtime/protocol.js';
import { emptySample } from '../../src/runtime/route-samples.js';
import { RouteSeries } from '../../src/runtime/route-series.js';

function sample(app: string, route: string, count: number): RouteSample {
  const s = emptySample(app, route);
  s.count = count;
  s.serviceCount = count;
  s.buckets[3] = count;
  return s;
}

const snapshot = (rs: RouteSeries) =>
  Object.fromEntries([...rs.series()].map((s) => [`${s.app} ${s.route}`, s.count]));

describe('RouteSeries', () => {
  it('exports routes as they come until the limit, then sums the rest per app', () => {
    const rs = new RouteSeries(2, 60_000, 0);
    rs.add(sample('a', 'GET /1', 1), 1);
    rs.add(sample('a', 'GET /2', 1), 2);
    rs.add(sample('a', 'GET /3', 5), 3);
    rs.add(sample('b', 'GET /4', 2), 4);
    rs.add(sample('b', '__other__', 3), 5);
    expect(snapshot(rs)).toEqual({ 'a GET /1': 1, 'a GET /2': 1, 'a __other__': 5, 'b __other__': 5 });
  });

  it('re-chooses the busiest routes at each evaluation; counters never go down', () => {
    const rs = new RouteSeries(2, 1000, 0);
    rs.add(sample('a', 'GET /quiet', 1), 0);
    rs.add(sample('a', 'GET /mid', 3), 0);
    rs.add(sample('a', 'GET /busy', 50), 0); // no room yet: counted in __other__
    const before = snapshot(rs);
    expect(before['a __other__']).toBe(50);
    // next period: the evaluation promotes /busy (fresh series at 0), demotes /quiet
    rs.add(sample('a', 'GET /busy', 7), 1500);
    const after = snapshot(rs);
    expect(after).toEqual({ 'a GET /mid': 3, 'a GET /busy': 7, 'a __other__': 50 });
    rs.add(sample('a', 'GET /quiet', 2), 1600);
    expect(snapshot(rs)['a __other__']).toBe(52);
    for (const [k, v] of Object.entries(before))
      if (k in snapshot(rs)) expect(snapshot(rs)[k]).toBeGreaterThanOrEqual(v);
  });

  it('drops routes with no traffic in a period and bounds the apps with __other__ series', () => {
    const rs = new RouteSeries(1, 1000, 0);
    rs.add(sample('a', 'GET /x', 1), 0);
    rs.add(sample('b', 'GET /y', 1), 10); // a's /x holds the only place
    rs.add(sample('c', 'GET /z', 1), 20); // third app: beyond `limit` apps → app="__other__"
    expect(snapshot(rs)).toEqual({ 'a GET /x': 1, 'b __other__': 1, '__other__ __other__': 1 });
    rs.evaluate(5000);
    rs.evaluate(10_000); // a period without traffic: /x loses its place
    expect(Object.keys(snapshot(rs))).not.toContain('a GET /x');
  });

  it('exports nothing per route with limit 0, but still counts every request', () => {
    const rs = new RouteSeries(0, 1000, 0);
    rs.add(sample('a', 'GET /x', 4), 0);
    expect(snapshot(rs)).toEqual({ '__other__ __other__': 4 });
  });
});
