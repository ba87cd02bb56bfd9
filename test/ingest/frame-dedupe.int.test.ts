import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FrameDedupe } from '../../src/ingest/frame-dedupe.js';
import { uniqueName } from '../support/kafka.js';

/** A dedupe on the real Redis with a key prefix of its own, removed after the test. */
async function useDedupe(opts: { inflightTtlMs?: number; pollMs?: number } = {}) {
  const redis = new Redis(process.env.REDIS_URL!);
  const prefix = `${uniqueName('rmtest-dedupe')}:`;
  const dedupe = new FrameDedupe({ redis, prefix, ttlSeconds: 60, ...opts });
  onTestFinished(async () => {
    dedupe.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return { redis, dedupe };
}

describe('FrameDedupe (real Redis)', () => {
  it('claim → commit makes the next claim a duplicate, with the dedupe TTL', async () => {
    const { redis, dedupe } = await useDedupe();
    const first = await dedupe.claim('d.t', 'F1', 0);
    expect(first.state).toBe('claimed');
    if (first.state !== 'claimed') return;
    expect(await redis.get(dedupe.key('d.t', 'F1'))).toMatch(/^inflight:/);
    await first.claim.commit();
    expect(await redis.get(dedupe.key('d.t', 'F1'))).toBe('done');
    expect(await redis.ttl(dedupe.key('d.t', 'F1'))).toBeGreaterThan(50);
    expect((await dedupe.claim('d.t', 'F1', 0)).state).toBe('duplicate');
    // another drain token, same frame id: independent
    expect((await dedupe.claim('d.other', 'F1', 0)).state).toBe('claimed');
  });

  it('release lets a retry claim at once', async () => {
    const { dedupe } = await useDedupe();
    const first = await dedupe.claim('d.t', 'F2', 0);
    if (first.state !== 'claimed') throw new Error('not claimed');
    expect((await dedupe.claim('d.t', 'F2', 0)).state).toBe('in_flight');
    await first.claim.release();
    expect((await dedupe.claim('d.t', 'F2', 0)).state).toBe('claimed');
  });

  it('a concurrent retry waits for the first attempt: duplicate if it commits, claimed if it releases', async () => {
    const { dedupe } = await useDedupe({ pollMs: 20 });
    const a = await dedupe.claim('d.t', 'F3', 0);
    if (a.state !== 'claimed') throw new Error('not claimed');
    const waiting = dedupe.claim('d.t', 'F3', 2000);
    setTimeout(() => void a.claim.commit(), 100);
    expect((await waiting).state).toBe('duplicate');

    const b = await dedupe.claim('d.t', 'F4', 0);
    if (b.state !== 'claimed') throw new Error('not claimed');
    const waiting2 = dedupe.claim('d.t', 'F4', 2000);
    setTimeout(() => void b.claim.release(), 100);
    expect((await waiting2).state).toBe('claimed');
  });

  it('a marker left by a crashed holder expires, and a live holder keeps its marker alive', async () => {
    const { redis, dedupe } = await useDedupe({ inflightTtlMs: 300, pollMs: 20 });
    // crashed holder: the marker is there, nobody refreshes it
    await redis.set(dedupe.key('d.t', 'F5'), 'inflight:dead', 'PX', 300);
    expect((await dedupe.claim('d.t', 'F5', 1000)).state).toBe('claimed');
    // live holder: refreshed every ttl/3, so still held after several TTLs
    const live = await dedupe.claim('d.t', 'F6', 0);
    expect(live.state).toBe('claimed');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await dedupe.claim('d.t', 'F6', 0)).state).toBe('in_flight');
  });

  it('reports Redis being unreachable instead of throwing (the drain then fails open)', async () => {
    const redis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => {});
    onTestFinished(() => redis.disconnect());
    await redis.connect().catch(() => {});
    const dedupe = new FrameDedupe({ redis, prefix: 'x:', ttlSeconds: 1 });
    expect((await dedupe.claim('d.t', 'F7', 0)).state).toBe('unavailable');
  });
});
