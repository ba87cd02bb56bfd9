import { murmur2 } from '../kafka/key-partitioner.js';

/**
 * Keys of the router records of hot apps: `DRAIN_HOT_APPS="big.example.com=4"` spreads
 * that app's records over 4 partitions instead of one (docs/kafka-records.md, "Hot apps").
 *
 *   router line ─host= in DRAIN_HOT_APPS?─┬─ no  → key = host                     (unchanged)
 *                                          └─ yes → shard = fnv1a(path up to ?) mod k
 *                                                   key   = `host#s`, s = suffixes[shard]
 *
 * One path always gets the same key, so one path's requests stay on one partition and in
 * order. The k suffixes are not simply 0..k−1: `host#0`…`host#k−1` would land on k
 * partitions only by luck (murmur2 mod P collides: with k = 3 of P = 6, 4 times in 9);
 * instead the first k suffixes whose keys land on k *distinct* partitions of a topic of
 * `partitions` partitions are taken (a fixed function of host, k and P). A key is
 * still `host#<decimal>`; the runtime never reads keys (the app is the line's `host=`).
 */
export interface HotAppKeyTable {
  /** the k keys, `host#s` in bytes, back to back */
  bytes: Buffer;
  /** key i is bytes[offsets[i], offsets[i+1]) */
  offsets: Int32Array;
  /** k */
  shards: number;
}

/** Attempts to find k suffixes on distinct partitions before settling for collisions. */
const MAX_SUFFIX_TRIES = 10_000;

export class HotAppKeys {
  readonly #tables = new Map<string, HotAppKeyTable>();
  /** the DRAIN_HOT_APPS hosts, which `add`/`delete` never touch */
  readonly #named: ReadonlySet<string>;
  readonly #partitions: number;

  /**
   * @param spreads host (lower case, as the router writes it) → k (2 ≤ k ≤ partitions)
   * @param partitions partitions of the router topic, for choosing suffixes on distinct partitions
   */
  constructor(spreads: ReadonlyMap<string, number>, partitions: number) {
    this.#partitions = partitions;
    for (const [host, k] of spreads) this.#tables.set(host, buildTable(host, k, partitions));
    this.#named = new Set(spreads.keys());
  }

  get size(): number {
    return this.#tables.size;
  }

  /** a DRAIN_HOT_APPS app (spread by the operator, never by detection) */
  isNamed(host: string): boolean {
    return this.#named.has(host) || this.#named.has(host.toLowerCase());
  }

  /**
   * Spreads a detected hot app (hot-app-detector.ts) over k partitions from the next
   * request on. The keys are the same function of (host, k, partitions) as for a named app,
   * so every drain process that detects the app picks the same k keys. A named app keeps its
   * DRAIN_HOT_APPS k. Returns false when nothing changed.
   */
  add(host: string, k: number): boolean {
    const h = host.toLowerCase();
    if (this.#named.has(h) || this.#tables.has(h)) return false;
    this.#tables.set(h, buildTable(h, k, this.#partitions));
    return true;
  }

  /** Back to key = host for a detected app whose hold ran out; named apps stay. */
  delete(host: string): boolean {
    const h = host.toLowerCase();
    if (this.#named.has(h)) return false;
    return this.#tables.delete(h);
  }

  /** the key table of a hot app, null for every other app */
  lookup(host: string): HotAppKeyTable | null {
    return this.#tables.get(host) ?? this.#tables.get(host.toLowerCase()) ?? null;
  }
}

function buildTable(host: string, k: number, partitions: number): HotAppKeyTable {
  const keys: Buffer[] = [];
  const used = new Set<number>();
  const fallback: Buffer[] = [];
  for (let s = 0; keys.length < k && s < MAX_SUFFIX_TRIES; s++) {
    const key = Buffer.from(`${host}#${s}`);
    const p = (murmur2(key) & 0x7fffffff) % partitions;
    if (used.has(p)) {
      if (fallback.length < k) fallback.push(key);
      continue;
    }
    used.add(p);
    keys.push(key);
  }
  // Only with k > partitions (refused by the config): fill up with colliding keys.
  while (keys.length < k) keys.push(fallback.shift() ?? Buffer.from(`${host}#${keys.length}`));
  const offsets = new Int32Array(k + 1);
  for (let i = 0; i < k; i++) offsets[i + 1] = offsets[i]! + keys[i]!.length;
  return { bytes: Buffer.concat(keys), offsets, shards: k };
}

/**
 * The shard of a path, `buf[start, end)`: 32-bit FNV-1a of its bytes mod k. Stable across
 * processes and versions (it decides which partition a path's records go to), and
 * computed over the range without a copy.
 */
export function pathShard(buf: Uint8Array, start: number, end: number, k: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return (h >>> 0) % k;
}
