/**
 * bench/freshness.ts: how long a line takes from "the drain accepted it" (logplex got
 * its 204, so the line is in Kafka with acks=all) to "visible in Redis" (the runtime's
 * flush that holds it has committed), at half of the drain's capacity.
 *
 * Setup (one machine, local stack from `bash scripts/stack.sh up`), all real processes:
 *   - the drain in a child process (dist/bench/drain-server.js, as bench/drain.ts: Basic
 *     auth, dedupe, idempotent producers, acks=all, the config's codec and producer threads);
 *   - `routemeter run` (the built CLI, dist/src/cli/main.js) in another child process, with
 *     its worker threads, on a fresh consumer group and Redis prefix, FLUSH_INTERVAL_MS from
 *     --flush-interval-ms (default: the config's);
 *   - this process posts the seeded 100-line batches over --connections keep-alive
 *     connections (one request in flight each, as logplex):
 *       1. capacity: as fast as the drain answers, for --capacity-seconds, with the
 *          runtime consuming meanwhile;
 *       2. once the runtime has stored the backlog of step 1 (every partition's stored
 *          offset at its high watermark), paced at half of that rate for --seconds; about 10
 *          requests a second carry one extra router line for an app of their own
 *          (`fresh-<run>-<n>.probe.example`).
 *   - a probe's latency is its 204 → the first poll (every 5 ms, one pipelined ZSCORE per
 *     probe still waiting) that finds its app in `<prefix>apps:{topic:P}`. The flush writes
 *     that set in the same Lua script as the window hashes and the stored offset, so the
 *     app is there exactly when its counts are (docs/redis-keys.md): exact, and cheap.
 * Goal: p99 ≤ FLUSH_INTERVAL_MS + 100 ms. With --rounds > 1 steps 1–2 repeat and the
 * summary gives the medians over rounds.
 *
 *   npm run build && node dist/bench/freshness.js [--seconds 20] [--capacity-seconds 8] [--connections 16]
 *                                                 [--flush-interval-ms 1000] [--rounds 1]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/config.js';
import { buildLogplexBatch, type LogplexBatch } from '../src/gen/logplex-batch.js';
import { murmur2 } from '../src/kafka/key-partitioner.js';
import { readOffsets } from '../src/sinks/redis/read-offsets.js';
import { partitionAppsKey, partitionTag } from '../src/sinks/redis/redis-keys.js';
import {
  BENCH_AUTHORIZATION,
  benchTopic,
  makeBatches,
  median,
  quantile,
  runLoad,
  stackEnv,
  startBenchDrain,
} from './drain-harness.js';
import {
  deleteGroups,
  deleteRedisPrefix,
  groupsWithPrefix,
  highWatermarks,
  ROOT,
  sleep,
  uniqueName,
} from './support/consume-stack.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    'capacity-seconds': { type: 'string', default: '8' },
    connections: { type: 'string', default: '16' },
    'flush-interval-ms': { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});
const seconds = Number(values.seconds);
const capacitySeconds = Number(values['capacity-seconds']);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const defaults = loadConfig({ ...process.env, DRAIN_ALLOW_OPEN: 'true' });
const flushIntervalMs = Number(values['flush-interval-ms'] ?? defaults.runtime.flushIntervalMs);
const goalMs = flushIntervalMs + 100;

const stack = stackEnv();
const run = Date.now().toString(36);
const topic = `bench-fresh-${run}`;
const partitions = 6;
const group = uniqueName('bench-fresh');
const prefix = `bench-fresh-${run}:`;
const { batches, lines } = makeBatches(200);
const drainToken = 'd.bench0000-0000-4000-8000-000000000000';
// A router line of the generator to copy for probes (only its host= changes).
const template = lines.find((l) => / host=\S+/.test(l) && l.includes(' router - '))!;

console.log(
  `setup: ${connections} connections; capacity ${capacitySeconds} s, paced ${seconds} s; FLUSH_INTERVAL_MS ${flushIntervalMs}; ` +
    `${defaults.drain.producerThreads} producer thread(s), ${defaults.runtime.workerThreads} worker thread(s), codec ${defaults.drain.compression}; ` +
    `topic ${topic} (${partitions} partitions); Kafka ${stack.kafkaVersion}`,
);

interface Probe {
  host: string;
  key: string;
  acceptedAt: number;
}

/** Starts `routemeter run` on the bench topic; resolves once it is spawned. */
function startRuntime(): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'run'], {
    env: {
      ...process.env,
      KAFKA_URL: stack.kafkaUrl,
      REDIS_URL: stack.redisUrl,
      ROUTER_TOPIC: topic,
      PLATFORM_TOPIC: '',
      TOPIC_PARTITIONS: String(partitions),
      CONSUMER_GROUP: group,
      REDIS_PREFIX: prefix,
      METRICS_PORT: '0',
      FLUSH_INTERVAL_MS: String(flushIntervalMs),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

const redis = new Redis(stack.redisUrl);

/** Waits until every partition's stored next offset reaches its high watermark; returns the ms waited. */
async function caughtUp(limitMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const highs = await highWatermarks(stack, topic);
    const stored = new Map((await readOffsets(redis, prefix, topic)).map((o) => [o.partition, o.nextOffset]));
    const behind = [...highs].filter(([p, high]) => Number(high) > Number(stored.get(p) ?? 0));
    if (behind.length === 0) return performance.now() - t0;
    if (performance.now() - t0 > limitMs)
      throw new Error(`the runtime did not catch up within ${limitMs} ms`);
    await sleep(100);
  }
}
const dropTopic = await benchTopic(stack.brokers, topic, partitions);
let runtime: ChildProcess | null = null;
const results: Array<{
  capacity: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
  probes: number;
}> = [];
try {
  const drain = await startBenchDrain(stack, topic, defaults.drain.compression, {
    TOPIC_PARTITIONS: String(partitions),
  });
  runtime = startRuntime();
  const authorization = BENCH_AUTHORIZATION;

  let probeSeq = 0;
  const waiting = new Set<Probe>();
  const samples: number[] = [];
  const probeOf = new Map<LogplexBatch, Probe>();
  /** batch `n` (round robin over the 200) with one probe line for an app of its own */
  const probeBatch = (n: number): LogplexBatch => {
    const host = `fresh-${run}-${probeSeq++}.probe.example`;
    const i = n % batches.length;
    const body = lines.slice(i * 100, i * 100 + 100);
    body.push(template.replace(/ host=\S+/, ` host=${host}`));
    const batch = buildLogplexBatch(body, drainToken);
    const partition = (murmur2(Buffer.from(host)) & 0x7fffffff) % partitions;
    probeOf.set(batch, {
      host,
      key: partitionAppsKey(prefix, partitionTag(topic, partition)),
      acceptedAt: Number.NaN,
    });
    return batch;
  };
  const onAnswer = (batch: LogplexBatch, status: number, answeredAt: number) => {
    const probe = probeOf.get(batch);
    if (probe === undefined) return;
    probeOf.delete(batch);
    if (status !== 204) return; // refused: nothing was accepted
    probe.acceptedAt = answeredAt;
    waiting.add(probe);
  };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      if (waiting.size > 0) {
        const list = [...waiting];
        const pipe = redis.pipeline();
        for (const p of list) pipe.zscore(p.key, p.host);
        const replies = (await pipe.exec()) ?? [];
        const now = performance.now();
        list.forEach((p, i) => {
          if (replies[i]?.[1] !== null && replies[i]?.[1] !== undefined) {
            waiting.delete(p);
            samples.push(now - p.acceptedAt);
          }
        });
      }
      await sleep(5);
    }
  })();
  const drainWaiting = async (limitMs: number) => {
    const until = performance.now() + limitMs;
    while (waiting.size > 0 && performance.now() < until) await sleep(20);
    const lost = waiting.size;
    waiting.clear();
    return lost;
  };

  // Warm-up: the runtime has claimed its partitions once a probe shows up.
  const warm = probeBatch(0);
  await runLoad({
    port: drain.port,
    batches: [warm],
    seconds: 0.05,
    connections: 1,
    authorization,
    nextBatch: () => warm,
    onAnswer,
  });
  if ((await drainWaiting(90_000)) > 0) throw new Error('the warm-up probe never became visible in Redis');
  console.log(`runtime ready: warm-up probe visible after ${samples[0]!.toFixed(0)} ms`);
  samples.length = 0;

  for (let round = 1; round <= rounds; round++) {
    const cap = await runLoad({
      port: drain.port,
      batches,
      seconds: capacitySeconds,
      connections,
      authorization,
    });
    const capacity = cap.okLines / cap.seconds;
    const target = capacity / 2;
    const requestsPerSecond = target / 100;
    const every = Math.max(1, Math.round(requestsPerSecond / 10));
    // The capacity step left a backlog: start the paced step once the runtime has stored it all.
    const caughtUpMs = await caughtUp(120_000);
    samples.length = 0;
    const paced = await runLoad({
      port: drain.port,
      batches,
      seconds,
      connections,
      authorization,
      linesPerSecond: target,
      nextBatch: (n) => (n % every === 0 ? probeBatch(n) : batches[n % batches.length]!),
      onAnswer,
    });
    const lost = await drainWaiting(flushIntervalMs + 30_000);
    const sorted = [...samples].sort((a, b) => a - b);
    const r = {
      capacity,
      rate: paced.okLines / paced.seconds,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1) ?? Number.NaN,
      probes: sorted.length,
    };
    results.push(r);
    console.log(
      `[${round}] capacity ${Math.round(capacity)} lines/s (${cap.failed} not 2xx); paced at ${Math.round(target)}: ` +
        `${Math.round(r.rate)} lines/s, request p99 ${paced.p99Ms.toFixed(0)} ms (${paced.failed} not 2xx); ` +
        `runtime caught up in ${(caughtUpMs / 1000).toFixed(1)} s; ${r.probes} probes: accepted → visible p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, max ${r.max.toFixed(0)} ms` +
        (lost > 0 ? `; ${lost} NEVER VISIBLE` : ''),
    );
  }
  polling = false;
  await poller;
  await drain.stop();
} finally {
  if (runtime) {
    runtime.kill('SIGTERM');
    await new Promise((r) => runtime!.once('exit', r));
  }
  await deleteRedisPrefix(redis, prefix);
  await deleteGroups(stack, await groupsWithPrefix(stack, group)).catch(() => {});
  await dropTopic();
  redis.disconnect();
}

const med = (f: (r: (typeof results)[number]) => number) => median(results.map(f));
const p99 = med((r) => r.p99);
console.log(
  `freshness: drain capacity ${Math.round(med((r) => r.capacity))} lines/s, paced at half ${Math.round(med((r) => r.rate))} lines/s | ` +
    `accepted → visible in Redis p50 ${med((r) => r.p50).toFixed(0)} ms p99 ${p99.toFixed(0)} ms ` +
    `(goal <= FLUSH_INTERVAL_MS + 100 = ${goalMs} ms ${p99 <= goalMs ? 'met' : 'MISSED'}) | ` +
    `${results.reduce((n, r) => n + r.probes, 0)} probes, ${rounds > 1 ? `median of ${rounds} rounds` : '1 round'}`,
);
process.exit(0);
