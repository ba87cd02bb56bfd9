import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import { frameKey } from '../sinks/redis/redis-keys.js';

/**
 * Logplex retries a batch (5xx, 429, timeout) with the same `Logplex-Frame-Id`.
 * This record in Redis makes a retried batch reach Kafka once:
 *
 *   key   <REDIS_PREFIX>drain:frame:<drain token>:<frame id>
 *   value "inflight:<nonce>"  (PX inflightTtlMs, refreshed while the batch is being produced)
 *         "done"              (EX DRAIN_DEDUPE_TTL_SECONDS, written only AFTER Kafka acked)
 *
 *   request ─claim─▶ absent   → SET inflight (atomically) ─▶ produce ─ack─▶ SET done   → 2xx
 *                                                                   └fail─▶ DEL if ours → 503
 *                    "done"     → duplicate: 2xx, nothing produced
 *                    inflight   → a concurrent attempt is producing it: poll until it is done (2xx),
 *                                 gone (claim it and produce) or the wait ends (503, logplex retries)
 *
 * Crash windows: dying after Kafka acked but before `done` was written leaves the
 * in-flight marker to expire, and the retry produces the batch again: a duplicate
 * (counted by the consumers), never a loss. A marker left by a crash blocks retries
 * for at most `inflightTtlMs`, which is why it is short and refreshed by its holder.
 * When Redis is unreachable the drain fails open (produces without dedupe, counted).
 */
export type ClaimResult =
  | { state: 'claimed'; claim: Claim }
  | { state: 'duplicate' }
  | { state: 'in_flight' }
  | { state: 'unavailable'; error: unknown };

export interface Claim {
  /** Kafka acked: remember the frame id for the dedupe TTL. */
  commit(): Promise<void>;
  /** Produce failed: let a retry claim the frame id at once. */
  release(): Promise<void>;
}

export interface FrameDedupeOptions {
  redis: RedisClient;
  prefix: string;
  ttlSeconds: number;
  /** life of an in-flight marker without refresh (bounds how long a crash blocks retries) */
  inflightTtlMs?: number;
  /** how often a concurrent retry looks again while the first attempt is in flight */
  pollMs?: number;
}

const CLAIM = `local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'claimed'`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const REFRESH = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

export class FrameDedupe {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #ttlSeconds: number;
  readonly #inflightTtlMs: number;
  readonly #pollMs: number;
  readonly #held = new Map<string, string>();
  #refreshTimer: NodeJS.Timeout | null = null;

  constructor(opts: FrameDedupeOptions) {
    this.#redis = opts.redis;
    this.#prefix = opts.prefix;
    this.#ttlSeconds = opts.ttlSeconds;
    this.#inflightTtlMs = opts.inflightTtlMs ?? 10_000;
    this.#pollMs = opts.pollMs ?? 50;
  }

  key(drainToken: string, frameId: string): string {
    return frameKey(this.#prefix, drainToken, frameId);
  }

  /** Tries to become the one attempt that produces this frame, waiting at most `waitMs` for another. */
  async claim(drainToken: string, frameId: string, waitMs: number): Promise<ClaimResult> {
    const key = this.key(drainToken, frameId);
    const marker = `inflight:${randomBytes(8).toString('hex')}`;
    const deadline = Date.now() + waitMs;
    for (;;) {
      let v: unknown;
      try {
        v = await this.#redis.eval(CLAIM, 1, key, marker, this.#inflightTtlMs);
      } catch (error) {
        return { state: 'unavailable', error };
      }
      if (v === 'claimed') return { state: 'claimed', claim: this.#hold(key, marker) };
      if (v === 'done') return { state: 'duplicate' };
      if (Date.now() + this.#pollMs > deadline) return { state: 'in_flight' };
      await new Promise((r) => setTimeout(r, this.#pollMs));
    }
  }

  /** Stops refreshing markers (their holders' outcomes are then left to expiry). */
  close(): void {
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#refreshTimer = null;
    this.#held.clear();
  }

  #hold(key: string, marker: string): Claim {
    this.#held.set(key, marker);
    this.#startRefresh();
    let settled = false;
    return {
      commit: async () => {
        if (settled) return;
        settled = true;
        this.#held.delete(key);
        await this.#redis.set(key, 'done', 'EX', this.#ttlSeconds);
      },
      release: async () => {
        if (settled) return;
        settled = true;
        this.#held.delete(key);
        await this.#redis.eval(RELEASE, 1, key, marker);
      },
    };
  }

  #startRefresh(): void {
    if (this.#refreshTimer) return;
    this.#refreshTimer = setInterval(
      () => {
        if (this.#held.size === 0) {
          if (this.#refreshTimer) clearInterval(this.#refreshTimer);
          this.#refreshTimer = null;
          return;
        }
        const pipeline = this.#redis.pipeline();
        for (const [key, marker] of this.#held) pipeline.eval(REFRESH, 1, key, marker, this.#inflightTtlMs);
        pipeline.exec().catch(() => {});
      },
      Math.max(100, Math.floor(this.#inflightTtlMs / 3)),
    );
    this.#refreshTimer.unref();
  }
}
