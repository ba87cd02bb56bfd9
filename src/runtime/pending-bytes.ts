/**
 * Fetched-but-unflushed record bytes of one worker thread, summed over its
 * partitions. A partition adds the bytes of every batch it consumes and gives
 * them back when the flush that covers them is stored, so the total is the work
 * this thread would lose in a crash, and the amount it may run ahead of Redis.
 * Past `limit` every partition of the thread pauses fetching; below half of it
 * they resume (hysteresis, so they do not flap).
 */
export class PendingBytes {
  private bytes = 0;

  constructor(readonly limit: number) {}

  add(n: number): void {
    this.bytes += n;
  }

  release(n: number): void {
    this.bytes = Math.max(0, this.bytes - n);
  }

  get total(): number {
    return this.bytes;
  }

  get over(): boolean {
    return this.bytes >= this.limit;
  }

  get underResumeMark(): boolean {
    return this.bytes < this.limit / 2;
  }
}
