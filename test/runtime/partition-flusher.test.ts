import { describe, expect, it } from 'vitest';
import type { FlushBatch, PartitionDrain } from '../../src/actors/flush-batch.js';
import { RoutemeterError } from '../../src/errors/routemeter-error.js';
import { sampleDynos } from '../../src/runtime/dyno-samples.js';
import { PartitionFlusher } from '../../src/runtime/partition-flusher.js';
import type {
  BatchPosition,
  PartitionAggregatorPort,
  PartitionStorePort,
} from '../../src/runtime/partition-ports.js';
import { PendingBytes } from '../../src/runtime/pending-bytes.js';
import {
  PlatformPartitionAggregator,
  type PlatformPartitionDrain,
} from '../../src/runtime/platform-records.js';
import type { WorkerToMain } from '../../src/runtime/protocol.js';
import { Field, PartitionCounters } from '../../src/runtime/worker-metrics.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { memory, platformEvent } from '../actors/platform-events.js';
import { testPolicy } from '../support/supervision-policy.js';
import { windowDelta } from '../support/window-delta.js';

const policy = testPolicy;

/** An aggregator that hands out one delta per drain, counting `records` since the last drain. */
class FakeAggregator implements PartitionAggregatorPort {
  pending = 0;
  activeRoutes = 1;
  openWindows = 0;
  record(): void {
    this.pending++;
  }
  drain() {
    const records = this.pending;
    this.pending = 0;
    return {
      deltas: [windowDelta({ count: records })],
      records,
      overflowed: 0,
      late: 0,
      rejected: 0,
      watermarkMs: 1000,
    };
  }
}

/** A store that applies batches like the Lua step (offset check) or fails as told. */
class FakeStore implements PartitionStorePort {
  stored = 0;
  readonly applied: FlushBatch[] = [];
  failures: unknown[] = [];
  async claim() {
    return { epoch: 1, nextOffset: null, watermarkMs: null };
  }
  async flush(batch: FlushBatch) {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    if (Number(batch.fromOffset) !== this.stored) {
      throw new RoutemeterError('RM_ERR_FLUSH_OFFSET_MISMATCH', `${batch.fromOffset} != ${this.stored}`);
    }
    this.applied.push(batch);
    this.stored = Number(batch.nextOffset);
  }
  async advance() {}
}

function setup() {
  const store = new FakeStore();
  const aggregator = new FakeAggregator();
  const counters = new PartitionCounters(PartitionCounters.allocate(8), 8);
  const posted: WorkerToMain[] = [];
  const stops: Array<{ reason: string; error: unknown }> = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const pending = new PendingBytes(1024 * 1024);
  let now = 0;
  let paused = 0;
  const flusher = new PartitionFlusher<PartitionDrain>(
    { topic: 't', partition: 3, routeSampleLimit: 0, policy },
    {
      store,
      counters,
      post: (m) => posted.push(m),
      logger: createLogger('silent'),
      pending,
      pauseFetching: () => paused++,
      stopPartition: (reason, error) => stops.push({ reason, error }),
      now: () => now,
      setTimer: (fn, ms) => timers.push({ fn, ms }),
    },
  );
  flusher.begin(1, aggregator, 0);
  /** the fetch side consumed `n` records of `bytes` each, up to offset `to` */
  const consume = (n: number, bytes: number) => {
    for (let i = 0; i < n; i++) aggregator.record();
    flusher.noteConsumed(n * bytes);
  };
  return {
    store,
    counters,
    posted,
    stops,
    timers,
    pending,
    flusher,
    consume,
    paused: () => paused,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const decisions = (posted: WorkerToMain[]) =>
  posted.flatMap((m) => (m.code === 'decision' ? [`${m.failure.kind}→${m.directive.action}`] : []));

describe('PartitionFlusher (fake store and aggregator)', () => {
  it('stores drained batches in order and reports each flush; pending bytes go back when stored', async () => {
    const t = setup();
    t.consume(10, 100);
    expect(t.pending.total).toBe(1000);
    expect(await t.flusher.flush(10)).toBe(true);
    t.consume(5, 100);
    expect(await t.flusher.flush(15)).toBe(true);
    expect(t.store.applied.map((b) => [b.fromOffset, b.nextOffset, b.records])).toEqual([
      ['0', '10', 10],
      ['10', '15', 5],
    ]);
    expect(t.pending.total).toBe(0);
    expect(t.flusher.stored).toBe(15);
    expect(t.counters.get(3, Field.flushes)).toBe(2);
    expect(t.counters.get(3, Field.flushed)).toBe(15);
    expect(
      t.posted.filter((m) => m.code === 'flushed').map((m) => m.code === 'flushed' && m.nextOffset),
    ).toEqual(['10', '15']);
    // nothing new: no empty batch
    expect(await t.flusher.flush(15)).toBe(true);
    expect(t.store.applied).toHaveLength(2);
  });

  it('keeps the batch while the store is unavailable, pauses fetching, and retries with growing backoff', async () => {
    const t = setup();
    const down = new RoutemeterError('RM_ERR_REDIS_UNAVAILABLE', 'connection refused');
    t.store.failures = [down, down];
    t.consume(10, 100);
    expect(await t.flusher.flush(10)).toBe(false);
    expect(t.paused()).toBe(1);
    expect(t.timers.map((x) => x.ms)).toEqual([100]);
    // the interval timer inside the backoff does not hammer the store
    t.consume(4, 100);
    expect(await t.flusher.flush(14)).toBe(false);
    expect(t.store.failures).toHaveLength(1);
    t.advance(100);
    expect(await t.flusher.flush(14)).toBe(false);
    expect(t.timers.map((x) => x.ms)).toEqual([100, 200]);
    t.advance(200);
    expect(await t.flusher.flush(14)).toBe(true);
    // the batch kept across failures lands first, unchanged, then the newer one
    expect(t.store.applied.map((b) => [b.fromOffset, b.nextOffset])).toEqual([
      ['0', '10'],
      ['10', '14'],
    ]);
    expect(t.stops).toEqual([]);
    expect(decisions(t.posted)).toEqual(['store-unavailable→retry', 'store-unavailable→retry']);
    expect(t.counters.get(3, Field.flushFailures)).toBe(2);
    expect(t.pending.total).toBe(0);
  });

  it('treats errors that are not ours (a raw socket error) as an unavailable store', async () => {
    const t = setup();
    t.store.failures = [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })];
    t.consume(3, 10);
    expect(await t.flusher.flush(3)).toBe(false);
    expect(decisions(t.posted)).toEqual(['store-unavailable→retry']);
    expect(t.stops).toEqual([]);
  });

  it('stops the partition on a non-retryable error instead of retrying it forever', async () => {
    const t = setup();
    const bug = new RoutemeterError('RM_ERR_REDIS_SCRIPT', 'unknown status from the flush script: "weird"');
    expect(bug.canRetry).toBe(false);
    t.store.failures = [bug];
    t.consume(10, 100);
    expect(await t.flusher.flush(10)).toBe(false);
    expect(t.stops).toEqual([{ reason: 'failed', error: bug }]);
    expect(t.timers).toEqual([]);
    expect(decisions(t.posted)).toEqual(['flush-rejected→stop-partition']);
    // stopped: no more flushes from this owner
    expect(await t.flusher.flush(10)).toBe(false);
    expect(t.store.applied).toEqual([]);
    t.flusher.releaseUnstored();
    expect(t.pending.total).toBe(0);
  });

  it('stops as fenced when a newer owner holds the partition', async () => {
    const t = setup();
    t.store.failures = [new RoutemeterError('RM_ERR_FLUSH_FENCED', 'epoch 1 < 2')];
    t.consume(2, 10);
    expect(await t.flusher.flush(2)).toBe(false);
    expect(t.stops.map((s) => s.reason)).toEqual(['fenced']);
    expect(t.counters.get(3, Field.fenced)).toBe(1);
    expect(decisions(t.posted)).toEqual(['fenced→stop-partition']);
  });

  it('serializes concurrent flushes: a call during a flush joins it', async () => {
    const t = setup();
    t.consume(5, 1);
    const a = t.flusher.flush(5);
    const b = t.flusher.flush(5);
    expect(await a).toBe(true);
    expect(await b).toBe(true);
    expect(t.store.applied).toHaveLength(1);
  });

  it('stops scheduling retries once the partition stops, but a forced final flush still runs', async () => {
    const t = setup();
    t.store.failures = [new RoutemeterError('RM_ERR_REDIS_UNAVAILABLE', 'down')];
    t.flusher.stopRetrying();
    t.consume(5, 1);
    expect(await t.flusher.flush(5)).toBe(false);
    expect(t.timers).toEqual([]);
    expect(await t.flusher.flush(5, true)).toBe(true);
    expect(t.flusher.isCaughtUp(5)).toBe(true);
  });
});

describe('PartitionFlusher with the platform record kind (same lifecycle, other drain)', () => {
  it('stores platform batches, publishes their counts per partition and sends the dyno samples to main', async () => {
    const agg = new PlatformPartitionAggregator({
      windowSeconds: 10,
      rollupSeconds: 60,
      allowedLatenessSeconds: 3600,
      dynoCapPerApp: 10,
      watermarkMs: 0,
    });
    const applied: Array<PlatformPartitionDrain & BatchPosition> = [];
    const store: PartitionStorePort<PlatformPartitionDrain & BatchPosition> = {
      claim: async () => ({ epoch: 1, nextOffset: null, watermarkMs: null }),
      flush: async (b) => {
        applied.push(b);
      },
      advance: async () => {},
    };
    const counters = new PartitionCounters(PartitionCounters.allocate(8), 8);
    const posted: WorkerToMain[] = [];
    const flusher = new PartitionFlusher<PlatformPartitionDrain>(
      { topic: 'platform', partition: 1, routeSampleLimit: 0, policy },
      {
        store,
        counters,
        post: (m) => posted.push(m),
        logger: createLogger('silent'),
        pending: new PendingBytes(1024 * 1024),
        summarize: (b) => ({ routes: [], dynos: sampleDynos(b) }),
        pauseFetching: () => {},
        stopPartition: () => {},
      },
    );
    flusher.begin(1, agg, 0);
    const t = Date.UTC(2026, 0, 1);
    agg.record({ app: 'a.herokuapp.com', event: memory('web.1', t, 300) });
    agg.record({ app: '', event: memory('web.1', t + 1000, 200) });
    agg.record({ app: 'a.herokuapp.com', event: platformEvent({ dyno: 'web.1', timestampMs: t }) }); // nothing kept
    flusher.noteConsumed(300);
    expect(await flusher.flush(3)).toBe(true);
    expect(
      applied.map((b) => [b.topic, b.fromOffset, b.nextOffset, b.records, b.ignored, b.unknownApp]),
    ).toEqual([['platform', '0', '3', 2, 1, 1]]);
    expect(counters.get(1, Field.aggregated)).toBe(2);
    expect(counters.get(1, Field.ignored)).toBe(1);
    expect(counters.get(1, Field.unknownApp)).toBe(1);
    expect(counters.get(1, Field.flushed)).toBe(3);
    const flushed = posted.find((m) => m.code === 'flushed');
    expect(
      flushed?.code === 'flushed' && flushed.dynos?.map((d) => [d.app, d.dyno, d.memoryTotalMb]),
    ).toEqual([
      ['a.herokuapp.com', 'web.1', 300],
      ['-', 'web.1', 200],
    ]);
  });
});
