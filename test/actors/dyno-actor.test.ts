import { describe, expect, it } from 'vitest';
import { DynoActor, isRecordable } from '../../src/actors/dyno-actor.js';
import { PlatformKind } from '../../src/logplex/platform-event.js';
import { dynoError, load, memory, platformEvent, stateChange } from './platform-events.js';

const T = Date.UTC(2026, 0, 1, 0, 0, 0);

describe('DynoActor', () => {
  it('keeps memory last (by event time), mean inputs, max and quota; load mean and max; events per code', () => {
    const actor = new DynoActor('app.example.com', 'web', 'web.1');
    const w0 = T / 1000;
    actor.record(memory('web.1', T + 5000, 300.5, { memoryQuotaMb: 512, memorySwapMb: 2 }), w0, 10);
    actor.record(memory('web.1', T + 1000, 410.25, { memorySwapMb: 7.5 }), w0, 10); // arrives late: not "last"
    actor.record(load('web.1', T + 1000, 0.5), w0, 10);
    actor.record(load('web.1', T + 6000, 2.25), w0, 10);
    actor.record(dynoError('web.1', T + 7000, 'R14'), w0, 10);
    actor.record(dynoError('web.1', T + 8000, 'R14'), w0, 10);
    actor.record(stateChange('web.1', T + 9000, 'up', 'starting'), w0, 10);
    actor.record(stateChange('web.1', T + 9500, 'starting', 'crashed'), w0, 10);
    actor.record(memory('web.1', T + 12_000, 100), w0 + 10, 10);
    const [first, second] = actor.takeWindows();
    expect(first).toEqual({
      resolutionSeconds: 10,
      windowStart: w0,
      app: 'app.example.com',
      processType: 'web',
      dyno: 'web.1',
      memorySamples: 2,
      memoryTotalSumMb: 300.5 + 410.25,
      memoryTotalMaxMb: 410.25,
      memoryTotalLastMb: 300.5,
      memoryRssSumMb: 290.5 + 400.25,
      memoryRssMaxMb: 400.25,
      memoryRssLastMb: 290.5,
      memorySwapMaxMb: 7.5,
      memorySwapLastMb: 2,
      memoryQuotaMb: 512,
      memoryLastMs: T + 5000,
      loadSamples: 2,
      load1mSum: 2.75,
      load1mMax: 2.25,
      load1mLast: 2.25,
      loadLastMs: T + 6000,
      events: { R14: 2, restart: 1, crash: 1 },
    });
    expect(second).toMatchObject({ windowStart: w0 + 10, memorySamples: 1, memoryTotalLastMb: 100 });
    expect(actor.takeWindows()).toEqual([]);
  });

  it('a tie in event time goes to the record that came later', () => {
    const actor = new DynoActor('a', 'web', 'web.1');
    actor.record(memory('web.1', T, 200), T / 1000, 10);
    actor.record(memory('web.1', T, 150), T / 1000, 10);
    expect(actor.takeWindows()[0]).toMatchObject({ memoryTotalLastMb: 150, memoryTotalMaxMb: 200 });
  });

  it('records only what it keeps', () => {
    expect(isRecordable(memory('web.1', T, 100))).toBe(true);
    expect(isRecordable(memory('web.1', T, 100, { memoryRssMb: Number.NaN }))).toBe(false);
    expect(isRecordable(load('web.1', T, Number.NaN))).toBe(false);
    expect(isRecordable(stateChange('web.1', T, 'starting', 'up'))).toBe(false);
    expect(isRecordable(platformEvent({ kind: PlatformKind.Exit, exitStatus: 143 }))).toBe(false);
    expect(isRecordable(platformEvent({ kind: PlatformKind.Other }))).toBe(false);
    const actor = new DynoActor('a', 'web', 'web.1');
    expect(actor.record(platformEvent({ kind: PlatformKind.Other }), 0, 10)).toBe(false);
    expect(actor.windows).toEqual([]);
  });
});
