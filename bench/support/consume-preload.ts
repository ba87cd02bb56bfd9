/**
 * Fills the benchmark topic of bench/consume.ts with realistic router records, or
 * reuses it when it already holds exactly the requested number (preloading 2M
 * records takes longer than some of the measurements).
 *
 * The records are the ones the drain writes (docs/kafka-records.md): value = the
 * syslog router line, key = the router's `host=` (the app), the drain's three
 * headers, partition = murmur2(key) like the Java client. Only router lines are
 * produced: the drain sends app output and platform lines elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { SingleBar } from 'cli-progress';
import type { CompressionTypes, Message, Producer } from 'kafkajs';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { type CompressionName, registerCodec } from '../../src/ingest/kafka-codecs.js';
import { installFastRecordEncoder } from '../../src/ingest/kafkajs-record-encoder.js';
import { murmur2 } from '../../src/ingest/key-partitioner.js';
import { benchKafka, fmtInt, type Stack, sleep, withAdmin } from './consume-stack.js';

export interface PreloadOptions {
  stack: Stack;
  topic: string;
  records: number;
  partitions: number;
  codec: CompressionName;
  seed: number;
  apps: number;
  routes: number;
  /** event-time spacing of the lines (the generator's clock), lines per second */
  linesPerSecond: number;
  /** produce requests in flight at once */
  inFlight: number;
}

export interface PreloadResult {
  reused: boolean;
  seconds: number;
  /** records per partition (keyed by app: the Zipf skew shows here) */
  perPartition: number[];
}

/** A record batch must stay under the broker's message.max.bytes (1 MiB by default) per partition. */
const MAX_PARTITION_BATCH_BYTES = 768 * 1024;
const LINES_PER_REQUEST = 100; // one logplex POST: the lines that share a frame id

export async function ensurePreloaded(opts: PreloadOptions): Promise<PreloadResult> {
  const { stack, topic, records, partitions } = opts;
  const existing = await withAdmin(stack, async (admin) => {
    if (!(await admin.listTopics()).includes(topic)) return null;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets
      .sort((a, b) => a.partition - b.partition)
      .map((o) => ({ count: Number(o.high) - Number(o.low), low: Number(o.low) }));
  });
  if (
    existing !== null &&
    existing.length === partitions &&
    existing.every((p) => p.low === 0) &&
    existing.reduce((n, p) => n + p.count, 0) === records
  ) {
    return { reused: true, seconds: 0, perPartition: existing.map((p) => p.count) };
  }
  await withAdmin(stack, async (admin) => {
    if (existing !== null) {
      // Wrong count (an interrupted preload, or retention deleted the start): start over.
      process.stderr.write(
        `topic ${topic} exists but does not hold ${fmtInt(records)} records: recreating\n`,
      );
      await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
      for (let i = 0; i < 60 && (await admin.listTopics()).includes(topic); i++) await sleep(500);
    }
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    for (let i = 0; i < 40; i++) {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const ps = md.topics[0]?.partitions ?? [];
      if (ps.length === partitions && ps.every((p) => p.leader >= 0)) break;
      await sleep(250);
    }
  });
  return produceAll(opts);
}

async function produceAll(opts: PreloadOptions): Promise<PreloadResult> {
  const { stack, topic, records, partitions } = opts;
  installFastRecordEncoder();
  const compression: CompressionTypes = registerCodec(opts.codec);
  const producer: Producer = benchKafka(stack, 'bench-consume-preload').producer({
    allowAutoTopicCreation: false,
    idempotent: false,
    maxInFlightRequests: opts.inFlight,
  });
  await producer.connect();

  const start = Date.UTC(2026, 0, 1);
  const stepMs = 1000 / opts.linesPerSecond;
  let tick = 0;
  const gen = createLineGenerator({
    seed: opts.seed,
    apps: opts.apps,
    routes: opts.routes,
    clock: () => Math.floor(start + tick * stepMs),
  });
  const keys = new Map<string, { key: Buffer; partition: number }>();
  const token = Buffer.from('d.bench000-0000-4000-8000-000000000000');
  const perPartition = new Array<number>(partitions).fill(0);
  let pending: Message[][] = Array.from({ length: partitions }, () => []);
  let pendingBytes = new Array<number>(partitions).fill(0);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let acked = 0;

  const bar = new SingleBar({
    format: 'preload {bar} {percentage}% | {value}/{total} records | {rate} rec/s | ETA {eta_formatted}',
    stream: process.stderr,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
  });
  const started = performance.now();
  bar.start(records, 0, { rate: 0 });

  const send = async (batch: Message[][]): Promise<void> => {
    const count = batch.reduce((n, b) => n + b.length, 0);
    const p = producer
      .sendBatch({
        acks: -1,
        compression,
        topicMessages: [{ topic, messages: batch.flat() }],
      })
      .then(() => {
        acked += count;
        bar.update(acked, { rate: fmtInt(acked / ((performance.now() - started) / 1000)) });
      })
      .catch((err) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    while (inFlight.size >= opts.inFlight) await Promise.race(inFlight);
    if (failure) throw failure;
  };

  let headers = {
    'logplex-drain-token': token,
    'logplex-frame-id': Buffer.alloc(0),
    'received-at-ms': Buffer.alloc(0),
  };
  let produced = 0;
  while (produced < records) {
    const g = gen();
    tick++;
    if (g.kind !== 'router') continue;
    if (produced % LINES_PER_REQUEST === 0) {
      headers = {
        'logplex-drain-token': token,
        'logplex-frame-id': Buffer.from(randomBytes(16).toString('hex')),
        'received-at-ms': Buffer.from(String(Date.now())),
      };
    }
    let k = keys.get(g.app);
    if (k === undefined) {
      const key = Buffer.from(g.app);
      k = { key, partition: (murmur2(key) & 0x7fffffff) % partitions };
      keys.set(g.app, k);
    }
    const value = Buffer.from(g.line);
    pending[k.partition]!.push({ key: k.key, value, headers, partition: k.partition });
    pendingBytes[k.partition]! += value.length + k.key.length + 120;
    perPartition[k.partition]!++;
    produced++;
    if (pendingBytes[k.partition]! >= MAX_PARTITION_BATCH_BYTES) {
      const batch = pending;
      pending = Array.from({ length: partitions }, () => []);
      pendingBytes = new Array<number>(partitions).fill(0);
      await send(batch);
    }
  }
  if (pending.some((b) => b.length > 0)) await send(pending);
  await Promise.all(inFlight);
  bar.update(acked, { rate: fmtInt(acked / ((performance.now() - started) / 1000)) });
  bar.stop();
  await producer.disconnect();
  if (failure) throw failure;
  return { reused: false, seconds: (performance.now() - started) / 1000, perPartition };
}
