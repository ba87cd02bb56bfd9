import { describe, expect, it } from 'vitest';
import { DivergenceReport, OVERFLOW_ROUTE, outcomeClass } from '../../src/replay/divergence-report.js';

describe('DivergenceReport', () => {
  it('counts both sides per route and decides verdicts', () => {
    const r = new DivergenceReport();
    for (let i = 0; i < 60; i++) {
      r.add('shop', 'GET /same', 200, 40 + (i % 5), {
        kind: 'response',
        status: 200,
        latencyMs: 41 + (i % 5),
      });
      r.add('shop', 'GET /slow', 200, 40 + (i % 5), {
        kind: 'response',
        status: 200,
        latencyMs: 240 + (i % 5),
      });
      r.add(
        'shop',
        'GET /fail',
        200,
        40,
        i % 2 === 0 ? { kind: 'response', status: 500, latencyMs: 3 } : { kind: 'timeout', latencyMs: 1000 },
      );
    }
    r.add('shop', 'GET /rare', 200, 10, { kind: 'error', latencyMs: 1, code: 'ECONNRESET' });
    const rows = new Map(r.rows().map((row) => [row.route, row]));
    expect(rows.get('GET /same')?.verdict).toBe('same');
    expect(rows.get('GET /slow')?.verdict).toBe('slower');
    expect(rows.get('GET /fail')?.verdict).toBe('more errors');
    expect(rows.get('GET /rare')?.verdict).toBe('same');
    const fail = rows.get('GET /fail')!;
    expect(fail.original).toMatchObject({ count: 60, errorRate: 0 });
    expect(fail.original.classes['2xx']).toBe(60);
    expect(fail.replayed.classes).toMatchObject({ '5xx': 30, timeout: 30 });
    expect(fail.replayed.errorRate).toBe(1);
    const slow = rows.get('GET /slow')!;
    expect(slow.original.p50Ms).toBe(42);
    expect(slow.replayed.p50Ms).toBe(242);
    expect(slow.replayed.p99Ms).toBe(244);
  });

  it('original lines without service= count but have no latency', () => {
    const r = new DivergenceReport();
    r.add('a', 'GET /', 503, -1, { kind: 'response', status: 200, latencyMs: 5 });
    const [row] = r.rows();
    expect(row?.original).toMatchObject({ count: 1, errorRate: 1, p50Ms: 0 });
    expect(row?.original.classes['5xx']).toBe(1);
  });

  it('caps routes', () => {
    const r = new DivergenceReport(undefined, 3);
    for (let i = 0; i < 10; i++)
      r.add('a', `GET /r${i}`, 200, 1, { kind: 'response', status: 200, latencyMs: 1 });
    expect(r.size).toBe(4);
    expect(r.rows().find((row) => row.route === OVERFLOW_ROUTE)?.replayed.count).toBe(7);
  });

  it('classifies outcomes', () => {
    expect(outcomeClass({ kind: 'response', status: 302, latencyMs: 1 })).toBe('3xx');
    expect(outcomeClass({ kind: 'timeout', latencyMs: 1 })).toBe('timeout');
    expect(outcomeClass({ kind: 'error', latencyMs: 1, code: 'X' })).toBe('error');
  });
});
