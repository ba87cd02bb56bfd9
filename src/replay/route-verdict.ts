import { fisherGreater, mannWhitneyGreater } from './significance.js';

/**
 * A route's verdict, from the original and the replayed requests of that route:
 *
 *   more errors   replayed error rate higher, Fisher p < α, and by ≥ minErrorDelta
 *   slower        replayed latencies larger, Mann–Whitney p < α, and p50 or p95 at
 *                 least slowerRatio × the original's and slowerMinMs above it
 *   fewer errors  replayed error rate lower, Fisher p < α, and by ≥ minErrorDelta
 *   same          none of these: no difference this sample can show
 *
 * in that order of precedence (a route that fails more is reported as such even if
 * it is also slower). Both conditions are needed: significance alone flags a
 * 1 ms difference on a busy route; effect size alone flags noise on a quiet one.
 * The original latency is the router's `service=` (dyno time); the replayed one is
 * measured by the replay client, so it includes the network to staging and the
 * client's own overhead: the absolute floor `slowerMinMs` (default 50 ms) absorbs
 * that; set it above the round trip to staging. Measured on a loaded 2-core machine
 * against a local target answering in 5 ms, that overhead reached ~30 ms at p95,
 * which a 20 ms floor reported as "slower".
 */
export type Verdict = 'same' | 'slower' | 'more errors' | 'fewer errors';

export interface VerdictThresholds {
  alpha: number;
  minErrorDelta: number;
  slowerRatio: number;
  slowerMinMs: number;
}

export const DEFAULT_THRESHOLDS: VerdictThresholds = {
  alpha: 0.01,
  minErrorDelta: 0.02,
  slowerRatio: 1.25,
  slowerMinMs: 50,
};

export interface SideSummary {
  count: number;
  errors: number;
  p50Ms: number;
  p95Ms: number;
  /** a uniform sample of the latencies (see significance.ts Reservoir) */
  latencySample: readonly number[];
}

export interface VerdictResult {
  verdict: Verdict;
  /** p-values of the tests that were run, for the JSON report */
  pMoreErrors: number;
  pFewerErrors: number;
  pSlower: number;
}

export function decideVerdict(
  original: SideSummary,
  replayed: SideSummary,
  t: VerdictThresholds = DEFAULT_THRESHOLDS,
): VerdictResult {
  const pMore = fisherGreater(replayed.errors, replayed.count, original.errors, original.count);
  const pFewer = fisherGreater(original.errors, original.count, replayed.errors, replayed.count);
  const pSlower = mannWhitneyGreater(replayed.latencySample, original.latencySample);
  const rateO = original.count > 0 ? original.errors / original.count : 0;
  const rateR = replayed.count > 0 ? replayed.errors / replayed.count : 0;
  const slowerBy = (o: number, r: number) => r >= o * t.slowerRatio && r - o >= t.slowerMinMs;
  let verdict: Verdict = 'same';
  if (pMore < t.alpha && rateR - rateO >= t.minErrorDelta) verdict = 'more errors';
  else if (
    pSlower < t.alpha &&
    (slowerBy(original.p50Ms, replayed.p50Ms) || slowerBy(original.p95Ms, replayed.p95Ms))
  )
    verdict = 'slower';
  else if (pFewer < t.alpha && rateO - rateR >= t.minErrorDelta) verdict = 'fewer errors';
  return { verdict, pMoreErrors: pMore, pFewerErrors: pFewer, pSlower };
}
