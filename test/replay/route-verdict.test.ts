import { describe, expect, it } from 'vitest';
import { decideVerdict, type SideSummary } from '../../src/replay/route-verdict.js';

function side(latencies: number[], errors = 0): SideSummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
  return { count: latencies.length, errors, p50Ms: q(0.5), p95Ms: q(0.95), latencySample: latencies };
}

const around = (n: number, base: number, spread = 10) =>
  Array.from({ length: n }, (_, i) => base + ((i * 7) % spread));

describe('decideVerdict', () => {
  it('three requests never regress, however bad', () => {
    expect(decideVerdict(side([10, 11, 12]), side([900, 950, 990], 3)).verdict).toBe('same');
  });

  it('slower needs significance and size', () => {
    expect(decideVerdict(side(around(50, 100)), side(around(50, 300))).verdict).toBe('slower');
    // significant but tiny (2 ms on 100 ms): same
    expect(decideVerdict(side(around(200, 100)), side(around(200, 102))).verdict).toBe('same');
    // faster is not a divergence to flag
    expect(decideVerdict(side(around(50, 300)), side(around(50, 100))).verdict).toBe('same');
  });

  it('more and fewer errors', () => {
    expect(decideVerdict(side(around(40, 50), 0), side(around(40, 50), 20)).verdict).toBe('more errors');
    expect(decideVerdict(side(around(40, 50), 20), side(around(40, 50), 0)).verdict).toBe('fewer errors');
    expect(decideVerdict(side(around(40, 50), 2), side(around(40, 50), 3)).verdict).toBe('same');
  });

  it('more errors wins over slower', () => {
    expect(decideVerdict(side(around(50, 100)), side(around(50, 400), 30)).verdict).toBe('more errors');
  });

  it('reports its p-values', () => {
    const v = decideVerdict(side(around(50, 100)), side(around(50, 300)));
    expect(v.pSlower).toBeLessThan(0.01);
    expect(v.pMoreErrors).toBe(1);
  });
});
