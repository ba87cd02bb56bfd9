/**
 * bench/catch-up-memory.ts: peak memory of `routemeter run` while it catches up a
 * Kafka backlog, with this branch's bounds against the seed's fetch sizes,
 * measured in the same run on the same topic.
 *
 * Setup (the local stack of `npm run stack up`; one shared machine):
 *   - topic `bench-catchup-<records>-<partitions>-<codec>` (default 2,000,000 router
 *     records, 6 partitions = TOPIC_PARTITIONS' default, gzip = the drain's default
 *     codec), filled once like bench/consume.ts does (realistic lines, keyed by app,
 *     the drain's headers) and reused while it holds exactly --records.
 *   - each round starts `node dist/src/cli/main.js run` as a child process (so its RSS
 *     is the runtime's alone) with WORKER_THREADS=--workers, a fresh consumer group
 *     and Redis prefix, and waits until Redis's stored next offset equals the high
 *     watermark on every partition. Peak RSS is the child's VmHWM from
 *     /proc/<pid>/status (the kernel's high-water mark of the resident set, all
 *     threads), read just before the child gets SIGTERM. Then the stored 60 s counts
 *     must add up to --records (nothing lost or doubled while memory was bounded).
 *     (new) the defaults: FETCH_MAX_BYTES=1 MiB per partition, MAX_PENDING_BYTES
 *           = 64 MiB per worker, WORKER_MAX_HEAP_MB=160 per worker thread
 *     (old) the seed's settings: 4 MiB per partition fetch (8 MiB per consumer in the
 *           seed; one partition per consumer, so 4 MiB), no pending-bytes bound, no
 *           heap cap
 *   - the goal: (new) peak RSS under 512 MB (a 512 MB container, default WORKER_THREADS).
 *
 *   npm run build && node dist/bench/catch-up-memory.js [--records 2000000] [--partitions 6] [--workers 2] [--skip-old]
 *
 * Ends with one comparable line starting with `catch-up-memory:`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { Redis } from 'ioredis';
import type { CompressionName } from '../src/kafka/kafka-codecs.js';
import { readOffsets } from '../src/sinks/redis/read-offsets.js';
import { ensurePreloaded } from './support/consume-preload.js';
import {
  deleteGroups,
  deleteRedisPrefix,
  fmtInt,
  groupsWithPrefix,
  highWatermarks,
  ROOT,
  type Stack,
  sleep,
  stackEnv,
  uniqueName,
} from './support/consume-stack.js';
import { GENERATOR_ROUTE_PATTERNS } from './support/generator-route-patterns.js';
import { storedCount } from './support/stored-count.js';

const o = new Command()
  .name('bench/catch-up-memory')
  .option('--records <n>', 'records in the backlog', (v) => Number(v.replace(/_/g, '')), 2_000_000)
  .option('--partitions <n>', 'partitions of the topic', Number, 6)
  .option('--workers <n>', 'WORKER_THREADS', Number, 2)
  .addOption(
    new Option('--codec <codec>', 'compression of the backlog')
      .choices(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
      .default('gzip'),
  )
  .option('--skip-old', 'measure only the new settings', false)
  .option(
    '--set <KEY=VALUE>',
    'extra environment for the new round (repeatable), e.g. WORKER_MAX_HEAP_MB=96',
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .option('--timeout <s>', 'per round', Number, 900)
  .parse()
  .opts<{
    records: number;
    partitions: number;
    workers: number;
    codec: CompressionName;
    skipOld: boolean;
    set: string[];
    timeout: number;
  }>();

interface Round {
  name: string;
  peakRssMb: number;
  seconds: number;
  stored: number;
  exitCode: number | null;
}

function vmHwmMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function round(
  stack: Stack,
  redis: Redis,
  topic: string,
  name: string,
  env: Record<string, string>,
): Promise<Round> {
  const group = uniqueName(`bench-catchup-${name}`);
  const prefix = `${uniqueName('bench-catchup')}:`;
  const highs = await highWatermarks(stack, topic);
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'run'], {
    env: {
      PATH: process.env.PATH,
      KAFKA_URL: stack.kafkaUrl,
      REDIS_URL: stack.redisUrl,
      ROUTER_TOPIC: topic,
      PLATFORM_TOPIC: '',
      TOPIC_PARTITIONS: String(o.partitions),
      CONSUMER_GROUP: group,
      REDIS_PREFIX: prefix,
      WORKER_THREADS: String(o.workers),
      METRICS_PORT: '0',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ALLOWED_LATENESS_SECONDS: String(10 * 365 * 24 * 3600),
      ROUTE_PATTERNS: GENERATOR_ROUTE_PATTERNS,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exitCode: number | null = null;
  child.on('exit', (code) => {
    exitCode = code ?? -1;
  });
  let peak = 0;
  let seconds = Number.NaN;
  try {
    const deadline = started + o.timeout * 1000;
    while (performance.now() < deadline && exitCode === null) {
      peak = Math.max(peak, vmHwmMb(child.pid!));
      const stored = new Map(
        (await readOffsets(redis, prefix, topic)).map((x) => [x.partition, x.nextOffset]),
      );
      if ([...highs].every(([p, high]) => high === '0' || stored.get(p) === high)) {
        seconds = (performance.now() - started) / 1000;
        break;
      }
      await sleep(200);
    }
    if (exitCode === null) peak = Math.max(peak, vmHwmMb(child.pid!));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (exitCode !== null ? r(null) : child.once('exit', r)));
  }
  const stored = await storedCount(redis, prefix, 60);
  await deleteRedisPrefix(redis, prefix);
  await deleteGroups(stack, await groupsWithPrefix(stack, group));
  const r = { name, peakRssMb: peak, seconds, stored, exitCode };
  process.stderr.write(`${JSON.stringify(r)}\n`);
  return r;
}

const stack = stackEnv();
const topic = `bench-catchup-${o.records}-${o.partitions}-${o.codec}`;
const pre = await ensurePreloaded({
  stack,
  topic,
  records: o.records,
  partitions: o.partitions,
  codec: o.codec,
  seed: 1,
  apps: 50,
  routes: 24,
  linesPerSecond: 1000,
  inFlight: 4,
});
process.stderr.write(
  `topic ${topic}: ${pre.reused ? 'reused' : `preloaded in ${pre.seconds.toFixed(1)} s`}, per partition ${pre.perPartition.join(', ')}\n`,
);
const redis = new Redis(stack.redisUrl);
const extra = Object.fromEntries(
  o.set.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const fresh = await round(stack, redis, topic, o.set.length > 0 ? `new(${o.set.join(' ')})` : 'new', extra);
const old = o.skipOld
  ? null
  : await round(stack, redis, topic, 'old', {
      FETCH_MAX_BYTES: String(4 * 1024 * 1024),
      MAX_PENDING_BYTES: String(64 * 1024 * 1024 * 1024),
      WORKER_MAX_HEAP_MB: '0',
    });
redis.disconnect();
const line = (r: Round) =>
  Number.isNaN(r.seconds)
    ? `${r.name}: peak RSS ${r.peakRssMb.toFixed(0)} MB, NOT caught up within ${o.timeout} s (stored ${fmtInt(r.stored)} so far)`
    : `${r.name}: peak RSS ${r.peakRssMb.toFixed(0)} MB, caught up in ${r.seconds.toFixed(1)} s, stored ${fmtInt(r.stored)}/${fmtInt(o.records)}${r.stored === o.records ? ' exact' : ' MISMATCH'}`;
process.stdout.write(
  `catch-up-memory: ${fmtInt(o.records)} records ${o.codec}, ${o.partitions} partitions, ${o.workers} workers | ${line(fresh)} (goal < 512 MB)` +
    (old ? ` | ${line(old)} | new/old RSS ${(fresh.peakRssMb / old.peakRssMb).toFixed(2)}` : '') +
    '\n',
);
