import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * `--from` / `--to` values: an ISO-8601 instant (`2026-12-01T04:00:00Z`,
 * `2026-12-01T04:00:00.250+01:00`), `now`, or a duration before `now`
 * (`15m`, `-15m`, `90s`, `2h`, `1d`, `1h30m`). A bare date without a zone is
 * refused: an instant must say which zone it is in.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseTimeSpec(value: string, nowMs: number, option = '--from'): number {
  const text = value.trim();
  if (text === 'now') return nowMs;
  const rel = /^-?((?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+)$/.exec(text);
  if (rel) {
    let total = 0;
    for (const part of (rel[1] as string).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
      total += Number(part[1]) * (UNIT_MS[part[2] as string] as number);
    }
    return nowMs - total;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new RoutemeterError(
    'RM_ERR_REPLAY_OPTION',
    `${option} ${JSON.stringify(value)}: expected an ISO-8601 instant with a zone (2026-12-01T04:00:00Z), ` +
      '`now`, or a duration ago (15m, 2h, 1h30m, 90s)',
  );
}
