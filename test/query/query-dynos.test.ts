import { describe, expect, it } from 'vitest';
import { emptyDynoDelta } from '../../src/actors/dyno-flush-batch.js';
import {
  compareDynos,
  compareProcessTypes,
  DYNO_STALE_MS,
  type DynoStep,
  foldDynos,
} from '../../src/query/query-dynos.js';
import { stepLayout } from '../../src/query/series-steps.js';
import { packDynoLoad, packDynoMemory, packDynoState } from '../../src/sinks/redis/packed-dyno-values.js';
import { packCodes } from '../../src/sinks/redis/packed-values.js';

const memory = (dyno: string, start: number, samples: number, sum: number, max: number, quota = 512) =>
  packDynoMemory({
    ...emptyDynoDelta(10, start, 'a', 'web', dyno),
    memorySamples: samples,
    memoryTotalSumMb: sum,
    memoryTotalMaxMb: max,
    memoryRssMaxMb: max - 1,
    memorySwapMaxMb: 1,
    memoryQuotaMb: quota,
    memoryLastMs: start * 1000,
  }) as Buffer;

const state = {
  memoryLastMs: 0,
  memoryTotalMb: 1,
  memoryRssMb: 1,
  memorySwapMb: 0,
  memoryQuotaMb: 512,
  loadLastMs: -1,
  load1m: 0,
};

describe('foldDynos', () => {
  it('folds windows into steps: Σsum/Σsamples (not a mean of means), maxima, events per window, null without data', () => {
    const layout = stepLayout(0, 120_000, 60);
    const result = foldDynos(
      'a',
      [
        {
          start: 0,
          hash: { 'web.1|m': memory('web.1', 0, 1, 100, 100), 'web.1|e': packCodes({ R14: 1 }) as Buffer },
        },
        // the same window from another partition: web.1 again, and web.2 with 3 samples
        {
          start: 0,
          hash: {
            'web.1|e': packCodes({ R14: 2 }) as Buffer,
            'web.2|m': memory('web.2', 0, 3, 600, 250, 1024),
          },
        },
        {
          start: 10,
          hash: {
            'worker.1|l': packDynoLoad({
              ...emptyDynoDelta(10, 10, 'a', 'worker', 'worker.1'),
              loadSamples: 2,
              load1mSum: 1,
              load1mMax: 0.75,
              loadLastMs: 10_000,
            }) as Buffer,
          },
        },
        { start: 10, hash: { 'logplex|e': packCodes({ L10: 1 }) as Buffer } },
        { start: 120, hash: { 'web.1|m': memory('web.1', 120, 1, 1, 1) } }, // outside the steps
      ],
      [
        // gone: its latest sample is more than DYNO_STALE_MS older than the app's newest
        { 'run.4821': packDynoState({ ...state, memoryLastMs: 0 }) },
        {
          'web.10': packDynoState({
            memoryLastMs: DYNO_STALE_MS + 1,
            memoryTotalMb: 1,
            memoryRssMb: 1,
            memorySwapMb: 0,
            memoryQuotaMb: 512,
            loadLastMs: -1,
            load1m: 0,
          }),
        },
        {
          'web.2': packDynoState({
            memoryLastMs: 7,
            memoryTotalMb: 2,
            memoryRssMb: 2,
            memorySwapMb: 0,
            memoryQuotaMb: 512,
            loadLastMs: 8,
            load1m: 0.5,
          }),
        },
        {
          'worker.1': packDynoState({
            memoryLastMs: -1,
            memoryTotalMb: 0,
            memoryRssMb: 0,
            memorySwapMb: 0,
            memoryQuotaMb: 0,
            loadLastMs: 8,
            load1m: 0.5,
          }),
        },
      ],
      { layout, stepSeconds: 60, resolutionSeconds: 10 },
    );
    expect(result.process_types).toEqual(['web', 'worker']);
    expect(result.data['memory_total_mean_mb.web']).toEqual([175, null]); // 700 / 4, not (100 + 200) / 2
    expect(result.data['memory_total_max_mb.web']).toEqual([250, null]);
    expect(result.data['memory_quota_mb.web']).toEqual([1024, null]);
    expect(result.data['dynos.web']).toEqual([2, null]);
    expect(result.data['load_1m_mean.web']).toEqual([null, null]);
    expect(result.data['memory_total_mean_mb.worker']).toEqual([null, null]);
    expect(result.data['load_1m_mean.worker']).toEqual([0.5, null]);
    expect(result.data['load_1m_max.worker']).toEqual([0.75, null]);
    expect(result.events.map((e) => [e.time_ms, e.dyno, e.process_type, e.code, e.count])).toEqual([
      [0, 'web.1', 'web', 'R14', 3],
      [10_000, 'logplex', 'logplex', 'L10', 1],
    ]);
    expect(result.dynos.map((d) => [d.dyno, d.load_1m])).toEqual([
      ['web.2', 0.5],
      ['web.10', null],
    ]);
    expect(result).toMatchObject({
      step: '1m',
      start_time: '1970-01-01T00:00:00.000Z',
      end_time: '1970-01-01T00:02:00.000Z',
    });
  });

  it('orders process types web first, and dynos by type and number', () => {
    expect(['worker', 'clock', 'web', 'overflow'].sort(compareProcessTypes)).toEqual([
      'web',
      'clock',
      'overflow',
      'worker',
    ]);
    expect(['worker.1', 'web.10', 'overflow', 'web.2', 'web.1'].sort(compareDynos)).toEqual([
      'web.1',
      'web.2',
      'web.10',
      'overflow',
      'worker.1',
    ]);
  });

  it('takes known steps as they are and hands every step it folded to onStepFolded (the step cache)', () => {
    const layout = stepLayout(0, 180_000, 60);
    const known: DynoStep = {
      totals: [
        [
          'web',
          {
            memorySamples: 2,
            totalSum: 300,
            totalMax: 200,
            rssMax: 190,
            swapMax: 0,
            quota: 512,
            loadSamples: 0,
            loadSum: 0,
            loadMax: 0,
            dynos: new Set(['web.1', 'web.2']),
          },
        ],
      ],
      events: [
        {
          time: new Date(0).toISOString(),
          time_ms: 0,
          dyno: 'web.1',
          process_type: 'web',
          code: 'R14',
          count: 4,
        },
      ],
    };
    const folded: Array<[number, DynoStep]> = [];
    const result = foldDynos(
      'a',
      [
        // a window of the known step is not folded again (it would count twice)
        { start: 0, hash: { 'web.1|m': memory('web.1', 0, 1, 999, 999) } },
        { start: 60, hash: { 'web.1|m': memory('web.1', 60, 2, 100, 60) } },
      ],
      [],
      {
        layout,
        stepSeconds: 60,
        resolutionSeconds: 10,
        knownSteps: new Map([[0, known]]),
        onStepFolded: (startMs, step) => folded.push([startMs, step]),
      },
    );
    expect(result.data['memory_total_mean_mb.web']).toEqual([150, 50, null]);
    expect(result.data['memory_total_max_mb.web']).toEqual([200, 60, null]);
    expect(result.data['dynos.web']).toEqual([2, 1, null]);
    expect(result.events).toEqual(known.events);
    // steps 1 and 2 were folded here (the empty one too: a final step without data is cached as such)
    expect(folded.map(([startMs]) => startMs)).toEqual([60_000, 120_000]);
    expect(folded[1]![1]).toEqual({ totals: [], events: [] });
  });
});
