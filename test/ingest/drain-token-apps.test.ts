import { describe, expect, it } from 'vitest';
import { DrainTokenApps, tokenAppKey } from '../../src/ingest/drain-token-apps.js';
import type { RedisClient } from '../../src/sinks/redis/redis-client.js';

/** The two commands the learner uses, on a Map; `down` makes them fail like an unreachable Redis. */
class FakeRedis {
  readonly data = new Map<string, { value: string; ttl: number }>();
  readonly calls: string[] = [];
  down = false;
  async get(key: string) {
    this.calls.push(`GET ${key}`);
    if (this.down) throw new Error('ECONNREFUSED');
    return this.data.get(key)?.value ?? null;
  }
  async set(key: string, value: string, _ex: 'EX', ttl: number) {
    this.calls.push(`SET ${key} ${value}`);
    if (this.down) throw new Error('ECONNREFUSED');
    this.data.set(key, { value, ttl });
    return 'OK';
  }
}

function setup(configured: Record<string, string> = {}, redis = new FakeRedis()) {
  let now = 1_000_000;
  const errors: unknown[] = [];
  const apps = new DrainTokenApps({
    configured: new Map(Object.entries(configured)),
    redis: redis as unknown as RedisClient,
    prefix: 'p:',
    ttlSeconds: 3600,
    missTtlMs: 5000,
    now: () => now,
    onRedisError: (e) => errors.push(e),
  });
  return { apps, redis, errors, tick: (ms: number) => (now += ms) };
}

describe('DrainTokenApps', () => {
  it('prefers DRAIN_TOKEN_APPS over what router lines say, and touches no Redis for it', async () => {
    const t = setup({ 'd.a': 'pinned.example.com' });
    expect(await t.apps.resolve('d.a', 'other.herokuapp.com', true)).toEqual({
      app: 'pinned.example.com',
      source: 'config',
    });
    expect(t.redis.calls).toEqual([]);
  });

  it("learns a token's app from its router lines, in memory and in Redis with the TTL", async () => {
    const t = setup();
    expect(await t.apps.resolve('d.a', 'a.herokuapp.com', false)).toEqual({
      app: 'a.herokuapp.com',
      source: 'learned',
    });
    await Promise.resolve();
    expect(t.redis.data.get(tokenAppKey('p:', 'd.a'))).toEqual({ value: 'a.herokuapp.com', ttl: 3600 });
    // a later request with only platform lines: from memory, no GET
    expect(await t.apps.resolve('d.a', null, true)).toEqual({ app: 'a.herokuapp.com', source: 'learned' });
    expect(t.redis.calls.filter((c) => c.startsWith('GET'))).toEqual([]);
    // the same host again within half the TTL: no write per request
    await t.apps.resolve('d.a', 'a.herokuapp.com', true);
    expect(t.redis.calls.filter((c) => c.startsWith('SET'))).toHaveLength(1);
    // after half the TTL the entry is refreshed
    t.tick(1801 * 1000);
    await t.apps.resolve('d.a', 'a.herokuapp.com', true);
    expect(t.redis.calls.filter((c) => c.startsWith('SET'))).toHaveLength(2);
  });

  it('knows what another drain process learned (Redis), and remembers a miss for a while', async () => {
    const redis = new FakeRedis();
    const other = setup({}, redis);
    other.apps.learn('d.b', 'b.herokuapp.com');
    await Promise.resolve();
    const t = setup({}, redis);
    expect(await t.apps.resolve('d.b', null, true)).toEqual({ app: 'b.herokuapp.com', source: 'learned' });
    expect(await t.apps.resolve('d.c', null, true)).toEqual({ app: '', source: 'unknown' });
    expect(await t.apps.resolve('d.c', null, true)).toEqual({ app: '', source: 'unknown' });
    expect(redis.calls.filter((c) => c === 'GET p:tok:d.c')).toHaveLength(1);
    t.tick(5001);
    await t.apps.resolve('d.c', null, true);
    expect(redis.calls.filter((c) => c === 'GET p:tok:d.c')).toHaveLength(2);
  });

  it('does not look anything up for a request without platform lines, nor for an empty token', async () => {
    const t = setup();
    expect(await t.apps.resolve('d.x', null, false)).toEqual({ app: '', source: 'unknown' });
    expect(await t.apps.resolve('', 'a.herokuapp.com', true)).toEqual({ app: '', source: 'unknown' });
    expect(t.redis.calls).toEqual([]);
  });

  it('degrades to unknown when Redis is down, counting the errors, and never throws', async () => {
    const t = setup();
    t.redis.down = true;
    expect(await t.apps.resolve('d.a', null, true)).toEqual({ app: '', source: 'unknown' });
    // learning still works in memory; the failed write is retried by the next router lines
    expect(await t.apps.resolve('d.a', 'a.herokuapp.com', true)).toEqual({
      app: 'a.herokuapp.com',
      source: 'learned',
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(t.errors).toHaveLength(2);
    t.redis.down = false;
    await t.apps.resolve('d.a', 'a.herokuapp.com', true);
    await Promise.resolve();
    expect(t.redis.data.get('p:tok:d.a')?.value).toBe('a.herokuapp.com');
  });
});
