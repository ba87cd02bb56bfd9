import type { RedisClient } from '../sinks/redis/redis-client.js';

/**
 * Which app a drain token's platform lines belong to. Platform lines do not name
 * their app, but Heroku adds one drain per app, and each drain's requests carry its
 * `Logplex-Drain-Token` (docs/dyno-metrics.md, "Which app?"). The drain stamps the
 * app on the token's platform records (the `app` header, record-slab.ts):
 *
 *   1. DRAIN_TOKEN_APPS names it (`d.6b1f…=quiet-reef-12345.herokuapp.com`): that app
 *   2. else learned: a request's router lines carry `host=`; the first accepted one is
 *      remembered for the token, in memory and in Redis,
 *
 *        key   <REDIS_PREFIX>tok:<drain token>    value  the host    EX DRAIN_DEDUPE_TTL_SECONDS
 *
 *      so other drain processes and a restarted one know it too. A request with only
 *      platform lines (most of them: a dyno writes ~2 lines per 20 s, into requests of
 *      their own) takes the app from memory, else from one GET (bounded by
 *      `lookupTimeoutMs`; a miss is remembered for `missTtlMs`, so a token without
 *      router lines costs one GET per `missTtlMs`, not one per request)
 *   3. else '' : no header; the runtime tries DRAIN_TOKEN_APPS, then records the
 *      lines under `-` and counts them as `unknown_app`
 *
 * Redis unreachable only degrades attribution (counted), never ingest. An app with a
 * custom domain writes router lines for several hosts under one token: the first
 * host of the request wins, so such apps should be pinned with DRAIN_TOKEN_APPS.
 */
export type AppSource = 'config' | 'learned' | 'unknown';

export interface DrainTokenAppsOptions {
  /** DRAIN_TOKEN_APPS */
  configured: ReadonlyMap<string, string>;
  /** null: learn in memory only (tests, tools) */
  redis: RedisClient | null;
  prefix: string;
  ttlSeconds: number;
  lookupTimeoutMs?: number;
  missTtlMs?: number;
  /** tokens remembered in memory; past it the oldest is forgotten (Redis still has it) */
  maxTokens?: number;
  now?: () => number;
  /** a Redis read or write failed (counted by the caller) */
  onRedisError?: (err: unknown) => void;
}

interface Known {
  app: string;
  /** when this process last wrote (or read) the Redis entry; refreshed after half the TTL */
  syncedMs: number;
}

const TIMEOUT = Symbol('timeout');

export function tokenAppKey(prefix: string, drainToken: string): string {
  return `${prefix}tok:${drainToken}`;
}

export class DrainTokenApps {
  readonly #o: Required<Omit<DrainTokenAppsOptions, 'redis' | 'onRedisError'>> &
    Pick<DrainTokenAppsOptions, 'redis' | 'onRedisError'>;
  readonly #known = new Map<string, Known>();
  readonly #misses = new Map<string, number>();

  constructor(o: DrainTokenAppsOptions) {
    this.#o = {
      lookupTimeoutMs: 250,
      missTtlMs: 5000,
      maxTokens: 100_000,
      now: Date.now,
      ...o,
    };
  }

  /**
   * The app of this request's platform records and where it came from. `routerHost`
   * is the host of the request's first accepted router line, or null; with
   * `needed` false (no platform records) nothing is looked up in Redis.
   */
  async resolve(
    token: string,
    routerHost: string | null,
    needed: boolean,
  ): Promise<{ app: string; source: AppSource }> {
    if (token === '') return { app: '', source: 'unknown' };
    const configured = this.#o.configured.get(token);
    if (configured !== undefined) return { app: configured, source: 'config' };
    if (routerHost !== null && routerHost !== '') {
      this.learn(token, routerHost);
      return { app: routerHost, source: 'learned' };
    }
    const known = this.#known.get(token);
    if (known !== undefined) return { app: known.app, source: 'learned' };
    if (!needed || this.#o.redis === null) return { app: '', source: 'unknown' };
    const missAt = this.#misses.get(token);
    const now = this.#o.now();
    if (missAt !== undefined && now - missAt < this.#o.missTtlMs) return { app: '', source: 'unknown' };
    const app = await this.#lookup(token);
    if (app === '') {
      if (this.#misses.size >= this.#o.maxTokens) this.#misses.clear();
      this.#misses.set(token, now);
      return { app: '', source: 'unknown' };
    }
    this.#remember(token, app, now);
    return { app, source: 'learned' };
  }

  /** Remembers `host` for `token`; writes Redis when it is new here or half the TTL has passed. */
  learn(token: string, host: string): void {
    const now = this.#o.now();
    const known = this.#known.get(token);
    const stale =
      known === undefined || known.app !== host || now - known.syncedMs > (this.#o.ttlSeconds * 1000) / 2;
    if (!stale) return;
    this.#remember(token, host, now);
    this.#misses.delete(token);
    const { redis } = this.#o;
    if (redis === null) return;
    redis.set(tokenAppKey(this.#o.prefix, token), host, 'EX', this.#o.ttlSeconds).catch((err: unknown) => {
      // Retried by the next request that carries router lines (the entry is not marked synced).
      const entry = this.#known.get(token);
      if (entry !== undefined) entry.syncedMs = Number.NEGATIVE_INFINITY;
      this.#o.onRedisError?.(err);
    });
  }

  /** tokens whose app this process knows */
  get size(): number {
    return this.#known.size;
  }

  #remember(token: string, app: string, now: number): void {
    if (!this.#known.has(token) && this.#known.size >= this.#o.maxTokens) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
    }
    this.#known.set(token, { app, syncedMs: now });
  }

  async #lookup(token: string): Promise<string> {
    const redis = this.#o.redis!;
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        redis.get(tokenAppKey(this.#o.prefix, token)),
        new Promise<typeof TIMEOUT>((resolve) => {
          timer = setTimeout(() => resolve(TIMEOUT), this.#o.lookupTimeoutMs);
        }),
      ]);
      if (answer === TIMEOUT) {
        this.#o.onRedisError?.(new Error(`GET ${tokenAppKey(this.#o.prefix, token)} timed out`));
        return '';
      }
      return answer ?? '';
    } catch (err) {
      this.#o.onRedisError?.(err);
      return '';
    } finally {
      clearTimeout(timer);
    }
  }
}
