import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DynoActor } from '../../src/actors/dyno-actor.js';
import { emptyDynoDelta, mergeDynoDelta } from '../../src/actors/dyno-flush-batch.js';
import type { PlatformEvent } from '../../src/logplex/platform-event.js';
import { dynoError, load, memory, stateChange } from './platform-events.js';

const T = Date.UTC(2026, 0, 1);

const arbEvent: fc.Arbitrary<PlatformEvent> = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 4 }),
    fc.integer({ min: 0, max: 60_000 }),
  )
  .map(([ts, kind, v]) => {
    const t = T + ts;
    switch (kind) {
      case 0:
        return memory('web.1', t, 20 + v / 100, {
          memorySwapMb: v % 7,
          memoryQuotaMb: v % 3 === 0 ? 0 : 512,
        });
      case 1:
        return load('web.1', t, v / 1000);
      case 2:
        return dynoError('web.1', t, v % 2 === 0 ? 'R14' : 'R15');
      case 3:
        return stateChange('web.1', t, 'up', 'starting');
      default:
        return stateChange('web.1', t, 'up', 'crashed');
    }
  });

function relativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}

function recordAll(events: PlatformEvent[]) {
  const actor = new DynoActor('a', 'web', 'web.1');
  for (const ev of events) actor.record(ev, T / 1000, 10);
  return actor.takeWindows()[0] ?? emptyDynoDelta(10, T / 1000, 'a', 'web', 'web.1');
}

describe('mergeDynoDelta', () => {
  it('deltas of one window flushed in pieces merge to the delta of one flush (sums within rounding)', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (events, cuts) => {
          const bounds = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b);
          const merged = emptyDynoDelta(10, T / 1000, 'a', 'web', 'web.1');
          let from = 0;
          for (const to of [...bounds, events.length]) {
            mergeDynoDelta(merged, recordAll(events.slice(from, to)));
            from = to;
          }
          const once = recordAll(events);
          const { memoryTotalSumMb, memoryRssSumMb, load1mSum, ...exact } = merged;
          expect(exact).toEqual({
            ...once,
            memoryTotalSumMb: undefined,
            memoryRssSumMb: undefined,
            load1mSum: undefined,
          });
          // Summed in another order: equal up to float rounding, which grows with the
          // sums (samples up to 2e7 MB here), so the tolerance is relative.
          expect(relativeError(memoryTotalSumMb, once.memoryTotalSumMb)).toBeLessThan(1e-12);
          expect(relativeError(memoryRssSumMb, once.memoryRssSumMb)).toBeLessThan(1e-12);
          expect(relativeError(load1mSum, once.load1mSum)).toBeLessThan(1e-12);
        },
      ),
    );
  });

  it('an empty delta changes nothing', () => {
    const d = recordAll([memory('web.1', T, 100), dynoError('web.1', T, 'R14')]);
    const copy = structuredClone(d);
    expect(mergeDynoDelta(d, emptyDynoDelta(10, T / 1000, 'a', 'web', 'web.1'))).toEqual(copy);
  });
});
