import { chooseResolution, type QueryResolutions } from '../query/choose-resolution.js';
import { badParam, parseDuration, parseInstant } from './time-params.js';

/**
 * What an API request reads: its range, step and stored resolution, with the
 * bounds that keep one request cheap (a clear 400 naming the parameter otherwise).
 *
 * The step ladder follows Heroku Metrics: the caller's range picks a default step
 * (1 h → 1 m, 24 h → 10 m, 7 d → 1 h). A step is folded from the coarsest stored
 * resolution that divides it: the 60-s roll-up when it can (it is written by the
 * same flush as the short window, so it is as fresh, and 6× fewer hashes), the 10-s
 * window for finer steps, which exists only over WINDOW_RETENTION_SECONDS (2 days).
 */
export const MAX_RANGE_SECONDS = 31 * 86_400;
/** `/apps` reads every app's windows: a shorter range */
export const MAX_APPS_RANGE_SECONDS = 6 * 3600;
export const MAX_POINTS = 1500;
/** [range up to (s), default step (s)] */
export const STEP_LADDER: ReadonlyArray<readonly [number, number]> = [
  [15 * 60, 10],
  [3600, 60],
  [6 * 3600, 300],
  [86_400, 600],
  [7 * 86_400, 3600],
  [MAX_RANGE_SECONDS, 6 * 3600],
];

export interface RangeParams {
  since?: string;
  until?: string;
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

export function planRange(
  q: RangeParams,
  nowMs: number,
  defaultSeconds: number,
  maxSeconds = MAX_RANGE_SECONDS,
): TimeRange {
  const toMs = parseInstant('until', q.until, nowMs, nowMs);
  const fromMs = parseInstant('since', q.since, nowMs, toMs - defaultSeconds * 1000);
  if (toMs <= fromMs) throw badParam('until', 'must be after since');
  if (toMs - fromMs > maxSeconds * 1000)
    throw badParam('since', `the range may span at most ${maxSeconds / 86_400} days`);
  return { fromMs, toMs };
}

/** Routes over a range: the resolution query picks (short windows for ≤ 1 h recent ranges). */
export function planRoutes(q: RangeParams, nowMs: number, resolutions: QueryResolutions) {
  const range = planRange(q, nowMs, 3600);
  return { ...range, resolution: chooseResolution(range.fromMs, range.toMs, resolutions, nowMs) };
}

export function defaultStep(rangeSeconds: number, resolutions: QueryResolutions): number {
  const step = STEP_LADDER.find(([upTo]) => rangeSeconds <= upTo)?.[1] ?? 6 * 3600;
  return Math.max(
    resolutions.windowSeconds,
    Math.ceil(step / resolutions.windowSeconds) * resolutions.windowSeconds,
  );
}

export interface SeriesPlan extends TimeRange {
  stepSeconds: number;
  resolution: number;
}

export function planSeries(
  q: RangeParams & { step?: string },
  nowMs: number,
  resolutions: QueryResolutions,
): SeriesPlan {
  const range = planRange(q, nowMs, 3600);
  const rangeSeconds = (range.toMs - range.fromMs) / 1000;
  const stepSeconds =
    q.step === undefined || q.step === ''
      ? defaultStep(rangeSeconds, resolutions)
      : parseDuration('step', q.step);
  const { windowSeconds, rollupSeconds, windowRetentionSeconds } = resolutions;
  if (stepSeconds % windowSeconds !== 0)
    throw badParam('step', `must be a multiple of the stored window (${windowSeconds}s)`);
  if (rangeSeconds / stepSeconds > MAX_POINTS)
    throw badParam(
      'step',
      `too fine for the range: at most ${MAX_POINTS} steps (got ${Math.ceil(rangeSeconds / stepSeconds)})`,
    );
  if (stepSeconds % rollupSeconds === 0) return { ...range, stepSeconds, resolution: rollupSeconds };
  if (range.fromMs < nowMs - windowRetentionSeconds * 1000)
    throw badParam(
      'step',
      `${windowSeconds}s windows are kept ${windowRetentionSeconds / 3600} h: use a multiple of ${rollupSeconds}s for older ranges`,
    );
  return { ...range, stepSeconds, resolution: windowSeconds };
}
