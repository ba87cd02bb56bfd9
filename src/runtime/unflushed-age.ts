/**
 * Which consumed record is the oldest not yet stored, for
 * `routemeter_oldest_unflushed_age_seconds`. Records reach Redis in drained
 * batches, oldest first (partition-consumer.ts), so it is enough to remember
 * the Kafka timestamp of the first record of each batch still queued, plus of
 * the records consumed since the last drain.
 *
 *   consumed(ts) ... consumed(ts)   drained()   consumed(ts) ...   stored()
 *   └── pending: first ts kept ──┘  → queue      └─ pending ─┘       ← queue head leaves
 */
export class UnflushedAge {
  /** first record timestamp (ms) of each drained, not yet stored batch, oldest first */
  private readonly queued: number[] = [];
  /** first record timestamp (ms) consumed since the last drain; 0 when none */
  private pending = 0;

  /** a record (its Kafka timestamp, ms) was consumed */
  consumed(timestampMs: number): void {
    if (this.pending === 0 && timestampMs > 0) this.pending = timestampMs;
  }

  /** what was pending became one queued batch */
  drained(): void {
    this.queued.push(this.pending);
    this.pending = 0;
  }

  /** the oldest queued batch was stored */
  stored(): void {
    this.queued.shift();
  }

  /** Kafka timestamp (ms) of the oldest consumed record not yet stored; 0 when everything is stored */
  get oldestMs(): number {
    for (const ts of this.queued) if (ts > 0) return ts;
    return this.pending;
  }
}
