import { describe, expect, it } from 'vitest';
import { isRoutemeterError } from '../../src/errors/routemeter-error.js';
import { parseTimeSpec } from '../../src/replay/time-spec.js';

const NOW = Date.UTC(2026, 11, 1, 4, 30, 0);

describe('parseTimeSpec', () => {
  it.each([
    ['now', NOW],
    ['15m', NOW - 15 * 60_000],
    ['-15m', NOW - 15 * 60_000],
    ['90s', NOW - 90_000],
    ['1h30m', NOW - 5_400_000],
    ['2d', NOW - 2 * 86_400_000],
    ['250ms', NOW - 250],
    ['2026-12-01T04:00:00Z', Date.UTC(2026, 11, 1, 4, 0, 0)],
    ['2026-12-01T05:00:00.250+01:00', Date.UTC(2026, 11, 1, 4, 0, 0, 250)],
  ])('%s', (text, want) => {
    expect(parseTimeSpec(text, NOW)).toBe(want);
  });

  it.each(['yesterday', '2026-12-01', '2026-12-01T04:00:00', '15 minutes', '', 'm'])(
    'refuses %j with an error naming the option',
    (text) => {
      try {
        parseTimeSpec(text, NOW, '--to');
        expect.unreachable();
      } catch (err) {
        expect(isRoutemeterError(err, 'RM_ERR_REPLAY_OPTION')).toBe(true);
        expect((err as Error).message).toContain('--to');
      }
    },
  );
});
