/**
 * Measurements (c) and (c') of bench/consume.ts: bare kafkajs consumers that decode
 * every record (`parseRouterEvent` into one reused event) and discard it: what the
 * client library allows before routemeter does anything of its own.
 *
 *   (c)  one consumer in this thread, one fresh group subscribed to the topic
 *        from the beginning, `eachBatch`;
 *   (c') routemeter's consumer layout without routemeter: one kafkajs consumer per
 *        partition (each in a private group with a pinned assigner: kafkajs has no
 *        assign(); this is how routemeter itself fetched before its partition
 *        fetchers) with the runtime's fetch sizes, spread over N worker threads the
 *        way the supervisor places partitions (fewest first ⇒ p → thread p mod N).
 *
 * Both are timed from before `connect()` (or the threads' start) until the last
 * record is decoded, so group joins count against them as they do against (a).
 */
import { Worker } from 'node:worker_threads';
import { SingleBar } from 'cli-progress';
import type { ConsumerConfig } from 'kafkajs';
import type { PartitionSettings } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/config.js';
import { createRouterEvent } from '../../src/logplex/router-event.js';
import { parseRouterEvent } from '../../src/logplex/router-line.js';
import {
  benchKafka,
  deleteGroups,
  fmtInt,
  groupsWithPrefix,
  type Stack,
  sleep,
  uniqueName,
} from './consume-stack.js';

/** The runtime's fetch sizes in kafkajs's terms, so that (a) and (c) fetch alike. */
function fetchSettings(
  settings: Pick<PartitionSettings, 'fetchMaxWaitMs' | 'fetchMaxBytes' | 'fetchMinBytes'>,
): Pick<ConsumerConfig, 'maxWaitTimeInMs' | 'maxBytesPerPartition' | 'maxBytes' | 'minBytes'> {
  // One partition per consumer: the consumer-wide bound equals the partition's, as
  // a partition fetcher's max_bytes equals its partition_max_bytes.
  return {
    maxWaitTimeInMs: settings.fetchMaxWaitMs,
    maxBytesPerPartition: settings.fetchMaxBytes,
    maxBytes: settings.fetchMaxBytes,
    minBytes: settings.fetchMinBytes,
  };
}

export const RUNTIME_FETCH = fetchSettings(loadConfig({}).runtime.partition);

export interface BareRun {
  threads: number;
  seconds: number;
  startupSeconds: number;
  records: number;
  bytes: number;
  parseFailures: number;
  /** CPU time of this process (all its threads) from start to the last record, s */
  cpuSeconds: number;
}

function progressBar(label: string, total: number): SingleBar {
  const bar = new SingleBar({
    format: `${label} {bar} {percentage}% | {value}/{total} decoded`,
    stream: process.stderr,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
  });
  bar.start(total, 0);
  return bar;
}

/** (c): one kafkajs consumer, `eachBatch`, decode and discard. */
export async function bareKafkajs(
  stack: Stack,
  topic: string,
  records: number,
  timeoutSeconds: number,
): Promise<BareRun> {
  const groupId = uniqueName('bench-consume-bare');
  const consumer = benchKafka(stack, 'bench-consume-bare').consumer({ groupId, ...RUNTIME_FETCH });
  const event = createRouterEvent();
  let count = 0;
  let bytes = 0;
  let failures = 0;
  let firstAt = 0;
  let doneAt = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const bar = progressBar('kafkajs bare ', records);
  const ticker = setInterval(() => bar.update(count), 250);
  const cpu0 = process.cpuUsage();
  let cpu = { user: 0, system: 0 };
  const started = performance.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (firstAt === 0) firstAt = performance.now();
        for (const m of batch.messages) {
          const v = m.value;
          if (v === null || !parseRouterEvent(v, 0, v.length, event)) failures++;
          else bytes += v.length;
          count++;
        }
        if (count >= records && doneAt === 0) {
          doneAt = performance.now();
          cpu = process.cpuUsage(cpu0);
          finish();
        }
      },
    });
    await Promise.race([
      done,
      sleep(timeoutSeconds * 1000).then(() => {
        throw new Error(`kafkajs bare consumer: ${count}/${records} after ${timeoutSeconds} s`);
      }),
    ]);
  } finally {
    clearInterval(ticker);
    bar.update(count);
    bar.stop();
    await consumer.disconnect().catch(() => {});
    await deleteGroups(stack, [groupId]);
  }
  return {
    threads: 1,
    seconds: (doneAt - started) / 1000,
    startupSeconds: (firstAt - started) / 1000,
    records: count,
    bytes,
    parseFailures: failures,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** Layout of the counters the (c') workers share with this thread: per partition [records, bytes, failures]. */
export const BARE_SLOTS = 3;

export interface BareWorkerData {
  brokers: string[];
  topic: string;
  partitions: number[];
  groupPrefix: string;
  counters: SharedArrayBuffer;
}

/** (c'): one consumer per partition, in `threads` worker threads. */
export async function bareKafkajsThreads(
  stack: Stack,
  topic: string,
  partitions: number,
  threads: number,
  records: number,
  timeoutSeconds: number,
): Promise<BareRun> {
  const groupPrefix = uniqueName('bench-consume-bare-t');
  const counters = new SharedArrayBuffer(partitions * BARE_SLOTS * 8);
  const view = new Float64Array(counters);
  const sum = (slot: number) => {
    let n = 0;
    for (let p = 0; p < partitions; p++) n += view[p * BARE_SLOTS + slot]!;
    return n;
  };
  const bar = progressBar(`kafkajs bare(${threads}t)`, records);
  const cpu0 = process.cpuUsage();
  let cpu = { user: 0, system: 0 };
  const started = performance.now();
  const workers: Worker[] = [];
  const errors: Error[] = [];
  for (let t = 0; t < threads; t++) {
    const mine = Array.from({ length: partitions }, (_, p) => p).filter((p) => p % threads === t);
    if (mine.length === 0) continue;
    const data: BareWorkerData = { brokers: stack.brokers, topic, partitions: mine, groupPrefix, counters };
    const w = new Worker(new URL('./consume-bare-worker.js', import.meta.url), { workerData: data });
    w.on('error', (err) => errors.push(err));
    workers.push(w);
  }
  let firstAt = 0;
  let doneAt = 0;
  try {
    const deadline = started + timeoutSeconds * 1000;
    while (performance.now() < deadline) {
      if (errors.length > 0) throw errors[0];
      const n = sum(0);
      if (firstAt === 0 && n > 0) firstAt = performance.now();
      bar.update(n);
      if (n >= records) {
        doneAt = performance.now();
        cpu = process.cpuUsage(cpu0);
        break;
      }
      await sleep(20);
    }
    if (doneAt === 0)
      throw new Error(
        `kafkajs bare(${threads}t): ${fmtInt(sum(0))}/${fmtInt(records)} after ${timeoutSeconds} s`,
      );
  } finally {
    bar.stop();
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate().then(() => resolve()), 10_000);
            w.once('message', (m: { code: string }) => {
              if (m.code === 'stopped') {
                clearTimeout(timer);
                void w.terminate().then(() => resolve());
              }
            });
            w.postMessage({ code: 'stop' });
          }),
      ),
    );
    await deleteGroups(stack, await groupsWithPrefix(stack, groupPrefix));
  }
  return {
    threads,
    seconds: (doneAt - started) / 1000,
    startupSeconds: (firstAt - started) / 1000,
    records: sum(0),
    bytes: sum(1),
    parseFailures: sum(2),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
