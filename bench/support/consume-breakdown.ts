/**
 * Where a record's time goes in the runtime's hot path, without Kafka and on one
 * thread, for bench/consume.ts. Run in a child process:
 * `node dist/bench/support/consume-breakdown.js '<json options>'`; prints one JSON line.
 *
 * Input: the benchmark's own lines (same generator, seed and event-time spacing),
 * only those of the apps that hash to partition 0 (the busiest partition: it holds
 * the biggest app), as record values. They go through what a PartitionConsumer does,
 * flush interval by flush interval (`perFlush` records each), timed phase by phase:
 *
 *   parse    scanRouterEvent into a reused event                 (per record)
 *   record   PartitionAggregator.record (templating, windows, HDR) (per record;
 *            timed as parse+record minus parse over the same values)
 *   drain    aggregator.drain(): deltas for both resolutions      (per flush)
 *   samples  sampleRoutes(batch, PROM_ROUTE_LIMIT)                (per flush)
 *   encode   encodeFlush: KEYS/ARGV of the Lua flush              (per flush)
 *   flush    RedisPartitionStore.flush: encode + ioredis + the Lua script in Redis,
 *            wall time, awaited (the runtime overlaps it with consuming)
 *   flushCpu the same flush in CPU time of this process: encode + ioredis (command
 *            building, socket writes, reply), without Redis' own time
 *
 * The synchronous phases are timed in CPU time of this thread (/proc/thread-self/schedstat;
 * the process's where there is none), so that other work on a shared machine does not
 * inflate them; the flush, which
 * waits for Redis, in wall time. With `node --expose-gc` (as bench/consume runs it),
 * the heap is collected before each interval's parse and record loops, so that the
 * generator's garbage is not charged to them; the garbage the measured code makes
 * itself still is.
 *
 * Everything is reported per record (µs), flush phases divided by the records of
 * their interval. Kafka's own per-record cost (fetch, decode) is what bench/consume's
 * (c') measures minus `parse`.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { PartitionAggregator } from '../../src/actors/partition-aggregator.js';
import { RouteTemplater } from '../../src/actors/route-template.js';
import { loadConfig } from '../../src/config/config.js';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { murmur2 } from '../../src/kafka/key-partitioner.js';
import { createRouterEvent } from '../../src/logplex/router-event.js';
import { scanRouterEvent } from '../../src/logplex/router-line.js';
import { sampleRoutes } from '../../src/runtime/route-samples.js';
import { encodeFlush } from '../../src/sinks/redis/flush-partition.js';
import { RedisPartitionStore } from '../../src/sinks/redis/redis-partition-store.js';
import { retentionFromConfig } from '../../src/sinks/redis/retention.js';

export interface BreakdownOptions {
  redisUrl: string;
  seed: number;
  apps: number;
  routes: number;
  linesPerSecond: number;
  partitions: number;
  perFlush: number;
  flushes: number;
  routePatterns: string;
}

export interface BreakdownResult {
  /** µs per record */
  parse: number;
  record: number;
  drain: number;
  samples: number;
  encode: number;
  flush: number;
  flushCpu: number;
  /** per flush interval */
  deltasPerFlush: number;
  flushMs: number;
  activeRoutes: number;
}

/**
 * CPU time of this thread, ns, from Linux's /proc/thread-self/schedstat (its first
 * field: time on a CPU, in ns): immune to being preempted on a shared machine, and
 * blind to V8's helper threads, whose concurrent marking and sweeping would otherwise
 * land in whichever phase runs next. Elsewhere: the process's CPU (process.cpuUsage).
 */
const cpuNow = (): bigint => {
  if (schedstat) {
    try {
      const text = readFileSync('/proc/thread-self/schedstat', 'latin1');
      return BigInt(text.slice(0, text.indexOf(' ')));
    } catch {
      schedstat = false;
    }
  }
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
};
let schedstat = true;
const wallNow = () => process.hrtime.bigint();
const collect = () => (globalThis as { gc?: () => void }).gc?.();
const us = (ns: bigint) => Number(ns) / 1000;

export async function breakdown(opts: BreakdownOptions): Promise<BreakdownResult> {
  const config = loadConfig({
    REDIS_URL: opts.redisUrl,
    REDIS_PREFIX: `bench-consume-breakdown-${Date.now().toString(36)}:`,
    ROUTE_PATTERNS: opts.routePatterns,
    ALLOWED_LATENESS_SECONDS: String(10 * 365 * 24 * 3600),
  });
  const start = Date.UTC(2026, 0, 1);
  const stepMs = 1000 / opts.linesPerSecond;
  let tick = 0;
  const gen = createLineGenerator({
    seed: opts.seed,
    apps: opts.apps,
    routes: opts.routes,
    clock: () => Math.floor(start + tick * stepMs),
  });
  const total = opts.perFlush * opts.flushes;
  const values: Buffer[] = [];
  while (values.length < total) {
    const g = gen();
    tick++;
    if (g.kind !== 'router') continue;
    if ((murmur2(Buffer.from(g.app)) & 0x7fffffff) % opts.partitions !== 0) continue;
    values.push(Buffer.from(g.line));
  }

  const redis = new Redis(config.redis.url, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  const store = new RedisPartitionStore(redis, config.redis.prefix, retentionFromConfig(config.runtime));
  const topic = 'bench-consume-breakdown';
  const claim = await store.claim(topic, 0);
  const templater = new RouteTemplater({ patterns: config.runtime.routePatterns });
  const agg = PartitionAggregator.fromConfig(config.runtime, { templater });
  const ev = createRouterEvent();
  const t = { parse: 0n, both: 0n, drain: 0n, samples: 0n, encode: 0n, flush: 0n, flushCpu: 0n };
  let deltas = 0;
  let active = 0;
  let sink = 0;
  try {
    // one interval to warm up the JIT and the template cache, not counted
    for (let f = -1; f < opts.flushes; f++) {
      const from = Math.max(0, f) * opts.perFlush;
      const to = from + opts.perFlush;
      // The generator's garbage (and the previous interval's) is collected here, not
      // inside a measured phase (run with --expose-gc; without it, phases carry it).
      collect();
      let t0 = cpuNow();
      for (let i = from; i < to; i++) {
        const v = values[i]!;
        if (scanRouterEvent(v, 0, v.length, ev)) sink += ev.status;
      }
      const parse = cpuNow() - t0;
      collect();
      t0 = cpuNow();
      for (let i = from; i < to; i++) {
        const v = values[i]!;
        if (scanRouterEvent(v, 0, v.length, ev)) agg.record(ev);
      }
      const both = cpuNow() - t0;
      active = agg.activeRoutes;
      t0 = cpuNow();
      const drained = agg.drain();
      const drain = cpuNow() - t0;
      const batch = {
        ...drained,
        topic,
        partition: 0,
        epoch: claim.epoch,
        fromOffset: String(f < 0 ? 0 : from + opts.perFlush),
        nextOffset: String(f < 0 ? opts.perFlush : to + opts.perFlush),
      };
      t0 = cpuNow();
      sink += sampleRoutes(batch, config.runtime.promRouteLimit).length;
      const samples = cpuNow() - t0;
      t0 = cpuNow();
      sink += encodeFlush(config.redis.prefix, batch, store.retention).keys.length;
      const encode = cpuNow() - t0;
      t0 = wallNow();
      const c0 = cpuNow();
      await store.flush(batch);
      const flushCpu = cpuNow() - c0;
      const flush = wallNow() - t0;
      if (f < 0) continue;
      t.parse += parse;
      t.both += both;
      t.drain += drain;
      t.samples += samples;
      t.encode += encode;
      t.flush += flush;
      t.flushCpu += flushCpu;
      deltas += batch.deltas.length;
    }
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.redis.prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
  if (sink === -1) console.log(''); // keeps the measured loops from being optimised away
  return {
    parse: us(t.parse) / total,
    record: us(t.both - t.parse) / total,
    drain: us(t.drain) / total,
    samples: us(t.samples) / total,
    encode: us(t.encode) / total,
    flush: us(t.flush) / total,
    flushCpu: us(t.flushCpu) / total,
    deltasPerFlush: deltas / opts.flushes,
    flushMs: us(t.flush) / 1000 / opts.flushes,
    activeRoutes: active,
  };
}

const arg = process.argv[2];
if (arg !== undefined) process.stdout.write(`${JSON.stringify(await breakdown(JSON.parse(arg)))}\n`);
