import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rollupDelta } from '../../src/actors/rollup-delta.js';
import { WindowState } from '../../src/actors/window-state.js';
import type { RouterEvent } from '../../src/logplex/router-event.js';
import { event } from './router-events.js';

const arbEvent = fc.record({
  serviceMs: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 40_000 })),
  connectMs: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 6 })),
  bytes: fc.integer({ min: 0, max: 100_000 }),
  status: fc.constantFrom(200, 201, 302, 404, 500, 503, 0),
  code: fc.constantFrom('', 'H12', 'H10', 'bogus'),
});

describe('rollupDelta', () => {
  it('equals recording every short window into one window (random data)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(arbEvent, { maxLength: 40 }), { minLength: 2, maxLength: 8 }),
        (windows) => {
          const all = new WindowState();
          const shorts = windows.map((events, k) => {
            const w = new WindowState();
            for (const f of events) {
              const ev: RouterEvent = event(f);
              w.record(ev);
              all.record(ev);
            }
            return w.toDelta(10, 600 + 10 * k, 'app', 'GET /x');
          });
          const before = structuredClone(shorts);
          // with an unrelated delta before and after the range
          const padded = [shorts[0]!, ...shorts, shorts[0]!];
          const got = rollupDelta(padded, 1, shorts.length + 1, 60, 600);
          expect(got).toEqual(all.toDelta(60, 600, 'app', 'GET /x'));
          expect(shorts).toEqual(before);
        },
      ),
    );
  });
});
