import type { Prng } from './prng.js';

/**
 * Draws ranks 0..n-1 with P(k) ∝ 1 / (k+1)^s: a few routes get most of the
 * traffic and a long tail gets a little, as on real sites. The CDF is computed once;
 * a draw is a binary search, O(log n).
 */
export function createZipfSampler(n: number, s: number, rng: Prng): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / (k + 1) ** s;
    cdf[k] = total;
  }
  for (let k = 0; k < n; k++) cdf[k]! /= total;
  return () => {
    const u = rng.next();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
