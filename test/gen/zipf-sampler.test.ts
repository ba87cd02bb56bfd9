import { describe, expect, it } from 'vitest';
import { createPrng } from '../../src/gen/prng.js';
import { createZipfSampler } from '../../src/gen/zipf-sampler.js';

describe('createZipfSampler', () => {
  it('draws ranks with P(k) ∝ 1/(k+1)^s', () => {
    const n = 100;
    const draw = createZipfSampler(n, 1, createPrng(4));
    const counts = new Array(n).fill(0);
    const total = 200_000;
    for (let i = 0; i < total; i++) counts[draw()]++;
    let h = 0;
    for (let k = 1; k <= n; k++) h += 1 / k;
    for (const k of [0, 1, 9, 99]) {
      const expected = total / (k + 1) / h;
      expect(Math.abs(counts[k] - expected) / expected).toBeLessThan(0.15);
    }
    expect(counts.every((c) => c > 0)).toBe(true);
  });
});
