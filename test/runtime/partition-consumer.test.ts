import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { RoutemeterError } from '../../src/errors/routemeter-error.js';
import type { FetchedBatches, PartitionFetcherSink } from '../../src/kafka/partition-fetcher.js';
import { PartitionConsumer } from '../../src/runtime/partition-consumer.js';
import type {
  PartitionAggregatorPort,
  PartitionFetcherPort,
  PartitionStorePort,
} from '../../src/runtime/partition-ports.js';
import { PendingBytes } from '../../src/runtime/pending-bytes.js';
import type { WorkerToMain } from '../../src/runtime/protocol.js';
import { Field, PartitionCounters } from '../../src/runtime/worker-metrics.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { encodeBatch } from '../kafka/kafkajs-batches.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A partition fetcher that records what it is asked to do; the test hands fetches to the sink. */
class FakeFetcher implements PartitionFetcherPort {
  readonly calls: string[] = [];
  boundsGate = deferred();
  constructor(readonly sink: PartitionFetcherSink) {}
  async logBounds() {
    this.calls.push('logBounds');
    await this.boundsGate.promise;
    return { low: 0, high: 100 };
  }
  start(offset: number) {
    this.calls.push(`start:${offset}`);
  }
  pause() {
    this.calls.push('pause');
  }
  resume() {
    this.calls.push('resume');
  }
  async stop() {
    this.calls.push('stop');
  }
}

const aggregator: PartitionAggregatorPort<object> = {
  record() {},
  drain: () => ({ deltas: [], records: 0, overflowed: 0, late: 0, rejected: 0, watermarkMs: 0 }),
  activeRoutes: 0,
  openWindows: 0,
};

function setup(overrides: { claim?: PartitionStorePort['claim']; maxPendingBytes?: number } = {}) {
  const config = loadConfig({ FLUSH_INTERVAL_MS: '60000' });
  const fetchers: FakeFetcher[] = [];
  const flushed: string[] = [];
  const store: PartitionStorePort = {
    claim: overrides.claim ?? (async () => ({ epoch: 4, nextOffset: '5', watermarkMs: null })),
    flush: async (b) => {
      flushed.push(`${b.fromOffset}-${b.nextOffset}`);
    },
    advance: async () => {},
  };
  const posted: WorkerToMain[] = [];
  const counters = new PartitionCounters(PartitionCounters.allocate(8), 8);
  const settings = { ...config.runtime.partition, fetchMaxBytes: 256 * 1024 };
  const consumer = new PartitionConsumer(
    {
      topic: 't',
      partition: 2,
      flushIntervalMs: config.runtime.flushIntervalMs,
      maxPendingRecords: 1_000_000,
      shutdownTimeoutMs: 2000,
      routeSampleLimit: 0,
      settings,
      policy: { ...config.runtime.supervision, backoffBaseMs: 1, backoffMaxMs: 2 },
    },
    {
      createFetcher: (_topic, _partition, sink) => {
        const f = new FakeFetcher(sink);
        fetchers.push(f);
        return f;
      },
      kind: {
        name: 'router',
        createEvent: () => ({}),
        store,
        createAggregator: () => aggregator,
        parse: () => true,
      },
      counters,
      post: (m) => posted.push(m),
      logger: createLogger('silent'),
      pending: new PendingBytes(overrides.maxPendingBytes ?? 64 * 1024 * 1024),
    },
  );
  return { consumer, fetchers, posted, counters, flushed };
}

/** One fetch: an uncompressed RecordBatch v2 of `n` records of `size` bytes from offset `first`. */
async function fetched(first: number, n: number, size: number): Promise<FetchedBatches> {
  const records = Array.from({ length: n }, () => ({
    key: null,
    value: Buffer.alloc(size, 0x61),
    headers: {},
    timestampDelta: 0,
  }));
  const buffer = await encodeBatch({ baseOffset: first, baseTimestamp: Date.now(), codec: 0, records });
  return {
    fetchOffset: first,
    buffer,
    start: 0,
    end: buffer.length,
    nextOffset: first + n,
    highWatermark: 100_000,
    lastStableOffset: 100_000,
    logStartOffset: 0,
    abortedTransactions: null,
  };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('PartitionConsumer fetch lifecycle (fake fetcher and store)', () => {
  it('a stop that arrives while the start looks up offsets never starts the fetcher', async () => {
    const t = setup();
    const started = t.consumer.start();
    await until(() => t.fetchers[0]?.calls.includes('logBounds') ?? false);
    const stopping = t.consumer.stop('revoked');
    // the lookup completes after the stop arrived, as it does when a broker is slow
    t.fetchers[0]!.boundsGate.resolve();
    await expect(started).resolves.toBeUndefined();
    await stopping;
    expect(t.fetchers[0]!.calls).toEqual(['logBounds', 'stop']);
    expect(t.posted.map((m) => m.code)).toEqual(['partition-stopped']);
    expect(t.posted[0]).toMatchObject({ reason: 'revoked', nextOffset: '5' });
    expect(t.counters.get(2, Field.owned)).toBe(0);
  });

  it('starts fetching at the stored offset', async () => {
    const t = setup();
    const started = t.consumer.start();
    await until(() => t.fetchers.length > 0);
    t.fetchers[0]!.boundsGate.resolve();
    await started;
    expect(t.fetchers[0]!.calls).toEqual(['logBounds', 'start:5']);
    expect(t.posted[0]).toMatchObject({ code: 'partition-started', epoch: 4, offset: '5' });
    expect(t.counters.get(2, Field.highWatermark)).toBe(100);
    await t.consumer.stop('shutdown');
    expect(t.fetchers[0]!.calls.at(-1)).toBe('stop');
  });

  it('retries a claim while the store is unavailable (a decision each time), and fails the start on an error that will not pass', async () => {
    let calls = 0;
    const t = setup({
      claim: async () => {
        calls++;
        if (calls <= 2) throw new RoutemeterError('RM_ERR_REDIS_UNAVAILABLE', 'down');
        throw new RoutemeterError('RM_ERR_REDIS_SCRIPT', 'claim script: unknown status');
      },
    });
    await expect(t.consumer.start()).rejects.toMatchObject({ code: 'RM_ERR_REDIS_SCRIPT' });
    expect(calls).toBe(3);
    expect(
      t.posted.flatMap((m) => (m.code === 'decision' ? [`${m.failure.kind}→${m.directive.action}`] : [])),
    ).toEqual(['store-unavailable→retry', 'store-unavailable→retry']);
  });

  it("pauses fetching once the thread's pending bytes pass their bound, and flushes", async () => {
    const t = setup({ maxPendingBytes: 1024 * 1024 });
    const started = t.consumer.start();
    await until(() => t.fetchers.length > 0);
    t.fetchers[0]!.boundsGate.resolve();
    await started;
    const fake = t.fetchers[0]!;
    expect(fake.sink.onRecords(await fetched(5, 10, 1000))).toEqual({ nextOffset: 15, error: null });
    expect(fake.calls).not.toContain('pause');
    expect(fake.sink.onRecords(await fetched(15, 1100, 1000))).toEqual({ nextOffset: 1115, error: null });
    expect(fake.calls).toContain('pause');
    expect(t.counters.get(2, Field.paused)).toBe(1);
    expect(t.counters.get(2, Field.records)).toBe(1110);
    await until(() => t.flushed.length > 0);
    expect(t.flushed).toEqual(['5-1115']);
    await t.consumer.stop('shutdown');
  });

  it('skips records below the claimed offset, counts bad ones, and steps over a retention gap', async () => {
    const t = setup();
    const started = t.consumer.start();
    await until(() => t.fetchers.length > 0);
    t.fetchers[0]!.boundsGate.resolve();
    await started;
    const sink = t.fetchers[0]!.sink;
    // a batch that starts below the claimed offset 5: records 0…4 are not counted
    const batch = await fetched(0, 10, 10);
    expect(sink.onRecords({ ...batch, fetchOffset: 5 })).toEqual({ nextOffset: 10, error: null });
    expect(t.counters.get(2, Field.records)).toBe(5);
    // retention deleted 10…49 before they were fetched: counted, and fetching goes on at 50
    expect(await sink.onOutOfRange(10, { low: 50, high: 100 })).toBe(50);
    expect(t.counters.get(2, Field.skippedByRetention)).toBe(40);
    expect(t.counters.get(2, Field.position)).toBe(50);
    await t.consumer.flush();
    expect(t.flushed).toEqual(['5-50']);
    await t.consumer.stop('shutdown');
  });

  it('reports retryable fetch failures as decisions with the backoff the policy gives, and stops on one that will not pass', async () => {
    const t = setup();
    const started = t.consumer.start();
    await until(() => t.fetchers.length > 0);
    t.fetchers[0]!.boundsGate.resolve();
    await started;
    const sink = t.fetchers[0]!.sink;
    const delay = sink.onRetry(new RoutemeterError('RM_ERR_KAFKA_RETRIABLE', 'NOT_LEADER_OR_FOLLOWER'), 1);
    expect(delay).toBeGreaterThan(0);
    expect(t.posted.filter((m) => m.code === 'decision')).toMatchObject([
      {
        failure: { kind: 'fetch-unavailable', attempt: 1, code: 'RM_ERR_KAFKA_RETRIABLE' },
        directive: { action: 'retry' },
      },
    ]);
    sink.onFatal(new RoutemeterError('RM_ERR_KAFKA_REJECTED', 'TOPIC_AUTHORIZATION_FAILED'));
    await until(() => t.posted.some((m) => m.code === 'partition-stopped'));
    expect(t.posted.at(-1)).toMatchObject({ code: 'partition-stopped', reason: 'failed' });
  });
});
