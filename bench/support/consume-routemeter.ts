/**
 * Measurement (a) of bench/consume.ts: the real `routemeter run` runtime
 * (supervisor, worker threads, one kafkajs consumer per partition, route actors,
 * atomic Lua flushes), started in this process with `runRuntime` on a fresh
 * consumer group and a fresh Redis prefix, timed from the call until Redis's
 * stored next offset equals the high watermark on every partition.
 */
import { SingleBar } from 'cli-progress';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/config.js';
import { runRuntime } from '../../src/runtime/run-runtime.js';
import { Field } from '../../src/runtime/worker-metrics.js';
import { readOffsets } from '../../src/sinks/redis/read-offsets.js';
import { createLogger } from '../../src/telemetry/logger.js';
import {
  deleteGroups,
  deleteRedisPrefix,
  fmtInt,
  groupsWithPrefix,
  type Stack,
  sleep,
  uniqueName,
} from './consume-stack.js';
import { storedCount } from './stored-count.js';
import { busiestThreads, type ThreadCpu, threadCpuSnapshot, threadCpuUsed } from './thread-cpu.js';

export interface RoutemeterOptions {
  stack: Stack;
  redis: Redis;
  topic: string;
  partitions: number;
  records: number;
  highs: Map<number, string>;
  workers: number;
  /** ROUTE_PATTERNS (JSON) or '' for the built-in placeholders only */
  routePatterns: string;
  flushIntervalMs: number;
  timeoutSeconds: number;
  /** extra environment for loadConfig (e.g. MAX_PENDING_RECORDS) */
  env?: Record<string, string>;
}

export interface RoutemeterRun {
  workers: number;
  /** start → final flush stored */
  seconds: number;
  /** start → first record counted by a worker (threads, group joins, claims) */
  startupSeconds: number;
  /** records and value bytes the workers consumed */
  records: number;
  bytes: number;
  /** sum of `count` stored in Redis at the 10 s and 60 s resolutions */
  storedShort: number;
  storedRollup: number;
  parseFailures: number;
  late: number;
  overflowed: number;
  flushes: number;
  flushFailures: number;
  clean: boolean;
  /** CPU time of this process (all its threads) from start to the final flush, s */
  cpuSeconds: number;
  /** of which the `workers` busiest threads (the worker threads), s; NaN without /proc */
  workerCpuSeconds: number;
}

export async function measureRoutemeter(opts: RoutemeterOptions): Promise<RoutemeterRun> {
  const group = uniqueName('bench-consume-rm');
  const prefix = `${uniqueName('bench-consume')}:`;
  const config = loadConfig({
    KAFKA_URL: opts.stack.kafkaUrl,
    REDIS_URL: opts.stack.redisUrl,
    ROUTER_TOPIC: opts.topic,
    PLATFORM_TOPIC: '',
    TOPIC_PARTITIONS: String(opts.partitions),
    CONSUMER_GROUP: group,
    REDIS_PREFIX: prefix,
    WORKER_THREADS: String(opts.workers),
    FLUSH_INTERVAL_MS: String(opts.flushIntervalMs),
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    // the generator's event times are in the past: nothing may be dropped as late
    ALLOWED_LATENESS_SECONDS: String(10 * 365 * 24 * 3600),
    ROUTE_PATTERNS: opts.routePatterns,
    ...opts.env,
  });
  const logger = createLogger(config.logLevel, 'bench-consume');
  const bar = new SingleBar({
    format: `routemeter(${opts.workers}t) {bar} {percentage}% | {value}/{total} flushed | consumed {consumed}`,
    stream: process.stderr,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
  });
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpuSnapshot();
  let threads1: ThreadCpu | null = null;
  const started = performance.now();
  const running = await runRuntime(config, logger, { metricsPort: 0 });
  const partitions = [...opts.highs.keys()];
  const counter = (field: number) =>
    partitions.reduce((n, p) => n + running.supervisor.partitionCounters.get(p, field), 0);
  let firstRecordAt = 0;
  let doneAt = 0;
  let cpu = { user: 0, system: 0 };
  bar.start(opts.records, 0, { consumed: 0 });
  try {
    const deadline = started + opts.timeoutSeconds * 1000;
    while (performance.now() < deadline) {
      const consumed = counter(Field.records);
      if (firstRecordAt === 0 && consumed > 0) firstRecordAt = performance.now();
      const stored = new Map(
        (await readOffsets(opts.redis, prefix, opts.topic)).map((o) => [o.partition, o.nextOffset]),
      );
      let flushed = 0;
      let done = true;
      for (const [p, high] of opts.highs) {
        flushed += Number(stored.get(p) ?? 0);
        if (high !== '0' && stored.get(p) !== high) done = false;
      }
      bar.update(flushed, { consumed: fmtInt(consumed) });
      if (done) {
        doneAt = performance.now();
        cpu = process.cpuUsage(cpu0);
        threads1 = threadCpuSnapshot();
        break;
      }
      await sleep(50);
    }
  } finally {
    bar.stop();
  }
  const run: RoutemeterRun = {
    workers: opts.workers,
    seconds: (doneAt - started) / 1000,
    startupSeconds: (firstRecordAt - started) / 1000,
    records: counter(Field.records),
    bytes: counter(Field.bytes),
    storedShort: 0,
    storedRollup: 0,
    parseFailures: counter(Field.parseFailures),
    late: counter(Field.late),
    overflowed: counter(Field.overflowed),
    flushes: counter(Field.flushes),
    flushFailures: counter(Field.flushFailures),
    clean: false,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    workerCpuSeconds: busiestThreads(threads0, threads1, opts.workers) ?? Number.NaN,
  };
  if (process.env.BENCH_THREADS && threads0 && threads1) {
    const used = threadCpuUsed(threads0, threads1);
    process.stderr.write(`threads (s of CPU): ${used.map(([t, s]) => `${t}=${s.toFixed(2)}`).join(' ')}\n`);
  }
  run.clean = await running.stop();
  try {
    if (doneAt === 0)
      throw new Error(
        `routemeter(${opts.workers}t) did not flush everything within ${opts.timeoutSeconds} s`,
      );
    run.storedShort = await storedCount(opts.redis, prefix, config.runtime.windowSeconds);
    run.storedRollup = await storedCount(opts.redis, prefix, config.runtime.rollupSeconds);
  } finally {
    await deleteRedisPrefix(opts.redis, prefix);
    const left = await deleteGroups(opts.stack, await groupsWithPrefix(opts.stack, group));
    if (left.length > 0) process.stderr.write(`could not delete consumer groups: ${left.join(', ')}\n`);
  }
  return run;
}
