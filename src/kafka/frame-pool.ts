/**
 * Reusable buffers for the broker connection's large response frames (Fetch answers
 * of up to FETCH_MAX_BYTES).
 *
 * Why: a Buffer's bytes live outside V8's heap, and V8 answers every ~64 MB of such
 * "external" memory allocated with a full mark-compact of the thread's heap. Reading
 * the backlog at ~40 MB/s of values, with the socket's 64 KB chunks plus one buffer
 * per frame, set that off every ~200 ms: measured on bench/consume with one worker
 * thread (`node --trace-gc`, per-thread CPU from /proc), V8's helper threads spent
 * ~75% as much CPU as the worker thread itself. With the frames in reused buffers and
 * the socket read into one fixed buffer (`onread`), fetched bytes allocate nothing.
 *
 * A frame is the pool's until the connection hands it to a request's reader; the
 * reader's owner gives it back (`WireReader.release`) once nothing reads it any more.
 * A frame never given back is simply collected: the pool then allocates a new one.
 */
export class FramePool {
  private readonly free: Buffer[] = [];

  constructor(
    /** frames smaller than this are plain allocations (not worth pooling) */
    readonly minPooledBytes = 64 * 1024,
    /** free buffers kept */
    readonly maxFree = 4,
  ) {}

  /** A buffer of at least `size` bytes (its contents are garbage). */
  acquire(size: number): Buffer {
    if (size < this.minPooledBytes) return Buffer.allocUnsafe(size);
    const free = this.free;
    for (let i = free.length - 1; i >= 0; i--) {
      const b = free[i]!;
      if (b.length >= size) {
        free[i] = free[free.length - 1]!;
        free.pop();
        return b;
      }
    }
    // Powers of two, so that fetches of slightly different sizes share buffers.
    let capacity = this.minPooledBytes;
    while (capacity < size) capacity *= 2;
    return Buffer.allocUnsafeSlow(capacity);
  }

  /** Gives back a buffer from `acquire` (its whole backing store: pass the buffer, not a view). */
  release(buf: Buffer): void {
    if (buf.length < this.minPooledBytes) return;
    if (this.free.length < this.maxFree) this.free.push(buf);
  }

  get size(): number {
    return this.free.length;
  }
}
