import { describe, expect, it } from 'vitest';
import { buildBatchRecords } from '../../src/ingest/batch-records.js';
import {
  type HotAppChange,
  HotAppDetector,
  type HotAppDetectorOptions,
} from '../../src/ingest/hot-app-detector.js';
import { HotAppKeys } from '../../src/ingest/hot-app-keys.js';
import { slabsToTopicMessages } from '../../src/kafka/record-slab.js';
import { formatLogplexBody } from '../../src/logplex/syslog-frame-format.js';
import { routerLine } from '../logplex/samples.js';
import { TEST_BATCH_CONTEXT } from './batch-context.js';

const INTERVAL = 10_000;
const HOLD = 60_000;

function detector(opts: Partial<HotAppDetectorOptions> = {}) {
  const changes: HotAppChange[] = [];
  const d = new HotAppDetector(
    {
      share: 0.25,
      minRate: 100,
      shards: 4,
      intervalMs: INTERVAL,
      holdMs: HOLD,
      onChange: (c) => changes.push(c),
      ...opts,
    },
    0,
  );
  return { d, changes };
}

/** One interval of traffic: `lines` per app over INTERVAL ms, in runs of 10 lines, then the tick at `endMs`. */
function interval(d: HotAppDetector, endMs: number, perApp: Record<string, number>) {
  const apps = Object.entries(perApp);
  let left = true;
  while (left) {
    left = false;
    for (const entry of apps) {
      const n = Math.min(10, entry[1]);
      if (n <= 0) continue;
      d.add(entry[0], n);
      entry[1] -= n;
      left = true;
    }
    d.tick(endMs - 1); // every request ticks; only the one at the interval's end decides
  }
  d.tick(endMs);
}

describe('HotAppDetector', () => {
  it('makes an app hot at the share threshold, not below it', () => {
    const { d, changes } = detector();
    // 10 s intervals, minRate 100/s → 1000 lines at least
    interval(d, INTERVAL, { big: 2400, a: 1900, b: 1900, c: 1900, e: 1900 }); // big: 24%
    expect(changes).toEqual([]);
    interval(d, 2 * INTERVAL, { big: 2500, a: 1875, b: 1875, c: 1875, e: 1875 }); // 25%
    expect(changes).toEqual([{ kind: 'detected', app: 'big', share: 0.25, rate: 250, shards: 4 }]);
    expect(d.hotCount).toBe(1);
  });

  it('detects nothing below the minimum rate, whatever the share', () => {
    const { d, changes } = detector({ minRate: 100 });
    interval(d, INTERVAL, { only: 999 }); // 100% of a drain at 99.9 lines/s
    interval(d, 2 * INTERVAL, { only: 900, other: 10 });
    expect(changes).toEqual([]);
    interval(d, 3 * INTERVAL, { only: 1000 }); // 100/s
    expect(changes.map((c) => [c.kind, c.app])).toEqual([['detected', 'only']]);
  });

  it('judges the rate over the time that passed (a quiet drain does not add up to a hot one)', () => {
    const { d, changes } = detector({ minRate: 100 });
    d.add('slow', 1500);
    d.tick(60_000); // 1500 lines over 60 s: 25/s
    expect(changes).toEqual([]);
  });

  it('keeps a hot app hot while it keeps half the share (hysteresis), releases it after the hold', () => {
    const { d, changes } = detector();
    let t = INTERVAL;
    interval(d, t, { big: 5000, rest: 5000 });
    expect(d.isHot('big')).toBe(true);
    // 15%: under the share, over half of it: kept for as long as it lasts
    for (let i = 0; i < 20; i++) {
      t += INTERVAL;
      interval(d, t, { big: 1500, rest: 8500 });
    }
    expect(d.isHot('big')).toBe(true);
    // 10%: under half the share; hot for the hold time still (HOLD = 6 intervals)
    const cold = t;
    while (d.isHot('big')) {
      t += INTERVAL;
      interval(d, t, { big: 1000, rest: 9000 });
    }
    expect(t - cold).toBe(HOLD);
    expect(changes.filter((c) => c.app === 'big').map((c) => c.kind)).toEqual(['detected', 'released']);
    expect(changes.at(-1)).toMatchObject({ kind: 'released', app: 'big', share: 0.1 });
  });

  it('counts the hold from the last interval that kept it, and releases an app that went silent', () => {
    const { d, changes } = detector();
    interval(d, INTERVAL, { big: 5000, rest: 5000 });
    interval(d, 2 * INTERVAL, { rest: 10_000 }); // big silent
    interval(d, 3 * INTERVAL, { big: 5000, rest: 5000 }); // kept again: the hold starts over
    for (let t = 4 * INTERVAL; t < 3 * INTERVAL + HOLD; t += INTERVAL) interval(d, t, { rest: 10_000 });
    expect(d.isHot('big')).toBe(true);
    interval(d, 3 * INTERVAL + HOLD, { rest: 10_000 });
    expect(d.isHot('big')).toBe(false);
    expect(changes.filter((c) => c.app === 'big').map((c) => c.kind)).toEqual(['detected', 'released']);
  });

  it('with no hold, releases at the first interval that does not keep the app (never in the one that made it hot)', () => {
    const { d } = detector({ holdMs: 0 });
    interval(d, INTERVAL, { big: 5000, rest: 5000 });
    expect(d.isHot('big')).toBe(true);
    interval(d, 2 * INTERVAL, { big: 1000, rest: 9000 });
    expect(d.isHot('big')).toBe(false);
  });

  it('holds at most `capacity` apps, and still finds the heavy one among many light ones', () => {
    const { d, changes } = detector({ capacity: 16, minRate: 10 });
    let t = 0;
    for (let round = 0; round < 3; round++) {
      t += INTERVAL;
      // 3000 distinct light apps of 2 lines each, interleaved with the heavy app's runs
      for (let i = 0; i < 3000; i++) {
        d.add(`light-${round}-${i}`, 2);
        if (i % 3 === 0) d.add('heavy', 3);
        expect(d.counted).toBeLessThanOrEqual(16);
      }
      d.tick(t);
    }
    // heavy: 3000 of 9000 lines (33%)
    expect(changes.map((c) => [c.kind, c.app])).toEqual([['detected', 'heavy']]);
    expect(changes[0]!.share).toBeGreaterThanOrEqual(0.25);
    expect(changes[0]!.share).toBeLessThanOrEqual(1 / 3);
  });

  it('never makes hot an app that only the counters’ error would make hot', () => {
    // 8 slots, 100 apps of equal weight: each ~1% but evicted slots inherit large counts
    const { d, changes } = detector({ capacity: 8, minRate: 0, share: 0.05 });
    for (let r = 0; r < 100; r++) for (let i = 0; i < 100; i++) d.add(`app-${i}`, 1);
    d.tick(INTERVAL);
    expect(changes).toEqual([]);
  });

  it('skips excluded (named) apps and caps the apps hot at once', () => {
    const { d, changes } = detector({ share: 0.1, maxHot: 2, isExcluded: (h) => h === 'named' });
    interval(d, INTERVAL, { named: 4000, a: 2000, b: 2000, c: 2000 });
    expect(changes.map((c) => [c.kind, c.app])).toEqual([
      ['detected', 'a'],
      ['detected', 'b'],
      ['capped', 'c'],
    ]);
    expect(d.hotCount).toBe(2);
    expect(d.isHot('named')).toBe(false);
  });

  it('decides only when the interval is over', () => {
    const { d, changes } = detector();
    d.add('big', 100_000);
    d.tick(INTERVAL - 1);
    expect(changes).toEqual([]);
    d.tick(INTERVAL);
    expect(changes).toHaveLength(1);
  });
});

describe('buildBatchRecords with a tally and detected hot apps', () => {
  const ctx = TEST_BATCH_CONTEXT;
  const line = (host: string, path: string) =>
    routerLine(
      `at=info method=GET path="${path}" host=${host} dyno=web.1 connect=1ms service=5ms status=200 bytes=10`,
    );

  it('tells the tally once per host per request, with its line count', () => {
    const adds: Array<[string, number]> = [];
    const lines = [
      line('a.com', '/1'),
      line('a.com', '/2'),
      line('a.com', '/3'),
      line('b.com', '/1'),
      line('a.com', '/4'),
      line('a.com', '/5'),
    ];
    buildBatchRecords(Buffer.from(formatLogplexBody(lines)), {
      ...ctx,
      appTally: { add: (h, n) => adds.push([h, n]) },
    });
    expect(adds).toEqual([
      ['a.com', 5],
      ['b.com', 1],
    ]);
  });

  it('keys an app host#s once it is added as detected, and by host again once deleted', () => {
    const hot = new HotAppKeys(new Map([['named.com', 2]]), 6);
    const keysOf = () => {
      const body = Buffer.from(formatLogplexBody([line('big.com', '/x'), line('small.com', '/x')]));
      const r = buildBatchRecords(body, { ...ctx, hotApps: hot });
      const [topic] = slabsToTopicMessages([r.slab], 'router', null);
      return topic!.messages.map((m) => String(m.key));
    };
    expect(keysOf()).toEqual(['big.com', 'small.com']);
    expect(hot.add('BIG.com', 3)).toBe(true);
    expect(hot.add('big.com', 3)).toBe(false);
    expect(hot.add('named.com', 4)).toBe(false); // the operator's k stays
    expect(hot.lookup('named.com')!.shards).toBe(2);
    const [big, small] = keysOf();
    expect(big).toMatch(/^big\.com#\d+$/);
    expect(small).toBe('small.com');
    expect(hot.delete('big.com')).toBe(true);
    expect(hot.delete('named.com')).toBe(false);
    expect(keysOf()).toEqual(['big.com', 'small.com']);
  });
});
