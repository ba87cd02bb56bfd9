import { describe, expect, it } from 'vitest';
import { parseDuration, parseInstant } from '../../src/api/time-params.js';

const NOW = Date.UTC(2026, 11, 1, 4, 30, 0);

describe('time parameters', () => {
  it.each([
    ['-1h', NOW - 3_600_000],
    ['-90m', NOW - 90 * 60_000],
    ['-7d', NOW - 7 * 86_400_000],
    ['-30s', NOW - 30_000],
    ['now', NOW],
    ['2026-12-01T04:00:00Z', Date.UTC(2026, 11, 1, 4)],
    ['2026-12-01T05:00:00+01:00', Date.UTC(2026, 11, 1, 4)],
    ['2026-12-01T04:00:00.250Z', Date.UTC(2026, 11, 1, 4) + 250],
    ['2026-12-01', Date.UTC(2026, 11, 1)],
  ])('%s', (raw, expected) => {
    expect(parseInstant('since', raw, NOW, 0)).toBe(expected);
  });

  it('absent or empty: the fallback', () => {
    expect(parseInstant('since', undefined, NOW, 42)).toBe(42);
    expect(parseInstant('since', '', NOW, 42)).toBe(42);
  });

  it.each(['yesterday', '1h', '-1y', '2026-13-45T00:00:00Z', '2026-12-01T04:00:00Zjunk', '-'])(
    'rejects %s naming the parameter',
    (raw) => {
      expect(() => parseInstant('until', raw, NOW, 0)).toThrow(
        expect.objectContaining({ code: 'RM_ERR_QUERY_PARAM', details: { parameter: 'until' } }),
      );
    },
  );

  it('durations', () => {
    expect(parseDuration('step', '10s')).toBe(10);
    expect(parseDuration('step', '5m')).toBe(300);
    expect(parseDuration('step', '1h')).toBe(3600);
    expect(parseDuration('step', '1d')).toBe(86_400);
    expect(parseDuration('step', '60')).toBe(60);
    for (const bad of ['0s', '-1m', '1.5m', 'm', '10 s'])
      expect(() => parseDuration('step', bad), bad).toThrow(/^step: /);
  });
});
