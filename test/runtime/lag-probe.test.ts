import type { Admin } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LagProbe } from '../../src/runtime/lag-probe.js';
import { Field, PartitionCounters } from '../../src/runtime/worker-metrics.js';

/** A fake admin answering ListOffsets and OffsetFetch from plain maps (or failing, like an unreachable broker). */
function fakeAdmin(state: {
  high: Record<number, number>;
  committed: Record<number, number>;
  down?: boolean;
  /** other topics' log ends (topic `t` has `high`) */
  highOf?: Record<string, Record<number, number>>;
  /** topics whose ListOffsets fails (a deleted topic, its leader away) */
  failing?: string[];
  calls?: { connect: number; disconnect: number };
}): Admin {
  const fail = () => Promise.reject(new Error('broker down'));
  return {
    connect: () => {
      if (state.calls) state.calls.connect++;
      return state.down ? fail() : Promise.resolve();
    },
    disconnect: () => {
      if (state.calls) state.calls.disconnect++;
      return Promise.resolve();
    },
    fetchTopicOffsets: (topic: string) =>
      state.down || state.failing?.includes(topic)
        ? fail()
        : Promise.resolve(
            Object.entries(state.highOf?.[topic] ?? state.high).map(([p, high]) => ({
              partition: Number(p),
              high: String(high),
              low: '0',
              offset: String(high),
            })),
          ),
    fetchOffsets: () =>
      state.down
        ? fail()
        : Promise.resolve([
            {
              topic: 't',
              partitions: Object.entries(state.committed).map(([p, o]) => ({
                partition: Number(p),
                offset: String(o),
              })),
            },
          ]),
  } as unknown as Admin;
}

function setup(assigned: number[]) {
  const state = {
    high: { 0: 100, 1: 50, 2: 10 } as Record<number, number>,
    committed: { 1: 20 } as Record<number, number>,
    down: false,
  };
  const counters = new PartitionCounters(PartitionCounters.allocate(4), 4);
  const probe = new LagProbe({
    admin: fakeAdmin(state),
    topics: [{ topic: 't', counters: () => counters, assigned: () => assigned }],
    groupId: 'g',
    intervalMs: 1000,
    logger: pino({ level: 'silent' }),
    now: () => 42,
  });
  return { state, counters, probe };
}

describe('LagProbe', () => {
  it('measures log end − stored offset, also when fetches stopped (paused partition)', async () => {
    const { state, counters, probe } = setup([0]);
    // started here: stored next offset 60, last fetch saw a high watermark of 70, then paused
    counters.set(0, Field.lastFlushMs, 1);
    counters.set(0, Field.flushed, 60);
    counters.set(0, Field.highWatermark, 70);
    await probe.probe();
    expect(probe.lag('t', 0)).toBe(40); // ListOffsets says 100: fresher than the fetch
    state.high[0] = 250; // produced while paused: no fetch, the probe still sees it
    await probe.probe();
    expect(probe.lag('t', 0)).toBe(190);
    expect(probe.lastSuccessMs).toBe(42);
  });

  it('uses the fetched high watermark when it is fresher than the last probe', async () => {
    const { counters, probe } = setup([0]);
    counters.set(0, Field.lastFlushMs, 1);
    counters.set(0, Field.flushed, 60);
    await probe.probe();
    counters.set(0, Field.highWatermark, 130);
    expect(probe.lag('t', 0)).toBe(70);
  });

  it('falls back to the group commit, then the log start, for partitions not claimed here; null for others', async () => {
    const { probe } = setup([1, 2]);
    await probe.probe();
    expect(probe.lag('t', 1)).toBe(30); // 50 − committed 20
    expect(probe.lag('t', 2)).toBe(10); // never committed: 10 − log start 0
    expect(probe.lag('t', 0)).toBeNull(); // not assigned to this process
  });

  it('keeps the last answer and its time while the broker is down', async () => {
    const { state, counters, probe } = setup([0]);
    counters.set(0, Field.lastFlushMs, 1);
    await probe.probe();
    state.down = true;
    await probe.probe();
    expect(probe.lastSuccessMs).toBe(42);
    expect(probe.lag('t', 0)).toBe(100);
  });

  it('one admin client serves both topics: each its own lag; a failing topic does not hide the other', async () => {
    const state = {
      high: { 0: 100 } as Record<number, number>,
      committed: {} as Record<number, number>,
      highOf: { platform: { 0: 30, 1: 80 } } as Record<string, Record<number, number>>,
      failing: [] as string[],
      calls: { connect: 0, disconnect: 0 },
    };
    const router = new PartitionCounters(PartitionCounters.allocate(4), 4);
    const platform = new PartitionCounters(PartitionCounters.allocate(4), 4);
    router.set(0, Field.lastFlushMs, 1);
    router.set(0, Field.flushed, 60);
    platform.set(1, Field.lastFlushMs, 1);
    platform.set(1, Field.flushed, 75);
    let t = 42;
    const probe = new LagProbe({
      admin: fakeAdmin(state),
      topics: [
        { topic: 't', counters: () => router, assigned: () => [0] },
        { topic: 'platform', counters: () => platform, assigned: () => [1] },
      ],
      groupId: 'g',
      intervalMs: 1000,
      logger: pino({ level: 'silent' }),
      now: () => t,
    });
    await probe.probe();
    await probe.probe();
    expect(state.calls.connect).toBe(1);
    expect(probe.lag('t', 0)).toBe(40);
    expect(probe.lag('platform', 1)).toBe(5);
    expect(probe.lag('platform', 0)).toBeNull(); // not assigned here
    expect(probe.lag('other', 0)).toBeNull(); // not a topic of the probe
    // the platform topic fails: the router's answer and readiness go on
    state.failing = ['platform'];
    state.high[0] = 160;
    t = 43;
    await probe.probe();
    expect(probe.lag('t', 0)).toBe(100);
    expect(probe.lag('platform', 1)).toBe(5); // its last answer
    expect(probe.lastSuccessMs).toBe(43);
    // readiness follows the first (router) topic only
    state.failing = ['t'];
    t = 44;
    await probe.probe();
    expect(probe.lastSuccessMs).toBe(43);
    await probe.stop();
    expect(state.calls.disconnect).toBe(1);
  });
});
