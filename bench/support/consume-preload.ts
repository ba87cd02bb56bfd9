/**
 * Fills the benchmark topic of bench/consume.ts with realistic router records, or
 * reuses it when it already holds exactly the requested number (preloading 2M
 * records takes longer than some of the measurements).
 *
 * The records are the ones the drain writes (docs/kafka-records.md): value = the
 * syslog router line, key = the router's `host=` (the app), the drain's three
 * headers, partition = murmur2(key) like the Java client. Only router lines are
 * produced: the drain sends app output and platform lines elsewhere.
 *
 *   worker thread: line generator ──chunks of 5,000 lines──▶ main thread: build
 *   messages (views into the chunk) ──▶ kafkajs sendBatch, acks=-1, --in-flight
 *   requests at once, each with at most 128 KB per partition
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { SingleBar } from 'cli-progress';
import type { CompressionTypes, Message, Producer } from 'kafkajs';
import { HotAppKeys, pathShard } from '../../src/ingest/hot-app-keys.js';
import { type CompressionName, registerCodec } from '../../src/kafka/kafka-codecs.js';
import { installFastRecordEncoder } from '../../src/kafka/kafkajs-record-encoder.js';
import { murmur2 } from '../../src/kafka/key-partitioner.js';
import { findRouterPath } from '../../src/logplex/router-line.js';
import type { PreloadWorkerData, PreloadWorkerMessage } from './consume-preload-worker.js';
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
  /** spread the busiest app (the catalog's first) over this many partitions, as DRAIN_HOT_APPS does (0 = keyed by app) */
  hotAppShards?: number;
}

export interface PreloadResult {
  reused: boolean;
  seconds: number;
  /** records per partition (keyed by app: the Zipf skew shows here) */
  perPartition: number[];
}

/**
 * Bytes per partition per request. A record batch must stay under the broker's
 * message.max.bytes (1 MiB), and kafkajs's groupMessagesPerPartition copies a
 * partition's array for every message it adds (quadratic): 768 KB batches ran at
 * ~30k rec/s, 128–256 KB ones at ~50–70k rec/s.
 */
const MAX_PARTITION_BATCH_BYTES = 128 * 1024;
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

  const data: PreloadWorkerData = {
    records,
    seed: opts.seed,
    apps: opts.apps,
    routes: opts.routes,
    linesPerSecond: opts.linesPerSecond,
    chunk: 5000,
    ahead: 8,
  };
  const worker = new Worker(new URL('./consume-preload-worker.js', import.meta.url), { workerData: data });
  const chunks: Array<Extract<PreloadWorkerMessage, { code: 'chunk' }>> = [];
  let generated = false;
  let workerError: Error | null = null;
  let wake: () => void = () => {};
  worker.on('message', (m: PreloadWorkerMessage) => {
    if (m.code === 'chunk') chunks.push(m);
    else generated = true;
    wake();
  });
  worker.on('error', (err) => {
    workerError = err;
    wake();
  });
  const nextChunk = async () => {
    while (chunks.length === 0) {
      if (workerError) throw workerError;
      if (generated) return null;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    worker.postMessage({ code: 'more' });
    return chunks.shift()!;
  };

  let keys: Array<{ key: Buffer; partition: number }> = [];
  // DRAIN_HOT_APPS for the busiest app: its k keys `host#s` (the drain's own choice of keys)
  let hotKeys: Array<{ key: Buffer; partition: number }> = [];
  const pathRange = new Int32Array(2);
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

  try {
    let produced = 0;
    let headers: Message['headers'] = {};
    for (let chunk = await nextChunk(); chunk !== null; chunk = await nextChunk()) {
      if (chunk.appNames) {
        keys = chunk.appNames.map((app) => {
          const key = Buffer.from(app);
          return { key, partition: (murmur2(key) & 0x7fffffff) % partitions };
        });
        const shards = opts.hotAppShards ?? 0;
        if (shards > 0) {
          const table = new HotAppKeys(new Map([[chunk.appNames[0]!, shards]]), partitions).lookup(
            chunk.appNames[0]!,
          )!;
          hotKeys = Array.from({ length: shards }, (_, i) => {
            const key = table.bytes.subarray(table.offsets[i], table.offsets[i + 1]);
            return { key, partition: (murmur2(key) & 0x7fffffff) % partitions };
          });
        }
      }
      const body = Buffer.from(chunk.body.buffer, chunk.body.byteOffset, chunk.body.byteLength);
      let start = 0;
      for (let i = 0; i < chunk.ends.length; i++, produced++) {
        if (produced % LINES_PER_REQUEST === 0) {
          headers = {
            'logplex-drain-token': token,
            'logplex-frame-id': Buffer.from(randomBytes(16).toString('hex')),
            'received-at-ms': Buffer.from(String(Date.now())),
          };
        }
        const end = chunk.ends[i]!;
        const value = body.subarray(start, end);
        let k = keys[chunk.apps[i]!]!;
        if (chunk.apps[i] === 0 && hotKeys.length > 0) {
          // the header has no `path=`: scanning the whole line finds the router's
          const found = findRouterPath(body, start, end, pathRange);
          k = hotKeys[found ? pathShard(body, pathRange[0]!, pathRange[1]!, hotKeys.length) : 0]!;
        }
        start = end;
        pending[k.partition]!.push({ key: k.key, value, headers, partition: k.partition });
        pendingBytes[k.partition]! += value.length + k.key.length + 120;
        perPartition[k.partition]!++;
        if (pendingBytes[k.partition]! >= MAX_PARTITION_BATCH_BYTES) {
          const batch = pending;
          pending = Array.from({ length: partitions }, () => []);
          pendingBytes = new Array<number>(partitions).fill(0);
          await send(batch);
        }
      }
    }
    if (pending.some((b) => b.length > 0)) await send(pending);
    await Promise.all(inFlight);
  } finally {
    await worker.terminate();
    bar.update(acked, { rate: fmtInt(acked / ((performance.now() - started) / 1000)) });
    bar.stop();
    await producer.disconnect();
  }
  if (failure) throw failure;
  return { reused: false, seconds: (performance.now() - started) / 1000, perPartition };
}
