import type { Admin, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { RoutemeterError } from '../../src/errors/routemeter-error.js';
import { PartitionConsumer } from '../../src/runtime/partition-consumer.js';
import type { PartitionAggregatorPort, PartitionStorePort } from '../../src/runtime/partition-ports.js';
import { PendingBytes } from '../../src/runtime/pending-bytes.js';
import type { WorkerToMain } from '../../src/runtime/protocol.js';
import { Field, PartitionCounters } from '../../src/runtime/worker-metrics.js';
import { createLogger } from '../../src/telemetry/logger.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A kafkajs consumer that behaves like the real one where it matters: seek() after stop() throws. */
class FakeConsumer {
  readonly calls: string[] = [];
  runGate = deferred();
  eachBatch: ((p: EachBatchPayload) => Promise<void>) | null = null;
  private stopped = false;
  constructor(readonly config: ConsumerConfig) {}
  async connect() {
    this.calls.push('connect');
  }
  async subscribe() {
    this.calls.push('subscribe');
  }
  async run(opts: { eachBatch: (p: EachBatchPayload) => Promise<void> }) {
    this.calls.push('run');
    this.eachBatch = opts.eachBatch;
    await this.runGate.promise;
  }
  seek() {
    if (this.stopped)
      throw new Error('Consumer group was not initialized, consumer#run must be called first');
    this.calls.push('seek');
  }
  async stop() {
    this.stopped = true;
    this.calls.push('stop');
  }
  async disconnect() {
    this.calls.push('disconnect');
  }
  pause() {
    this.calls.push('pause');
  }
  resume() {
    this.calls.push('resume');
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
  const consumers: FakeConsumer[] = [];
  const kafka = {
    consumer: (cfg: ConsumerConfig) => {
      const c = new FakeConsumer(cfg);
      consumers.push(c);
      return c;
    },
  } as unknown as Kafka;
  const admin = {
    fetchTopicOffsets: async () => [{ partition: 2, low: '0', high: '100', offset: '100' }],
  } as unknown as Admin;
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
      groupPrefix: 'g',
      instanceId: 'i',
      flushIntervalMs: config.runtime.flushIntervalMs,
      maxPendingRecords: 1_000_000,
      shutdownTimeoutMs: 2000,
      routeSampleLimit: 0,
      settings,
      policy: { ...config.runtime.supervision, backoffBaseMs: 1, backoffMaxMs: 2 },
    },
    {
      kafka,
      admin,
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
  return { consumer, consumers, posted, counters, flushed };
}

/** A kafkajs batch of `n` records of `size` bytes from `first`. */
function batch(first: number, n: number, size: number): EachBatchPayload {
  const messages = Array.from({ length: n }, (_, i) => ({
    offset: String(first + i),
    value: Buffer.alloc(size),
  }));
  return {
    batch: {
      messages,
      firstOffset: () => String(first),
      lastOffset: () => String(first + n - 1),
      highWatermark: '100',
    },
  } as unknown as EachBatchPayload;
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('PartitionConsumer fetch lifecycle (fake Kafka and store)', () => {
  it('a stop that arrives while run() joins never seeks a stopped consumer', async () => {
    const t = setup();
    const started = t.consumer.start();
    await until(() => t.consumers[0]?.calls.includes('run') ?? false);
    const stopping = t.consumer.stop('revoked');
    // run() completes after the stop arrived, as it does when the group join is slow
    t.consumers[0]!.runGate.resolve();
    await expect(started).resolves.toBeUndefined();
    await stopping;
    expect(t.consumers[0]!.calls).toEqual(['connect', 'subscribe', 'run', 'stop', 'disconnect']);
    expect(t.posted.map((m) => m.code)).toEqual(['partition-stopped']);
    expect(t.posted[0]).toMatchObject({ reason: 'revoked', nextOffset: '5' });
    expect(t.counters.get(2, Field.owned)).toBe(0);
  });

  it('starts at the stored offset with the bounded fetch sizes', async () => {
    const t = setup();
    const started = t.consumer.start();
    await until(() => t.consumers.length > 0);
    t.consumers[0]!.runGate.resolve();
    await started;
    expect(t.consumers[0]!.calls).toEqual(['connect', 'subscribe', 'run', 'seek']);
    expect(t.consumers[0]!.config).toMatchObject({ maxBytesPerPartition: 256 * 1024, maxBytes: 256 * 1024 });
    expect(t.posted[0]).toMatchObject({ code: 'partition-started', epoch: 4, offset: '5' });
    await t.consumer.stop('shutdown');
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
    await until(() => t.consumers.length > 0);
    t.consumers[0]!.runGate.resolve();
    await started;
    const fake = t.consumers[0]!;
    await fake.eachBatch!(batch(5, 10, 1000));
    expect(fake.calls).not.toContain('pause');
    await fake.eachBatch!(batch(15, 1100, 1000));
    expect(fake.calls).toContain('pause');
    expect(t.counters.get(2, Field.paused)).toBe(1);
    await until(() => t.flushed.length > 0);
    expect(t.flushed).toEqual(['5-1115']);
    await t.consumer.stop('shutdown');
  });
});
