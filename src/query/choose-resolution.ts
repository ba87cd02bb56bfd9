import { type Config, DEFAULTS } from '../config/config.js';

/** The resolutions the sink writes (Config.runtime), as the query needs them. */
export interface QueryResolutions {
  windowSeconds: number;
  rollupSeconds: number;
  /** short windows older than this are gone: use the roll-up */
  windowRetentionSeconds: number;
}

export const DEFAULT_RESOLUTIONS: QueryResolutions = {
  windowSeconds: DEFAULTS.WINDOW_SECONDS,
  rollupSeconds: DEFAULTS.ROLLUP_SECONDS,
  windowRetentionSeconds: DEFAULTS.WINDOW_RETENTION_SECONDS,
};

export function resolutionsFromConfig(
  runtime: Pick<Config['runtime'], 'windowSeconds' | 'rollupSeconds' | 'windowRetentionSeconds'>,
): QueryResolutions {
  return {
    windowSeconds: runtime.windowSeconds,
    rollupSeconds: runtime.rollupSeconds,
    windowRetentionSeconds: runtime.windowRetentionSeconds,
  };
}

/** Beyond this many short windows a range reads the roll-up instead (360 × 10 s = 1 hour). */
export const MAX_SHORT_WINDOWS = 360;

/**
 * Short resolution for short, recent ranges (fine detail, few windows to merge);
 * the roll-up for long ranges or ranges reaching past the short retention.
 */
export function chooseResolution(
  fromMs: number,
  toMs: number,
  resolutions: QueryResolutions = DEFAULT_RESOLUTIONS,
  nowMs: number = Date.now(),
): number {
  const { windowSeconds, rollupSeconds, windowRetentionSeconds } = resolutions;
  const windows = (toMs - fromMs) / (windowSeconds * 1000);
  const retained = fromMs >= nowMs - windowRetentionSeconds * 1000;
  return windows <= MAX_SHORT_WINDOWS && retained ? windowSeconds : rollupSeconds;
}
