import { onTestFinished } from 'vitest';
import { type ApiHandle, startApi } from '../../src/api/api-server.js';
import { loadConfig } from '../../src/config/config.js';
import type { RouterEvent } from '../../src/logplex/router-event.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { testRedis } from '../sinks/redis/test-redis.js';

/** Test support (not a test file): a real `serve` on port 0 over a fresh Redis prefix. */
export const TOKEN = 'test-token-0123456789abcdef';
export const SHOP_TOKEN = 'shop-token-0123456789abcdef';

export interface ApiFixture {
  api: ApiHandle;
  base: string;
  prefix: string;
  redis: ReturnType<typeof testRedis>['redis'];
  get(path: string, init?: { token?: string | null; headers?: Record<string, string> }): Promise<Response>;
}

export interface StartTestApiOptions {
  now?: () => number;
  /** where cleanups go (default: onTestFinished); a describe sharing one server passes its own */
  onCleanup?: (fn: () => Promise<void>) => void;
  /** read this existing prefix (written by a runtime under test) instead of a fresh one */
  prefix?: string;
  /** called with the fresh Redis prefix before the server starts (seed data here) */
  seed?: (redis: ReturnType<typeof testRedis>['redis'], prefix: string) => Promise<void>;
}

export async function startTestApi(
  env: Record<string, string> = {},
  options: StartTestApiOptions = {},
): Promise<ApiFixture> {
  const onCleanup = options.onCleanup ?? ((fn) => onTestFinished(fn));
  const fresh = testRedis();
  const { redis } = fresh;
  const prefix = options.prefix ?? fresh.prefix;
  onCleanup(options.prefix === undefined ? fresh.cleanup : () => redis.quit().then(() => {}));
  await options.seed?.(redis, prefix);
  const config = loadConfig({
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: prefix,
    API_TOKENS: `${TOKEN},${SHOP_TOKEN}:shop.example.com`,
    API_USERS: 'ops:secret-password',
    WINDOW_RETENTION_SECONDS: String(6 * 3600),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const api = await startApi(config, createLogger('silent'), {
    port: 0,
    host: '127.0.0.1',
    redis,
    ...(options.now ? { now: options.now } : {}),
  });
  onCleanup(() => api.close());
  const base = `http://127.0.0.1:${api.port}`;
  return {
    api,
    base,
    prefix,
    redis,
    get: (path, init = {}) => {
      const token = init.token === undefined ? TOKEN : init.token;
      return fetch(base + path, {
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
      });
    },
  };
}

/** Exact p-quantile (nearest rank) of the events' service times, the oracle for HDR quantiles. */
export function exactQuantile(events: readonly RouterEvent[], p: number): number {
  const service = events
    .map((e) => e.serviceMs)
    .filter((v) => v >= 0)
    .sort((a, b) => a - b);
  return service[Math.max(1, Math.ceil((p / 100) * service.length)) - 1]!;
}

/** HDR at 2 significant digits: within 1% above the exact value (+1 ms for small values). */
export function withinHdr(got: number | null, exact: number): boolean {
  return got !== null && got >= exact && got <= exact * 1.01 + 1;
}
