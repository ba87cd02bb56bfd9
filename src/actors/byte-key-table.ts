/**
 * A bounded hash table keyed by a byte range of a record (`buf[start, end)`), so the
 * hot path can look up "this host", "this raw path" or "this path segment" straight
 * from the fetched bytes, without decoding a string per record and without the
 * string hashing a `Map<string, …>` would do on every fresh string.
 *
 * Open addressing with linear probing over power-of-two arrays; the keys' bytes are
 * copied into one slab (the record's buffer is reused by the fetcher, so a key must
 * never point into it). The caller computes the hash once (`hashBytes`) and may use it
 * for several tables or for a doorkeeper.
 *
 * Bounded: the arrays and the slab start small and double as entries come; at
 * `maxEntries` entries, or when the slab is full, `set` refuses (returns false) and the owner decides what to forget (ByteKeyCache below turns that into two
 * generations). Keys longer than `maxKeyBytes` are never stored.
 */
export class ByteKeyTable<V> {
  readonly maxEntries: number;
  readonly maxKeyBytes: number;
  private readonly maxSlabBytes: number;
  private mask: number;
  /** hash per slot; 0 = empty (hashBytes never returns 0) */
  private hashes: Int32Array;
  /** key offset in the slab and key length, per slot */
  private offsets: Int32Array;
  private lengths: Int32Array;
  private values: (V | undefined)[];
  private slab: Buffer;
  private slabUsed = 0;
  private count = 0;

  constructor(maxEntries: number, maxKeyBytes = 256, slabBytes = maxEntries * 48) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`ByteKeyTable maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.maxEntries = maxEntries;
    this.maxKeyBytes = maxKeyBytes;
    this.maxSlabBytes = Math.max(slabBytes, maxKeyBytes);
    // Small at first, doubled as entries come (a partition's apps are a handful; a
    // thread's paths are thousands): memory follows use, up to the bounds.
    const size = Math.min(16, tableSizeFor(maxEntries));
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.offsets = new Int32Array(size);
    this.lengths = new Int32Array(size);
    this.values = new Array(size).fill(undefined);
    this.slab = Buffer.allocUnsafe(Math.min(this.maxSlabBytes, Math.max(1024, maxKeyBytes)));
  }

  get size(): number {
    return this.count;
  }

  get(buf: Uint8Array, start: number, end: number, hash: number): V | undefined {
    const len = end - start;
    const hashes = this.hashes;
    let slot = hash & this.mask;
    for (;;) {
      const h = hashes[slot]!;
      if (h === 0) return undefined;
      if (h === hash && this.lengths[slot] === len && this.keyEquals(slot, buf, start, len)) {
        return this.values[slot];
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Stores (or replaces) the value; false when the table or its slab is full, or the key too long. */
  set(buf: Uint8Array, start: number, end: number, hash: number, value: V): boolean {
    const len = end - start;
    if (len > this.maxKeyBytes) return false;
    let slot = this.slotOf(buf, start, len, hash);
    if (this.hashes[slot] !== 0) {
      this.values[slot] = value;
      return true;
    }
    if (this.count >= this.maxEntries) return false;
    if (this.slabUsed + len > this.slab.length) {
      if (this.slab.length >= this.maxSlabBytes) return false;
      const bigger = Buffer.allocUnsafe(
        Math.min(this.maxSlabBytes, Math.max(2 * this.slab.length, this.slabUsed + len)),
      );
      if (this.slabUsed + len > bigger.length) return false;
      this.slab.copy(bigger, 0, 0, this.slabUsed);
      this.slab = bigger;
    }
    // load factor ≤ 0.5: short probe runs
    if (2 * (this.count + 1) > this.hashes.length && this.hashes.length < tableSizeFor(this.maxEntries)) {
      this.grow();
      slot = this.slotOf(buf, start, len, hash);
    }
    const at = this.slabUsed;
    for (let i = 0; i < len; i++) this.slab[at + i] = buf[start + i]!;
    this.slabUsed += len;
    this.hashes[slot] = hash;
    this.offsets[slot] = at;
    this.lengths[slot] = len;
    this.values[slot] = value;
    this.count++;
    return true;
  }

  clear(): void {
    if (this.count === 0) return;
    this.hashes.fill(0);
    this.values.fill(undefined);
    this.slabUsed = 0;
    this.count = 0;
  }

  /** The key's slot, or the empty slot where it would go. */
  private slotOf(buf: Uint8Array, start: number, len: number, hash: number): number {
    const hashes = this.hashes;
    let slot = hash & this.mask;
    for (;;) {
      const h = hashes[slot]!;
      if (h === 0) return slot;
      if (h === hash && this.lengths[slot] === len && this.keyEquals(slot, buf, start, len)) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const { hashes, offsets, lengths, values } = this;
    const size = hashes.length * 2;
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.offsets = new Int32Array(size);
    this.lengths = new Int32Array(size);
    this.values = new Array(size).fill(undefined);
    for (let i = 0; i < hashes.length; i++) {
      const h = hashes[i]!;
      if (h === 0) continue;
      let slot = h & this.mask;
      while (this.hashes[slot] !== 0) slot = (slot + 1) & this.mask;
      this.hashes[slot] = h;
      this.offsets[slot] = offsets[i]!;
      this.lengths[slot] = lengths[i]!;
      this.values[slot] = values[i];
    }
  }

  private keyEquals(slot: number, buf: Uint8Array, start: number, len: number): boolean {
    const slab = this.slab;
    const at = this.offsets[slot]!;
    for (let i = 0; i < len; i++) if (slab[at + i] !== buf[start + i]) return false;
    return true;
  }
}

/** Slots for `entries` at a load factor of at most 0.5 (a power of two). */
function tableSizeFor(entries: number): number {
  let size = 8;
  while (size < entries * 2) size *= 2;
  return size;
}

/**
 * FNV-1a over the bytes: cheap, no allocation; never 0 (the empty slot). A scanner
 * that reads the bytes anyway may compute the same value on the way:
 * `h = FNV_OFFSET; h = Math.imul(h ^ byte, FNV_PRIME)…; h | 1`.
 */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, FNV_PRIME);
  return h | 1;
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/**
 * Two generations of ByteKeyTable (no strict LRU): a hit in `young` is one probe;
 * a hit in `old` copies the entry into `young`. When `young` is full it becomes `old`
 * and the previous `old` is dropped, so keys not seen for a whole generation age out
 * and memory stays bounded (2 × generationSize entries).
 */
export class ByteKeyCache<V> {
  private young: ByteKeyTable<V>;
  private old: ByteKeyTable<V>;

  constructor(
    readonly generationSize: number,
    readonly maxKeyBytes = 256,
  ) {
    this.young = new ByteKeyTable<V>(generationSize, maxKeyBytes);
    this.old = new ByteKeyTable<V>(generationSize, maxKeyBytes);
  }

  get(buf: Uint8Array, start: number, end: number, hash: number): V | undefined {
    const hit = this.young.get(buf, start, end, hash);
    if (hit !== undefined) return hit;
    const aged = this.old.get(buf, start, end, hash);
    if (aged !== undefined) this.set(buf, start, end, hash, aged);
    return aged;
  }

  set(buf: Uint8Array, start: number, end: number, hash: number, value: V): void {
    if (end - start > this.maxKeyBytes) return;
    if (this.young.set(buf, start, end, hash, value)) return;
    const dropped = this.old;
    dropped.clear();
    this.old = this.young;
    this.young = dropped;
    this.young.set(buf, start, end, hash, value);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
