/**
 * The two tests behind the report's verdicts, chosen so that small samples cannot
 * produce a verdict by chance:
 *
 *  - error rates: Fisher's exact test (one-sided), exact at any sample size. With 3
 *    original and 3 replayed requests the smallest p-value possible is 1/20 = 0.05,
 *    so at α = 0.01 three requests can never "regress";
 *  - latency: the Mann–Whitney U test (one-sided, normal approximation with tie and
 *    continuity corrections), which compares whole distributions by rank and
 *    assumes no shape; at 3 vs 3 its p-value is at least 0.04.
 */

const LOG_FACT_CACHE: number[] = [0];

function logFactorial(n: number): number {
  for (let i = LOG_FACT_CACHE.length; i <= n; i++) {
    LOG_FACT_CACHE.push((LOG_FACT_CACHE[i - 1] as number) + Math.log(i));
  }
  return LOG_FACT_CACHE[n] as number;
}

/** log P(X = x) for the hypergeometric count of the first row's successes. */
function logHyper(x: number, row1: number, row2: number, successes: number): number {
  const n = row1 + row2;
  return (
    logFactorial(row1) -
    logFactorial(x) -
    logFactorial(row1 - x) +
    logFactorial(row2) -
    logFactorial(successes - x) -
    logFactorial(row2 - successes + x) -
    (logFactorial(n) - logFactorial(successes) - logFactorial(n - successes))
  );
}

/**
 * One-sided Fisher exact p-value that group A's rate (`aHits` of `aTotal`) is
 * greater than group B's (`bHits` of `bTotal`).
 */
export function fisherGreater(aHits: number, aTotal: number, bHits: number, bTotal: number): number {
  if (aTotal === 0 || bTotal === 0) return 1;
  const successes = aHits + bHits;
  const max = Math.min(aTotal, successes);
  let p = 0;
  for (let x = aHits; x <= max; x++) {
    if (successes - x > bTotal) continue;
    p += Math.exp(logHyper(x, aTotal, bTotal, successes));
  }
  return Math.min(1, p);
}

/** Standard normal upper tail, P(Z > z) (Abramowitz–Stegun 26.2.17, |error| < 7.5e-8). */
export function normalUpperTail(z: number): number {
  if (z < 0) return 1 - normalUpperTail(-z);
  const t = 1 / (1 + 0.2316419 * z);
  const poly =
    t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * poly;
}

/** One-sided Mann–Whitney p-value that values in `a` tend to be larger than those in `b`. */
export function mannWhitneyGreater(a: readonly number[], b: readonly number[]): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return 1;
  const all: Array<{ v: number; a: boolean }> = [];
  for (const v of a) all.push({ v, a: true });
  for (const v of b) all.push({ v, a: false });
  all.sort((x, y) => x.v - y.v);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && (all[j + 1] as { v: number }).v === (all[i] as { v: number }).v) j++;
    const rank = (i + j) / 2 + 1;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if ((all[k] as { a: boolean }).a) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return 1;
  return normalUpperTail((u - mean - 0.5) / Math.sqrt(variance));
}

/**
 * A fixed-size uniform sample of a stream (Vitter's algorithm R) with a seeded
 * generator, so that reports are reproducible: the rank test runs on at most
 * `capacity` values per route and side.
 */
export class Reservoir {
  readonly values: number[] = [];
  private seen = 0;
  private state: number;

  constructor(
    private readonly capacity = 2000,
    seed = 1,
  ) {
    this.state = seed >>> 0 || 1;
  }

  add(value: number): void {
    this.seen++;
    if (this.values.length < this.capacity) {
      this.values.push(value);
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < this.capacity) this.values[j] = value;
  }

  private random(): number {
    // xorshift32
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
}
