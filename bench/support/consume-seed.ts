/**
 * Measurement (d) of bench/consume.ts: the design of the talk routemeter was seeded
 * from. One kafkajs consumer, `eachMessage`, and per message three Redis round
 * trips awaited one after the other:
 *
 *   HINCRBY {p}count <route> 1            the route's request count
 *   HGET    {p}sum   <route>              the stored service-time sum …
 *   HSET    {p}sum   <route> sum+service  … read, added to, written back
 *
 * (<route> = app, method and templated path, templated as routemeter does.)
 * It is bounded (the first N records or S seconds, whichever comes first) because at
 * a few thousand records per second the whole topic would take many minutes; the
 * rate is taken from the first record on, so its group join does not count against it.
 */
import { SingleBar } from 'cli-progress';
import { Redis } from 'ioredis';
import { RouteTemplater } from '../../src/actors/route-template.js';
import { createRouterEvent } from '../../src/logplex/router-event.js';
import { parseRouterEvent } from '../../src/logplex/router-line.js';
import {
  benchKafka,
  deleteGroups,
  deleteRedisPrefix,
  type Stack,
  sleep,
  uniqueName,
} from './consume-stack.js';

export interface SeedRun {
  seconds: number;
  records: number;
  bytes: number;
  /** distinct routes written */
  routes: number;
}

export async function seedDesign(
  stack: Stack,
  topic: string,
  maxRecords: number,
  maxSeconds: number,
  routePatterns: Array<{ pattern: string; placeholder: string }>,
): Promise<SeedRun> {
  const groupId = uniqueName('bench-consume-seed');
  const prefix = `${uniqueName('bench-consume-seed')}:`;
  const redis = new Redis(stack.redisUrl, { enableAutoPipelining: false, maxRetriesPerRequest: 2 });
  const consumer = benchKafka(stack, 'bench-consume-seed').consumer({ groupId });
  const templater = new RouteTemplater({ patterns: routePatterns });
  const event = createRouterEvent();
  const countKey = `${prefix}count`;
  const sumKey = `${prefix}sum`;
  let count = 0;
  let bytes = 0;
  let firstAt = 0;
  let doneAt = 0;
  const bar = new SingleBar({
    format: 'seed design  {bar} {percentage}% | {value}/{total} records (bounded)',
    stream: process.stderr,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
  });
  bar.start(maxRecords, 0);
  const ticker = setInterval(() => bar.update(count), 250);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ message }) => {
        if (doneAt !== 0) return;
        if (firstAt === 0) firstAt = performance.now();
        const v = message.value;
        if (v !== null && parseRouterEvent(v, 0, v.length, event)) {
          bytes += v.length;
          const route = `${event.app} ${event.method} ${templater.template(event.path)}`;
          await redis.hincrby(countKey, route, 1);
          const sum = await redis.hget(sumKey, route);
          await redis.hset(sumKey, route, Number(sum ?? 0) + Math.max(0, event.serviceMs));
        }
        count++;
        const now = performance.now();
        if (count >= maxRecords || now - firstAt >= maxSeconds * 1000) doneAt = now;
      },
    });
    const deadline = performance.now() + (maxSeconds + 60) * 1000;
    while (doneAt === 0 && performance.now() < deadline) await sleep(50);
    if (doneAt === 0) throw new Error('seed design: no result (did the consumer get any records?)');
  } finally {
    clearInterval(ticker);
    bar.update(count);
    bar.stop();
    await consumer.disconnect().catch(() => {});
  }
  const routes = await redis.hlen(countKey);
  await deleteRedisPrefix(redis, prefix);
  await redis.quit();
  await deleteGroups(stack, [groupId]);
  return { seconds: (doneAt - firstAt) / 1000, records: count, bytes, routes };
}
