import { describe, expect, it } from 'vitest';
import { inSample, pathHash } from '../../src/replay/path-sampler.js';

describe('inSample', () => {
  const paths = Array.from({ length: 20_000 }, (_, i) => `/items/${i}/detail`);

  it('keeps about the asked share of paths', () => {
    for (const pct of [1, 10, 50]) {
      const kept = paths.filter((p) => inSample(p, pct)).length / paths.length;
      expect(kept).toBeGreaterThan((pct / 100) * 0.85);
      expect(kept).toBeLessThan((pct / 100) * 1.15);
    }
  });

  it('is consistent by path: the query string does not matter', () => {
    for (const p of paths.slice(0, 500)) {
      expect(inSample(`${p}?a=1`, 10)).toBe(inSample(`${p}?b=2`, 10));
      expect(pathHash(`${p}?x`)).toBe(pathHash(p));
    }
  });

  it('a larger sample keeps every path a smaller one kept', () => {
    for (const p of paths.slice(0, 2000)) if (inSample(p, 5)) expect(inSample(p, 20)).toBe(true);
  });

  it('0 and 100 are none and all', () => {
    expect(paths.slice(0, 100).every((p) => inSample(p, 100))).toBe(true);
    expect(paths.slice(0, 100).some((p) => inSample(p, 0))).toBe(false);
  });
});
