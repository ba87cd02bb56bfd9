import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * The checks shared by the router and platform aggregators' options; messages name
 * the environment variable the value comes from (config.ts) and the option.
 */
export function requireInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RoutemeterError('RM_ERR_CONFIG', `${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** Window, roll-up (a multiple of the window: roll-ups are derived from short windows) and lateness. */
export function checkWindowOptions(o: {
  windowSeconds: number;
  rollupSeconds: number;
  allowedLatenessSeconds: number;
}): void {
  requireInt('WINDOW_SECONDS (windowSeconds)', o.windowSeconds, 1);
  requireInt('ROLLUP_SECONDS (rollupSeconds)', o.rollupSeconds, 1);
  requireInt('ALLOWED_LATENESS_SECONDS (allowedLatenessSeconds)', o.allowedLatenessSeconds, 0);
  if (o.rollupSeconds % o.windowSeconds !== 0) {
    throw new RoutemeterError(
      'RM_ERR_CONFIG',
      `ROLLUP_SECONDS (rollupSeconds) must be a multiple of WINDOW_SECONDS (windowSeconds), got ${o.rollupSeconds} and ${o.windowSeconds}`,
    );
  }
}
