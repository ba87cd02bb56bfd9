/**
 * The local stack as bench/consume.ts sees it: broker and Redis addresses, kafkajs
 * clients, and the cleanup helpers (consumer groups, Redis key prefixes).
 */
import type { Redis } from 'ioredis';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { Stack } from './stack-env.js';

export { ROOT, type Stack, stackEnv } from './stack-env.js';

/** A quiet kafkajs client with the runtime's timeouts. */
export function benchKafka(stack: Stack, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: stack.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

export async function withAdmin<T>(stack: Stack, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = benchKafka(stack, 'bench-consume-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** High watermark per partition (the offset a fully consumed partition's stored `next` reaches). */
export async function highWatermarks(stack: Stack, topic: string): Promise<Map<number, string>> {
  return withAdmin(stack, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  });
}

/**
 * Deletes consumer groups, ignoring unknown ones. A group whose members have only just
 * left can still be "non-empty" for a moment, so each is retried briefly.
 * Returns the groups that could not be deleted.
 */
export async function deleteGroups(stack: Stack, groupIds: string[]): Promise<string[]> {
  if (groupIds.length === 0) return [];
  return withAdmin(stack, async (admin) => {
    const existing = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
    let left = groupIds.filter((g) => existing.has(g));
    for (let attempt = 0; attempt < 10 && left.length > 0; attempt++) {
      const failed: string[] = [];
      for (const g of left) {
        try {
          await admin.deleteGroups([g]);
        } catch {
          failed.push(g);
        }
      }
      left = failed;
      if (left.length > 0) await new Promise((r) => setTimeout(r, 1000));
    }
    return left;
  });
}

/** Every consumer group whose id starts with `prefix` (the runtime's `<group>.p<n>` ones included). */
export async function groupsWithPrefix(stack: Stack, prefix: string): Promise<string[]> {
  return withAdmin(stack, async (admin) =>
    (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix)),
  );
}

/** Deletes every Redis key starting with `prefix`; returns how many. */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}

/** `prefix-<time>-<random>`: a unique group id or Redis key prefix for one measurement. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 0xffffff).toString(16)}`;
}

/** 1234567.8 → "1,234,568" */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
