/**
 * bench/fleet.ts: a fleet of `routemeter run` processes in one consumer group, measured.
 *
 * Setup (one machine, the local Kafka of `npm run stack up`; 2 shared cores, so the
 * absolute rate cannot grow with processes: compare CPU per record and the times):
 *   - topic `bench-fleet-<records>-<partitions>` (default 600,000 records, 12 partitions),
 *     filled once with the consume bench's realistic router lines (key = app host, Zipf
 *     apps, so partitions are uneven) and reused while it holds exactly --records.
 *   - a private redis-server on a free port (its CPU is then ours alone: `INFO cpu`
 *     before and after each run gives Redis CPU per record); --redis-url uses another.
 *   - for N in --procs (1, 2, 3): N child processes `node dist/src/cli/main.js run`
 *     (WORKER_THREADS=--workers, FLUSH_INTERVAL_MS=1000, fresh group and key prefix),
 *     all spawned at once; polled every 100 ms with readOffsets:
 *       first    spawn → the first flush of any partition
 *       flowing  spawn → every partition has flushed once (group formed, rebalances
 *                done, every partition claimed by its final owner's thread): the
 *                rebalance cost of a cold start
 *       done     spawn → every stored offset equals the high watermark
 *       rate     records / (done − first): throughput of the whole fleet
 *       CPU/rec  the children's user+system CPU (/proc/<pid>/stat, threads included)
 *                at `done`, divided by the records; Redis CPU/rec likewise
 *       startup  the children's CPU until the first flush (node, kafkajs, group joins):
 *                a fixed cost per process that 600 K records do not amortise; `after`
 *                is the CPU per record from the first flush to `done`
 *       claims   sum of the partitions' claim epochs: 12 when no partition changed hands
 *       peak RSS the largest VmHWM of one process
 *     then SIGTERM, and the exactness check: the stored 60 s counts add up to --records.
 *   - steady lag (for KEDA's lagThreshold): a fresh topic with the same partitions, a
 *     fleet of --lag-procs processes, and a producer at --lag-rate lines/s for
 *     --lag-seconds; every second, the fleet group's committed offsets (what KEDA's
 *     Kafka scaler reads) and Redis's stored offsets against the high watermarks.
 *     Sampling starts 5 s after every partition has a committed offset (warm-up).
 *
 *   npm run build && node dist/bench/fleet.js [--records 600000] [--procs 1,2,3] [--workers 2]
 *
 * Ends with a table and one line starting with `fleet:`: CPU per record of N processes
 * relative to one process (1.00 = no fleet overhead).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Redis } from 'ioredis';
import { createLineGenerator } from '../src/gen/line-generator.js';
import { readOffsets } from '../src/sinks/redis/read-offsets.js';
import { ensurePreloaded } from './support/consume-preload.js';
import {
  benchKafka,
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
  withAdmin,
} from './support/consume-stack.js';
import { bytesPerRouteWindow, storedCount } from './support/stored-count.js';

const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU in 1/100 s

/** The generator's `:slug` and `:date` path segments (as in bench/consume.ts). */
const ROUTE_PATTERNS = JSON.stringify([
  { pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: ':date' },
  { pattern: '[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\\d{1,3}', placeholder: ':slug' },
]);

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

const o = new Command()
  .option('--records <n>', 'records in the topic', positiveInt('--records'), 600_000)
  .option('--partitions <n>', 'partitions', positiveInt('--partitions'), 12)
  .option('--procs <list>', 'fleet sizes', (v) => v.split(',').map(positiveInt('--procs')), [1, 2, 3])
  .option('--workers <n>', 'WORKER_THREADS per process', positiveInt('--workers'), 2)
  .option('--lag-procs <n>', 'processes during the steady-lag run (0 = skip it)', Number, 2)
  .option('--lag-rate <n>', 'lines/s produced during the steady-lag run', positiveInt('--lag-rate'), 2000)
  .option('--lag-seconds <n>', 'length of the steady-lag run after warm-up', positiveInt('--lag-seconds'), 60)
  .option('--redis-url <url>', 'use this Redis instead of a private one')
  .parse()
  .opts<{
    records: number;
    partitions: number;
    procs: number[];
    workers: number;
    lagProcs: number;
    lagRate: number;
    lagSeconds: number;
    redisUrl?: string;
  }>();

interface FleetRun {
  procs: number;
  firstMs: number;
  ownedMs: number;
  startupCpuSeconds: number;
  cpuUsPerRecordAfter: number;
  doneMs: number;
  rate: number;
  cpuUsPerRecord: number;
  redisCpuUsPerRecord: number;
  claims: number;
  peakRssMb: number;
  stored: number;
  /** Redis bytes per (route, window) at the 10 s and 60 s resolutions */
  bytesPerRouteWindow: [number, number];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function privateRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      break;
    } catch {
      if (i > 50) throw new Error(`redis-server on ${port} did not start`);
      await sleep(100);
    }
  }
  probe.disconnect();
  // never leave it behind, also when the bench is interrupted
  process.once('exit', () => child.kill('SIGTERM'));
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
}

function peakRssMb(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return get('used_cpu_sys') + get('used_cpu_user');
}

function startFleet(stack: Stack, redisUrl: string, topic: string, group: string, prefix: string, n: number) {
  const env = {
    PATH: process.env.PATH,
    KAFKA_URL: stack.kafkaUrl,
    REDIS_URL: redisUrl,
    ROUTER_TOPIC: topic,
    PLATFORM_TOPIC: '',
    TOPIC_PARTITIONS: String(o.partitions),
    CONSUMER_GROUP: group,
    REDIS_PREFIX: prefix,
    WORKER_THREADS: String(o.workers),
    METRICS_PORT: '0',
    ROUTE_PATTERNS,
    ALLOWED_LATENESS_SECONDS: String(3 * 365 * 86_400),
    LOG_LEVEL: 'warn',
  };
  return Array.from({ length: n }, () => {
    const child = spawn(process.execPath, [MAIN, 'run'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
  });
}

/** run processes still alive: killed if the bench exits early */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

async function stopFleet(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const kill = setTimeout(() => c.kill('SIGKILL'), 30_000);
          c.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
}

async function runFleet(
  stack: Stack,
  redis: Redis,
  redisUrl: string,
  topic: string,
  n: number,
): Promise<FleetRun> {
  const group = uniqueName('bench-fleet');
  const prefix = `${uniqueName('bench-fleet')}:`;
  const highs = await highWatermarks(stack, topic);
  const redisCpu0 = await redisCpu(redis);
  const t0 = performance.now();
  const children = startFleet(stack, redisUrl, topic, group, prefix, n);
  let firstMs = 0;
  let cpuAtFirst = 0;
  let storedAtFirst = 0;
  let ownedMs = 0;
  let doneMs = 0;
  try {
    for (;;) {
      await sleep(100);
      for (const c of children)
        if (c.exitCode !== null) throw new Error(`a run process exited (${c.exitCode})`);
      const stored = await readOffsets(redis, prefix, topic);
      const flowing = stored.filter((s) => s.nextOffset !== null).length;
      if (firstMs === 0 && stored.some((s) => Number(s.nextOffset ?? 0) > 0)) {
        firstMs = performance.now() - t0;
        cpuAtFirst = children.reduce((a, c) => a + cpuSeconds(c.pid!), 0);
        storedAtFirst = stored.reduce((a, s) => a + Number(s.nextOffset ?? 0), 0);
      }
      if (ownedMs === 0 && flowing === highs.size) ownedMs = performance.now() - t0;
      const done = [...highs].every(
        ([p, high]) => high === '0' || stored.find((s) => s.partition === p)?.nextOffset === high,
      );
      if (done) {
        doneMs = performance.now() - t0;
        break;
      }
      if (performance.now() - t0 > 600_000) throw new Error('fleet did not finish within 10 minutes');
    }
    const cpu = children.reduce((a, c) => a + cpuSeconds(c.pid!), 0);
    const redisCpuUsed = (await redisCpu(redis)) - redisCpu0;
    const rss = Math.max(...children.map((c) => peakRssMb(c.pid!)));
    const claims = (await readOffsets(redis, prefix, topic)).reduce((a, s) => a + s.epoch, 0);
    await stopFleet(children);
    const stored = await storedCount(redis, prefix, 60);
    const short = await bytesPerRouteWindow(redis, prefix, 10);
    const rollup = await bytesPerRouteWindow(redis, prefix, 60);
    return {
      procs: n,
      firstMs,
      ownedMs,
      startupCpuSeconds: cpuAtFirst,
      cpuUsPerRecordAfter: ((cpu - cpuAtFirst) * 1e6) / (o.records - storedAtFirst),
      doneMs,
      rate: o.records / ((doneMs - firstMs) / 1000),
      cpuUsPerRecord: (cpu * 1e6) / o.records,
      redisCpuUsPerRecord: (redisCpuUsed * 1e6) / o.records,
      claims,
      peakRssMb: rss,
      stored,
      bytesPerRouteWindow: [short.bytes / short.routeWindows, rollup.bytes / rollup.routeWindows],
    };
  } finally {
    await stopFleet(children);
    await deleteRedisPrefix(redis, prefix);
    await deleteGroups(stack, await groupsWithPrefix(stack, group));
  }
}

interface LagRun {
  samples: number;
  committed: { p50: number; p95: number; max: number; maxPartition: number };
  stored: { p50: number; max: number };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

async function steadyLag(stack: Stack, redis: Redis, redisUrl: string): Promise<LagRun> {
  const topic = uniqueName('bench-fleet-lag');
  const group = uniqueName('bench-fleet-lag');
  const prefix = `${uniqueName('bench-fleet-lag')}:`;
  await withAdmin(stack, (admin) =>
    admin.createTopics({
      topics: [{ topic, numPartitions: o.partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    }),
  );
  const children = startFleet(stack, redisUrl, topic, group, prefix, o.lagProcs);
  const producer = benchKafka(stack, 'bench-fleet-lag').producer();
  await producer.connect();
  const gen = createLineGenerator({ seed: 7, clock: () => Date.now() });
  const committed: number[] = [];
  const storedLag: number[] = [];
  let maxPartition = 0;
  let stop = false;
  const perTick = Math.max(1, Math.round(o.lagRate / 10));
  const produce = (async () => {
    let next = performance.now();
    while (!stop) {
      const messages = [];
      while (messages.length < perTick) {
        const g = gen();
        if (g.kind === 'router') messages.push({ key: g.app, value: g.line });
      }
      await producer.send({ topic, acks: -1, messages });
      next += 100;
      await sleep(Math.max(0, next - performance.now()));
    }
  })();
  try {
    // warm-up: every partition committed once (the group formed, every partition flowing)
    const warm = performance.now();
    for (;;) {
      await sleep(1000);
      const offsets = await withAdmin(stack, (admin) =>
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
      );
      if ((offsets[0]?.partitions ?? []).filter((p) => Number(p.offset) >= 0).length === o.partitions) break;
      if (performance.now() - warm > 180_000)
        throw new Error('the lag fleet did not commit every partition in 3 min');
    }
    await sleep(5000);
    const start = performance.now();
    while (performance.now() - start < o.lagSeconds * 1000) {
      await sleep(1000);
      const [highs, offsets, stored] = await Promise.all([
        highWatermarks(stack, topic),
        withAdmin(stack, (admin) => admin.fetchOffsets({ groupId: group, topics: [topic] })),
        readOffsets(redis, prefix, topic),
      ]);
      let total = 0;
      for (const p of offsets[0]?.partitions ?? []) {
        const high = Number(highs.get(p.partition) ?? 0);
        const lag = high - Math.max(0, Number(p.offset));
        total += lag;
        maxPartition = Math.max(maxPartition, lag);
      }
      committed.push(total);
      storedLag.push(
        [...highs].reduce(
          (a, [p, high]) => a + Number(high) - Number(stored.find((s) => s.partition === p)?.nextOffset ?? 0),
          0,
        ),
      );
    }
  } finally {
    stop = true;
    await produce.catch(() => undefined);
    await producer.disconnect();
    await stopFleet(children);
    await deleteRedisPrefix(redis, prefix);
    await deleteGroups(stack, await groupsWithPrefix(stack, group));
    await withAdmin(stack, (admin) => admin.deleteTopics({ topics: [topic] })).catch(() => undefined);
  }
  return {
    samples: committed.length,
    committed: {
      p50: quantile(committed, 0.5),
      p95: quantile(committed, 0.95),
      max: Math.max(...committed),
      maxPartition,
    },
    stored: { p50: quantile(storedLag, 0.5), max: Math.max(...storedLag) },
  };
}

const stack = stackEnv();
const own = o.redisUrl ? null : await privateRedis();
const redisUrl = o.redisUrl ?? own!.url;
const redis = new Redis(redisUrl);
try {
  const topic = `bench-fleet-${o.records}-${o.partitions}`;
  const pre = await ensurePreloaded({
    stack,
    topic,
    records: o.records,
    partitions: o.partitions,
    codec: 'none',
    seed: 42,
    apps: 50,
    routes: 24,
    linesPerSecond: 1000,
    inFlight: 4,
  });
  console.log(
    `fleet bench: ${fmtInt(o.records)} records on ${o.partitions} partitions ` +
      `(per partition ${pre.perPartition.map((n) => `${((100 * n) / o.records).toFixed(0)}%`).join(' ')}), ` +
      `WORKER_THREADS=${o.workers}, Kafka ${stack.kafkaVersion}, Redis ${own ? 'private' : redisUrl}`,
  );
  const runs: FleetRun[] = [];
  for (const n of o.procs) {
    const r = await runFleet(stack, redis, redisUrl, topic, n);
    runs.push(r);
    console.log(
      `  ${n} process(es): first flush ${(r.firstMs / 1000).toFixed(1)} s, all flowing ${(r.ownedMs / 1000).toFixed(1)} s, done ${(r.doneMs / 1000).toFixed(1)} s, ` +
        `${fmtInt(r.rate)} rec/s, ${r.cpuUsPerRecord.toFixed(1)} µs CPU/rec (startup ${r.startupCpuSeconds.toFixed(1)} s CPU, ` +
        `then ${r.cpuUsPerRecordAfter.toFixed(1)} µs/rec; Redis ${r.redisCpuUsPerRecord.toFixed(2)}), ` +
        `claims ${r.claims}, peak RSS ${r.peakRssMb.toFixed(0)} MB, ` +
        `Redis ${r.bytesPerRouteWindow.map((b) => b.toFixed(0)).join('/')} B per route-window (10 s/60 s), exact: ${r.stored === o.records ? 'yes' : `NO (${r.stored})`}`,
    );
  }
  let lag: LagRun | null = null;
  if (o.lagProcs > 0) {
    lag = await steadyLag(stack, redis, redisUrl);
    console.log(
      `  steady lag, ${o.lagProcs} processes at ${fmtInt(o.lagRate)} lines/s (${lag.samples} samples): ` +
        `committed in Kafka p50 ${fmtInt(lag.committed.p50)} p95 ${fmtInt(lag.committed.p95)} max ${fmtInt(lag.committed.max)} ` +
        `(= ${(lag.committed.max / o.lagRate).toFixed(1)} s of traffic; one partition max ${fmtInt(lag.committed.maxPartition)}); ` +
        `stored in Redis p50 ${fmtInt(lag.stored.p50)} max ${fmtInt(lag.stored.max)}`,
    );
  }
  const base = runs[0]!;
  console.log(
    '\n| processes | first flush (s) | all flowing (s) | done (s) | rec/s | µs CPU/rec | startup CPU (s) | µs CPU/rec after | Redis µs/rec | claims | peak RSS MB | exact |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    console.log(
      `| ${r.procs} | ${(r.firstMs / 1000).toFixed(1)} | ${(r.ownedMs / 1000).toFixed(1)} | ${(r.doneMs / 1000).toFixed(1)} | ${fmtInt(r.rate)} | ` +
        `${r.cpuUsPerRecord.toFixed(1)} | ${r.startupCpuSeconds.toFixed(1)} | ${r.cpuUsPerRecordAfter.toFixed(1)} | ${r.redisCpuUsPerRecord.toFixed(2)} | ${r.claims} | ${r.peakRssMb.toFixed(0)} | ${r.stored === o.records ? 'yes' : 'NO'} |`,
    );
  }
  console.log(
    `fleet: ${runs.map((r) => `${r.procs}p ${r.cpuUsPerRecord.toFixed(1)} µs/rec (×${(r.cpuUsPerRecord / base.cpuUsPerRecord).toFixed(2)})`).join(', ')}; ` +
      `all flowing ${runs.map((r) => `${(r.ownedMs / 1000).toFixed(1)}s`).join('/')}; ` +
      `exact ${runs.every((r) => r.stored === o.records) ? 'all' : 'NOT ALL'}` +
      (lag ? `; committed lag max ${(lag.committed.max / o.lagRate).toFixed(1)} s of traffic` : ''),
  );
  if (!runs.every((r) => r.stored === o.records)) process.exitCode = 1;
} finally {
  redis.disconnect();
  own?.stop();
}
