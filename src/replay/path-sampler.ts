/**
 * Sampling "consistent by path": a path (without its query string) is either always
 * in the sample or always out, in every run with the same percentage, so a 10 %
 * replay sends every request of one tenth of the paths (whole user journeys on a
 * path, cache behaviour intact) instead of a tenth of every path. A larger
 * percentage keeps every path a smaller one kept.
 */
export function pathHash(path: string): number {
  const q = path.indexOf('?');
  const end = q < 0 ? path.length : q;
  // FNV-1a, 32 bit, over UTF-16 code units, then a murmur3 finaliser to spread low bits.
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** true when `path` is in a `percent` % sample (0 < percent ≤ 100). */
export function inSample(path: string, percent: number): boolean {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return pathHash(path) / 4294967296 < percent / 100;
}
