import { describe, expect, it } from 'vitest';
import { PacingSchedule, PacingStats, parseSpeed } from '../../src/replay/pacing-schedule.js';

describe('PacingSchedule', () => {
  it('--speed 1 keeps the recorded gaps, --speed 10 divides them by ten', () => {
    const events = [1_000, 1_250, 2_000, 2_000, 5_000];
    for (const speed of [1, 10, 0.5]) {
      const s = new PacingSchedule(speed);
      const due = events.map((e) => s.dueAt(e, 500)); // the clock is frozen: due times are absolute
      expect(due).toEqual(events.map((e) => 500 + (e - 1_000) / speed));
    }
  });

  it('the first request fixes the origin; a late caller does not shift the rest', () => {
    const s = new PacingSchedule(1);
    expect(s.dueAt(10_000, 100)).toBe(100);
    expect(s.dueAt(10_500, 900)).toBe(600); // asked late: still due at 600
  });

  it('max sends now', () => {
    const s = new PacingSchedule(Number.POSITIVE_INFINITY);
    expect(s.dueAt(0, 5)).toBe(5);
    expect(s.dueAt(99_999, 7)).toBe(7);
  });
});

describe('PacingStats', () => {
  it('reports achieved speed, lateness and gap error', () => {
    const p = new PacingStats(2);
    // event gaps 1000 ms at speed 2 → asked gaps 500 ms; achieved 500, 520, 480
    p.record(0, 0, 0);
    p.record(1000, 500, 500);
    p.record(2000, 1000, 1020);
    p.record(3000, 1500, 1500);
    const s = p.summary();
    expect(s.requests).toBe(4);
    expect(s.eventSpanMs).toBe(3000);
    expect(s.wallSpanMs).toBe(1500);
    expect(s.achievedSpeed).toBe(2);
    expect(s.latenessMaxMs).toBe(20);
    expect(s.latenessP50Ms).toBe(0);
    expect(s.gapErrorMeanMs).toBeCloseTo(40 / 3, 6);
  });

  it('is empty without requests', () => {
    expect(new PacingStats(1).summary()).toMatchObject({
      requests: 0,
      achievedSpeed: null,
      gapErrorMeanMs: null,
    });
  });
});

describe('parseSpeed', () => {
  it.each([
    ['1', 1],
    ['10', 10],
    ['0.5', 0.5],
    ['max', Number.POSITIVE_INFINITY],
    ['0', null],
    ['-1', null],
    ['fast', null],
  ])('%s → %s', (s, want) => {
    expect(parseSpeed(s)).toBe(want);
  });
});
