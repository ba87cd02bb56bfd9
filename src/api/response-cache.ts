import { createHash } from 'node:crypto';

/**
 * A small in-process cache of computed API bodies, so that a wall of screens
 * refreshing every 10 s costs one Redis read and merge per distinct query and
 * freshness period, not one per screen. Concurrent identical requests share one
 * computation (the promise is cached). Entries live `ttlMs`; the oldest entry
 * goes when `maxEntries` is reached. Failed computations are not kept.
 */
export interface CachedBody {
  json: string;
  etag: string;
}

export class ResponseCache {
  private readonly entries = new Map<string, { at: number; body: Promise<CachedBody> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 500,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, compute: () => Promise<unknown>): Promise<CachedBody> {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && t - hit.at < this.ttlMs) return hit.body;
    if (hit) this.entries.delete(key);
    const body = compute().then(toCachedBody);
    body.catch(() => this.entries.delete(key));
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { at: t, body });
    return body;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A strong validator of the exact body: a 304 means the client's copy is byte-identical. */
export function etagOf(json: string): string {
  return `"${createHash('sha1').update(json).digest('base64url').slice(0, 22)}"`;
}

function toCachedBody(value: unknown): CachedBody {
  const json = JSON.stringify(value);
  return { json, etag: etagOf(json) };
}
