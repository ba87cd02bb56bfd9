/**
 * A bounded cache of raw path → route template. Paths repeat a lot (the same
 * endpoints, the same ids), so most records skip templating entirely.
 *
 * Two generations instead of a strict LRU: a hit in `young` costs one Map lookup
 * and no reordering; a hit in `old` promotes the entry. When `young` is full it
 * becomes `old` and the previous `old` is dropped, so entries not used during a
 * whole generation age out. Memory stays at most `capacity` entries.
 */
export class TemplateCache {
  readonly capacity: number;
  private readonly generationSize: number;
  private young = new Map<string, string>();
  private old = new Map<string, string>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new RangeError(`TemplateCache capacity must be an integer >= 2, got ${capacity}`);
    }
    this.capacity = capacity;
    this.generationSize = Math.floor(capacity / 2);
  }

  get(key: string): string | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: string): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
