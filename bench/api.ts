/**
 * Latency of the query API for a 7-day series of one app, against a reference
 * measured in the same run: a bare Redis read of the same keys (ZRANGEBYSCORE of the
 * window index + a pipeline of HGETALL, as buffers, no merge, no HTTP).
 *
 * Setup: one app, 12 routes, 7 days of 60-s roll-up windows (10,080 hashes, 4 fields
 * per route: packed stats, codes, service and connect histograms of ~12 buckets),
 * written straight into Redis under a fresh prefix (deleted at the end). `serve`
 * runs in-process as in production: fastify, gzip, the piscina merge pool. Each of
 * the 100 requests asks for a different `until` (1 s apart) so the response cache
 * never answers; the default step for 7 days is 1 h (168 steps of 60 windows, each
 * step's histograms merged, never averaged). A second line measures the same URL
 * repeated (cache + ETag path, what a wall screen refreshing every 10 s costs), and
 * a third the requests once a runtime's watermark says which steps are final (only the
 * last ALLOWED_LATENESS_SECONDS are then re-read; the rest come from the StepCache).
 *
 * Run: npm run build && node dist/bench/api.js [--requests 100]
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startApi } from '../src/api/api-server.js';
import { loadConfig } from '../src/config/config.js';
import { MergePool } from '../src/query/merge-pool.js';
import { packCodes, packHistogram, packStats } from '../src/sinks/redis/packed-values.js';
import {
  offsetKey,
  partitionAppsKey,
  partitionMember,
  partitionsKey,
  partitionTag,
  windowIndexKey,
  windowKey,
} from '../src/sinks/redis/redis-keys.js';
import { createLogger } from '../src/telemetry/logger.js';
import { deleteRedisPrefix } from './support/consume-stack.js';
import { stackEnv } from './support/stack-env.js';

const REQUESTS = Number(process.argv[process.argv.indexOf('--requests') + 1]) || 100;
const APP = 'bench.example.com';
const ROUTES = 12;
const DAYS = 7;
const RES = 60;
const TOKEN = 'bench-token-0123456789abcdef';
// the store's layout: one app on partition 0 of the default router topic
const TOPIC = 'router-logs';
const TAG = partitionTag(TOPIC, 0);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** [value, count, value, count, …] ascending: the stored layout of a histogram */
function histogramPairs(rnd: () => number, buckets: number): number[] {
  const pairs: number[] = [];
  let v = 1 + Math.floor(rnd() * 5);
  for (let i = 0; i < buckets; i++) {
    v += 1 + Math.floor(rnd() * v * 0.4);
    pairs.push(v, 1 + Math.floor(rnd() * 6));
  }
  return pairs;
}

async function load(redis: Redis, prefix: string, endS: number): Promise<number> {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const startS = endS - DAYS * 86_400;
  let windows = 0;
  for (let w = startS; w < endS; w += RES * 500) {
    const pipe = redis.pipeline();
    for (let s = w; s < Math.min(endS, w + RES * 500); s += RES) {
      const fields: Array<string | Buffer> = [];
      for (let r = 0; r < ROUTES; r++) {
        const route = `GET /bench/${r}/:id`;
        const count = 10 + Math.floor(rnd() * 50);
        const errors = Math.floor(rnd() * 3);
        fields.push(
          `${route}|s`,
          packStats({
            resolutionSeconds: RES,
            windowStart: s,
            app: APP,
            route,
            count,
            serviceSumMs: count * 40,
            serviceCount: count,
            serviceMaxMs: 900,
            connectSumMs: count,
            connectCount: count,
            bytes: count * 1000,
            statusClasses: [0, count - errors, 0, 0, errors, 0],
            codes: {},
            serviceHistogram: [],
            connectHistogram: [],
          }),
          `${route}|hs`,
          packHistogram(histogramPairs(rnd, 12)) as Buffer,
          `${route}|hc`,
          packHistogram(histogramPairs(rnd, 3)) as Buffer,
        );
        if (errors > 0) fields.push(`${route}|e`, packCodes({ '503': errors, H12: errors }) as Buffer);
      }
      pipe.hset(windowKey(prefix, TAG, RES, APP, s), ...(fields as [string, Buffer]));
      pipe.zadd(windowIndexKey(prefix, TAG, RES, APP), s, String(s));
      windows++;
    }
    await pipe.exec();
  }
  await redis.zadd(partitionAppsKey(prefix, TAG), endS - RES, APP);
  await redis.sadd(partitionsKey(prefix), partitionMember(TOPIC, 0));
  return windows;
}

async function main(): Promise<void> {
  const { redisUrl } = stackEnv();
  const prefix = `bench-api:${randomUUID().slice(0, 8)}:`;
  const redis = new Redis(redisUrl);
  const nowS = Math.floor(Date.now() / 1000 / RES) * RES;
  const pool = new MergePool({ maxThreads: 2 });
  try {
    const windows = await load(redis, prefix, nowS);
    const config = loadConfig({
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      API_TOKENS: TOKEN,
      API_RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: 'silent',
    });
    const api = await startApi(config, createLogger('silent'), {
      port: 0,
      host: '127.0.0.1',
      merge: (h, o) => pool.merge(h, o),
    });
    const base = `http://127.0.0.1:${api.port}/api/v1/apps/${APP}/series`;
    const headers = { authorization: `Bearer ${TOKEN}`, 'accept-encoding': 'gzip' };
    const until = (i: number) => new Date((nowS - i) * 1000).toISOString();
    const since = (i: number) => new Date((nowS - i - DAYS * 86_400) * 1000).toISOString();

    // warm up: JIT, pool threads, connections
    for (let i = 0; i < 3; i++)
      await (await fetch(`${base}?since=${since(1000 + i)}&until=${until(1000 + i)}`, { headers })).text();

    const apiMs: number[] = [];
    let steps = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      const res = await fetch(`${base}?since=${since(i)}&until=${until(i)}`, { headers });
      const body = (await res.json()) as { data: Record<string, unknown[]> };
      apiMs.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`API answered ${res.status}: ${JSON.stringify(body)}`);
      steps = body.data.p99_ms!.length;
    }
    // A running runtime stores each partition's watermark: steps that ended over
    // ALLOWED_LATENESS_SECONDS before it are final and kept between requests (StepCache).
    await redis.hset(offsetKey(prefix, TOPIC, 0), 'wm', String(nowS * 1000));
    const warmMs: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      const res = await fetch(`${base}?since=${since(i)}&until=${until(i)}`, { headers });
      await res.text();
      warmMs.push(performance.now() - t);
    }
    const cachedMs: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      await (await fetch(`${base}?since=${since(0)}&until=${until(0)}`, { headers })).text();
      cachedMs.push(performance.now() - t);
    }
    const bareMs: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      const starts = await redis.zrangebyscore(
        windowIndexKey(prefix, TAG, RES, APP),
        nowS - i - DAYS * 86_400,
        nowS - i,
      );
      const pipe = redis.pipeline();
      for (const s of starts) pipe.hgetallBuffer(windowKey(prefix, TAG, RES, APP, Number(s)));
      await pipe.exec();
      bareMs.push(performance.now() - t);
    }
    await api.close();
    for (const a of [apiMs, warmMs, cachedMs, bareMs]) a.sort((x, y) => x - y);
    const f = (v: number) => v.toFixed(1);
    const [a50, a99, b50, b99] = [
      quantile(apiMs, 0.5),
      quantile(apiMs, 0.99),
      quantile(bareMs, 0.5),
      quantile(bareMs, 0.99),
    ];
    console.log(
      `api-bench 7d series (${windows} windows × ${ROUTES} routes → ${steps} steps, ${REQUESTS} requests): ` +
        `API p50=${f(a50)}ms p99=${f(a99)}ms | bare Redis read p50=${f(b50)}ms p99=${f(b99)}ms | ` +
        `ratio p50 ${(a50 / b50).toFixed(2)} p99 ${(a99 / b99).toFixed(2)} | ` +
        `final steps kept p50=${f(quantile(warmMs, 0.5))}ms p99=${f(quantile(warmMs, 0.99))}ms | ` +
        `repeated URL (cache) p50=${f(quantile(cachedMs, 0.5))}ms p99=${f(quantile(cachedMs, 0.99))}ms`,
    );
  } finally {
    await pool.close();
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
  }
}

await main();
