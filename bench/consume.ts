/**
 * bench/consume.ts: how fast the stream runtime turns a Kafka backlog of router
 * records into flushed aggregates in Redis, against references measured in the
 * same run on the same topic, plus the memory each active route costs.
 *
 * Setup (one machine, the local stack of `npm run stack up`; everything shares the
 * cores with the broker and Redis, so compare the ratios, not the absolutes):
 *   - topic `bench-consume-<records>-<partitions>` (default 2,000,000 records, 4
 *     partitions), filled once with realistic router lines from the seeded line
 *     generator (50 apps × 24 routes = 1,200 route shapes, Zipf-popular apps and
 *     routes, lognormal latencies, H-codes; ~300 B per line), exactly as the drain
 *     writes them: key = app host, murmur2 partitioning, the drain's three headers,
 *     codec none unless --codec. Event times advance 1 ms per line (the generator's
 *     clock: a 1,000 lines/s drain), so reading the backlog at full speed is a
 *     catch-up: a 1 s flush covers tens of seconds of event time. The topic is kept
 *     and reused while it holds exactly --records (Kafka's retention is 24 h here);
 *     --drop-topic deletes it at the end. --hot-app-shards k writes the busiest app's
 *     records as a drain with DRAIN_HOT_APPS=<that app>=k would (keys `host#s` from a
 *     hash of the path, on k partitions; topic suffix `-hot<k>`): keyed by app, it holds
 *     about half of all records on one partition, which bounds the two-thread scaling.
 *   - every measurement reads the whole topic from the earliest offset with a fresh
 *     consumer group (and a fresh Redis prefix where it writes); all of it is
 *     deleted afterwards:
 *     (a) routemeter end to end: `runRuntime` (supervisor, WORKER_THREADS worker
 *         threads, one kafkajs consumer per partition, route actors, atomic Lua
 *         flush every FLUSH_INTERVAL_MS=1000), timed from the call until Redis's
 *         stored next offset equals the high watermark on every partition (polled
 *         every 50 ms with readOffsets). Then the stored counts (10 s and 60 s
 *         windows) must add up to --records: nothing late, nothing lost. ROUTE_PATTERNS
 *         teaches the templater the generator's `:slug` and `:date` segments (the
 *         built-ins leave slugs alone, which makes ~100k "routes" of 1,200 and
 *         sends ~10% of the records to the per-app overflow route); --builtin-routes
 *         measures without them.
 *     (b) Kafka's Java ConsumerPerformance (same broker version): the ceiling.
 *     (c) one bare kafkajs consumer, eachBatch, parseRouterEvent into a reused event,
 *         discard: the client's ceiling in one thread.
 *     (c') the same decode-and-discard with routemeter's consumer layout: one
 *         consumer per partition (private group, pinned assigner, the runtime's
 *         fetch sizes) over N worker threads. a(N)/c'(N) isolates what routemeter
 *         adds (actors + Redis flushes) at the same thread count: the fairer
 *         reference for a(2) on 2 cores.
 *     (d) the seed talk's design: one consumer, eachMessage, HINCRBY + HGET + HSET
 *         awaited per record; the first --seed-records records or --seed-seconds.
 *   - memory per active route: a child `node --expose-gc` drives one
 *     PartitionAggregator through --mem-flushes flush intervals of
 *     --mem-per-flush of the same lines (bench/support/consume-route-memory.ts has
 *     the method), live (1 s of event time per flush) and catch-up (this topic's
 *     density).
 *   - time per record by phase (parse, record, drain, route samples, flush), one
 *     thread, no Kafka, partition 0's lines (bench/support/consume-breakdown.ts).
 *   - the machine is shared (the broker, Redis, other processes): each measurement is
 *     repeated --repeat times and the best counts (noise only slows runs down), with
 *     the range, the ratios within each round, and the CPU time per record of this
 *     process, which barely moves with background load. docs/benchmarks.md has results.
 *
 *   BENCH_THREADS=1 also prints each thread's CPU seconds of every (a) run (worker, main, V8 helpers).
 *
 *   npm run build && node dist/bench/consume.js [--records 2000000] [--partitions 4] [--workers 1,2] [--repeat 3]
 *
 * Ends with a summary block and one comparable line starting with `consume:`.
 * Goals (issue 9): a/b ≥ 0.5, a/c'(same threads) ≥ 1.5, a/d ≥ 20, ≤ 8 KB per active route,
 * ≤ 4 µs of CPU per record on the worker thread of a one-thread run (the whole process's
 * CPU, with the GC helper threads and the main thread, is printed next to it).
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Redis } from 'ioredis';
import type { CompressionName } from '../src/kafka/kafka-codecs.js';
import { bareKafkajs, bareKafkajsThreads } from './support/consume-bare.js';
import type { BreakdownResult } from './support/consume-breakdown.js';
import { consumerPerformance } from './support/consume-java.js';
import { ensurePreloaded } from './support/consume-preload.js';
import type { RouteMemoryResult } from './support/consume-route-memory.js';
import { measureRoutemeter, type RoutemeterRun } from './support/consume-routemeter.js';
import { type SeedRun, seedDesign } from './support/consume-seed.js';
import {
  deleteGroups,
  fmtInt,
  highWatermarks,
  stackEnv,
  uniqueName,
  withAdmin,
} from './support/consume-stack.js';
import { GENERATOR_ROUTE_PATTERNS } from './support/generator-route-patterns.js';

/** The fetch tunables of (a) from this process's environment (FETCH_PREFETCH=false … to compare). */
function fetchEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['FETCH_PREFETCH', 'FETCH_MAX_BYTES', 'FETCH_MAX_WAIT_MS', 'MAX_PENDING_BYTES']) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const MEASUREMENTS = ['a', 'b', 'c', "c'", 'd', 'mem', 'parts'] as const;
type Measurement = (typeof MEASUREMENTS)[number];

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const intList = (name: string) => (v: string) =>
  v
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => positiveInt(name)(s.trim()));

const program = new Command()
  .name('bench/consume')
  .description('routemeter runtime throughput vs ConsumerPerformance, bare kafkajs and the seed design')
  .option('--records <n>', 'records in the topic', positiveInt('--records'), 2_000_000)
  .option('--partitions <n>', 'partitions of the topic', positiveInt('--partitions'), 4)
  .option('--topic <name>', 'topic (default bench-consume-<records>-<partitions>[-<variant>])')
  .option('--drop-topic', 'delete the topic at the end', false)
  .option('--workers <list>', "WORKER_THREADS values for (a) and (c')", intList('--workers'), [1, 2])
  .option('--repeat <n>', "runs of (a), (b), (c), (c') each; the best counts", positiveInt('--repeat'), 1)
  .addOption(
    new Option('--codec <codec>', 'compression of the preloaded records')
      .choices(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
      .default('none'),
  )
  .option('--gen-seed <n>', 'line generator seed', positiveInt('--gen-seed'), 1)
  .option('--apps <n>', 'apps in the generator catalog', positiveInt('--apps'), 50)
  .option('--routes <n>', 'routes per app in the generator catalog', positiveInt('--routes'), 24)
  .option(
    '--lines-per-second <n>',
    'event-time density of the lines',
    positiveInt('--lines-per-second'),
    1000,
  )
  .option(
    '--hot-app-shards <n>',
    'spread the busiest app over n partitions (keys host#s, as DRAIN_HOT_APPS does); 0 = keyed by app',
    (v: string) => (v === '0' ? 0 : positiveInt('--hot-app-shards')(v)),
    0,
  )
  .option('--in-flight <n>', 'produce requests in flight while preloading', positiveInt('--in-flight'), 4)
  .option('--builtin-routes', 'no ROUTE_PATTERNS: only the built-in placeholders', false)
  .option('--flush-interval-ms <n>', 'FLUSH_INTERVAL_MS for (a)', positiveInt('--flush-interval-ms'), 1000)
  .option('--seed-records <n>', 'bound of (d), records', positiveInt('--seed-records'), 100_000)
  .option('--seed-seconds <n>', 'bound of (d), seconds', positiveInt('--seed-seconds'), 30)
  .option(
    '--mem-per-flush <n>',
    'records per flush interval in the memory measurement',
    positiveInt('--mem-per-flush'),
    25_000,
  )
  .option('--mem-flushes <n>', 'flush intervals in the memory measurement', positiveInt('--mem-flushes'), 10)
  .option(
    '--parts-per-flush <n>',
    'records per flush interval in the time breakdown',
    positiveInt('--parts-per-flush'),
    35_000,
  )
  .option('--parts-flushes <n>', 'flush intervals in the time breakdown', positiveInt('--parts-flushes'), 10)
  .option('--skip <list>', `measurements to skip, of ${MEASUREMENTS.join(',')}`, (v) => v.split(','), [])
  .option('--timeout <seconds>', 'limit per measurement', positiveInt('--timeout'), 900)
  .parse();

const o = program.opts<{
  records: number;
  partitions: number;
  topic?: string;
  dropTopic: boolean;
  workers: number[];
  repeat: number;
  codec: CompressionName;
  genSeed: number;
  apps: number;
  routes: number;
  linesPerSecond: number;
  inFlight: number;
  hotAppShards: number;
  builtinRoutes: boolean;
  flushIntervalMs: number;
  seedRecords: number;
  seedSeconds: number;
  memPerFlush: number;
  memFlushes: number;
  partsPerFlush: number;
  partsFlushes: number;
  skip: string[];
  timeout: number;
}>();
for (const s of o.skip) {
  if (!(MEASUREMENTS as readonly string[]).includes(s)) program.error(`--skip: unknown measurement ${s}`);
}
const runs = (m: Measurement) => !o.skip.includes(m);

const variant = [
  o.codec !== 'none' ? o.codec : '',
  o.genSeed !== 1 ? `s${o.genSeed}` : '',
  o.apps !== 50 || o.routes !== 24 ? `${o.apps}x${o.routes}` : '',
  o.linesPerSecond !== 1000 ? `${o.linesPerSecond}lps` : '',
  o.hotAppShards > 0 ? `hot${o.hotAppShards}` : '',
]
  .filter(Boolean)
  .join('-');
const topic = o.topic ?? `bench-consume-${o.records}-${o.partitions}${variant ? `-${variant}` : ''}`;
const routePatterns = o.builtinRoutes ? '' : GENERATOR_ROUTE_PATTERNS;
const stack = stackEnv();
const cores = availableParallelism();

const rate = (records: number, seconds: number) => records / seconds;
const mb = (bytes: number, seconds: number) => bytes / 2 ** 20 / seconds;

console.log(
  `setup: topic ${topic}: ${fmtInt(o.records)} router records, ${o.partitions} partitions, codec ${o.codec}, ` +
    `${o.apps} apps × ${o.routes} routes (seed ${o.genSeed}), ${o.linesPerSecond} lines/s of event time; ` +
    `Kafka ${stack.kafkaVersion}, ${cores} cores; route patterns: ${routePatterns ? 'generator :slug/:date' : 'built-in only'}` +
    (o.hotAppShards > 0
      ? `; busiest app spread over ${o.hotAppShards} partitions (DRAIN_HOT_APPS keys host#s)`
      : ''),
);

const pre = await ensurePreloaded({
  stack,
  topic,
  records: o.records,
  partitions: o.partitions,
  codec: o.codec,
  seed: o.genSeed,
  apps: o.apps,
  routes: o.routes,
  linesPerSecond: o.linesPerSecond,
  inFlight: o.inFlight,
  hotAppShards: o.hotAppShards,
});
const perPartition = pre.perPartition.map((n) => `${((100 * n) / o.records).toFixed(0)}%`).join(' ');
console.log(
  pre.reused
    ? `preload: reused ${topic} (records per partition ${perPartition})`
    : `preload: ${fmtInt(o.records)} records in ${pre.seconds.toFixed(1)} s ` +
        `(${fmtInt(rate(o.records, pre.seconds))} rec/s; records per partition ${perPartition})`,
);
const highs = await highWatermarks(stack, topic);

const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 2 });

/** One measured run: throughput over the whole run and the CPU this process (or the JVM) spent on it. */
interface Sample {
  round: number;
  msgPerSec: number;
  mbPerSec: number;
  cpuUsPerRecord: number;
  /** (a) only: CPU of the worker threads themselves per record (thread-cpu.ts) */
  workerCpuUsPerRecord?: number;
}
const samples = new Map<string, Sample[]>();
let round = 0;
const keep = (key: string, sample: Omit<Sample, 'round'>) =>
  samples.set(key, [...(samples.get(key) ?? []), { ...sample, round }]);
const rmRuns: RoutemeterRun[] = [];
let seed: SeedRun | null = null;
let memory: RouteMemoryResult | null = null;
let parts: BreakdownResult | null = null;
let valueBytes = Number.NaN;
const problems: string[] = [];
const cpuUs = (cpuSeconds: number, records: number) => (cpuSeconds * 1e6) / records;

try {
  for (let r = 0; r < o.repeat; r++) {
    round = r;
    if (o.repeat > 1) console.log(`── round ${r + 1} of ${o.repeat}`);
    if (runs('a')) {
      for (const workers of o.workers) {
        const run = await measureRoutemeter({
          stack,
          redis,
          topic,
          partitions: o.partitions,
          records: o.records,
          highs,
          workers,
          routePatterns,
          flushIntervalMs: o.flushIntervalMs,
          timeoutSeconds: o.timeout,
          env: fetchEnv(),
        });
        rmRuns.push(run);
        valueBytes = run.bytes;
        keep(`a${workers}`, {
          msgPerSec: rate(o.records, run.seconds),
          mbPerSec: mb(run.bytes, run.seconds),
          cpuUsPerRecord: cpuUs(run.cpuSeconds, o.records),
          workerCpuUsPerRecord: cpuUs(run.workerCpuSeconds, o.records),
        });
        const sane =
          run.storedShort === o.records && run.storedRollup === o.records && run.records === o.records;
        if (!sane) {
          problems.push(
            `routemeter(${workers}t): consumed ${fmtInt(run.records)}, stored ${fmtInt(run.storedShort)} (10 s) / ` +
              `${fmtInt(run.storedRollup)} (60 s), expected ${fmtInt(o.records)}`,
          );
        }
        console.log(
          `(a) routemeter, ${workers} worker thread(s): ${fmtInt(rate(o.records, run.seconds))} msg/s ` +
            `${mb(run.bytes, run.seconds).toFixed(1)} MB/s; ${run.seconds.toFixed(1)} s from start to the last flush ` +
            `(startup ${run.startupSeconds.toFixed(1)} s; after it ${fmtInt(rate(o.records, run.seconds - run.startupSeconds))} msg/s); ` +
            `${cpuUs(run.cpuSeconds, o.records).toFixed(1)} µs CPU/record (worker thread${workers > 1 ? 's' : ''} ` +
            `${cpuUs(run.workerCpuSeconds, o.records).toFixed(1)}, the rest main thread, GC helpers, libuv); ${run.flushes} flushes; ` +
            `stored ${sane ? '= records ✓' : '≠ records ✗'}; late ${run.late}, overflowed ${fmtInt(run.overflowed)}, ` +
            `parse failures ${run.parseFailures}, flush failures ${run.flushFailures}${run.clean ? '' : '; shutdown not clean'}`,
        );
      }
    }
    if (runs('b')) {
      const group = uniqueName('bench-consume-java');
      try {
        const j = await consumerPerformance(stack, topic, o.records, group);
        keep('b', {
          msgPerSec: j.msgPerSec,
          mbPerSec: Number.NaN, // filled in from the value bytes below
          cpuUsPerRecord: cpuUs(j.cpuSeconds, o.records),
        });
        console.log(
          `(b) ConsumerPerformance: ${fmtInt(j.msgPerSec)} msg/s ${j.mbPerSec.toFixed(1)} MB/s (its MB: keys + values) ` +
            `incl. ${j.rebalanceMs} ms group join; ${fmtInt(j.fetchMsgPerSec)} msg/s fetching; ` +
            `${j.wallSeconds.toFixed(1)} s wall with JVM start; ≈${cpuUs(j.cpuSeconds, o.records).toFixed(1)} µs CPU/record (JVM)`,
        );
      } finally {
        await deleteGroups(stack, [group]);
      }
    }
    if (runs('c')) {
      const c = await bareKafkajs(stack, topic, o.records, o.timeout);
      valueBytes = c.bytes;
      keep('c', {
        msgPerSec: rate(c.records, c.seconds),
        mbPerSec: mb(c.bytes, c.seconds),
        cpuUsPerRecord: cpuUs(c.cpuSeconds, c.records),
      });
      console.log(
        `(c) kafkajs bare, 1 consumer, 1 thread: ${fmtInt(rate(c.records, c.seconds))} msg/s ` +
          `${mb(c.bytes, c.seconds).toFixed(1)} MB/s; ${c.seconds.toFixed(1)} s (startup ${c.startupSeconds.toFixed(1)} s); ` +
          `${cpuUs(c.cpuSeconds, c.records).toFixed(1)} µs CPU/record; parse failures ${c.parseFailures}`,
      );
    }
    if (runs("c'")) {
      for (const threads of o.workers) {
        const c = await bareKafkajsThreads(stack, topic, o.partitions, threads, o.records, o.timeout);
        valueBytes = c.bytes;
        keep(`c'${threads}`, {
          msgPerSec: rate(c.records, c.seconds),
          mbPerSec: mb(c.bytes, c.seconds),
          cpuUsPerRecord: cpuUs(c.cpuSeconds, c.records),
        });
        console.log(
          `(c') kafkajs bare, 1 consumer/partition, ${threads} thread(s): ${fmtInt(rate(c.records, c.seconds))} msg/s ` +
            `${mb(c.bytes, c.seconds).toFixed(1)} MB/s; ${c.seconds.toFixed(1)} s (startup ${c.startupSeconds.toFixed(1)} s); ` +
            `${cpuUs(c.cpuSeconds, c.records).toFixed(1)} µs CPU/record; parse failures ${c.parseFailures}`,
        );
      }
    }
  }
  if (runs('d')) {
    seed = await seedDesign(stack, topic, o.seedRecords, o.seedSeconds, JSON.parse(routePatterns || '[]'));
    keep('d', {
      msgPerSec: rate(seed.records, seed.seconds),
      mbPerSec: mb(seed.bytes, seed.seconds),
      cpuUsPerRecord: Number.NaN,
    });
    console.log(
      `(d) seed design, 3 awaited Redis round trips per record: ${fmtInt(rate(seed.records, seed.seconds))} msg/s ` +
        `${mb(seed.bytes, seed.seconds).toFixed(2)} MB/s over the first ${fmtInt(seed.records)} records ` +
        `(${seed.seconds.toFixed(1)} s, ${fmtInt(seed.routes)} routes)`,
    );
  }
  if (runs('mem')) {
    const script = fileURLToPath(new URL('./support/consume-route-memory.js', import.meta.url));
    const args = {
      seed: o.genSeed,
      apps: o.apps,
      routes: o.routes,
      linesPerSecond: o.linesPerSecond,
      perFlush: o.memPerFlush,
      flushes: o.memFlushes,
      routePatterns,
    };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', script, JSON.stringify(args)],
      {
        maxBuffer: 1 << 20,
      },
    );
    memory = JSON.parse(stdout) as RouteMemoryResult;
    const m = memory;
    console.log(
      `memory: ${(m.live.bytesPerRoute / 1024).toFixed(2)} KB per active route live ` +
        `(${fmtInt(m.live.activeRoutes)} routes, ${m.live.windowsPerRoute.toFixed(1)} window/route; aggregator's estimate ` +
        `${(m.live.estimatePerRoute / 1024).toFixed(2)} KB); ${(m.catchUp.bytesPerRoute / 1024).toFixed(2)} KB catching up ` +
        `(${fmtInt(m.catchUp.activeRoutes)} routes, ${m.catchUp.windowsPerRoute.toFixed(1)} windows/route; estimate ` +
        `${(m.catchUp.estimatePerRoute / 1024).toFixed(2)} KB); ${fmtInt(o.memPerFlush)} records per flush × ${o.memFlushes}`,
    );
  }
  if (runs('parts')) {
    const script = fileURLToPath(new URL('./support/consume-breakdown.js', import.meta.url));
    const args = {
      redisUrl: stack.redisUrl,
      seed: o.genSeed,
      apps: o.apps,
      routes: o.routes,
      linesPerSecond: o.linesPerSecond,
      partitions: o.partitions,
      perFlush: o.partsPerFlush,
      flushes: o.partsFlushes,
      routePatterns,
    };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', script, JSON.stringify(args)],
      { maxBuffer: 1 << 20 },
    );
    parts = JSON.parse(stdout) as BreakdownResult;
    console.log(`breakdown: ${breakdownLine(parts)}`);
  }
} finally {
  await redis.quit();
  if (o.dropTopic) {
    await withAdmin(stack, (admin) => admin.deleteTopics({ topics: [topic], timeout: 30_000 }));
    console.log(`dropped topic ${topic}`);
  }
}

function breakdownLine(p: BreakdownResult): string {
  const sum = p.parse + p.record + p.drain + p.samples + p.flush;
  return (
    `parse ${p.parse.toFixed(2)} + record ${p.record.toFixed(2)} + drain ${p.drain.toFixed(2)} + ` +
    `route samples ${p.samples.toFixed(2)} + flush ${p.flush.toFixed(2)} (of which encode ${p.encode.toFixed(2)}) ` +
    `= ${sum.toFixed(2)} µs/record on one thread without Kafka (partition 0's lines, ${fmtInt(o.partsPerFlush)} per flush: ` +
    `${fmtInt(p.deltasPerFlush)} deltas, ${fmtInt(p.activeRoutes)} routes, ${p.flushMs.toFixed(0)} ms per flush call)`
  );
}

// ── summary: the best run of each measurement (the machine is shared: noise only slows runs down) ──
const avgValue = valueBytes / o.records;
for (const s of samples.get('b') ?? []) s.mbPerSec = (s.msgPerSec * avgValue) / 2 ** 20;
const bestOf = (key: string): Sample | null => {
  const xs = samples.get(key);
  return xs && xs.length > 0 ? xs.reduce((x, y) => (y.msgPerSec > x.msgPerSec ? y : x)) : null;
};
const msgRate = (key: string) => bestOf(key)?.msgPerSec ?? Number.NaN;
const b = msgRate('b');
const c = msgRate('c');
const d = msgRate('d');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const msgs = (x: number) => (Number.isFinite(x) ? fmtInt(x) : 'n/a');
const line = (label: string, key: string, extra = '') => {
  const s = bestOf(key);
  if (!s) return;
  const all = samples.get(key)!;
  const spread =
    all.length > 1
      ? `[${fmtInt(Math.min(...all.map((x) => x.msgPerSec)))}–${fmtInt(Math.max(...all.map((x) => x.msgPerSec)))}] `
      : '';
  const workerCpu =
    s.workerCpuUsPerRecord !== undefined && Number.isFinite(s.workerCpuUsPerRecord)
      ? ` (workers ${s.workerCpuUsPerRecord.toFixed(1)})`
      : '';
  const cpu = Number.isFinite(s.cpuUsPerRecord)
    ? `${s.cpuUsPerRecord.toFixed(1)} µs CPU/rec${workerCpu}  `
    : '';
  console.log(
    `${label.padEnd(44)} ${`${msgs(s.msgPerSec)} msg/s`.padEnd(15)} ${`${f1(s.mbPerSec)} MB/s`.padEnd(10)} ${spread}${cpu}${extra}`,
  );
};

console.log('');
console.log(
  `── summary: ${fmtInt(o.records)} records (${f1(valueBytes / 2 ** 20)} MB of values, ${f1(avgValue)} B avg), ` +
    `${o.partitions} partitions, codec ${o.codec}; Kafka ${stack.kafkaVersion}; ${cores} cores; ` +
    `best of ${o.repeat} [range]; MB = 2^20 B of values ──`,
);
for (const workers of o.workers) {
  const a = msgRate(`a${workers}`);
  line(
    `(a) routemeter, ${workers} thread${workers > 1 ? 's' : ''}`,
    `a${workers}`,
    `a/b ${f2(a / b)}  a/c ${f2(a / c)}  a/c'(${workers}t) ${f2(a / msgRate(`c'${workers}`))}  a/d ${f1(a / d)}`,
  );
}
line('(b) ConsumerPerformance (Java)', 'b', '(CPU: the JVM, JIT and start included)');
line('(c) kafkajs bare, 1 consumer', 'c');
for (const threads of o.workers) line(`(c') kafkajs bare, consumer/partition, ${threads}t`, `c'${threads}`);
if (seed) line(`(d) seed design (first ${fmtInt(seed.records)})`, 'd');
if (memory) {
  console.log(
    `${'memory per active route'.padEnd(44)} ${(memory.live.bytesPerRoute / 1024).toFixed(2)} KB live ` +
      `(1 window/route), ${(memory.catchUp.bytesPerRoute / 1024).toFixed(2)} KB catching up ` +
      `(${memory.catchUp.windowsPerRoute.toFixed(1)} windows/route)`,
  );
}
if (parts) console.log(`${'time per record (breakdown)'.padEnd(44)} ${breakdownLine(parts)}`);
const aKeys = o.workers.map((w) => `a${w}`).filter((k) => bestOf(k) !== null);
if (aKeys.length > 0) {
  const bestKey = aKeys.reduce((x, y) => (msgRate(y) > msgRate(x) ? y : x));
  const threads = Number(bestKey.slice(1));
  const a = bestOf(bestKey)!;
  const kb = memory ? memory.live.bytesPerRoute / 1024 : Number.NaN;
  const goal = (x: number, ok: boolean) => (Number.isFinite(x) ? (ok ? 'met' : 'MISSED') : 'not measured');
  const ab = a.msgPerSec / b;
  const ac = a.msgPerSec / c;
  const ad = a.msgPerSec / d;
  if (o.repeat > 1) {
    // the same ratios within each round, where all measurements met similar background load
    const inRound = (key: string, r: number) =>
      samples.get(key)?.find((x) => x.round === r)?.msgPerSec ?? Number.NaN;
    const perRound = (ref: string) => {
      const xs = Array.from({ length: o.repeat }, (_, r) => inRound(bestKey, r) / inRound(ref, r));
      const ok = xs.filter(Number.isFinite).sort((x, y) => x - y);
      const median = ok.length > 0 ? ok[Math.floor((ok.length - 1) / 2)]! : Number.NaN;
      return `${xs.map(f2).join(' ')} (median ${f2(median)})`;
    };
    console.log(
      `per round (a = ${threads}t): a/b ${perRound('b')}; a/c ${perRound('c')}; a/c'(${threads}t) ${perRound(`c'${threads}`)}`,
    );
  }
  // a/c' compares the same thread count; the CPU goal is one worker thread's (a1).
  const acp = a.msgPerSec / msgRate(`c'${threads}`);
  const one = bestOf('a1');
  const cpuOne = one?.cpuUsPerRecord ?? Number.NaN;
  const workerOne = one?.workerCpuUsPerRecord ?? Number.NaN;
  console.log(
    `goals (best a = ${threads} thread${threads > 1 ? 's' : ''}): a/b ${f2(ab)} ≥ 0.5 ${goal(ab, ab >= 0.5)}; ` +
      `a/c'(${threads}t) ${f2(acp)} ≥ 1.5 ${goal(acp, acp >= 1.5)}; a/d ${f1(ad)} ≥ 20 ${goal(ad, ad >= 20)}; ` +
      `${f2(kb)} KB/route ≤ 8 ${goal(kb, kb <= 8)}; 1 thread: ${f1(workerOne)} µs CPU/record on the worker thread ` +
      `(${f1(cpuOne)} for the whole process) ≤ 4 ${goal(workerOne, workerOne <= 4)}`,
  );
  console.log(
    `consume: routemeter(${threads} thread${threads > 1 ? 's' : ''}) ${msgs(a.msgPerSec)} msg/s ${f1(a.mbPerSec)} MB/s | ` +
      `ConsumerPerformance ${msgs(b)} | kafkajs bare ${msgs(c)} | seed ${msgs(d)} | ` +
      `a/b ${f2(ab)} a/c ${f2(ac)} a/d ${f1(ad)} | ${f1(kb)} KB/route`,
  );
}
for (const p of problems) console.log(`SANITY CHECK FAILED: ${p}`);
process.exit(problems.length > 0 ? 1 : 0);
