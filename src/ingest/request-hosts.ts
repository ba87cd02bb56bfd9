/**
 * The distinct router `host=` values of one request body, as ranges of the body, each with
 * its router line count and a per-host slot for what the parser decides once per host (its
 * hot-app key table). Why: a string and a Map lookup per line (or per run of one host, which
 * is per line when a request interleaves many apps) cost more than the rest of the parse;
 * this makes one string per distinct host per request, and per line a hash of the host's
 * bytes and a byte comparison.
 *
 *   find(body, h0, h1) ─ FNV-1a of some bytes ─▶ open addressing (linear probing) ─┬─ same bytes → slot
 *                                                                                  └─ empty      → new slot
 *
 * The table grows (doubling, kept at most half full) and is reused by the next request:
 * `reset()` clears only the slots used. One instance per parser; the parser is synchronous.
 */
export class RequestHosts<T> {
  #mask = 63;
  #hash = new Int32Array(64);
  #start = new Int32Array(64);
  #len = new Int32Array(64);
  /** slot → entry + 1 (0 = empty) */
  #entryOf = new Int32Array(64);
  /** per entry, in first-seen order */
  readonly names: string[] = [];
  readonly counts: number[] = [];
  /** per entry, what the caller decided for the host once (null until it does) */
  readonly values: Array<T | null> = [];
  readonly #slots: number[] = [];
  #body: Uint8Array = new Uint8Array(0);

  /** distinct hosts so far */
  get size(): number {
    return this.names.length;
  }

  /**
   * The entry of host `body[start, end)`, or −1 − (a new entry's index) when this request had
   * not seen it: the caller then sets `names[i]` (and `values[i]`).
   */
  find(body: Uint8Array, start: number, end: number): number {
    this.#body = body;
    // FNV-1a of the length and of the first and last bytes at most 16: hosts differ early
    // (the app name) or in their length; the byte comparison settles the rest.
    const len = end - start;
    let h = Math.imul(0x811c9dc5 ^ len, 0x01000193);
    const head = Math.min(end, start + 12);
    for (let i = start; i < head; i++) h = Math.imul(h ^ body[i]!, 0x01000193);
    for (let i = Math.max(head, end - 4); i < end; i++) h = Math.imul(h ^ body[i]!, 0x01000193);
    let slot = h & this.#mask;
    for (;;) {
      const e = this.#entryOf[slot]!;
      if (e === 0) break;
      if (this.#hash[slot] === h && this.#len[slot] === len && this.#same(this.#start[slot]!, start, len)) {
        return e - 1;
      }
      slot = (slot + 1) & this.#mask;
    }
    const index = this.names.length;
    this.#hash[slot] = h;
    this.#start[slot] = start;
    this.#len[slot] = len;
    this.#entryOf[slot] = index + 1;
    this.#slots.push(slot);
    this.names.push('');
    this.counts.push(0);
    this.values.push(null);
    if (2 * this.names.length > this.#mask + 1) this.#grow();
    return -1 - index;
  }

  /** Forgets this request's hosts (and its body). */
  reset(): void {
    for (const slot of this.#slots) this.#entryOf[slot] = 0;
    this.#slots.length = 0;
    this.names.length = 0;
    this.counts.length = 0;
    this.values.length = 0;
    this.#body = new Uint8Array(0);
  }

  #same(a: number, b: number, n: number): boolean {
    const body = this.#body;
    for (let i = 0; i < n; i++) if (body[a + i] !== body[b + i]) return false;
    return true;
  }

  #grow(): void {
    const size = 2 * (this.#mask + 1);
    const old = { hash: this.#hash, start: this.#start, len: this.#len, entryOf: this.#entryOf };
    const slots = this.#slots.splice(0);
    this.#mask = size - 1;
    this.#hash = new Int32Array(size);
    this.#start = new Int32Array(size);
    this.#len = new Int32Array(size);
    this.#entryOf = new Int32Array(size);
    for (const from of slots) {
      let slot = old.hash[from]! & this.#mask;
      while (this.#entryOf[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#hash[slot] = old.hash[from]!;
      this.#start[slot] = old.start[from]!;
      this.#len[slot] = old.len[from]!;
      this.#entryOf[slot] = old.entryOf[from]!;
      this.#slots.push(slot);
    }
  }
}
