import { describe, expect, it } from 'vitest';
import {
  fisherGreater,
  mannWhitneyGreater,
  normalUpperTail,
  Reservoir,
} from '../../src/replay/significance.js';

describe('fisherGreater', () => {
  it('matches hand-computed hypergeometric tails', () => {
    // 3/3 vs 0/3: only the most extreme table, 1 / C(6,3) = 0.05
    expect(fisherGreater(3, 3, 0, 3)).toBeCloseTo(0.05, 10);
    // 2/3 vs 0/3: P(X=2)+P(X=3) with 2 successes in 6 → only x ≤ 2: C(3,2)C(3,0)/C(6,2) = 3/15
    expect(fisherGreater(2, 3, 0, 3)).toBeCloseTo(3 / 15, 10);
    // the classic tea-tasting table (4 of 4 right): 1/70
    expect(fisherGreater(4, 4, 0, 4)).toBeCloseTo(1 / 70, 10);
  });

  it('is 1 for no evidence and small for a large clear difference', () => {
    expect(fisherGreater(0, 10, 5, 10)).toBeGreaterThan(0.99);
    expect(fisherGreater(0, 0, 1, 10)).toBe(1);
    expect(fisherGreater(60, 200, 2, 200)).toBeLessThan(1e-10);
  });
});

describe('mannWhitneyGreater', () => {
  it('three against three can never reach p < 0.01', () => {
    expect(mannWhitneyGreater([1000, 1001, 1002], [1, 2, 3])).toBeGreaterThan(0.01);
  });

  it('finds a shifted distribution and not an equal one', () => {
    const a = Array.from({ length: 60 }, (_, i) => 100 + (i % 20));
    const b = Array.from({ length: 60 }, (_, i) => 50 + (i % 20));
    expect(mannWhitneyGreater(a, b)).toBeLessThan(1e-6);
    expect(mannWhitneyGreater(b, a)).toBeGreaterThan(0.99);
    expect(mannWhitneyGreater(b, [...b])).toBeGreaterThan(0.3);
  });

  it('handles all ties', () => {
    expect(mannWhitneyGreater([5, 5, 5], [5, 5])).toBe(1);
  });
});

describe('normalUpperTail', () => {
  it.each([
    [0, 0.5],
    [1.6448536, 0.05],
    [2.3263479, 0.01],
    [-1.959964, 0.975],
  ])('P(Z > %d) = %d', (z, p) => {
    expect(normalUpperTail(z)).toBeCloseTo(p, 6);
  });
});

describe('Reservoir', () => {
  it('keeps everything below capacity and a uniform sample above it', () => {
    const r = new Reservoir(1000, 7);
    for (let i = 0; i < 500; i++) r.add(i);
    expect(r.values).toHaveLength(500);
    for (let i = 500; i < 100_000; i++) r.add(i);
    expect(r.values).toHaveLength(1000);
    const mean = r.values.reduce((a, b) => a + b, 0) / r.values.length;
    expect(mean).toBeGreaterThan(45_000);
    expect(mean).toBeLessThan(55_000);
  });
});
