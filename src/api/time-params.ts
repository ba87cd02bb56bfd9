import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * Time parameters of the API: an instant is ISO-8601 or relative to now, a step
 * or duration is a number with a unit.
 *
 *   since=2026-12-01T04:00:00Z   since=2026-12-01   since=-1h   since=-90m   until=now
 *   step=10s   step=1m   step=1h   step=60  (seconds)
 *
 * A malformed value is a RM_ERR_QUERY_PARAM naming the parameter (the API answers 400).
 */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const RELATIVE = /^-(\d{1,7})(s|m|h|d|w)$/;
const DURATION = /^(\d{1,7})(s|m|h|d|w)?$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export function badParam(name: string, message: string): RoutemeterError {
  return new RoutemeterError('RM_ERR_QUERY_PARAM', `${name}: ${message}`, { details: { parameter: name } });
}

/** An instant in ms; `fallback` when the parameter is absent or empty. */
export function parseInstant(name: string, raw: string | undefined, nowMs: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'now') return nowMs;
  const rel = RELATIVE.exec(raw);
  if (rel) return nowMs - Number(rel[1]) * UNIT_SECONDS[rel[2]!]! * 1000;
  if (ISO.test(raw)) {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms)) return ms;
  }
  throw badParam(
    name,
    `expected ISO-8601 (2026-12-01T04:00:00Z), a relative time (-1h, -30m, -7d) or now; got ${JSON.stringify(raw)}`,
  );
}

/** A duration in whole seconds: `10s`, `5m`, `1h`, `1d`, or plain seconds. */
export function parseDuration(name: string, raw: string): number {
  const m = DURATION.exec(raw);
  if (!m) throw badParam(name, `expected a duration such as 10s, 1m, 1h or 1d; got ${JSON.stringify(raw)}`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] ?? 's']!;
  if (seconds <= 0) throw badParam(name, 'must be more than 0');
  return seconds;
}
