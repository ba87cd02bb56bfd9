import { describe, expect, it } from 'vitest';
import {
  defaultStep,
  MAX_POINTS,
  planRange,
  planRoutes,
  planSeries,
  STEP_LADDER,
} from '../../src/api/query-plan.js';
import { DEFAULT_RESOLUTIONS } from '../../src/query/choose-resolution.js';

const NOW = Date.UTC(2026, 11, 1, 4, 30, 0);
const R = DEFAULT_RESOLUTIONS; // 10 s windows kept 2 days, 60 s roll-up

describe('query plan', () => {
  it('the step ladder: finer for short ranges, never more than MAX_POINTS steps', () => {
    expect(defaultStep(900, R)).toBe(10);
    expect(defaultStep(3600, R)).toBe(60);
    expect(defaultStep(6 * 3600, R)).toBe(300);
    expect(defaultStep(86_400, R)).toBe(600);
    expect(defaultStep(7 * 86_400, R)).toBe(3600);
    for (const [upTo, step] of STEP_LADDER) expect(upTo / step).toBeLessThanOrEqual(MAX_POINTS);
    // a coarser stored window rounds the step up to a multiple of it
    expect(defaultStep(900, { ...R, windowSeconds: 15 })).toBe(15);
  });

  it('steps that divide by the roll-up read the roll-up; finer steps read the short windows', () => {
    expect(planSeries({ since: '-1h', step: '1m' }, NOW, R).resolution).toBe(60);
    expect(planSeries({ since: '-1h', step: '30s' }, NOW, R).resolution).toBe(10);
    expect(planSeries({ since: '-7d' }, NOW, R)).toMatchObject({ stepSeconds: 3600, resolution: 60 });
    expect(planSeries({ since: '-15m' }, NOW, R)).toMatchObject({ stepSeconds: 10, resolution: 10 });
  });

  it('short windows only where they are kept', () => {
    expect(() => planSeries({ since: '-3d', until: '-68h', step: '30s' }, NOW, R)).toThrow(
      /^step: .*kept 48 h/,
    );
  });

  it.each([
    [{ since: '-1h', step: '15s' }, 'step', /multiple of the stored window/],
    [{ since: '-7d', step: '10s' }, 'step', /at most 1500 steps/],
    [{ since: '-32d' }, 'since', /at most 31 days/],
    [{ since: '-1h', until: '-2h' }, 'until', /after since/],
  ])('%o → 400 on %s', (q, parameter, message) => {
    expect(() => planSeries(q, NOW, R)).toThrow(
      expect.objectContaining({
        code: 'RM_ERR_QUERY_PARAM',
        details: { parameter },
        message: expect.stringMatching(message),
      }),
    );
  });

  it('ranges: defaults end now; routes choose the resolution from the range', () => {
    expect(planRange({}, NOW, 900)).toEqual({ fromMs: NOW - 900_000, toMs: NOW });
    expect(planRoutes({ since: '-1h' }, NOW, R).resolution).toBe(10);
    expect(planRoutes({ since: '-6h' }, NOW, R).resolution).toBe(60);
  });
});
